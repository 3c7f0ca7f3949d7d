"""``hcs jobs``, ``hcs printers``, ``hcs cancel`` and ``hcs submit`` against a running
server, the OpenAPI document against the routes, /metrics, and ``hcs demo``."""

import asyncio
import json
import subprocess
import sys

from hcs.client import Client
from hcs.server.openapi import DOCUMENT
from tests.hcs.server.helpers import (
    MR,
    REPO,
    printer_table,
    running_server,
    virtual_printer,
    write_config,
)


async def hcs(*argv: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hcs.cli",
        *argv,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


def test_jobs_printers_cancel_and_metrics(tmp_path):
    async def go():
        async with virtual_printer(tmp_path / "vp", faults=["delay:op=N-ACTION,seconds=1.5"]) as vp:
            config = write_config(tmp_path / "hcs.toml", {"vp": printer_table(vp.port)})
            async with running_server(config) as server:
                url = ["--server", server.url]
                results = {}
                results["submit"] = await hcs(
                    "submit",
                    *[str(MR)] * 8,
                    "--printer",
                    "vp",
                    "--format",
                    "STANDARD\\1,1",
                    "--priority",
                    "LOW",
                    "--json",
                    *url,
                )
                job_id = json.loads(results["submit"][1])["id"]
                results["cancel"] = await hcs("cancel", job_id, *url)
                results["printers"] = await hcs("printers", *url)
                results["jobs"] = await hcs("jobs", *url)
                results["unknown"] = await hcs("cancel", "nosuchjob", *url)
                results["bad"] = await hcs("submit", str(MR), "--printer", "nope", *url)
                results["down"] = await hcs("jobs", "--server", "http://127.0.0.1:1")
                async with Client(server.url) as client:
                    while (await client.job(job_id))["state"] not in ("cancelled", "done"):
                        await asyncio.sleep(0.05)
                    job = await client.job(job_id)
                    metrics = await client.metrics()
                    routes = {
                        r.resource.canonical
                        for r in server.runner.app.router.routes()
                        if r.resource is not None
                    }
        return results, job, metrics, routes

    results, job, metrics, routes = asyncio.run(go())
    assert results["submit"][0] == 0
    code, out, _ = results["printers"]
    assert code == 0 and "vp" in out and "VPRINTER" in out
    code, out, _ = results["jobs"]
    assert code == 0 and job["id"] in out
    code, out, _ = results["cancel"]
    assert code == 0 and ("cancelling" in out or "cancelled" in out)
    assert results["unknown"][0] == 2 and "no job" in results["unknown"][2]
    assert results["bad"][0] == 2 and "printer" in results["bad"][2]
    assert results["down"][0] == 3 and "cannot reach" in results["down"][2]
    assert job["state"] == "cancelled"
    assert [f["state"] for f in job["films"]].count("printed") < 8
    assert 'hcs_jobs{state="cancelled"} 1.0' in metrics
    assert "hcs_dimse_responses_total{" in metrics and "hcs_formatting_seconds_sum" in metrics
    documented = set(DOCUMENT["paths"])
    served = {r for r in routes if not r.startswith("/console")}
    assert served == documented, served ^ documented


def test_hcs_demo_runs_end_to_end(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "hcs.cli", "demo"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        env={**__import__("os").environ, "HCS_DEMO_OUT": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all steps OK" in result.stdout
    assert "console: http://127.0.0.1:" in result.stdout
    assert list((tmp_path / "virtual-printer" / "films").glob("*.png"))
