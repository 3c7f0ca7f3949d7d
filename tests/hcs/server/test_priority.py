"""Priority and FIFO on a busy printer, and a HIGH job pre-empting a LOW one between
films. The order is read from what the virtual printer printed (its film records).
Each runs on both spool engines (SQLite, PostgreSQL)."""

import asyncio
import random

from hcs.client import Client
from tests.hcs.server.helpers import (
    MR,
    labels_printed,
    printed_films,
    printer_table,
    running_server,
    virtual_printer,
    wait_jobs,
)
from tests.hcs.server.helpers import write_config as write


def test_thirty_mixed_jobs_print_in_priority_then_fifo_order(tmp_path, backend):
    # The blocker is a colour job whose image box the printer answers 2 s late: the
    # printer is busy while the 30 grayscale jobs arrive.
    rng = random.Random(7)
    priorities = [rng.choice(["HIGH", "MED", "LOW"]) for _ in range(30)]

    async def go():
        # (the same 2 s on PostgreSQL: the tests' cluster does not flush to disk, so its
        # commit costs less than SQLite's fsync; tests/pg.py says why that is sound)
        fault = "delay:op=N-SET,class=color-image-box,seconds=2"
        async with virtual_printer(tmp_path / "vp", faults=[fault]) as vp:
            config = write(
                tmp_path / "hcs.toml", {"vp": printer_table(vp.port, color=True)}, spool=backend
            )
            async with running_server(config) as server, Client(server.url) as client:
                blocker = await client.submit(
                    {"printer": "vp", "color": True, "label": "blocker", "priority": "LOW"}, [MR]
                )
                while (await client.job(blocker["id"]))["state"] != "printing":
                    await asyncio.sleep(0.02)
                ids = []
                for i, priority in enumerate(priorities):
                    job = await client.submit(
                        {"printer": "vp", "priority": priority, "label": f"job{i:02d}"}, [MR]
                    )
                    ids.append(job["id"])
                blocked = (await client.job(blocker["id"]))["state"]
                await wait_jobs(client, [blocker["id"], *ids])
        return blocked

    blocked = asyncio.run(go())
    assert blocked == "printing", "the printer was not busy while the jobs arrived"
    rank = {"HIGH": 0, "MED": 1, "LOW": 2}
    expected = ["blocker"] + [
        f"job{i:02d}" for i in sorted(range(30), key=lambda i: (rank[priorities[i]], i))
    ]
    assert labels_printed(tmp_path / "vp") == expected


def test_high_job_preempts_a_ten_film_low_job_between_films(tmp_path, backend):
    async def go():
        async with virtual_printer(
            tmp_path / "vp", faults=["delay:op=N-ACTION,seconds=0.15"]
        ) as vp:
            config = write(tmp_path / "hcs.toml", {"vp": printer_table(vp.port)}, spool=backend)
            async with running_server(config) as server, Client(server.url) as client:
                low = await client.submit(
                    {"printer": "vp", "priority": "LOW", "label": "low"}, [MR] * 10
                )
                assert low["film_count"] == 10
                while (await client.job(low["id"]))["films"][1]["state"] != "printed":
                    await asyncio.sleep(0.02)
                high = await client.submit(
                    {"printer": "vp", "priority": "HIGH", "label": "high"}, [MR] * 2
                )
                low_done, high_done = await wait_jobs(client, [low["id"], high["id"]])
        return low_done, high_done

    low, high = asyncio.run(go())
    assert low["state"] == "done" and high["state"] == "done"
    labels = labels_printed(tmp_path / "vp")
    assert labels.count("low") == 10 and labels.count("high") == 2
    first_high = labels.index("high")
    assert labels[first_high : first_high + 2] == ["high", "high"]
    assert 2 <= first_high < 10, labels  # between films of the LOW job
    assert labels[-1] == "low"  # and the LOW job finished after
    assert any("pre-empted by job" in e["text"] for e in low["events"])
    # every film of the LOW job printed once
    assert [f["state"] for f in low["films"]] == ["printed"] * 10
    assert len(printed_films(tmp_path / "vp")) == 12
