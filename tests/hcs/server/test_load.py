"""Concurrency: 8 virtual printers, many jobs at once through the HTTP API (40 in CI,
200 with ``HCS_LOAD_FULL=1``). Reports jobs per minute, the server's peak memory, and
its overhead per job beyond formatting and DIMSE time (from its own /metrics); the
figures go to ``build/load-report.json``. Tests never assert on time: only that every
job is done and every film printed once."""

import asyncio
import json
import os
import re
import signal
import time
from pathlib import Path

from hcs.client import Client
from tests.hcs.server.helpers import (
    CT,
    MR,
    REPO,
    printed_films,
    printer_table,
    server_process,
    virtual_printer,
    write_config,
)

FULL = os.environ.get("HCS_LOAD_FULL") == "1"
PRINTERS, JOBS = 8, (200 if FULL else 40)


def peak_rss_mib(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", text).group(1)) / 1024


def metric(text: str, name: str) -> float:
    return sum(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith(name + " ") or line.startswith(name + "{")
    )


def test_eight_printers_many_jobs(tmp_path):
    async def go():
        async with contextlib_stack(tmp_path) as printers:
            tables = {f"p{i}": printer_table(p.port) for i, p in enumerate(printers)}
            config = write_config(
                tmp_path / "hcs.toml",
                tables,
                groups={"all": sorted(tables)},
                server={"formatter_threads": 2},
            )
            with server_process(config, tmp_path / "server.log") as (process, port):
                url = f"http://127.0.0.1:{port}"
                async with Client(url) as client:
                    started = time.perf_counter()

                    async def one(i):
                        target = "all" if i % 4 == 0 else f"p{i % PRINTERS}"
                        job = {
                            "printer": target,
                            "label": f"j{i:03d}",
                            "priority": ("HIGH", "MED", "LOW")[i % 3],
                            "format": "STANDARD\\1,2",
                        }
                        return (await client.submit(job, [CT, MR]))["id"]

                    ids = await asyncio.gather(*(one(i) for i in range(JOBS)))
                    submitted = time.perf_counter() - started
                    while True:
                        jobs = await client.jobs(limit=1000)
                        if all(j["state"] in ("done", "failed") for j in jobs):
                            break
                        await asyncio.sleep(0.2)
                    elapsed = time.perf_counter() - started
                    text = await client.metrics()
                    rss = peak_rss_mib(process.pid)
                os.killpg(process.pid, signal.SIGTERM)  # stop it while the printers answer
                await asyncio.to_thread(process.wait, 30)
            for p in printers:
                await p.wait_idle()
        return ids, jobs, submitted, elapsed, text, rss

    ids, jobs, submitted, elapsed, text, rss = asyncio.run(go())
    assert len(ids) == JOBS and all(j["state"] == "done" for j in jobs)
    films = sum(len(printed_films(tmp_path / f"vp{i}")) for i in range(PRINTERS))
    assert films == JOBS
    fmt, transfer, overhead = (
        metric(text, f"hcs_{n}_seconds_sum") for n in ("formatting", "transfer", "overhead")
    )
    report = {
        "printers": PRINTERS,
        "jobs": JOBS,
        "films": films,
        "submit_seconds": round(submitted, 2),
        "elapsed_seconds": round(elapsed, 2),
        "jobs_per_minute": round(JOBS / elapsed * 60, 1),
        "peak_rss_mib": round(rss, 1),
        "formatting_seconds_per_job": round(fmt / JOBS, 4),
        "dimse_seconds_per_job": round(transfer / JOBS, 4),
        "worker_overhead_seconds_per_job": round(overhead / JOBS, 4),
        "associations_opened": metric(text, "hcs_associations_opened_total"),
    }
    out = REPO / "build" / f"load-report{'-full' if FULL else ''}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report))


class contextlib_stack:
    """Eight virtual printers, started and stopped together."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.managers = [virtual_printer(tmp_path / f"vp{i}", png=False) for i in range(PRINTERS)]

    async def __aenter__(self):
        return [await m.__aenter__() for m in self.managers]

    async def __aexit__(self, *exc):
        for m in self.managers:
            await m.__aexit__(None, None, None)
