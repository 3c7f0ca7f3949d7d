"""Live updates without a browser: ``GET /events`` (Server-Sent Events) tells a client of
every change of a job, film or printer. On PostgreSQL two servers share one queue and a
job submitted to A is announced on B's stream (by ``NOTIFY``); on SQLite one server
announces its own changes. The stream needs the token like any other read."""

from __future__ import annotations

import asyncio
import contextlib
import json

import aiohttp

from hcs.client import Client
from tests.hcs.server.helpers import (
    MR,
    printer_table,
    running_server,
    virtual_printer,
    write_config,
)

TIMEOUT = 60.0  # a bound for a stuck test, never a measure


class EventReader:
    """An SSE client: the ``change`` events' data, parsed, as they arrive."""

    def __init__(self, response: aiohttp.ClientResponse):
        self.response = response
        self.seen: list[dict] = []

    async def event(self) -> tuple[str, dict]:
        name, data = "message", ""
        while True:
            raw = await asyncio.wait_for(self.response.content.readline(), TIMEOUT)
            assert raw, "the stream ended"
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
            elif line == "" and data:
                return name, json.loads(data)

    async def until(self, predicate) -> dict:
        while True:
            name, data = await self.event()
            if name == "change":
                self.seen.append(data)
                if predicate(data):
                    return data


@contextlib.asynccontextmanager
async def follow(url: str, headers: dict | None = None):
    async with (
        aiohttp.ClientSession() as session,
        session.get(url + "/events", headers=headers or {}) as response,
    ):
        assert response.status == 200, response.status
        assert response.headers["Content-Type"].startswith("text/event-stream")
        reader = EventReader(response)
        assert (await reader.event())[0] == "hello"
        yield reader


def test_a_job_submitted_to_one_server_is_announced_on_another(tmp_path, backend):
    """PostgreSQL: the stream of B announces a job submitted to A, its films and the
    printer; SQLite: one server, its own stream."""

    async def go():
        async with virtual_printer(tmp_path / "vp", png=False) as vp:
            tables = {"vp": printer_table(vp.port)}
            names = ("a", "b") if backend else ("a",)
            configs = []
            for name in names:
                (tmp_path / name).mkdir()
                spool = {**backend, "instance": name} if backend else None
                configs.append(
                    write_config(
                        tmp_path / name / "hcs.toml",
                        tables,
                        server={"spool": str(tmp_path / name / "spool")},
                        spool=spool,
                    )
                )
            async with contextlib.AsyncExitStack() as stack:
                servers = [await stack.enter_async_context(running_server(c)) for c in configs]
                a, b = servers[0], servers[-1]
                async with follow(b.url) as stream, Client(a.url) as client:
                    job = await client.submit({"printer": "vp", "label": "live"}, [MR])
                    job_id = job["id"]
                    await stream.until(lambda d: d == {"kind": "job", "id": job_id})
                    await stream.until(lambda d: d.get("kind") == "film" and d["id"] == job_id)
                    # the job reaches done on B's stream: B's JSON says so when told
                    async with Client(b.url) as reader:
                        while (await reader.job(job_id))["state"] != "done":
                            await stream.until(lambda d: d.get("id") == job_id)
                    held = await client.submit({"printer": "vp", "label": "second"}, [MR])
                    await stream.until(lambda d: d == {"kind": "job", "id": held["id"]})
                    return stream.seen, job_id

    seen, job_id = asyncio.run(go())
    kinds = {d["kind"] for d in seen}
    assert {"job", "film"} <= kinds, seen
    assert {"kind": "film", "id": job_id, "film": 0} in seen


def test_the_event_stream_needs_the_token(tmp_path):
    async def go():
        async with virtual_printer(tmp_path / "vp", png=False) as vp:
            config = write_config(
                tmp_path / "hcs.toml",
                {"vp": printer_table(vp.port)},
                server={"token": "s3cret-token-for-tests"},
            )
            async with running_server(config) as server, aiohttp.ClientSession() as session:
                async with session.get(server.url + "/events") as response:
                    refused = response.status, await response.json()
                auth = {"Authorization": "Bearer s3cret-token-for-tests"}
                async with follow(server.url, auth) as stream:
                    async with Client(server.url, token="s3cret-token-for-tests") as client:
                        job = await client.submit({"printer": "vp"}, [MR])
                    await stream.until(lambda d: d.get("id") == job["id"])
                metrics = await _metrics(server.url, auth)
                return refused, metrics

    (status, body), metrics = asyncio.run(go())
    assert status == 401 and body["field"] == "token", body
    assert 'hcs_http_requests_total{method="GET",route="/events"} 2.0' in metrics


async def _metrics(url: str, headers: dict) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url + "/metrics", headers=headers) as response,
    ):
        return await response.text()


def test_hcs_submit_wait_follows_the_stream_not_polling(tmp_path, postgres):
    """``hcs submit --wait`` (``hcs.server.cli.wait_for``) fetches its job when the
    stream announces a change of it: a job that waits (a third server holds the printer
    and prints nothing) costs no GET while nothing happens; cancelled, it ends the wait."""
    from hcs.peers import free_port
    from hcs.server.cli import wait_for
    from hcs.server.pgspool import PostgresSpool

    url = postgres.database()
    holder = PostgresSpool(tmp_path / "c", url, "c")
    holder.open()
    status = {"name": "vp", "ae_title": "VPRINTER", "host": "127.0.0.1", "port": 1}
    assert holder.acquire_printer("vp", "c", 3600.0, status)
    config = write_config(
        tmp_path / "hcs.toml",
        {"vp": printer_table(free_port())},
        spool={"backend": "postgresql", "url": url, "instance": "a", "lease": 2},
    )

    async def go():
        async with running_server(config) as server, Client(server.url) as client:
            job = await client.submit({"printer": "vp", "label": "waits"}, [MR])
            waiting = asyncio.create_task(wait_for(client, job["id"], quiet=True))
            auth: dict = {}
            while _gets(await _metrics(server.url, auth), job["id"]) < 1:
                await asyncio.sleep(0.05)  # connected, and fetched the job once
            before = _gets(await _metrics(server.url, auth), job["id"])
            await asyncio.sleep(2.0)  # nothing changes meanwhile
            after = _gets(await _metrics(server.url, auth), job["id"])
            await client.cancel(job["id"])
            final = await asyncio.wait_for(waiting, TIMEOUT)
            return before, after, final

    try:
        before, after, final = asyncio.run(go())
    finally:
        holder.close()
    assert final["state"] == "cancelled"
    assert before == after, (before, after)


def _gets(metrics: str, job_id: str) -> float:
    """GET /jobs/{job_id} requests served (any job: this test has one)."""
    for line in metrics.splitlines():
        if line.startswith('hcs_http_requests_total{method="GET",route="/jobs/{job_id}"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
