"""Database calls off the event loop: one thread per server makes every spool call.

The event loop serves HTTP, the consoles' streams and the printers' DIMSE exchanges; a
database that hangs (its server stopped or its host frozen: not refused, just silent)
must stall none of them. So the loop never calls the spool itself: it hands each call to
:class:`Database`, whose one thread runs them in order, and awaits the answer.

Why one thread and not psycopg's ``AsyncConnection``: the spool is one interface with
two engines (:mod:`hcs.server.spool`), its SQL written once, synchronous, each
transaction a ``with`` block; SQLite's module has no asyncio API at all. One thread
keeps that code as it is, and gives both engines the guarantees they had on the loop:
one call at a time, in order, on one connection. The SQLite spool's commit and fsync
(before ``201``) now happen in that thread, off the loop, and the loop awaits them
before answering. An ``AsyncConnection`` would mean the SQL twice, and its cancelling
of a query on a stopped server is itself a request that hangs.

A hung database is detected on both sides:

- the server ends a statement that runs, or waits for a lock, longer than the
  ``[spool] timeout`` (``statement_timeout``, set on every connection);
- a stopped server cannot do even that (the kernel still answers TCP, so keepalives
  see nothing), so a watchdog on the loop shuts down the socket of a call that has not
  returned ``timeout`` + 2 s after it began: the blocked read ends with an error, and
  the spool is marked unreachable, as when the database refuses connections.

While the spool is marked unreachable and the thread is busy (a reconnection attempt
waiting for its ``connect_timeout``), new calls fail at once with
:class:`~hcs.server.spool.SpoolUnavailable` instead of queueing behind it: ``/health``
answers 503 at once, a submission 503, a worker takes no work. The queue of calls is
bounded (``backlog``): a flood of requests meets 503, never an unbounded queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from hcs.server.spool import SpoolUnavailable, SqlSpool

T = TypeVar("T")
GRACE = 2.0  # seconds past the statement timeout before a call counts as hung


class Database:
    """The thread that makes this server's spool calls; see the module's docstring."""

    def __init__(self, spool: SqlSpool, timeout: float = 5.0, backlog: int = 256):
        self.spool = spool
        self.hung_after = timeout + GRACE
        self.backlog = backlog
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="hcs-database")
        self._lock = threading.Lock()
        self._waiting = 0  # calls submitted and not finished (the running one included)
        self._running: tuple[int, float] | None = None  # (call number, monotonic start)
        self._calls = 0
        self._interrupted = -1  # the call number the watchdog interrupted last
        self._watchdog: asyncio.Task | None = None

    # ------------------------------------------------------------------ calls
    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``function(*args, **kwargs)`` in the database thread; its result."""
        with self._lock:
            if self._waiting >= self.backlog:
                raise SpoolUnavailable(
                    f"{self._waiting} calls are waiting for the database (the limit)"
                )
            if self._waiting and self.spool.error is not None:
                raise SpoolUnavailable(self.spool.error)
            self._waiting += 1
        try:
            future = self._executor.submit(self._run, function, args, kwargs)
        except RuntimeError:  # the executor is shut down: the server stops
            self._finished(None)
            raise SpoolUnavailable("the server is stopping") from None
        # counted down when done, cancelled (a caller that stopped waiting) or not
        future.add_done_callback(self._finished)
        return await asyncio.wrap_future(future)

    def _finished(self, future: object) -> None:
        with self._lock:
            self._waiting -= 1

    @property
    def idle(self) -> bool:
        """No call is running or waiting."""
        return self._waiting == 0

    def _run(self, function: Callable[..., T], args: tuple, kwargs: dict) -> T:
        with self._lock:
            self._calls += 1
            self._running = (self._calls, time.monotonic())
        try:
            return function(*args, **kwargs)
        finally:
            self._running = None

    # ------------------------------------------------------------------ the watchdog
    def start(self) -> None:
        self._watchdog = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        """Interrupt a call the database has not answered for ``hung_after`` seconds."""
        step = min(0.5, self.hung_after / 4)
        while True:
            await asyncio.sleep(step)
            running = self._running
            if running is None or running[0] == self._interrupted:
                continue
            waited = time.monotonic() - running[1]
            if waited >= self.hung_after:
                self._interrupted = running[0]
                self.spool.interrupt(f"the database has not answered for {waited:.0f} s")

    async def stop(self, grace: float = 5.0) -> None:
        """Let the calls submitted finish (a hung one is interrupted), then end."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        done = asyncio.get_running_loop().run_in_executor(None, self._executor.shutdown, True)
        try:
            await asyncio.wait_for(asyncio.shield(done), grace)
        except TimeoutError:
            self.spool.interrupt("the server is stopping")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(done), grace)


class OffLoop:
    """An object whose methods run in the database thread: ``await proxy.method(...)``.

    The worker and the HTTP layer see the jobs service through this (each of its calls
    reads or writes the spool); plain attributes (``shared``, ``lease``, ``instance``)
    are read directly."""

    def __init__(self, target: Any, database: Database, local: tuple[str, ...] = ()):
        self._target = target
        self._database = database
        self._local = frozenset(local)  # methods that read no row: called as they are

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value) or name in self._local:
            return value
        database = self._database

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await database.call(value, *args, **kwargs)

        call.__name__ = name
        return call
