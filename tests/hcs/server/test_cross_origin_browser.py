"""A page on another origin, in a real headless browser, against ``hcs serve`` (issue 14).

The browser (Debian's chromium and chromedriver, as in ``test_console_browser.py``)
opens a page served from another origin (``http://localhost:PORT2``; the server is
``http://127.0.0.1:PORT``). The page tries what a hostile site would: a multipart form
posting a job, form posts to cancel a job and to reload the configuration, and the same
with ``fetch(..., {mode: "no-cors"})`` (a DELETE too, which the browser itself keeps).
Every other one reaches the server (its log says so) and is refused: no job is added,
the queued job is not cancelled, the configuration is not reloaded. Then the console, on
the server's own origin, cancels that job.
"""

import asyncio
import logging
import threading

from aiohttp import web
from selenium.webdriver.common.by import By

from hcs.client import Client
from tests.hcs.server.helpers import (
    CT,
    printer_table,
    running_server,
    virtual_printer,
    write_config,
)
from tests.hcs.server.test_console_browser import browser, wait_until

PAGE = """<!doctype html>
<title>evil</title>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe><iframe name="sink3"></iframe>
<form id="submit" method="POST" enctype="multipart/form-data" target="sink1"
      action="{server}/jobs">
  <input name="job" value='{{"printer": "vp", "images": []}}'>
</form>
<form id="cancel" method="POST" target="sink2" action="{server}/jobs/{job}/cancel"></form>
<form id="reload" method="POST" target="sink3" action="{server}/config/reload"></form>
<script>
  const loaded = (name) => new Promise((done) => {{
    document.querySelector(`iframe[name=${{name}}]`).onload = done;
  }});
  (async () => {{
    const waits = [loaded("sink1"), loaded("sink2"), loaded("sink3")];
    for (const id of ["submit", "cancel", "reload"]) document.getElementById(id).submit();
    await Promise.all(waits);
    const body = new FormData();
    body.append("job", '{{"printer": "vp", "images": []}}');
    await Promise.allSettled([
      fetch("{server}/jobs", {{ method: "POST", mode: "no-cors", body }}),
      fetch("{server}/jobs/{job}/cancel", {{ method: "POST", mode: "no-cors" }}),
      fetch("{server}/config/reload", {{ method: "POST", mode: "no-cors" }}),
      fetch("{server}/jobs/{job}", {{ method: "DELETE", mode: "no-cors" }}),
    ]);
    document.title = "done";
  }})();
</script>
"""


def test_a_page_on_another_origin_is_refused_and_the_console_still_works(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="hcs.server.http")
    ready, done = threading.Event(), threading.Event()
    state: dict = {}

    async def serve():
        # Each N-ACTION takes 30 s: the job stays queued or printing while the page runs.
        async with virtual_printer(tmp_path / "vp", faults=["delay:op=N-ACTION,seconds=30"]) as vp:
            config_path = write_config(tmp_path / "hcs.toml", {"vp": printer_table(vp.port)})
            async with running_server(config_path) as server:
                async with Client(server.url) as client:
                    first = await client.submit({"printer": "vp", "label": "busy"}, [CT])
                    job = await client.submit({"printer": "vp", "label": "target"}, [CT])
                # A reload would now add a printer "vp2": it must not happen.
                write_config(
                    config_path,
                    {"vp": printer_table(vp.port), "vp2": printer_table(vp.port)},
                )
                evil = web.Application()
                page = PAGE.format(server=server.url, job=job["id"])

                async def evil_page(request: web.Request) -> web.Response:
                    return web.Response(text=page, content_type="text/html")

                evil.router.add_get("/", evil_page)
                runner = web.AppRunner(evil)
                await runner.setup()
                site = web.TCPSite(runner, "localhost", 0)
                await site.start()
                port = site._server.sockets[0].getsockname()[1]
                state.update(url=server.url, evil=f"http://localhost:{port}/", job=job["id"])
                state["first"] = first["id"]
                ready.set()
                while not done.is_set():
                    await asyncio.sleep(0.05)
                async with Client(server.url) as client:
                    state["jobs"] = await client.jobs()
                    state["printers"] = [p["name"] for p in (await client.printers())["printers"]]
                await runner.cleanup()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert ready.wait(60)
    driver = browser()
    try:
        driver.get(state["evil"])
        wait_until(lambda: driver.title == "done")
        refused = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")]
        # The console, on the server's own origin, may cancel the target job.
        driver.get(state["url"] + "/")
        row = f"#jobs tr[data-job='{state['job']}'] button"
        wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, row))[0].click()
        cancelled = {}

        async def job_state():
            async with Client(state["url"]) as client:
                return (await client.job(state["job"]))["state"]

        def is_cancelled():
            cancelled["state"] = asyncio.run(job_state())
            return cancelled["state"] in ("cancelled", "cancelling")

        wait_until(is_cancelled)
    finally:
        driver.quit()
        done.set()
        thread.join(60)
    # 3 form posts and 3 fetches reached the server and were refused; the DELETE never
    # left the browser (no-cors allows only GET, HEAD and POST).
    assert len(refused) >= 6, refused
    assert all("may not change anything" in r or "X-HCS-Client" in r for r in refused), refused
    assert sorted(j["id"] for j in state["jobs"]) == sorted([state["first"], state["job"]])
    assert state["printers"] == ["vp"]  # the configuration was not reloaded
