"""The console's Hold, priority, Release and Reprint buttons, clicked in a real headless
browser against a real server and virtual printer. Each click's effect is checked three
ways: the page shows it, the HTTP API says it, and the printer prints (or does not).

Job A (three films, each N-ACTION answered after 3 s) keeps the printer busy while job B
(LOW, one film) waits behind it; B is held with its row's Hold button while A still has
films to print. From there nothing is a race: a held job is never taken, so B's priority
is changed to HIGH and it is released by buttons too, and it prints. Reprint on the
finished B prints it again.

The page may be redrawn by polling or by a server-sent event stream: the test does not
care. It only waits (with a generous bound) for the DOM to show a state, and every read
and click is one JavaScript call that finds the element and uses it in the same turn of
the page's event loop (no stale elements).
"""

import asyncio
import json
import threading
import urllib.request

from hcs.client import Client
from tests.hcs.server.helpers import (
    MR,
    labels_printed,
    printer_table,
    running_server,
    virtual_printer,
    write_config,
)
from tests.hcs.server.test_console_browser import browser, read, wait_until
from tests.hcs.wire import print_associations

CLICK = """
const [job, action, label] = arguments;
const row = document.querySelector(`#jobs tr[data-job='${job}']`);
if (!row) return false;
const button = [...row.querySelectorAll(`button[data-action='${action}']`)]
  .find((b) => label === null || b.textContent.trim() === label);
if (!button) return false;
button.click();
return true;
"""


def click_button(driver, job: str, action: str, label: str | None = None) -> bool:
    """Click the ``action`` button (with text ``label``) of job ``job``'s row, if the
    row shows one now."""
    return bool(driver.execute_script(CLICK, job, action, label))


def row_state(driver, job: str) -> str | None:
    return read(driver, f"#jobs tr[data-job='{job}']", "e.getAttribute('data-state')")


def row_priority(driver, job: str) -> str | None:
    return read(driver, f"#jobs tr[data-job='{job}'] td:nth-child(2)", "e.textContent.trim()")


def test_hold_priority_release_and_reprint_buttons(tmp_path):
    out = tmp_path / "vp"
    ready = threading.Event()
    done = threading.Event()
    state: dict = {}

    async def serve():
        async with virtual_printer(out, faults=["delay:op=N-ACTION,seconds=3"]) as vp:
            config = write_config(tmp_path / "hcs.toml", {"vp": printer_table(vp.port)})
            async with running_server(config) as server, Client(server.url) as client:
                state.update(url=server.url, loop=asyncio.get_running_loop(), client=client, vp=vp)
                ready.set()
                while not done.is_set():
                    await asyncio.sleep(0.05)

    def call(make):
        """Run ``make(client)`` in the server's loop and return its result."""
        future = asyncio.run_coroutine_threadsafe(make(state["client"]), state["loop"])
        return future.result(60)

    def api(path: str):
        with urllib.request.urlopen(state["url"] + path, timeout=30) as answer:
            return json.load(answer)

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert ready.wait(30)
    driver = browser()
    try:
        driver.get(state["url"] + "/")
        a = call(lambda c: c.submit({"printer": "vp", "label": "A"}, [MR, MR, MR]))["id"]
        b = call(lambda c: c.submit({"printer": "vp", "label": "B", "priority": "LOW"}, [MR]))
        b = b["id"]

        # Hold, while A is still printing (B waits behind it: it is LOW)
        wait_until(lambda: click_button(driver, b, "hold"))
        wait_until(lambda: row_state(driver, b) == "held")
        held = api(f"/jobs/{b}")
        assert held["state"] == "held" and held["reason"] == "held by a client", held
        assert api(f"/jobs/{a}")["state"] not in ("done", "failed", "cancelled"), (
            "A finished before B was held: the hold came too late to show anything"
        )

        # Priority, while held: the row and the API show HIGH, the job stays held
        wait_until(lambda: click_button(driver, b, "priority", "HIGH"))
        wait_until(lambda: row_priority(driver, b) == "HIGH")
        changed = api(f"/jobs/{b}")
        assert changed["priority"] == "HIGH" and changed["spec"]["priority"] == "HIGH"
        assert changed["state"] == "held", changed

        # A finishes; B, held, is not printed
        wait_until(lambda: api(f"/jobs/{a}")["state"] == "done", 120)
        assert api(f"/jobs/{b}")["state"] == "held"
        assert labels_printed(out) == ["A", "A", "A"]

        # Release: B prints (with the priority it was given while held)
        wait_until(lambda: click_button(driver, b, "release"))
        wait_until(lambda: row_state(driver, b) == "done", 120)
        assert api(f"/jobs/{b}")["state"] == "done"
        assert labels_printed(out) == ["A", "A", "A", "B"]

        # Reprint: a new job, with B's options and images, printed again
        wait_until(lambda: click_button(driver, b, "reprint"))

        def the_copy():
            jobs = api("/jobs?limit=100")["jobs"]
            return next((j["id"] for j in jobs if j["id"] not in (a, b)), None)

        copy = wait_until(the_copy)
        wait_until(lambda: row_state(driver, copy) == "done", 120)
        reprinted = api(f"/jobs/{copy}")
        assert reprinted["state"] == "done" and reprinted["spec"]["label"] == "B"
        assert any(f"reprint of job {b}" in e["text"] for e in reprinted["events"])
        assert labels_printed(out) == ["A", "A", "A", "B", "B"]
        call(lambda c: state["vp"].wait_idle())  # the association's record is written
        sessions = [
            r.dataset for x in print_associations(out) for r in x.all("N-CREATE Film Session")
        ]
        assert [s["FilmSessionLabel"] for s in sessions if s["PrintPriority"] == "HIGH"] == [
            "B",
            "B",
        ]
    finally:
        driver.quit()
        done.set()
        thread.join(30)
