"""asyncio transport for :class:`dul.association.Association`: sockets, timers, gather writes.

This is the only module of :mod:`dul` that does I/O. It owns the socket and the
timers and feeds the sans-I/O association object: received bytes go to
``receive_data``, the association's outgoing buffers go to ``socket.sendmsg`` as they
are (header bytes and memoryviews of the caller's pixel buffers, no join), and the
ARTIM timer is started and stopped as the association's flags say.

Timeouts (all finite by default, in seconds, see :class:`Timeouts`):

* ``connect``: TCP connection set-up, per address tried;
* ``association``: waiting for the A-ASSOCIATE-AC/RJ and the A-RELEASE-RP (PS3.8 §9.1.4
  Note 2 leaves these to the layer above the state machine, so they live here);
* ``artim``: the PS3.8 ARTIM timer (§9.1.5), configurable as the standard requires;
* ``dimse``: how long the layer above waits for one reply (used by :mod:`dimse`);
* ``idle``: how long an unused association is kept open by a pool (used by ``hcs``).

An acceptor (:class:`Acceptor`) adds two of its own, on by default and in
:class:`AcceptorSettings` (DCMTK's ``-ta``/``-td`` are the model): ``idle_timeout``, how
long an established association may pass with nothing received or sent, and
``pdu_read_timeout``, how long the rest of a PDU may take once its first bytes came.
Either ends the association with an A-ABORT (source 2), so a peer that goes quiet
cannot hold a slot for ever.

Every socket sets TCP_NODELAY: a message's command and data set leave in one write,
and nothing waits on Nagle's algorithm.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from dul.association import DEFAULT_AE_TITLE, DEFAULT_MAX_PDU_LENGTH, Association
from dul.codes import AbortReason, AbortSource, RejectResult, RejectSource
from dul.errors import LocalProtocolError
from dul.events import (
    Aborted,
    AssociationAccepted,
    AssociationRejected,
    AssociationRequested,
    Event,
    ReleaseConfirmed,
    ReleaseRequested,
)
from dul.items import PresentationContextRQ, RoleSelection, UserIdentityRQ
from dul.negotiation import Accept, AcceptorPolicy, NegotiatedContext, Reject, evaluate_request
from dul.pdu import AAssociateRQ, Buffer
from dul.tls import TLSClosed, TLSLayer

log = logging.getLogger("dul.net")

try:
    _IOV_MAX = os.sysconf("SC_IOV_MAX")
except (AttributeError, ValueError, OSError):  # pragma: no cover - platform without it
    _IOV_MAX = 1024
_RECEIVE_SIZE = 256 * 1024

# Linux's TCP_QUICKACK: acknowledge what arrived now, not when the delayed-ACK timer fires.
# A peer that leaves Nagle's algorithm on (DCMTK does unless TCP_NODELAY=1 is in its
# environment) and writes a PDU in two pieces holds the second piece until we acknowledge
# the first; delayed, that ACK cost 40 ms per message against storescp. The kernel drops
# the flag again by itself, so it is set after every read (one cheap system call).
_TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


@dataclass(frozen=True)
class Timeouts:
    """Seconds; see the module docstring for what each one bounds."""

    connect: float = 10.0
    association: float = 30.0
    artim: float = 30.0
    dimse: float = 30.0
    idle: float = 60.0


class NetworkError(Exception):
    """The transport failed: nothing listening, unreachable, reset, or a timeout."""


class TimeoutExpired(NetworkError):
    """A peer did not answer within the configured time."""


class AssociationFailed(Exception):
    """The peer refused or ended the association in DICOM terms."""


class AssociationRejectedError(AssociationFailed):
    def __init__(self, event: AssociationRejected):
        super().__init__(event.description)
        self.event = event


class AssociationAbortedError(AssociationFailed):
    def __init__(self, event: Aborted):
        super().__init__(event.description)
        self.event = event


class NoUsableContextError(AssociationFailed):
    """The peer accepted the association but none of the contexts we need."""

    def __init__(self, contexts: dict[int, NegotiatedContext]):
        reasons = "; ".join(c.description for c in contexts.values()) or "no context answered"
        super().__init__(f"the peer accepted no presentation context we proposed ({reasons})")
        self.contexts = contexts


def _tune(sock: socket.socket) -> None:
    sock.setblocking(False)
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class UpperLayerConnection:
    """One association running over one socket.

    Events from the peer are read with :meth:`next_event`. A release requested by the
    peer is answered at once (we never refuse one); the event is still delivered.
    """

    def __init__(
        self,
        association: Association,
        sock: socket.socket,
        timeouts: Timeouts,
        tls: TLSLayer | None = None,
    ):
        self.association = association
        self.tls = tls
        self.timeouts = timeouts
        self.peer = _peer_name(sock)
        self._sock = sock
        self._quickack = _TCP_QUICKACK is not None and sock.family in (
            socket.AF_INET,
            socket.AF_INET6,
        )
        self._loop = asyncio.get_running_loop()
        self._events: asyncio.Queue[Event | None] = asyncio.Queue()
        self._write_lock = asyncio.Lock()
        self._artim_handle: asyncio.TimerHandle | None = None
        self._artim_generation = -1
        self._closed = False
        self._abort: Aborted | None = None
        self._receive_buffer = bytearray(_RECEIVE_SIZE)
        self._receive_view = memoryview(self._receive_buffer)
        self._read_waiter: asyncio.Future | None = None
        self._reading = False
        self.read_rate: float | None = None
        """Bytes per second this side reads at (``None``: as fast as they come); see
        :meth:`set_read_rate`."""
        self.idle_timeout: float | None = None
        self.pdu_read_timeout: float | None = None
        self.ended_by: str | None = None
        """How the association ended, in words (``released``, ``aborted: ...``), once known."""
        self.number = 0
        """The acceptor's count of this connection (from 1); 0 for a requestor."""
        self._last_activity = self._loop.time()
        self._watchdog: asyncio.TimerHandle | None = None
        self._reader = self._loop.create_task(self._read_loop())
        self.finished = asyncio.Event()

    # ------------------------------------------------------------------ public
    @property
    def contexts(self) -> dict[int, NegotiatedContext]:
        return self.association.contexts

    @property
    def is_open(self) -> bool:
        """The transport is still open."""
        return not self._closed

    @property
    def is_established(self) -> bool:
        return self.association.is_established

    async def next_event(self, timeout: float | None = None) -> Event | None:
        """The next indication from the peer; ``None`` once the transport has closed.

        Raises :class:`TimeoutExpired` after ``timeout`` seconds (``None``: wait forever).
        """
        if not self._events.empty():  # what Queue.get() would return, without a wait_for
            return self._events.get_nowait()
        try:
            return await asyncio.wait_for(self._events.get(), timeout)
        except TimeoutError:
            raise TimeoutExpired(f"no answer from {self.peer} within {timeout:g} s") from None

    async def send_message(
        self, context_id: int, command: Buffer, dataset: Sequence[Buffer] = ()
    ) -> None:
        """Send one DIMSE message (command and data set) in one gather write."""
        if self.association.state not in ("Sta6", "Sta8"):
            raise self._gone()
        self.association.send_message(context_id, command, dataset)
        await self.flush()

    async def release(self) -> None:
        """Release in order: send A-RELEASE-RQ, wait for the A-RELEASE-RP (or the end)."""
        if self.association.state != "Sta6":
            await self.close()
            return
        self.association.release()
        await self.flush()
        deadline = self._loop.time() + self.timeouts.association
        try:
            while True:
                event = await self.next_event(max(0.0, deadline - self._loop.time()))
                if event is None or isinstance(event, ReleaseConfirmed | Aborted):
                    break
        except TimeoutExpired:
            log.warning("no A-RELEASE-RP from %s; aborting", self.peer)
            self.abort()
        await self.close()

    def set_read_rate(self, rate: float | None) -> None:
        """Read at most ``rate`` bytes per second from now on (``None``: no limit).

        The socket's receive buffer is made small too, so the peer's writes back up as
        they would against a slow device (the virtual printer's ``slow_read`` fault).
        """
        self.read_rate = rate
        if rate is not None:
            with contextlib.suppress(OSError):
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)

    def set_timeouts(self, idle: float | None, pdu_read: float | None) -> None:
        """Abort the association after ``idle`` seconds with nothing received or sent
        while it is established, or ``pdu_read`` seconds waiting for the rest of a PDU
        whose first bytes came (``None``: no limit)."""
        self.idle_timeout, self.pdu_read_timeout = idle, pdu_read
        self._arm_watchdog()

    def abort(self, source: int = AbortSource.SERVICE_USER, reason: int = 0) -> None:
        """A-ABORT with ``source`` and ``reason`` (PS3.8 Table 9-26; the default is the
        service-user's), then close the transport without waiting."""
        if self._closed:
            return
        if self.ended_by is None:
            self.ended_by = f"aborted by us (source {source}, reason {reason})"
        try:
            self.association.abort(source, reason)
        except LocalProtocolError:  # nothing to abort in this state: just close
            self._close_transport()
            return
        pieces = self.association.data_to_send()
        with contextlib.suppress(OSError):
            if pieces:
                self._sock.send(b"".join(bytes(p) for p in pieces))  # a 10-byte PDU
        self._close_transport()

    def drop(self, data: bytes, why: str) -> None:
        """Write ``data`` as it is, past the state machine, and close the transport.

        For fault injection only: a peer that dies halfway through a PDU. ``why`` is
        kept as :attr:`ended_by`.
        """
        if self._closed:
            return
        self.ended_by = self.ended_by or why
        with contextlib.suppress(OSError):
            self._sock.send(data)
            self._sock.shutdown(socket.SHUT_RDWR)
        self._close_transport()

    async def close(self) -> None:
        """Close the transport and wait for the reader to finish."""
        self._close_transport()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    # ------------------------------------------------------------ the plumbing
    async def flush(self) -> None:
        """Write what the association has queued (an A-ASSOCIATE-AC/RJ, a P-DATA-TF)."""
        async with self._write_lock:
            pieces = self.association.data_to_send()
            if pieces and not self._closed:
                await self._write_all(pieces)
                self._last_activity = self._loop.time()
        self._after_input()

    async def _write_all(self, pieces: list[Buffer]) -> None:
        if self.tls is not None:
            pieces = [self.tls.encrypt(pieces)]
        # Pieces are bytes or memoryviews cast to "B" (frame_message makes them so). We
        # step an index through them rather than pop(0): a 16 MiB message in 16 KiB PDUs
        # is 2000 pieces, of which the kernel takes a few hundred kilobytes per call.
        views = list(pieces)
        first = 0
        while first < len(views):
            try:
                sent = self._sock.sendmsg(views[first : first + _IOV_MAX])
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError as error:
                self._close_transport()
                raise NetworkError(f"cannot send to {self.peer}: {error.strerror}") from None
            while first < len(views):  # drop what went, empty pieces included
                size = len(views[first])
                if sent < size:
                    if sent:
                        views[first] = memoryview(views[first])[sent:]
                    break
                sent -= size
                first += 1
            if first < len(views):
                await self._writable()

    async def _write_raw(self, data: bytes) -> None:
        tls, self.tls = self.tls, None
        try:
            await self._write_all([data])
        finally:
            self.tls = tls

    async def _writable(self) -> None:
        future = self._loop.create_future()
        fd = self._sock.fileno()
        if fd < 0:
            raise NetworkError(f"the connection to {self.peer} is closed")
        self._loop.add_writer(fd, lambda: future.done() or future.set_result(None))
        try:
            await future
        finally:
            self._loop.remove_writer(fd)

    async def _receive(self) -> int:
        """Read what has arrived into the reused buffer (waiting for it); 0 at the end.

        With :attr:`read_rate` set, at most a twentieth of a second's worth is read, and
        the read takes as long as that many bytes take at the rate.
        """
        rate = self.read_rate
        target = self._receive_view
        if rate is not None:
            target = target[: max(64, min(_RECEIVE_SIZE, int(rate / 20)))]
        while True:
            try:
                count = self._sock.recv_into(target)
            except (BlockingIOError, InterruptedError):
                pass
            else:
                if rate is not None and count:
                    await asyncio.sleep(count / rate)
                return count
            # The socket stays registered with epoll between reads: sock_recv_into
            # registered and unregistered it (two system calls and the selector's
            # bookkeeping) for every message it waited for.
            waiter = self._loop.create_future()
            self._read_waiter = waiter
            if not self._reading:
                self._loop.add_reader(self._sock.fileno(), self._on_readable)
                self._reading = True
            try:
                await waiter
            finally:
                self._read_waiter = None

    def _on_readable(self) -> None:
        waiter = self._read_waiter
        if waiter is None:  # nobody is reading now: epoll (level-triggered) would repeat
            self._loop.remove_reader(self._sock.fileno())
            self._reading = False
        elif not waiter.done():
            waiter.set_result(None)

    async def _read_loop(self) -> None:
        try:
            while not self._closed:
                try:
                    count = await self._receive()
                except (ConnectionError, OSError):
                    count = 0
                # A copy of what arrived, out of one buffer reused for every read: a fresh
                # 256 KiB buffer per read (sock_recv) made malloc grow and trim the heap
                # each time, and the kernel then wrote into newly faulted, zeroed pages.
                data = self._receive_view[:count].tobytes()
                self._last_activity = self._loop.time()
                if data and self._quickack:
                    with contextlib.suppress(OSError):
                        self._sock.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)
                if data and self.tls is not None:
                    try:
                        data = self.tls.decrypt(data) or None
                    except (TLSClosed, ssl.SSLError):
                        data = b""
                    pending = self.tls.pending_output()
                    if pending:
                        async with self._write_lock:
                            await self._write_raw(pending)
                    if data is None:
                        continue
                if not data:
                    self._deliver(self.association.transport_closed())
                    break
                self._deliver(self.association.receive_data(data))
                await self.flush()
                if self.association.close_requested:
                    break
        except NetworkError:
            pass
        finally:
            self._close_transport()
            self._events.put_nowait(None)
            self.finished.set()

    # The watchdog: one timer, re-armed when it fires, never on the read path (a read
    # only notes the time). It fires at most every min(idle, pdu_read) seconds.
    def _arm_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        limits = [t for t in (self.idle_timeout, self.pdu_read_timeout) if t is not None]
        if limits and not self._closed:
            self._watchdog = self._loop.call_later(min(limits), self._on_watchdog)

    def _on_watchdog(self) -> None:
        self._watchdog = None
        if self._closed:
            return
        quiet = self._loop.time() - self._last_activity
        association = self.association
        if association.receiving_pdu and self.pdu_read_timeout is not None:
            limit, what = self.pdu_read_timeout, "the rest of a PDU"
        elif association.is_established and self.idle_timeout is not None:
            limit, what = self.idle_timeout, "anything (idle association)"
        else:
            limit = None
        if limit is not None and quiet >= limit:
            why = f"no {what} from {self.peer} within {limit:g} s"
            log.info("aborting: %s", why)
            self.ended_by = f"aborted: {why}"
            self._deliver([Aborted(AbortSource.SERVICE_PROVIDER, 0, "local", why)])
            self.abort(AbortSource.SERVICE_PROVIDER, AbortReason.NOT_SPECIFIED)
            return
        limits = [t for t in (self.idle_timeout, self.pdu_read_timeout) if t is not None]
        delay = min(limits)
        if limit is not None:
            delay = min(delay, limit - quiet)
        self._watchdog = self._loop.call_later(max(0.05, delay), self._on_watchdog)

    def _gone(self) -> Exception:
        """The error for using an association that no longer exists."""
        if self._abort is not None:
            return AssociationAbortedError(self._abort)
        return NetworkError(f"the connection to {self.peer} is closed")

    def _deliver(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, Aborted):
                self._abort = event
                if self.ended_by is None:
                    self.ended_by = f"aborted: {event.description}"
            if isinstance(event, ReleaseRequested):
                self.association.release_response()
                if self.ended_by is None:
                    self.ended_by = "released"
            self._events.put_nowait(event)

    def _after_input(self) -> None:
        association = self.association
        if association.artim_running:
            if association.artim_generation != self._artim_generation:
                if self._artim_handle is not None:
                    self._artim_handle.cancel()
                self._artim_generation = association.artim_generation
                self._artim_handle = self._loop.call_later(
                    self.timeouts.artim, self._on_artim, association.artim_generation
                )
        elif self._artim_handle is not None:
            self._artim_handle.cancel()
            self._artim_handle = None
        if association.close_requested:
            self._close_transport()

    def _on_artim(self, generation: int) -> None:
        if generation != self.association.artim_generation or self._closed:
            return
        self._artim_handle = None
        self._deliver(self.association.artim_expired())
        self._after_input()

    def _close_transport(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._artim_handle is not None:
            self._artim_handle.cancel()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self.association.state != "Sta1":
            self.association.transport_closed()
        fd = self._sock.fileno()
        if fd >= 0:
            self._loop.remove_reader(fd)
            self._loop.remove_writer(fd)
        self._reading = False
        with contextlib.suppress(OSError):
            self._sock.close()
        if self._reader is not asyncio.current_task() and not self._reader.done():
            self._reader.cancel()


def _peer_name(sock: socket.socket) -> str:
    try:
        address = sock.getpeername()
    except OSError:
        return "the peer"
    if isinstance(address, tuple):
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return str(address) or "the peer"


def _numeric_address(host: str, port: int) -> list[tuple] | None:
    """``getaddrinfo``'s answer for an IPv4 or IPv6 literal, without asking the resolver.

    The event loop resolves in a worker thread; for ``127.0.0.1`` that thread hand-off
    was a measurable part of a film's CPU. Names, and addresses with a scope, still go
    through ``getaddrinfo``.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return None
        return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port, 0, 0))]
    return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))]


async def open_socket(host: str, port: int, timeout: float) -> socket.socket:
    """Resolve ``host`` by the platform and connect to the first address that answers."""
    loop = asyncio.get_running_loop()
    try:
        infos = _numeric_address(host, port) or await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
        )
    except TimeoutError:
        raise TimeoutExpired(f"resolving {host} took more than {timeout:g} s") from None
    except socket.gaierror as error:
        raise NetworkError(f"cannot resolve host {host!r}: {error.strerror}") from None
    last_error = "no address"
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
        _tune(sock)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, address), timeout)
            return sock
        except TimeoutError:
            sock.close()
            last_error = f"no answer within {timeout:g} s"
        except ConnectionRefusedError:
            sock.close()
            last_error = "connection refused (nothing listens on that port)"
        except OSError as error:
            sock.close()
            last_error = error.strerror or str(error)
    raise NetworkError(f"cannot connect to {host}:{port}: {last_error}")


async def connect(
    host: str,
    port: int,
    *,
    called_ae_title: str,
    contexts: Sequence[PresentationContextRQ],
    calling_ae_title: str = DEFAULT_AE_TITLE,
    max_pdu_length: int = DEFAULT_MAX_PDU_LENGTH,
    timeouts: Timeouts | None = None,
    role_selections: Sequence[RoleSelection] = (),
    user_identity: UserIdentityRQ | None = None,
    tls_context: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
) -> UpperLayerConnection:
    """Open an association as requestor.

    Returns once the peer has accepted at least one proposed context. A rejection, an
    abort, or an acceptance of no context raises :class:`AssociationFailed` (after
    releasing in order in the last case); network trouble and silence raise
    :class:`NetworkError`.
    """
    timeouts = timeouts or Timeouts()
    association = Association("requestor", ae_title=calling_ae_title, max_pdu_length=max_pdu_length)
    association.request(
        called_ae_title,
        contexts,
        role_selections=role_selections,
        user_identity=user_identity,
    )
    try:
        sock = await open_socket(host, port, timeouts.connect)
    except NetworkError:
        association.transport_closed()
        raise
    tls = None
    if tls_context is not None:
        tls = TLSLayer(tls_context, server_side=False, server_hostname=server_hostname or host)
        try:
            await tls.handshake(sock, timeouts.connect)
        except TimeoutError:
            sock.close()
            association.transport_closed()
            raise TimeoutExpired(f"TLS set-up with {host}:{port} took too long") from None
        except (ssl.SSLError, OSError) as error:
            sock.close()
            association.transport_closed()
            raise NetworkError(f"TLS set-up with {host}:{port} failed: {error}") from None
    association.transport_connected()
    connection = UpperLayerConnection(association, sock, timeouts, tls)
    try:
        await connection.flush()
        event = await connection.next_event(timeouts.association)
    except NetworkError:
        connection.abort()
        await connection.close()
        raise
    if isinstance(event, AssociationAccepted):
        if not event.accepted_contexts:
            await connection.release()
            raise NoUsableContextError(event.contexts)
        return connection
    await connection.close()
    if isinstance(event, AssociationRejected):
        raise AssociationRejectedError(event)
    if isinstance(event, Aborted):
        raise AssociationAbortedError(event)
    raise NetworkError(f"{host}:{port} closed the connection before answering the association")


AssociationHandler = Callable[[UpperLayerConnection], Awaitable[None]]
Decision = Accept | Reject
Decide = Callable[[UpperLayerConnection, AAssociateRQ, Decision], Awaitable[Decision]]
"""``decide(connection, request, proposal)``: the answer to an A-ASSOCIATE-RQ.

``proposal`` is what the acceptor would answer by itself (its policy, or a transient
"local limit exceeded" rejection when ``max_associations`` are open); return it, or
another :class:`~dul.negotiation.Accept` (contexts refused, a smaller ``max_pdu_length``)
or :class:`~dul.negotiation.Reject` (any result, source and reason). ``connection`` may
be configured here too (:meth:`UpperLayerConnection.set_read_rate`).
"""
Ended = Callable[[UpperLayerConnection, str], None]
"""``ended(connection, how)``: called once for every connection, accepted or not, after
it closed; ``how`` is :attr:`UpperLayerConnection.ended_by` or what happened before an
association existed (``no A-ASSOCIATE-RQ within ARTIM``, ``rejected``, ...)."""

LOCAL_LIMIT_EXCEEDED = Reject(RejectResult.TRANSIENT, RejectSource.SERVICE_PROVIDER_PRESENTATION, 2)


@dataclass
class AcceptorSettings:
    """How an :class:`Acceptor` answers and how long it waits (seconds, ``None``: for ever).

    ``decide`` and ``ended`` are the hooks a server uses to make per-association
    decisions and to keep records; both are optional.
    """

    policy: AcceptorPolicy
    ae_title: str = "HCS"
    max_pdu_length: int = DEFAULT_MAX_PDU_LENGTH
    timeouts: Timeouts = Timeouts()
    tls_context: ssl.SSLContext | None = None
    decide: Decide | None = None
    ended: Ended | None = None
    max_associations: int | None = None
    idle_timeout: float | None = 120.0
    pdu_read_timeout: float | None = 30.0


class Acceptor:
    """Accepts associations on one listening socket and runs ``handler`` for each.

    For every connection: wait for the A-ASSOCIATE-RQ (ARTIM), ask ``decide``, send the
    A-ASSOCIATE-AC or -RJ, run ``handler`` on an accepted association, close, and tell
    ``ended``. An exception in ``handler`` aborts that association with a log line; it
    never reaches the accept loop, so one peer cannot stop the others.
    """

    def __init__(self, settings: AcceptorSettings, handler: AssociationHandler):
        self.settings = settings
        self.handler = handler
        self.port = 0
        self.connections: dict[int, UpperLayerConnection] = {}
        self._count = 0
        self._listener: socket.socket | None = None
        self._accepting: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    async def listen(self, host: str, port: int) -> int:
        """Bind and start accepting; returns the port (``port`` 0 picks a free one)."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        listener = socket.socket(family, kind, proto)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(address)
        except OSError as error:
            listener.close()
            raise NetworkError(f"cannot listen on {host}:{port}: {error.strerror}") from None
        listener.listen(128)
        listener.setblocking(False)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._accepting = loop.create_task(self._accept_loop())
        return self.port

    @property
    def idle(self) -> bool:
        """No connection is open."""
        return not self._tasks

    async def wait_idle(self) -> None:
        await self._idle.wait()

    async def stop_accepting(self) -> None:
        if self._accepting is not None:
            self._accepting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._accepting
            self._accepting = None

    async def close(self, grace: float = 10.0, why: str = "aborted: the acceptor stopped") -> None:
        """Stop accepting, abort every open association, wait ``grace`` for them to end."""
        await self.stop_accepting()
        for connection in list(self.connections.values()):
            connection.ended_by = connection.ended_by or why
            connection.abort()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)
        for task in list(self._tasks):
            task.cancel()

    async def _accept_loop(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    sock, _ = await loop.sock_accept(self._listener)
                except OSError as error:  # EMFILE and friends: wait, do not spin or die
                    log.warning("cannot accept a connection: %s", error)
                    await asyncio.sleep(0.1)
                    continue
                _tune(sock)
                self._count += 1
                task = loop.create_task(self._serve_one(sock, self._count))
                self._tasks.add(task)
                self._idle.clear()
                task.add_done_callback(self._task_done)
        finally:
            self._listener.close()

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    async def _serve_one(self, sock: socket.socket, number: int) -> None:
        settings = self.settings
        association = Association(
            "acceptor", ae_title=settings.ae_title, max_pdu_length=settings.max_pdu_length
        )
        tls = None
        if settings.tls_context is not None:
            tls = TLSLayer(settings.tls_context, server_side=True)
            try:
                await tls.handshake(sock, settings.timeouts.artim)
            except (TimeoutError, ssl.SSLError, OSError) as error:
                log.warning("TLS set-up failed: %s", error)
                sock.close()
                return
        association.transport_indication()
        connection = UpperLayerConnection(association, sock, settings.timeouts, tls)
        connection.number = number
        self.connections[number] = connection
        connection._after_input()  # start ARTIM while we wait for the A-ASSOCIATE-RQ
        how = "connection closed"
        try:
            how = await self._associate(connection)
            if how == "accepted":
                connection.set_timeouts(settings.idle_timeout, settings.pdu_read_timeout)
                await self.handler(connection)
                how = connection.ended_by or "connection closed"
        except NetworkError as error:  # the peer went away while we wrote: nothing of ours
            log.info("association from %s: %s", connection.peer, error)
            how = connection.ended_by or f"connection lost: {error}"
        except Exception as error:  # one broken association must never take the server down
            log.exception("association from %s failed", connection.peer)
            connection.ended_by = f"aborted: internal error ({type(error).__name__})"
            connection.abort()
            how = connection.ended_by
        finally:
            await connection.close()
            self.connections.pop(number, None)
            if settings.ended is not None:
                try:
                    settings.ended(connection, how)
                except Exception:
                    log.exception("the ended hook failed for %s", connection.peer)

    async def _associate(self, connection: UpperLayerConnection) -> str:
        """Wait for the A-ASSOCIATE-RQ and answer it; ``accepted`` or what happened."""
        settings, association = self.settings, connection.association
        try:
            event = await connection.next_event(settings.timeouts.artim)
        except TimeoutExpired:
            return "no A-ASSOCIATE-RQ within ARTIM"
        if isinstance(event, Aborted) and event.initiator == "local":
            return f"aborted: {event.description}"  # garbage where the RQ should be
        if not isinstance(event, AssociationRequested):
            return "closed before asking for an association"
        rq = event.request
        if (
            settings.max_associations is not None
            and len(self.connections) > settings.max_associations
        ):
            decision: Decision = LOCAL_LIMIT_EXCEEDED
        else:
            decision = evaluate_request(
                rq.called_ae_title,
                rq.calling_ae_title,
                rq.application_context,
                rq.presentation_contexts,
                settings.policy,
            )
        if settings.decide is not None:
            decision = await settings.decide(connection, rq, decision)
        if association.state != "Sta3":  # the peer closed or sent garbage meanwhile
            return connection.ended_by or "closed before the answer"
        if isinstance(decision, Accept):
            if decision.max_pdu_length is not None:
                association.max_pdu_length = decision.max_pdu_length
            association.accept(decision.contexts)
            await connection.flush()
            return "accepted"
        association.reject(decision.result, decision.source, decision.reason)
        await connection.flush()
        await connection.finished.wait()  # ARTIM bounds this (PS3.8 Sta13)
        return "rejected"


async def serve(
    host: str, port: int, settings: AcceptorSettings, handler: AssociationHandler
) -> tuple[asyncio.Task, int]:
    """Accept associations on ``host:port`` (port 0 picks a free one).

    Each accepted association is passed to ``handler``; returns a task (cancel it to
    stop accepting and abort what is open) and the port actually bound. An
    :class:`Acceptor` gives more control.
    """
    acceptor = Acceptor(settings, handler)
    bound = await acceptor.listen(host, port)

    async def run() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await acceptor.close(grace=1.0)

    return asyncio.get_running_loop().create_task(run()), bound
