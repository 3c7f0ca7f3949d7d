"""Live updates: what changed, pushed to every open console as Server-Sent Events.

A change is a small note naming what changed, never its new content (a console fetches
that through the JSON API): ``job ID``, ``film ID INDEX`` or ``printer NAME``. Notes come
from two places:

- the spool, in the transaction that made the change. On PostgreSQL it is a ``NOTIFY``
  on the group's channel, so a job submitted through instance A reaches a console open
  on instance B: every instance ``LISTEN``\\ s and feeds what it hears here (a note is a
  few dozen bytes, far below ``NOTIFY``'s 8000). On SQLite the spool hands its notes
  over in process, after the commit.
- the printers' workers, for what lives only in this server's memory (a film taken,
  a status poll's answer).

:class:`Changes` is the hub between those sources and the ``GET /events`` streams. It
never touches the database, so a console's stream stays open (and says so) while the
database does not answer. Each stream has a bounded backlog: a console too slow to
read gets one ``resync`` instead of an ever-growing queue.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

KINDS = ("job", "film", "printer")
RESYNC = "resync"  # something may have been missed: fetch everything again


@dataclass(frozen=True)
class Change:
    """One note: ``kind`` (job, film, printer or resync), the id, the film's index."""

    kind: str
    id: str = ""
    film: int | None = None

    @classmethod
    def parse(cls, note: str) -> Change:
        """``job ID`` / ``film ID N`` / ``printer NAME``; anything else (an empty note:
        the listener reconnected) means resync."""
        kind, _, rest = note.partition(" ")
        if kind == "film":
            job, _, index = rest.partition(" ")
            if job and index.isdigit():
                return cls("film", job, int(index))
        elif kind in KINDS and rest:
            return cls(kind, rest)
        return cls(RESYNC)

    @property
    def note(self) -> str:
        if self.kind == "film":
            return f"film {self.id} {self.film}"
        return f"{self.kind} {self.id}" if self.id else self.kind

    def as_json(self) -> str:
        data: dict[str, object] = {"kind": self.kind}
        if self.id:
            data["id"] = self.id
        if self.film is not None:
            data["film"] = self.film
        return json.dumps(data)


def note(kind: str, ident: str, film: int | None = None) -> str:
    """The text of a note (what the spool NOTIFYs), at most a few hundred bytes."""
    return Change(kind, ident[:200], film).note


class TooManyStreams(RuntimeError):
    """More consoles than the server keeps streams for (``Changes.max_streams``)."""


class Subscription:
    """One stream's backlog: notes wait here until the stream writes them."""

    def __init__(self, hub: Changes, backlog: int):
        self.hub = hub
        self.backlog = backlog
        self.pending: list[Change] = []
        self.ready = asyncio.Event()
        self.closed = False

    def put(self, change: Change) -> None:
        if len(self.pending) >= self.backlog:
            self.pending = [Change(RESYNC)]  # coalesced: the console fetches everything
        elif change not in self.pending:
            self.pending.append(change)
        self.ready.set()

    async def next(self, timeout: float) -> list[Change] | None:
        """The notes that arrived (at once, as one batch), [] after ``timeout`` seconds
        with none, None once the hub is closed."""
        if not self.pending and not self.closed:
            self.ready.clear()
            try:
                await asyncio.wait_for(self.ready.wait(), timeout)
            except TimeoutError:
                return []
        if self.closed and not self.pending:
            return None
        batch, self.pending = self.pending, []
        return batch

    def close(self) -> None:
        self.hub.unsubscribe(self)


class Changes:
    """The hub: :meth:`publish` a note, :meth:`subscribe` for a stream of them.

    Used from the event loop's thread; a spool's listener (a thread) hands notes over
    with ``loop.call_soon_threadsafe(changes.publish_note, text)``."""

    def __init__(self, max_streams: int = 64, backlog: int = 256):
        self.max_streams = max_streams
        self.backlog = backlog
        self.streams: set[Subscription] = set()
        self.published = 0
        self.closed = False

    def publish(self, change: Change) -> None:
        self.published += 1
        for stream in self.streams:
            stream.put(change)

    def publish_note(self, text: str) -> Change:
        change = Change.parse(text)
        self.publish(change)
        return change

    def subscribe(self) -> Subscription:
        if self.closed:
            raise TooManyStreams("the server is stopping")
        if len(self.streams) >= self.max_streams:
            raise TooManyStreams(
                f"{len(self.streams)} consoles are following this server already"
                " (the limit); close one, or use another instance of the group"
            )
        stream = Subscription(self, self.backlog)
        self.streams.add(stream)
        return stream

    def unsubscribe(self, stream: Subscription) -> None:
        stream.closed = True
        stream.ready.set()
        self.streams.discard(stream)

    def close(self) -> None:
        """The server stops: every stream ends (browsers reconnect to whoever is up)."""
        self.closed = True
        for stream in list(self.streams):
            self.unsubscribe(stream)


async def stream(changes: Changes, keepalive: float = 15.0) -> AsyncIterator[bytes]:
    """The ``text/event-stream`` body: a ``hello`` (the console fetches the state once),
    then one ``change`` event per note, and a comment every ``keepalive`` seconds so a
    dead connection is noticed and proxies keep it open."""
    subscription = changes.subscribe()
    try:
        yield b'retry: 2000\nevent: hello\ndata: {"kind": "hello"}\n\n'
        while True:
            batch = await subscription.next(keepalive)
            if batch is None:
                return
            if not batch:
                yield b": keepalive\n\n"
                continue
            yield b"".join(
                b"event: change\ndata: " + change.as_json().encode() + b"\n\n" for change in batch
            )
    finally:
        subscription.close()
