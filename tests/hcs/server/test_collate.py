"""Collated jobs in the server: one Film Session, every film a Film Box of it, one
N-ACTION on the session (with Number of Copies on the session), on a printer whose
profile has ``session_print``; refused with 400 on one without.

A collated job is one turn of its printer's worker, so a HIGH job waits for the session
to end. Its films' rows say ``staged`` while their Film Boxes are made (a restart then
prints the session again, with no note: nothing was printed) and ``sending`` from just
before the N-ACTION (a restart then prints it again and every film of it keeps the
at-least-once note). The virtual printer's records count what came out.
"""

import asyncio
import collections
import os
import signal

from hcs.client import Client, ServerError
from hcs.server.spool import AT_LEAST_ONCE_NOTE
from tests.hcs.server.helpers import (
    MR,
    labels_printed,
    printed_films,
    printer_table,
    running_server,
    server_process,
    start_server_process,
    virtual_printer,
    wait_jobs,
    write_config,
)
from tests.hcs.wire import print_associations

# the association is released 0.5 s after the last job, so vp.wait_idle() is short
QUICK = {"idle_release": 0.5}


def collating(port: int, **extra) -> dict:
    return printer_table(port, session_print=True, **extra)


async def film_states(client: Client, job_id: str) -> list[str]:
    return [f["state"] for f in (await client.job(job_id))["films"]]


async def until_films(client: Client, job_id: str, wanted: set[str], timeout: float = 60):
    """Poll the job until every film's state is in ``wanted``; the states seen."""
    seen: set[str] = set()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        states = await film_states(client, job_id)
        seen.update(states)
        if set(states) <= wanted:
            return seen
        if {"printed", "failed"} & set(states) - wanted:
            raise AssertionError(f"films went past {wanted} unseen: {states} ({seen} seen)")
        if loop.time() > deadline:
            raise AssertionError(f"films never all {wanted}: {states}")
        await asyncio.sleep(0.02)


def test_a_collated_job_prints_as_one_film_session_action(tmp_path, backend):
    out = tmp_path / "vp"

    async def go():
        async with virtual_printer(out, png=False) as vp:
            config = write_config(
                tmp_path / "hcs.toml", {"vp": collating(vp.port)}, spool=backend, timeouts=QUICK
            )
            async with running_server(config) as server, Client(server.url) as client:
                job = await client.submit(
                    {"printer": "vp", "label": "set", "collate": True, "copies": 2}, [MR] * 3
                )
                [done] = await wait_jobs(client, [job["id"]])
                await vp.wait_idle()
                return done

    job = asyncio.run(asyncio.wait_for(go(), 120))
    assert job["state"] == "done" and job["film_count"] == 3, job
    assert [f["state"] for f in job["films"]] == ["printed"] * 3
    for film in job["films"]:
        operations = [op["operation"] for op in film["operations"]]
        assert "N-ACTION Film Session (print)" in operations, operations
        assert not any(op.startswith("N-ACTION Film Box") for op in operations)
        assert film["notes"] == []
    [association] = print_associations(out)
    session = association.only("N-CREATE Film Session").dataset
    assert session["NumberOfCopies"] == 2 and session["FilmSessionLabel"] == "set"
    assert len(association.all("N-CREATE Film Box")) == 3
    assert association.all("N-ACTION Film Box") == []
    [action] = association.all("N-ACTION Film Session")
    assert action.message["action_type_id"] == 1
    assert association.operations.index("N-ACTION Film Session") > max(
        i for i, op in enumerate(association.operations) if op.startswith("N-SET")
    )
    assert association.operations[-1] == "N-DELETE Film Session"
    films = printed_films(out)
    assert len(films) == 3 and all(f["copies"] == 2 for f in films)


def test_collate_is_refused_on_a_printer_without_session_print(tmp_path):
    async def go():
        async with virtual_printer(tmp_path / "vp", png=False) as vp:
            config = write_config(tmp_path / "hcs.toml", {"vp": printer_table(vp.port)})
            async with running_server(config) as server, Client(server.url) as client:
                try:
                    await client.submit({"printer": "vp", "collate": True}, [MR, MR])
                except ServerError as error:
                    return error, await client.jobs()
        raise AssertionError("accepted")

    error, jobs = asyncio.run(asyncio.wait_for(go(), 60))
    assert error.status == 400, error
    assert "collate" in str(error) and "printer vp" in str(error)
    assert "session_print" in str(error)
    assert jobs == []


