import asyncio

from hcs.client import Client
from tests.hcs.server.helpers import (
    CT,
    MR,
    printed_films,
    printer_table,
    running_server,
    virtual_printer,
    wait_jobs,
    write_config,
)


def test_one_job_prints_on_the_virtual_printer(tmp_path):
    async def go():
        async with virtual_printer(tmp_path / "vp") as vp:
            path = write_config(tmp_path / "hcs.toml", {"vp": printer_table(vp.port)})
            async with running_server(path) as server, Client(server.url) as client:
                job = await client.submit({"printer": "vp", "format": "STANDARD\\1,2"},
                                          [CT, MR, CT])
                assert job["film_count"] == 2
                [done] = await wait_jobs(client, [job["id"]], 60)
                assert done["state"] == "done", (done["reason"], done["films"])
                await vp.wait_idle()
        return done
    done = asyncio.run(go())
    assert len(printed_films(tmp_path / "vp")) == 2
    assert all(f["state"] == "printed" for f in done["films"])
