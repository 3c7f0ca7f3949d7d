"""The hardcopy server as one asyncio process: spool, queue, workers, HTTP, reload.

:class:`Server` wires the pieces and owns their lifetimes. It resumes the spool's
unfinished jobs before it listens, applies a new configuration only when the whole file
is valid (SIGHUP or ``POST /config/reload``), and on stop lets each printer finish the
film in hand. ``run`` is what ``hcs serve`` calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import ssl
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aiohttp import web

from hcs.server import config as configuration
from hcs.server.config import Config, ConfigError
from hcs.server.metrics import Metrics
from hcs.server.queue import TERMINAL, Entry, JobQueue, Priority, State
from hcs.server.spool import Spool
from hcs.server.worker import PrinterWorker

log = logging.getLogger("hcs.server")
job_log = logging.getLogger("hcs.server.jobs")


class Server:
    """Everything one ``hcs serve`` runs."""

    def __init__(self, config: Config, config_path: Path | None = None):
        self.config = config
        self.config_path = config_path
        self.metrics = Metrics()
        self.queue = JobQueue()
        s = config.server
        self.spool = Spool(
            s.spool, s.spool_max_mb * 2**20, s.disk_reserve_mb * 2**20, s.retention_hours * 3600
        )
        self.executor = ThreadPoolExecutor(s.formatter_threads, thread_name_prefix="formatter")
        self.workers: dict[str, PrinterWorker] = {}
        self.runner: web.AppRunner | None = None
        self.urls: list[str] = []
        self.port: int | None = None
        self.started = time.time()
        self.reloads = 0
        self._timers: set[asyncio.TimerHandle] = set()
        self._purge_task: asyncio.Task | None = None
        self.changed = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        from hcs.server.http import build_app

        self.spool.open()
        self._resume()
        for profile in self.config.printers.values():
            self._add_worker(profile)
        app = build_app(self)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self.runner.setup()
        await self._listen()
        self._purge_task = asyncio.get_running_loop().create_task(self._purge_loop())

    async def _listen(self) -> None:
        assert self.runner is not None
        s = self.config.server
        context = None
        if s.tls_cert:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(s.tls_cert, s.tls_key)
        site = web.TCPSite(self.runner, s.host, s.port, ssl_context=context, reuse_address=True)
        await site.start()
        server = site._server  # aiohttp keeps the asyncio server here; the real port is on it
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else s.port
        base = s.base_url.rsplit(":", 1)[0]
        self.urls.append(f"{base}:{self.port}")
        if s.unix_socket:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(s.unix_socket)
            unix = web.UnixSite(self.runner, s.unix_socket)
            await unix.start()
            os.chmod(s.unix_socket, 0o660)
            self.urls.append(f"unix:{s.unix_socket}")

    @property
    def url(self) -> str:
        return self.urls[0]

    async def stop(self, grace: float = 30.0) -> None:
        for timer in self._timers:
            timer.cancel()
        if self._purge_task is not None:
            self._purge_task.cancel()
        if self.runner is not None:
            await self.runner.cleanup()
        await asyncio.gather(*(w.stop(grace) for w in self.workers.values()))
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.spool.close()

    def _add_worker(self, profile) -> None:
        worker = PrinterWorker(self, profile)
        self.workers[profile.name] = worker
        worker.start()

    def _resume(self) -> None:
        """Put the spool's unfinished jobs back in the queue, each at its next film."""
        jobs = self.spool.unfinished()
        for job in jobs:
            entry = Entry(
                job["id"],
                Priority[job["priority"]],
                job["seq"],
                job["target"],
                job["film_count"],
                next_film=job["next_film"],
            )
            if job["next_film"]:
                entry.state, entry.printer = State.PREEMPTED, job["printer"]
            if job["state"] == "held":
                entry.state, entry.reason = State.HELD, job["reason"]
            self.queue.add(entry)
            if job["state"] == "printing":
                self.spool.set_job(
                    job["id"],
                    "preempted" if job["next_film"] else "queued",
                    event=f"resumed after a restart at film {job['next_film'] + 1}",
                )
            self.job_event(entry, "resumed", film=job["next_film"] + 1)
        self.queue._next_seq = max(self.queue._next_seq, self.spool.max_seq() + 1)
        self._retarget()
        for entry in list(self.queue.entries.values()):
            if entry.state is State.HELD and not (entry.reason or "").startswith("printer removed"):
                self.queue.release(entry)  # not-ready holds are retried now
        if jobs:
            log.info("resumed %d unfinished job(s) from the spool", len(jobs))

    def _retarget(self) -> None:
        mapping = {name: self.config.printers_for(name) for name in self.config.targets()}
        for entry in self.queue.retarget(mapping):
            self.spool.set_job(entry.job_id, entry.state.value, entry.reason)
            self.job_event(entry, entry.state.value, reason=entry.reason)

    # ------------------------------------------------------------------ jobs
    def new_job_id(self) -> str:
        return uuid.uuid4().hex[:12]

    def enqueue(self, entry: Entry) -> None:
        entry.candidates = self.config.printers_for(entry.target)
        self.queue.add(entry)
        self.job_event(
            entry, "queued", priority=entry.priority.name, target=entry.target, films=entry.films
        )
        self.wake(entry.candidates)

    def wake(self, printers=None) -> None:
        for name in printers if printers is not None else list(self.workers):
            worker = self.workers.get(name)
            if worker is not None:
                worker.wake.set()
        self.changed.set()

    def job_failed(self, entry: Entry, reason: str) -> None:
        self.queue.film_failed(entry, reason)
        self.spool.set_job(entry.job_id, "failed", reason)
        self.job_event(entry, "failed", reason=reason)
        self._forget_later(entry)

    def job_event(self, entry: Entry, event: str, **details: Any) -> None:
        """One structured log line per job event."""
        job_log.info(json.dumps({"event": event, "job": entry.job_id, **details}, default=str))
        if entry.state in TERMINAL:
            self._forget_later(entry)
        self.changed.set()

    def _forget_later(self, entry: Entry) -> None:
        self.queue.forget(entry.job_id)

    def cancel(self, job_id: str) -> str | None:
        """Cancel a job; returns its state afterwards, or None if it is unknown."""
        entry = self.queue.get(job_id)
        if entry is None:
            job = self.spool.job(job_id, detail=False)
            return None if job is None else job["state"]
        if self.queue.cancel(entry):
            self.spool.set_job(job_id, "cancelled", "cancelled by a client")
            self.job_event(entry, "cancelled")
            return "cancelled"
        self.spool.add_event(job_id, "cancel requested: stops after the film being printed")
        self.job_event(entry, "cancel_requested")
        return "cancelling"

    def release_later(self, entry: Entry, delay: float) -> None:
        loop = asyncio.get_running_loop()

        def release() -> None:
            self._timers.discard(handle)
            if entry.state is State.HELD and self.queue.get(entry.job_id) is entry:
                self.queue.release(entry)
                self.spool.set_job(entry.job_id, entry.state.value, event="retrying after hold")
                self.wake(entry.candidates)

        handle = loop.call_later(delay, release)
        self._timers.add(handle)

    async def _purge_loop(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                gone = self.spool.purge()
                if gone:
                    log.info("purged %d finished job(s) past retention", len(gone))
            await asyncio.sleep(min(300.0, max(1.0, self.spool.retention / 10)))

    # ------------------------------------------------------------------ configuration
    async def reload(self) -> dict[str, Any]:
        """Read the configuration file again; apply it whole or not at all."""
        if self.config_path is None:
            raise ConfigError("the server was started without a configuration file")
        new = configuration.load(self.config_path)
        return await self.apply(new)

    async def apply(self, new: Config) -> dict[str, Any]:
        old = self.config
        if (new.server.host, new.server.port, new.server.unix_socket, new.server.spool) != (
            old.server.host,
            old.server.port,
            old.server.unix_socket,
            old.server.spool,
        ):
            log.warning("listen address and spool changes take effect at the next start")
        added = [n for n in new.printers if n not in old.printers]
        removed = [n for n in old.printers if n not in new.printers]
        changed = [
            n for n in new.printers if n in old.printers and new.printers[n] != old.printers[n]
        ]
        self.config = new
        self.spool.max_bytes = new.server.spool_max_mb * 2**20
        self.spool.reserve_bytes = new.server.disk_reserve_mb * 2**20
        self.spool.retention = new.server.retention_hours * 3600
        for name in removed:
            worker = self.workers.pop(name)
            asyncio.get_running_loop().create_task(worker.stop())
        for name in changed:
            self.workers[name].update(new.printers[name])
        for name in added:
            self._add_worker(new.printers[name])
        self._retarget()
        self.reloads += 1
        self.wake()
        summary = {
            "added": added,
            "removed": removed,
            "changed": changed,
            "printers": sorted(new.printers),
            "groups": sorted(new.groups),
        }
        log.info(json.dumps({"event": "config_reloaded", **summary}))
        return summary

    # ------------------------------------------------------------------ views
    def printers(self) -> list[dict[str, Any]]:
        groups = {}
        for group, members in self.config.groups.items():
            for member in members:
                groups.setdefault(member, []).append(group)
        out = []
        for name, worker in sorted(self.workers.items()):
            status = worker.status
            status["groups"] = groups.get(name, [])
            status["queued"] = sum(
                1
                for e in self.queue.entries.values()
                if name in e.candidates and e.state not in TERMINAL
            )
            out.append(status)
        return out

    def gauges(self) -> dict[str, dict[tuple, float]]:
        jobs = {(("state", state),): float(n) for state, n in self.spool.counts().items()}
        for state in ("queued", "printing", "preempted", "held", "done", "failed", "cancelled"):
            jobs.setdefault((("state", state),), 0.0)
        up = {}
        for name, worker in self.workers.items():
            status = worker.status["status"]
            up[(("printer", name),)] = 1.0 if status in ("NORMAL", "WARNING") else 0.0
        return {"hcs_jobs": jobs, "hcs_printer_up": up}


def run(config_path: str | None) -> int:
    """``hcs serve``: exit 2 for a bad configuration, 3 if it cannot listen."""
    path = Path(config_path) if config_path else None
    try:
        config = configuration.load(path) if path else configuration.parse("", "defaults")
    except ConfigError as error:
        print(f"hcs serve: {error}", file=sys.stderr)
        return 2
    logging.getLogger("hcs.server").setLevel(logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    server_log = logging.getLogger("hcs.server")
    server_log.addHandler(handler)
    server_log.propagate = False
    return asyncio.run(_serve(config, path))


async def _serve(config: Config, path: Path | None) -> int:
    server = Server(config, path)
    try:
        await server.start()
    except OSError as error:
        print(
            f"hcs serve: cannot listen on {config.server.host}:{config.server.port}: "
            f"{error.strerror or error}",
            file=sys.stderr,
        )
        await server.stop(1.0)
        return 3
    print(f"hcs serve: listening on {', '.join(server.urls)}; console at {server.url}/", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def hangup() -> None:
        async def go() -> None:
            try:
                summary = await server.reload()
                print(f"hcs serve: configuration reloaded: {json.dumps(summary)}", flush=True)
            except ConfigError as error:
                print(
                    f"hcs serve: reload refused, the old configuration stays: {error}",
                    file=sys.stderr,
                    flush=True,
                )

        tasks.add(loop.create_task(go()))

    tasks: set[asyncio.Task] = set()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGHUP, hangup)
    await stop.wait()
    print("hcs serve: stopping (each printer finishes the film in hand)", flush=True)
    await server.stop()
    return 0
