"""The console follows a group of servers live, without polling (a real headless
Chromium, two servers on one real PostgreSQL).

The console is open on instance B; a third server, C, holds the printer and prints
nothing, so the jobs wait where they can be held and cancelled. Jobs are submitted, held
and cancelled through instance A; B's console shows each change, told by ``NOTIFY`` (A's
transaction) -> ``LISTEN`` (B) -> ``GET /events`` (the console's EventSource). The
server's own request counter (``hcs_http_requests_total``) is the evidence that the
console made no repeated ``GET /jobs`` while nothing changed. Reads and clicks are one
JavaScript call each (see ``test_console_browser``).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time

from hcs.client import Client
from hcs.peers import free_port
from hcs.server.pgspool import PostgresSpool
from tests.hcs.server.helpers import MR, printer_table, running_server, write_config
from tests.hcs.server.test_console_browser import browser, read, wait_until

QUIET = 3.0  # seconds with no change: the old console polled 3 times meanwhile


def gets(metrics: str, route: str) -> float:
    match = re.search(
        rf'^hcs_http_requests_total{{method="GET",route="{re.escape(route)}"}} (\S+)$',
        metrics,
        re.M,
    )
    return float(match.group(1)) if match else 0.0


def test_the_console_on_b_follows_jobs_changed_through_a(tmp_path, postgres):
    url = postgres.database()
    port = free_port()  # nobody listens: the printer is never contacted
    ready, done = threading.Event(), threading.Event()
    calls: list = []  # (coroutine function, result holder): run in the servers' loop
    state: dict = {}

    async def serve():
        # a third server, "c", holds the printer and prints nothing: the jobs submitted
        # wait in the queue, where they can be held and cancelled
        holder = PostgresSpool(tmp_path / "c", url, "c")
        holder.open()
        status = {"name": "vp", "ae_title": "VPRINTER", "host": "127.0.0.1", "port": port}
        status.update(status="NORMAL", groups=[], busy=False, queued=0, films_printed=0)
        assert holder.acquire_printer("vp", "c", 3600.0, status)
        configs = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            configs.append(
                write_config(
                    tmp_path / name / "hcs.toml",
                    {"vp": printer_table(port)},
                    server={"spool": str(tmp_path / name / "spool")},
                    spool={"backend": "postgresql", "url": url, "instance": name, "lease": 2},
                )
            )
        async with contextlib.AsyncExitStack() as stack:
            stack.callback(holder.close)
            a = await stack.enter_async_context(running_server(configs[0]))
            b = await stack.enter_async_context(running_server(configs[1]))
            state.update(a=a.url, b=b.url)
            ready.set()
            while not done.is_set():
                while calls:
                    function, result = calls.pop(0)
                    try:
                        result["value"] = await function()
                    except Exception as error:  # handed to the test's thread
                        result["error"] = error
                    result["done"].set()
                await asyncio.sleep(0.02)

    def run(function):
        """Run ``function`` (a coroutine function) in the servers' loop; its result."""
        holder = {"done": threading.Event()}
        calls.append((function, holder))
        assert holder["done"].wait(60)
        if "error" in holder:
            raise holder["error"]
        return holder["value"]

    def on_a(action):
        async def call():
            async with Client(state["a"]) as client:
                return await action(client)

        return run(call)

    def b_metrics() -> str:
        async def call():
            async with Client(state["b"]) as client:
                return await client.metrics()

        return run(call)

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert ready.wait(60)
    driver = browser()
    try:
        driver.get(state["b"] + "/")

        def row_state(job_id):
            return read(driver, f"#jobs tr[data-job='{job_id}']", "e.getAttribute('data-state')")

        wait_until(lambda: read(driver, "#printers tr[data-printer=vp] .instance", "e.textContent"))
        job = on_a(lambda c: c.submit({"printer": "vp", "label": "waits"}, [MR]))
        wait_until(lambda: row_state(job["id"]) == "queued")
        on_a(lambda c: c.hold(job["id"]))
        wait_until(lambda: row_state(job["id"]) == "held")
        # nothing changes now: the console must not ask for anything
        before = b_metrics()
        time.sleep(QUIET)
        after = b_metrics()
        on_a(lambda c: c.cancel(job["id"]))
        wait_until(lambda: row_state(job["id"]) == "cancelled")
        second = on_a(lambda c: c.submit({"printer": "vp", "label": "appears"}, [MR]))
        wait_until(lambda: row_state(second["id"]) == "queued")
        holder = read(driver, "#printers tr[data-printer=vp] .instance", "e.textContent.trim()")
        final = b_metrics()
    finally:
        driver.quit()
        done.set()
        thread.join(60)
    assert gets(before, "/jobs") == gets(after, "/jobs") > 0, (before, after)
    assert gets(final, "/events") == 1.0  # one stream, never reconnected
    assert holder == "c"
    print(
        f"\nB's console: {gets(final, '/jobs'):g} GET /jobs for the whole test,"
        f" none in {QUIET:g} s without changes; printer vp held by {holder}"
    )
