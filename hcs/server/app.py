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
import socket
import ssl
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aiohttp import web

from hcs.server import config as configuration
from hcs.server.config import Config, ConfigError
from hcs.server.database import Database, OffLoop
from hcs.server.http import build_app
from hcs.server.jobs import Jobs
from hcs.server.live import Change, Changes
from hcs.server.metrics import Metrics
from hcs.server.spool import SpoolUnavailable, SqliteSpool, SqlSpool
from hcs.server.states import State
from hcs.server.worker import PrinterWorker

log = logging.getLogger("hcs.server")


class Server:
    """Everything one ``hcs serve`` runs."""

    def __init__(self, config: Config, config_path: Path | None = None):
        self.config = config
        self.config_path = config_path
        self.metrics = Metrics()
        self.spool = open_spool(config)
        # every spool call runs in the database thread, never on the loop
        self.database = Database(self.spool, config.spool.timeout)
        self.service = Jobs(
            self.spool, config, self.metrics, wake=self._wake_soon, instance=self.spool.instance
        )
        # what workers and HTTP call; incoming() only makes a folder for an upload
        self.jobs = OffLoop(self.service, self.database, local=("incoming",))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._probes: set[asyncio.Task] = set()
        self.executor = ThreadPoolExecutor(
            config.server.formatter_threads, thread_name_prefix="formatter"
        )
        self.workers: dict[str, PrinterWorker] = {}
        self.runner: web.AppRunner | None = None
        self.urls: list[str] = []
        self.port: int | None = None
        self.started = time.time()
        self.reloads = 0
        self._purge_task: asyncio.Task | None = None
        self._group_task: asyncio.Task | None = None
        self.changed = asyncio.Event()
        self.live = Changes()  # what changed, for the consoles' streams (GET /events)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._loop = loop = asyncio.get_running_loop()
        self.database.start()
        await self.database.call(self.spool.open)
        self.spool.listen(lambda text: loop.call_soon_threadsafe(self._spool_changed, text))
        if self.spool.shared:
            # the group's jobs are resumed printer by printer, by whoever takes each one
            await self.jobs.announce()
            self._group_task = loop.create_task(self._group_loop())
            log.info("instance %s on a shared %s spool", self.service.instance, self.spool.backend)
        else:
            resumed = await self.jobs.resume_all()
            await self.jobs.retarget()
            if resumed:
                log.info("resumed %d unfinished job(s) from the spool", resumed)
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
        for task in (self._purge_task, self._group_task):
            if task is not None:
                task.cancel()
        if self.spool.shared:
            # first: the group stops counting this server (no printer is handed to it;
            # one offered to it already may be taken by another at once)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self.database.call(self.spool.retire, self.service.instance),
                    self.database.hung_after,
                )
        self.live.close()  # the consoles' streams end; browsers reconnect by themselves
        if self.runner is not None:
            await self.runner.cleanup()
        await asyncio.gather(*(w.stop(grace) for w in self.workers.values()))
        self.executor.shutdown(wait=True, cancel_futures=True)
        await self.database.stop()  # the calls submitted are made (a hung one interrupted)
        self.spool.close()

    def _add_worker(self, profile) -> None:
        worker = PrinterWorker(
            self.jobs, profile, self.executor, self.metrics, self.config.server.status_poll
        )
        worker.on_change = self._printer_changed
        self.workers[profile.name] = worker
        worker.start()

    def _spool_changed(self, text: str) -> None:
        """A note from the spool (PostgreSQL: from any server of the group): the
        consoles hear of it; in a group, the workers look at the queue again."""
        change = self.live.publish_note(text)
        if self.spool.shared and change.kind != "film":
            self.wake(None)

    def _printer_changed(self, name: str) -> None:
        """A worker's state that only this server knows changed (a film taken, a
        status poll answered): the consoles hear of it."""
        self.live.publish(Change("printer", name))

    def _wake_soon(self, printers=None) -> None:
        """:meth:`wake` from the database thread (where the jobs service runs)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.wake, printers)

    def wake(self, printers=None) -> None:
        """A job changed: the printers that may print it look at the queue again."""
        for name in printers if printers is not None else list(self.workers):
            worker = self.workers.get(name)
            if worker is not None:
                worker.wake.set()
        self.changed.set()

    async def _group_loop(self) -> None:
        """A shared spool: this server's heartbeat (with the targets it serves), every
        third of the lease, so the group counts it in the printers' spread even while
        it holds none; then the waiting jobs against what the group serves now (held
        while no instance serves their printer, going on when one does again)."""
        while True:
            await asyncio.sleep(max(0.1, self.jobs.lease / 3))
            try:
                await self.jobs.announce()
                await self.jobs.retarget_group()
            except SpoolUnavailable:
                pass  # said on /health; the heartbeat goes on when the database is back
            except Exception:  # pragma: no cover - keep beating whatever happens
                log.exception("the group heartbeat")

    async def _purge_loop(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                gone = await self.database.call(self.spool.purge)
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
        self.service.config = new
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
        if self.spool.shared:
            with contextlib.suppress(SpoolUnavailable):
                await self.jobs.announce()  # the group sees the printers this server serves now
                await self.jobs.retarget_group()
        else:
            # in a group another server may still have the printer: jobs wait for it
            await self.jobs.retarget()
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
    async def printers(self) -> list[dict[str, Any]]:
        """Every printer of the group with its status; ``instance`` is the server that
        holds it (in a group, a printer another server holds shows that server's last
        report)."""
        groups: dict[str, list[str]] = {}
        for group, members in self.config.groups.items():
            for member in members:
                groups.setdefault(member, []).append(group)
        by_target, holders = await self.database.call(self._printer_rows)
        out = []
        for name in sorted(set(self.workers) | set(holders)):
            worker = self.workers.get(name)
            held = holders.get(name, {})
            holder = held.get("instance")  # None on a lone server
            if worker is not None and holder in (None, self.service.instance):
                status = worker.status
            elif held.get("status"):
                status = dict(held["status"])
            else:
                continue
            status["instance"] = holder
            status["groups"] = groups.get(name, status.get("groups", []))
            status["queued"] = sum(by_target.get(t, 0) for t in self.service.targets(name))
            out.append(status)
        return out

    def _printer_rows(self) -> tuple[dict[str, int], dict[str, dict[str, Any]]]:
        """(database thread) jobs waiting per target, and the printers' holders."""
        holders = self.spool.printer_holders() if self.spool.shared else {}
        return self.spool.queued_by_target(), holders

    async def gauges(self) -> dict[str, dict[tuple, float]]:
        counts, film_counts, edges, holders = await self.database.call(self._gauge_rows)
        jobs = {(("state", state),): float(n) for state, n in counts.items()}
        for state in State:
            jobs.setdefault((("state", state.value),), 0.0)
        up = {}
        for name, worker in self.workers.items():
            status = worker.status["status"]
            up[(("printer", name),)] = 1.0 if status in ("NORMAL", "WARNING") else 0.0
        gauges = {"hcs_jobs": jobs, "hcs_printer_up": up}
        gauges["hcs_films"] = {(("state", s),): float(n) for s, n in film_counts.items()}
        gauges["hcs_films_sent_again"] = {(): float(edges)}
        if self.spool.shared:
            gauges["hcs_printer_holder"] = {
                (("instance", h["instance"]), ("printer", name)): 1.0
                for name, h in holders.items()
                if h["instance"]
            }
        return gauges

    def _gauge_rows(self) -> tuple[dict, dict, int, dict]:
        """(database thread) what the gauges read from the spool, in one call."""
        holders = self.spool.printer_holders() if self.spool.shared else {}
        return self.spool.counts(), self.spool.film_counts(), self.spool.edges(), holders

    async def health(self) -> dict[str, Any]:
        """Liveness and readiness: not ok while the spool's database is away or does not
        answer (this server takes no work then). Answered while the database hangs: at
        once when it is known to be away, else after at most the hang timeout."""
        health: dict[str, Any] = {
            "ok": False,
            "instance": self.service.instance,
            "spool": self.spool.backend,
            "printers": len(self.workers),
        }
        error = self.spool.error
        if error is not None and self.database.idle:
            # nothing is trying the database now: try it, without waiting for it
            probe = asyncio.get_running_loop().create_task(self._probe())
            self._probes.add(probe)
            probe.add_done_callback(self._probes.discard)
        if error is None:
            try:
                ok, queued = await asyncio.wait_for(
                    self.database.call(self._health_rows), self.database.hung_after
                )
            except TimeoutError:
                error = f"the database has not answered for {self.database.hung_after:g} s"
            except SpoolUnavailable as unavailable:
                error = str(unavailable)
            else:
                error = None if ok else (self.spool.error or "no answer")
                if ok and queued is not None:
                    health["queued"] = queued
        health["ok"] = error is None
        if error is not None:
            health["database"] = f"unreachable: {error}"
        return health

    async def _probe(self) -> None:
        with contextlib.suppress(Exception):
            await self.database.call(self.spool.ping)

    def _health_rows(self) -> tuple[bool, int | None]:
        """(database thread) whether the database answers, and the jobs waiting."""
        if not self.spool.ping():
            return False, None
        try:
            return True, self.service.waiting()
        except OSError:
            return True, None


def open_spool(config: Config) -> SqlSpool:
    """The spool the configuration names (SQLite unless ``[spool] backend`` says else)."""
    s, p = config.server, config.spool
    limits = (s.spool_max_mb * 2**20, s.disk_reserve_mb * 2**20, s.retention_hours * 3600)
    instance = p.instance or f"{socket.gethostname()}-{os.getpid()}"
    if p.backend == "postgresql":
        from hcs.server.pgspool import PostgresSpool

        assert p.url is not None
        return PostgresSpool(
            s.spool, p.url, instance, p.connect_options(), *limits, timeout=p.timeout
        )
    spool = SqliteSpool(s.spool, *limits)
    spool.instance = instance
    return spool


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
    except SpoolUnavailable as error:
        print(f"hcs serve: the spool's database cannot be reached: {error}", file=sys.stderr)
        await server.stop(1.0)
        return 3
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
