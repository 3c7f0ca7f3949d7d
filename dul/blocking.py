"""A blocking face on :mod:`dul.net`, for scripts that do not want asyncio.

:class:`BlockingRunner` owns a private event loop on a background thread and runs the
asyncio API there; :func:`connect` returns a :class:`BlockingConnection` whose methods
block the calling thread until the coroutine behind them finishes. There is one
implementation of the protocol: this only moves where it waits.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from dul import net
from dul.events import Event
from dul.items import PresentationContextRQ
from dul.pdu import Buffer

T = TypeVar("T")


class BlockingRunner:
    """An event loop on a daemon thread; ``run(coroutine)`` waits for its result."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="dul-blocking", daemon=True
        )
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def call(self, function, *args):
        """Run a plain function on the loop's thread (the association is not thread-safe)."""

        async def wrapper():
            return function(*args)

        return self.run(wrapper())

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()


class BlockingConnection:
    """An :class:`dul.net.UpperLayerConnection` driven from ordinary code."""

    def __init__(self, runner: BlockingRunner, connection: net.UpperLayerConnection):
        self._runner = runner
        self.connection = connection

    @property
    def contexts(self):
        return self.connection.contexts

    def send_message(self, context_id: int, command: Buffer, dataset: Sequence[Buffer] = ()):
        self._runner.run(self.connection.send_message(context_id, command, dataset))

    def next_event(self, timeout: float | None = None) -> Event | None:
        return self._runner.run(self.connection.next_event(timeout))

    def release(self) -> None:
        try:
            self._runner.run(self.connection.release())
        finally:
            self._runner.close()

    def abort(self) -> None:
        try:
            self._runner.call(self.connection.abort)
            self._runner.run(self.connection.close())
        finally:
            self._runner.close()

    def __enter__(self) -> BlockingConnection:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.release()
        else:
            self.abort()


def connect(
    host: str,
    port: int,
    *,
    called_ae_title: str,
    contexts: Sequence[PresentationContextRQ],
    **options,
) -> BlockingConnection:
    """:func:`dul.net.connect`, blocking. Raises the same errors."""
    runner = BlockingRunner()
    try:
        connection = runner.run(
            net.connect(host, port, called_ae_title=called_ae_title, contexts=contexts, **options)
        )
    except BaseException:
        runner.close()
        raise
    return BlockingConnection(runner, connection)
