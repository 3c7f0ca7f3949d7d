"""The spool's engines side by side: one server on SQLite, one on PostgreSQL, three on
one PostgreSQL, in one run, on the same four virtual printers.

For each: N one-film jobs submitted by four concurrent clients (to the servers in
turn); jobs/min from the first submit to the last job done, and the ``201`` latency
(the job durable: fsync or commit) p50 and p99. PostgreSQL is a real server started
here (``initdb`` in a temporary folder), with ``fsync`` and ``synchronous_commit`` on.

    python bench/spool_compare.py [--jobs N] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hcs.client import Client
from tests import pg
from tests.hcs.server.helpers import (
    MR,
    printer_table,
    server_group,
    virtual_printer,
)

PRINTERS = ("p0", "p1", "p2", "p3")


async def run_case(label: str, instances: int, spool: dict, jobs: int, root: Path) -> dict:
    root.mkdir()
    async with contextlib.AsyncExitStack() as stack:
        tables = {}
        for name in PRINTERS:
            vp = await stack.enter_async_context(virtual_printer(root / name, png=False))
            tables[name] = printer_table(vp.port)
        urls = await stack.enter_async_context(
            server_group(root, tables, instances, spool or None, groups={"any": list(PRINTERS)})
        )
        latencies: list[float] = []
        ids: list[str] = []
        queue = list(range(jobs))

        async def submitter(k: int) -> None:
            async with Client(urls[k % len(urls)]) as client:
                while queue:
                    n = queue.pop()
                    started = time.perf_counter()
                    job = await client.submit({"printer": "any", "label": f"j{n}"}, [MR])
                    latencies.append(time.perf_counter() - started)
                    ids.append(job["id"])

        started = time.perf_counter()
        await asyncio.gather(*(submitter(k) for k in range(4)))
        async with Client(urls[0]) as client:
            while True:
                states = [j["state"] for j in await client.jobs(limit=jobs + 10)]
                if states.count("done") >= jobs:
                    break
                await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "case": label,
        "jobs_per_min": jobs / elapsed * 60,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


async def main(jobs: int) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory() as tmp, pg.cluster(fsync=True) as cluster:
        root = Path(tmp)
        results.append(await run_case("1 server, SQLite", 1, {}, jobs, root / "a"))
        url = cluster.database()
        postgres = {"backend": "postgresql", "url": url, "lease": 5}
        results.append(await run_case("1 server, PostgreSQL", 1, postgres, jobs, root / "b"))
        url = cluster.database()
        postgres = {"backend": "postgresql", "url": url, "lease": 5}
        results.append(await run_case("3 servers, PostgreSQL", 3, postgres, jobs, root / "c"))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=120)
    parser.add_argument("--quick", action="store_true", help="20 jobs (a smoke check)")
    args = parser.parse_args()
    n = 20 if args.quick else args.jobs
    print(f"{n} one-film jobs, 4 virtual printers, 4 concurrent clients")
    print(f"{'case':24} {'jobs/min':>9} {'201 p50':>9} {'201 p99':>9}")
    for row in asyncio.run(main(n)):
        print(
            f"{row['case']:24} {row['jobs_per_min']:9.0f} {row['p50_ms']:7.1f}ms"
            f" {row['p99_ms']:7.1f}ms"
        )
