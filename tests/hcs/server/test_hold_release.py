"""Hold, release, priority change and reprint: over HTTP (the client) and with the
``hcs hold/release/priority/reprint`` commands, on a virtual printer.

Job A (MED, two films, each N-ACTION answered after 1 s) prints first: its first film
keeps the printer's only worker busy while B is held over HTTP right after it was
submitted (the commands, which take seconds to start on a loaded machine, come after);
B is LOW, so no printer takes it while A has films left, and a held job is never taken
at all until it is released.
"""

import asyncio
import json
import sys

from hcs.client import Client, ServerError
from tests.hcs.server.helpers import (
    MR,
    REPO,
    labels_printed,
    printer_table,
    running_server,
    virtual_printer,
    wait_jobs,
    write_config,
)
from tests.hcs.wire import print_associations


async def hcs(*argv: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hcs.cli",
        *argv,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


def test_hold_release_priority_and_reprint(tmp_path):
    out = tmp_path / "vp"

    async def go():
        async with virtual_printer(out, faults=["delay:op=N-ACTION,seconds=1"]) as vp:
            config = write_config(tmp_path / "hcs.toml", {"vp": printer_table(vp.port)})
            async with running_server(config) as server, Client(server.url) as client:
                url = ["--server", server.url]
                a = await client.submit({"printer": "vp", "label": "A"}, [MR, MR])
                b = await client.submit(
                    {"printer": "vp", "label": "B", "priority": "LOW"}, [MR, MR]
                )
                await client.hold(b["id"])  # at once: the printer is busy with A's film
                held = await hcs("hold", b["id"], *url)  # the command; holding twice is fine
                await wait_jobs(client, [a["id"]])
                still = await client.job(b["id"])  # A is done: B stays held
                try:
                    await client.hold(a["id"])
                except ServerError as error:
                    finished = error
                changed = await hcs("priority", b["id"], "high", *url)
                released = await client.release(b["id"])
                [b_done] = await wait_jobs(client, [b["id"]])
                again = await hcs("reprint", b["id"], "--json", *url)
                copy_id = json.loads(again[1])["id"]
                [copy] = await wait_jobs(client, [copy_id])
                missing = await hcs("release", "nosuchjob", *url)
                await vp.wait_idle()
                return held, still, finished, changed, released, b_done, again, copy, missing

    held, still, finished, changed, released, b_done, again, copy, missing = asyncio.run(
        asyncio.wait_for(go(), 180)
    )
    assert held[0] == 0 and "held" in held[1], held
    assert still["state"] == "held" and still["reason"] == "held by a client", still
    assert finished.status == 409 and "is done" in str(finished)
    assert changed[0] == 0 and "priority HIGH" in changed[1], changed
    assert released["state"] == "queued"
    assert b_done["state"] == "done" and b_done["spec"]["priority"] == "HIGH"
    assert again[0] == 0 and copy["state"] == "done", (again, copy)
    assert copy["spec"]["label"] == "B" and copy["film_count"] == 2
    assert any(f"reprint of job {b_done['id']}" in e["text"] for e in copy["events"])
    assert missing[0] == 2 and "no job" in missing[2]
    assert labels_printed(out) == ["A", "A", "B", "B", "B", "B"]
    # B's films went out with the priority it was given while it waited
    sessions = [r.dataset for a in print_associations(out) for r in a.all("N-CREATE Film Session")]
    assert [s["FilmSessionLabel"] for s in sessions if s["PrintPriority"] == "HIGH"] == ["B"] * 4
