"""A database that hangs (not refused: every PostgreSQL process SIGSTOPped) stalls
nothing but the spool: ``/health`` answers 503 naming the database, the console's files
and its event stream are served, a submission is refused with 503; after SIGCONT the
server goes on and every queued film prints exactly once (counted from the virtual
printer's records).

One ``hcs serve`` process, so its event loop is not the test's. Client timeouts here are
bounds for a stuck test, far above what is needed; nothing asserts on time. The
``/health`` latencies while hung are printed (the figure for docs/server.md).
"""

from __future__ import annotations

import asyncio
import collections
import json
import statistics
import time

import aiohttp

from hcs.client import Client, ServerError
from tests.hcs.server.helpers import MR, printed_films, printer_table, virtual_printer
from tests.hcs.server.test_group import Instance, wait_done

JOBS, FILMS = 6, 2
BOUND = aiohttp.ClientTimeout(total=60)  # a stuck server fails the test; never a measure


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    async with session.get(url) as response:
        body = await response.read()
    return response.status, body, time.perf_counter() - started


def test_a_hung_database_stalls_nothing_but_the_spool(tmp_path, postgres):
    url = postgres.database()

    async def go():
        slow = "delay:op=N-ACTION,seconds=0.3"
        async with virtual_printer(tmp_path / "vp", faults=[slow], png=False) as vp:
            tables = {"vp": printer_table(vp.port)}
            server = Instance(tmp_path, "i0", tables, url)
            text = server.config.read_text()
            assert "lease = 2.0\n" in text
            server.config.write_text(text.replace("lease = 2.0\n", "lease = 2.0\ntimeout = 2\n"))
            await server.start()
            try:
                async with Client(server.url) as client:
                    ids = [
                        (await client.submit({"printer": "vp", "label": f"job{k}"}, [MR] * FILMS))[
                            "id"
                        ]
                        for k in range(JOBS)
                    ]
                while not printed_films(tmp_path / "vp"):
                    await asyncio.sleep(0.05)
                async with aiohttp.ClientSession(timeout=BOUND) as session:
                    with postgres.hung() as stopped:
                        first = await _get(session, server.url + "/health")
                        again = [await _get(session, server.url + "/health") for _ in range(9)]
                        console = await _get(session, server.url + "/console/app.js")
                        page = await _get(session, server.url + "/")
                        async with session.get(server.url + "/events") as stream:
                            hello = await stream.content.readline()
                        try:
                            async with Client(server.url, timeout=60) as client:
                                await client.submit({"printer": "vp"}, [MR])
                            refused = None
                        except ServerError as error:
                            refused = error
                        still = await _get(session, server.url + "/health")
                details = await wait_done(server.url, ids, 120)
                await vp.wait_idle()
            finally:
                await server.stop()
            log = server.log.read_text()
            return first, again, console, page, hello, refused, still, stopped, details, log

    first, again, console, page, hello, refused, still, stopped, details, log = asyncio.run(go())
    assert len(stopped) > 2, stopped  # the postmaster and its backends
    for status, body, _ in (first, *again, still):
        assert status == 503, (status, body)
        health = json.loads(body)
        assert health["ok"] is False and "database" in health["database"], health
    assert console[0] == 200 and b"EventSource" in console[1]
    assert page[0] == 200
    assert hello.startswith(b"retry:") or hello.startswith(b"event: hello"), hello
    assert refused is not None and refused.status == 503, refused
    assert "hung" in log or "not answered" in log, log[-2000:]
    counts = collections.Counter(
        r["film_session_attributes"].get("FilmSessionLabel") for r in printed_films(tmp_path / "vp")
    )
    for job in details:
        assert job["state"] == "done", (job["spec"]["label"], job["state"], job["reason"])
        assert counts[job["spec"]["label"]] == FILMS, (job["spec"]["label"], counts)
    print(
        f"\ndatabase hung (SIGSTOP, {len(stopped)} processes), one server, timeout 2 s:"
        f" first /health 503 after {first[2] * 1000:.0f} ms (the hang detected), then"
        f" median {statistics.median(t for _, _, t in again) * 1000:.1f} ms;"
        f" {sum(counts.values())} films printed for {JOBS * FILMS}, each once"
    )
