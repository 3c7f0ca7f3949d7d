"""Hot configuration: printers added, changed and removed while jobs run, without
dropping a queued job (jobs for a removed printer are held, and go on when it comes
back); an invalid file is refused with its line and the old configuration stays."""

import asyncio
import os
import signal
import time

import pytest

from hcs.client import Client, ServerError
from tests.hcs.server.helpers import (
    MR,
    labels_printed,
    printer_table,
    running_server,
    server_process,
    virtual_printer,
    write_config,
)

SLOW = "delay:op=N-ACTION,seconds=0.15"


def test_add_and_remove_printers_while_jobs_run(tmp_path):
    path = tmp_path / "hcs.toml"

    async def go():
        async with (
            virtual_printer(tmp_path / "a", faults=[SLOW]) as a,
            virtual_printer(tmp_path / "b", faults=[SLOW]) as b,
            virtual_printer(tmp_path / "c") as c,
        ):
            tables = {"a": printer_table(a.port), "b": printer_table(b.port)}
            write_config(path, tables)
            async with running_server(path) as server, Client(server.url) as client:
                for_a = [
                    (await client.submit({"printer": "a", "label": f"a{i}"}, [MR] * 2))["id"]
                    for i in range(4)
                ]
                for_b = [
                    (await client.submit({"printer": "b", "label": f"b{i}"}, [MR] * 2))["id"]
                    for i in range(4)
                ]
                await asyncio.sleep(0.3)  # a and b are printing
                write_config(path, {"a": tables["a"], "c": printer_table(c.port)})
                summary = await client.reload()
                await asyncio.sleep(0.2)
                held = [await client.job(i) for i in for_b]
                with pytest.raises(ServerError) as unknown:
                    await client.submit({"printer": "b"}, [MR])
                on_c = (await client.submit({"printer": "c", "label": "c0"}, [MR]))["id"]
                # a broken file: refused with its line, nothing changes
                path.write_text(path.read_text() + "\n[printers.d]\nport = \n")
                with pytest.raises(ServerError) as broken:
                    await client.reload()
                names = [p["name"] for p in (await client.printers())["printers"]]
                # b comes back: its held jobs go on
                write_config(path, {**tables, "c": printer_table(c.port)})
                back = await client.reload()
                deadline = time.monotonic() + 60
                while True:
                    jobs = {j["id"]: j for j in await client.jobs()}
                    if all(jobs[i]["state"] == "done" for i in [*for_a, *for_b, on_c]):
                        break
                    assert time.monotonic() < deadline, jobs
                    await asyncio.sleep(0.1)
        return summary, held, unknown.value, broken.value, names, back

    summary, held, unknown, broken, names, back = asyncio.run(go())
    assert summary["added"] == ["c"] and summary["removed"] == ["b"]
    states = [j["state"] for j in held]
    assert "held" in states, states
    assert all(
        "printer removed from the configuration" in (j["reason"] or "")
        for j in held
        if j["state"] == "held"
    )
    assert unknown.status == 404 and unknown.field == "printer"
    assert broken.status == 422 and "line" in str(broken)
    assert names == ["a", "c"]
    assert back["added"] == ["b"]
    assert labels_printed(tmp_path / "c") == ["c0"]
    assert sorted(labels_printed(tmp_path / "a")) == sorted([f"a{i}" for i in range(4)] * 2)
    b_labels = labels_printed(tmp_path / "b")
    assert sorted(set(b_labels)) == [f"b{i}" for i in range(4)]


def test_sighup_reloads_and_an_invalid_file_keeps_the_old_configuration(tmp_path):
    path = tmp_path / "hcs.toml"

    async def printers(url):
        async with Client(url) as client:
            return [p["name"] for p in (await client.printers())["printers"]]

    async def wait_for(url, names):
        deadline = time.monotonic() + 20
        while (got := await printers(url)) != names:
            assert time.monotonic() < deadline, got
            await asyncio.sleep(0.1)

    write_config(path, {"a": printer_table(1)})
    log = tmp_path / "server.log"
    with server_process(path, log) as (process, port):
        url = f"http://127.0.0.1:{port}"
        text = path.read_text()
        path.write_text(text + '[printers.b]\nhost = "127.0.0.1"\nport = 2\n')
        os.killpg(process.pid, signal.SIGHUP)
        asyncio.run(wait_for(url, ["a", "b"]))
        path.write_text(text + '[printers.b]\nhost = "127.0.0.1"\nport = 70000\n')
        os.killpg(process.pid, signal.SIGHUP)
        deadline = time.monotonic() + 20
        while "reload refused" not in log.read_text():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert asyncio.run(printers(url)) == ["a", "b"]
    assert "printers.b.port" in log.read_text() and "line" in log.read_text()


def test_a_printer_in_failure_holds_the_job_with_its_reason(tmp_path):
    async def go():
        async with virtual_printer(
            tmp_path / "vp", faults=["printer:status=FAILURE,info=FILM JAM"]
        ) as vp:
            config = write_config(tmp_path / "hcs.toml", {"vp": printer_table(vp.port)})
            async with running_server(config) as server, Client(server.url) as client:
                job = await client.submit({"printer": "vp"}, [MR])
                deadline = time.monotonic() + 30
                while (current := await client.job(job["id"]))["state"] != "held":
                    assert time.monotonic() < deadline, current["state"]
                    await asyncio.sleep(0.05)
                printers = (await client.printers())["printers"]
                cancelled = await client.cancel(job["id"])
                return current, printers, cancelled

    held, printers, cancelled = asyncio.run(go())
    assert "FILM JAM" in held["reason"] and "not ready" in held["reason"]
    assert held["films"][0]["state"] == "pending"
    assert printers[0]["status"] == "FAILURE"
    assert cancelled["state"] in ("cancelled", "cancelling")
    assert labels_printed(tmp_path / "vp") == []