def test_a_collated_job_waiting_when_its_printer_loses_session_print(tmp_path):
    """Accepted while the profile said session_print; by its turn a reload took it away:
    it prints film by film (what the printer can do), each film ``sending`` from the
    start (no ``staged``), and each says so in a note."""
    out = tmp_path / "vp"

    async def go():
        async with virtual_printer(
            out, faults=["delay:op=N-ACTION,seconds=2,assoc=1"], png=False
        ) as vp:
            path = tmp_path / "hcs.toml"
            config = write_config(path, {"vp": collating(vp.port)}, timeouts=QUICK)
            async with running_server(config) as server, Client(server.url) as client:
                busy = await client.submit({"printer": "vp", "label": "busy"}, [MR])
                job = await client.submit({"printer": "vp", "collate": True}, [MR, MR])
                await client.hold(job["id"])  # at once: the printer is busy with the first
                await wait_jobs(client, [busy["id"]])
                write_config(path, {"vp": printer_table(vp.port)}, timeouts=QUICK)
                await client.reload()
                await client.release(job["id"])
                [done] = await wait_jobs(client, [job["id"]])
                await vp.wait_idle()
                return done

    job = asyncio.run(asyncio.wait_for(go(), 120))
    assert job["state"] == "done", job
    for film in job["films"]:
        assert film["state"] == "printed"
        assert any("no longer configured to print a Film Session" in w for w in film["warnings"])
    operations = [r.operation for a in print_associations(out) for r in a.requests]
    assert "N-ACTION Film Session" not in operations
    assert operations.count("N-ACTION Film Box") == 1 + 2


def test_a_high_job_waits_for_the_session_to_end(tmp_path):
    """HIGH is submitted while the LOW session's N-ACTION is with the printer (its films
    all ``sending``): it prints after the session's four films, not between them."""
    out = tmp_path / "vp"

    async def go():
        async with virtual_printer(
            out, faults=["delay:op=N-ACTION,seconds=2,assoc=1"], png=False
        ) as vp:
            config = write_config(tmp_path / "hcs.toml", {"vp": collating(vp.port)}, timeouts=QUICK)
            async with running_server(config) as server, Client(server.url) as client:
                low = await client.submit(
                    {"printer": "vp", "label": "low", "priority": "LOW", "collate": True},
                    [MR] * 4,
                )
                seen = await until_films(client, low["id"], {"sending"})
                high = await client.submit(
                    {"printer": "vp", "label": "high", "priority": "HIGH"}, [MR] * 2
                )
                jobs = await wait_jobs(client, [low["id"], high["id"]])
                await vp.wait_idle()
                return seen, jobs

    seen, (low, high) = asyncio.run(asyncio.wait_for(go(), 120))
    assert seen <= {"formatting", "staged", "sending"}, seen
    assert low["state"] == "done" and high["state"] == "done"
    assert not any("pre-empted" in (e["text"] or "") for e in low["events"])
    assert labels_printed(out) == ["low"] * 4 + ["high"] * 2


def _kill_mid_session(tmp_path, fault: str, wanted: set[str]):
    """A server process prints a collated 3-film job on a printer that delays one
    request of the first association (``fault``); once every film is in ``wanted`` the
    server is killed with SIGKILL, restarted, and the job finishes."""
    out = tmp_path / "vp"
    log = tmp_path / "server.log"

    async def go():
        async with virtual_printer(out, faults=[fault], png=False) as vp:
            config = write_config(tmp_path / "hcs.toml", {"vp": collating(vp.port)})
            with server_process(config, log) as (process, port):
                url = f"http://127.0.0.1:{port}"
                async with Client(url) as client:
                    job = await client.submit(
                        {"printer": "vp", "label": "set", "collate": True}, [MR] * 3
                    )
                    await until_films(client, job["id"], wanted)
                os.killpg(process.pid, signal.SIGKILL)
                await asyncio.to_thread(process.wait, 10)
                process = start_server_process(config, log)
                try:
                    for _ in range(300):
                        try:
                            async with Client(url, timeout=10) as client:
                                [done] = await wait_jobs(client, [job["id"]], timeout=90)
                            break
                        except (ServerError, OSError):
                            await asyncio.sleep(0.1)  # still starting
                finally:
                    os.killpg(process.pid, signal.SIGTERM)
                    await asyncio.to_thread(process.wait, 20)
                await vp.wait_idle()
                return done

    job = asyncio.run(asyncio.wait_for(go(), 180))
    assert job["state"] == "done", job
    assert [f["state"] for f in job["films"]] == ["printed"] * 3
    counts = collections.Counter(
        r["film_session_attributes"]["FilmSessionLabel"] for r in printed_films(out)
    )
    return job, counts["set"], print_associations(out)


def test_killed_before_the_session_action_the_session_prints_once_with_no_note(tmp_path):
    """Killed while the Film Boxes are being filled (films ``staged``): nothing was
    printed, so the restarted server prints the whole session once, with no note."""
    job, printed, associations = _kill_mid_session(
        tmp_path, "delay:op=N-SET,seconds=3,assoc=1", {"staged"}
    )
    assert printed == 3, printed
    assert all(f["notes"] == [] for f in job["films"]), job["films"]
    assert len(associations) == 1  # the killed one never printed
    assert len(associations[0].all("N-ACTION Film Session")) == 1


def test_killed_during_the_session_action_every_film_keeps_the_note(tmp_path):
    """Killed while the session's N-ACTION waits for its answer (films ``sending``):
    the printer may have printed them; the session is printed again and each of its
    films keeps the at-least-once note. Duplicates only with the note."""
    job, printed, _ = _kill_mid_session(
        tmp_path, "delay:op=N-ACTION,seconds=3,assoc=1", {"sending"}
    )
    notes = [f["notes"].count(AT_LEAST_ONCE_NOTE) for f in job["films"]]
    assert notes == [1, 1, 1], job["films"]
    assert printed in (3, 6), printed  # the lost session came out whole, or not at all
