"""A server job on a printer that bends the standard: it prints, and what the driver
tolerated is on the job (the film's warnings, as "note: ...")."""

import asyncio

from hcs.client import Client
from tests.hcs.server.helpers import (
    MR,
    printer_table,
    running_server,
    virtual_printer,
    wait_jobs,
    write_config,
)


def test_a_job_on_a_meta_class_refs_printer_is_done_with_the_note(tmp_path):
    async def go():
        async with virtual_printer(tmp_path / "vp", personalities=["meta-class-refs"]) as vp:
            config = write_config(tmp_path / "hcs.toml", {"vp": printer_table(vp.port)})
            async with running_server(config) as server, Client(server.url) as client:
                job = await client.submit({"printer": "vp", "format": "STANDARD\\1,1"}, [MR])
                [done] = await wait_jobs(client, [job["id"]])
                await vp.wait_idle()
                return done

    done = asyncio.run(asyncio.wait_for(go(), 120))
    assert done["state"] == "done", done.get("reason")
    warnings = done["films"][0]["warnings"]
    assert any(w.startswith("note: ") and "meta SOP class" in w for w in warnings), warnings
