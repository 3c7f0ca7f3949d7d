"""Hot reload in a group of servers (two ``hcs serve`` on one real PostgreSQL).

- An instance whose reload removes a printer finishes the film in hand, closes its
  association and releases the lease; the other instance, configured with the printer,
  takes it and prints the rest of its jobs.
- A job sent to an instance that does not serve its printer is refused (404), naming
  the instance that does.
- A printer removed on every instance: its lease is released, and its waiting jobs are
  held with a reason naming it and saying no instance serves it (in the API and in
  ``hcs jobs``); a reload on any instance that adds it back lets them print.

Each film of each job comes out exactly once (a reload is a clean stop of the printer's
worker: no at-least-once edge), and the printer never has two associations at once.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import signal
import sys
import time

import pytest

from hcs.client import Client, ServerError
from tests.hcs.server.helpers import MR, labels_printed, printer_table, virtual_printer
from tests.hcs.server.test_group import Instance, holders

FILMS = 2
SLOW = "delay:op=N-ACTION,seconds=0.2"
JOBS = 2  # for b, then (with b removed everywhere mid-way) twice as many


async def wait_for(predicate, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (value := await predicate()):
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)
    return value


async def job_states(url: str, ids: list[str]) -> dict[str, dict]:
    async with Client(url, timeout=10) as client:
        jobs = {j["id"]: j for j in await client.jobs(limit=500)}
    return {i: jobs[i] for i in ids}


async def hcs(*argv: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hcs.cli",
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


def test_a_printer_removed_by_reload_moves_and_one_removed_everywhere_holds_its_jobs(
    tmp_path, postgres
):
    url = postgres.database()

    async def go():
        async with contextlib.AsyncExitStack() as stack:
            a = await stack.enter_async_context(virtual_printer(tmp_path / "a", png=False))
            b = await stack.enter_async_context(
                virtual_printer(tmp_path / "b", faults=[SLOW], png=False)
            )
            both = {"a": printer_table(a.port), "b": printer_table(b.port)}
            only_a = {"a": both["a"]}
            i0, i1 = Instance(tmp_path, "i0", both, url), Instance(tmp_path, "i1", both, url)
            try:
                await i0.start()  # first: it takes both printers
                await wait_for(lambda: _held_by(i0.url, {"a": "i0", "b": "i0"}), "i0 holds a and b")
                await i1.start()
                result = await drive(i0, i1, only_a, both, b)
            finally:
                await asyncio.gather(*(i.stop() for i in (i0, i1) if i.alive))
            await b.wait_idle()  # after the stop: no idle association left open
            result[2]["most_at_once"] = b.counters["most_at_once"]
            return result

    async def drive(i0, i1, only_a, both, b):
        seen = {}
        async with Client(i0.url) as client:
            first = [
                (await client.submit({"printer": "b", "label": f"b{k}"}, [MR] * FILMS))["id"]
                for k in range(JOBS)
            ]
        await wait_for(lambda: _printed(tmp_path / "b", 1), "b printing")
        # 1. i0 drops b (POST /config/reload): it finishes the film in hand, releases
        #    the lease, and i1 (configured with b) takes b and prints the rest
        i0.write(only_a)
        async with Client(i0.url) as client:
            seen["reload_i0"] = await client.reload()
        await wait_for(lambda: _held_by(i0.url, {"b": "i1"}), "i1 takes b")
        # a job for b sent to i0 is refused, naming the instance that serves b
        async with Client(i0.url) as client:
            with pytest.raises(ServerError) as refused:
                await client.submit({"printer": "b"}, [MR])
        seen["refused"] = refused.value
        await wait_for(lambda: _all_done(i1.url, first), "the first jobs done", 60)
        # 2. jobs for b wait; i1 drops b too (SIGHUP): nobody serves b any more
        async with Client(i1.url) as client:
            second = [
                (await client.submit({"printer": "b", "label": f"c{k}"}, [MR] * FILMS))["id"]
                for k in range(2 * JOBS)
            ]
        await wait_for(lambda: _printed(tmp_path / "b", JOBS * FILMS + 1), "b printing again")
        i1.write(only_a)
        os.killpg(i1.process.pid, signal.SIGHUP)

        async def held_everywhere():
            jobs = await job_states(i0.url, second)
            waiting = [j for j in jobs.values() if j["state"] != "done"]
            return waiting and all(j["state"] == "held" for j in waiting) and jobs

        seen["held"] = await wait_for(held_everywhere, "jobs for b held", 30)
        seen["holders"] = await holders(i0.url)
        seen["jobs_cli"] = await hcs("jobs", "--server", i1.url)
        async with Client(i1.url) as client:
            with pytest.raises(ServerError) as nobody:
                await client.submit({"printer": "b"}, [MR])
        seen["nobody"] = nobody.value
        # 3. b comes back on i0 (SIGHUP): the held jobs print
        i0.write(both)
        os.killpg(i0.process.pid, signal.SIGHUP)
        seen["done"] = await wait_for(lambda: _all_done(i0.url, first + second), "all done", 60)
        return first, second, seen

    seen = asyncio.run(go())[2]
    assert seen["reload_i0"]["removed"] == ["b"]
    assert seen["refused"].status == 404 and seen["refused"].field == "printer"
    assert "i1" in str(seen["refused"]), seen["refused"]
    held = [j for j in seen["held"].values() if j["state"] == "held"]
    assert held, seen["held"]
    for job in held:
        assert "no instance serves b" in job["reason"], job["reason"]
    assert seen["holders"].get("b") is None, seen["holders"]  # b's lease was released
    code, listing = seen["jobs_cli"]
    assert code == 0 and "no instance serves b" in listing, listing
    assert seen["nobody"].status == 404 and seen["nobody"].field == "printer"
    for job in seen["done"]:
        assert job["state"] == "done", job
        assert all(not f["notes"] for f in job["films"])
    counts = collections.Counter(labels_printed(tmp_path / "b"))
    expected = {f"b{k}": FILMS for k in range(JOBS)} | {f"c{k}": FILMS for k in range(2 * JOBS)}
    assert counts == expected, counts
    assert seen["most_at_once"] == 1


async def _held_by(url: str, expected: dict[str, str]) -> bool:
    held = await holders(url)
    return all(held.get(name) == who for name, who in expected.items())


async def _printed(out, n: int) -> bool:
    return len(labels_printed(out)) >= n


async def _all_done(url: str, ids: list[str]) -> list[dict] | None:
    jobs = await job_states(url, ids)
    if not all(j["state"] == "done" for j in jobs.values()):
        return None
    async with Client(url) as client:
        return [await client.job(i) for i in ids]
