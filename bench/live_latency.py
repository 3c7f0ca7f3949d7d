"""Live updates: how long from a job submitted on one server to its event on another's
``GET /events`` stream (Server-Sent Events), in one run:

- two ``hcs serve`` processes on one PostgreSQL (submit on A, follow B: the change goes
  A's transaction -> ``NOTIFY`` -> B's ``LISTEN`` thread -> B's stream);
- one ``hcs serve`` on SQLite (the server's own stream, in process).

N one-film jobs submitted one after the other (each waits for its event), on one
virtual printer that prints them meanwhile. Two figures per job: from the moment the
submit was sent, and from its ``201`` answer (negative: the event came first, since
the note goes out at the commit, before the answer is written). Medians and p90.
PostgreSQL is a real server started here (``tests.pg``, fsync on).

    python bench/live_latency.py [--jobs N] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from hcs.client import Client
from tests import pg
from tests.hcs.server.helpers import (
    MR,
    printer_table,
    server_group,
    virtual_printer,
)


async def follow(url: str, seen: dict[str, float], ready: asyncio.Event) -> None:
    """Read ``url``'s event stream; note when each job's first event arrived."""
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session,
        session.get(url + "/events") as response,
    ):
        async for raw in response.content:
            line = raw.decode().strip()
            if line == "event: hello":
                ready.set()
            if line.startswith("data: "):
                data = json.loads(line[6:])
                if data.get("kind") == "job":
                    seen.setdefault(data["id"], time.perf_counter())


async def run_case(label: str, spool: dict | None, instances: int, jobs: int, root: Path) -> dict:
    root.mkdir()
    async with (
        virtual_printer(root / "vp", png=False) as vp,
        server_group(root, {"vp": printer_table(vp.port)}, instances, spool) as urls,
    ):
        seen: dict[str, float] = {}
        ready = asyncio.Event()
        reader = asyncio.create_task(follow(urls[-1], seen, ready))
        await asyncio.wait_for(ready.wait(), 30)
        from_send, from_201 = [], []
        async with Client(urls[0]) as client:
            for n in range(jobs):
                sent = time.perf_counter()
                job = await client.submit({"printer": "vp", "label": f"j{n}"}, [MR])
                answered = time.perf_counter()
                while job["id"] not in seen:
                    await asyncio.sleep(0.001)
                from_send.append(seen[job["id"]] - sent)
                from_201.append(seen[job["id"]] - answered)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader

    def p90(values: list[float]) -> float:
        return sorted(values)[int(len(values) * 0.9)]

    return {
        "case": label,
        "send_p50": statistics.median(from_send) * 1000,
        "send_p90": p90(from_send) * 1000,
        "answer_p50": statistics.median(from_201) * 1000,
    }


async def main(jobs: int) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory() as tmp, pg.cluster(fsync=True) as cluster:
        root = Path(tmp)
        postgres = {"backend": "postgresql", "url": cluster.database(), "lease": 5}
        results.append(await run_case("PostgreSQL, A -> B", postgres, 2, jobs, root / "pg"))
        results.append(await run_case("SQLite, one server", None, 1, jobs, root / "sqlite"))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="10 jobs (a smoke check)")
    args = parser.parse_args()
    if args.quick:
        args.jobs = 10
    print(f"{args.jobs} one-film jobs, one after the other, one virtual printer")
    print(f"{'case':22} {'send->event p50':>16} {'p90':>8} {'201->event p50':>15}")
    for row in asyncio.run(main(args.jobs)):
        print(
            f"{row['case']:22} {row['send_p50']:14.1f}ms {row['send_p90']:6.1f}ms"
            f" {row['answer_p50']:13.1f}ms"
        )
