"""The web console in a real headless browser (Debian's chromium and chromium-driver,
installed by ``make test``): it opens the page, sees a submitted job go to done with
its film's preview, and takes a screenshot. It never skips.

The console redraws its tables as the server reports changes, so an element found a
moment ago may be gone (Selenium's "stale element"). Every read and click here is one
JavaScript call that looks the element up and uses it in the same turn of the page's
event loop, where no redraw can come between.
"""

import asyncio
import shutil
import threading
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from hcs.client import Client
from tests.hcs.server.helpers import (
    CT,
    MR,
    printer_table,
    running_server,
    virtual_printer,
    write_config,
)

SHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
    ):
        options.add_argument(argument)
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(service=service, options=options)


def read(driver, selector: str, what: str):
    """``what`` (a JavaScript expression of ``e``) of the element now matching
    ``selector``, or None when there is none: looked up and read in one step."""
    return driver.execute_script(
        f"const e = document.querySelector(arguments[0]); return e ? ({what}) : null;", selector
    )


def click(driver, selector: str) -> bool:
    return bool(read(driver, selector, "(e.click(), true)"))


def wait_until(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("the console never showed it")


def test_console_shows_a_job_going_to_done(tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ready = threading.Event()
    done = threading.Event()
    state: dict = {}

    async def serve():
        async with virtual_printer(tmp_path / "vp", faults=["delay:op=N-ACTION,seconds=1.5"]) as vp:
            config = write_config(
                tmp_path / "hcs.toml", {"vp": printer_table(vp.port)}, server={"status_poll": 30}
            )
            async with running_server(config) as server:
                state["url"] = server.url
                ready.set()
                while not done.is_set():
                    if state.get("submit"):
                        state.pop("submit")
                        async with Client(server.url) as client:
                            job = await client.submit(
                                {"printer": "vp", "label": "browser", "format": "STANDARD\\1,2"},
                                [CT, MR],
                            )
                            state["job"] = job["id"]
                    await asyncio.sleep(0.05)

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert ready.wait(30)
    driver = browser()
    try:
        driver.get(state["url"] + "/")
        printer = "#printers tr[data-printer=vp] .state"
        wait_until(lambda: read(driver, printer, "e.textContent.trim()") == "NORMAL")
        state["submit"] = True
        job_id = wait_until(lambda: state.get("job"))
        row = f"#jobs tr[data-job='{job_id}']"
        seen = set()

        def finished():
            current = read(driver, row, "e.getAttribute('data-state')")
            seen.add(current)
            return current == "done"

        wait_until(finished)
        assert seen & {"queued", "printing"}, seen  # it was seen moving, live
        wait_until(lambda: click(driver, row))
        wait_until(lambda: read(driver, "#detail-state", "e.textContent.trim()") == "done")
        wait_until(lambda: read(driver, ".film img", "e.complete && e.naturalWidth"))
        assert "0x0000" in wait_until(lambda: read(driver, ".film .ops", "e.textContent"))
        driver.save_screenshot(str(SHOTS / "console.png"))
        assert (SHOTS / "console.png").stat().st_size > 10_000
    finally:
        driver.quit()
        done.set()
        thread.join(30)
