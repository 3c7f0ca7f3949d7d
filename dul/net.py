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
from dul.negotiation import Accept, AcceptorPolicy, NegotiatedContext, evaluate_request
from dul.pdu import Buffer
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
        self._reader = self._loop.create_task(self._read_loop())
        self.finished = asyncio.Event()

    # ------------------------------------------------------------------ public
    @property
    def contexts(self) -> dict[int, NegotiatedContext]:
        return self.association.contexts

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
        await self._flush()

    async def release(self) -> None:
        """Release in order: send A-RELEASE-RQ, wait for the A-RELEASE-RP (or the end)."""
        if self.association.state != "Sta6":
            await self.close()
            return
        self.association.release()
        await self._flush()
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

    def abort(self) -> None:
        """A-ABORT (service-user source), then close the transport without waiting."""
        if self._closed:
            return
        self.association.abort()
        pieces = self.association.data_to_send()
        with contextlib.suppress(OSError):
            if pieces:
                self._sock.send(b"".join(bytes(p) for p in pieces))  # a 10-byte PDU
        self._close_transport()

    async def close(self) -> None:
        """Close the transport and wait for the reader to finish."""
        self._close_transport()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    # ------------------------------------------------------------ the plumbing
    async def _flush(self) -> None:
        async with self._write_lock:
            pieces = self.association.data_to_send()
            if pieces and not self._closed:
                await self._write_all(pieces)
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
        """Read what has arrived into the reused buffer (waiting for it); 0 at the end."""
        if not isinstance(self._loop, asyncio.BaseEventLoop):
            # A wrapped loop (the virtual printer's read-rate throttle) reads for us.
            return await self._loop.sock_recv_into(self._sock, self._receive_buffer)
        while True:
            try:
                return self._sock.recv_into(self._receive_buffer)
            except (BlockingIOError, InterruptedError):
                pass
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
                await self._flush()
                if self.association.close_requested:
                    break
        except NetworkError:
            pass
        finally:
            self._close_transport()
            self._events.put_nowait(None)
            self.finished.set()

    def _gone(self) -> Exception:
        """The error for using an association that no longer exists."""
        if self._abort is not None:
            return AssociationAbortedError(self._abort)
        return NetworkError(f"the connection to {self.peer} is closed")

    def _deliver(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, Aborted):
                self._abort = event
            if isinstance(event, ReleaseRequested):
                self.association.release_response()
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
        await connection._flush()
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


@dataclass
class AcceptorSettings:
    policy: AcceptorPolicy
    ae_title: str = "HCS"
    max_pdu_length: int = DEFAULT_MAX_PDU_LENGTH
    timeouts: Timeouts = Timeouts()
    tls_context: ssl.SSLContext | None = None


async def _serve_one(sock: socket.socket, settings: AcceptorSettings, handler) -> None:
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
    connection._after_input()  # start ARTIM while we wait for the A-ASSOCIATE-RQ
    try:
        event = await connection.next_event()
        if not isinstance(event, AssociationRequested):
            return
        rq = event.request
        decision = evaluate_request(
            rq.called_ae_title,
            rq.calling_ae_title,
            rq.application_context,
            rq.presentation_contexts,
            settings.policy,
        )
        if isinstance(decision, Accept):
            association.accept(decision.contexts)
            await connection._flush()
            await handler(connection)
        else:
            association.reject(decision.result, decision.source, decision.reason)
            await connection._flush()
            await connection.finished.wait()
    except Exception:  # one broken association must never take the server down
        log.exception("association from %s failed", connection.peer)
        connection.abort()
    finally:
        await connection.close()


async def serve(
    host: str, port: int, settings: AcceptorSettings, handler: AssociationHandler
) -> tuple[asyncio.Task, int]:
    """Accept associations on ``host:port`` (port 0 picks a free one).

    Each accepted association is passed to ``handler``; returns the accept task (cancel
    it to stop) and the port actually bound.
    """
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    listener = socket.socket(family, kind, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(address)
    listener.listen(128)
    listener.setblocking(False)
    bound_port = listener.getsockname()[1]
    tasks: set[asyncio.Task] = set()

    async def accept_loop() -> None:
        try:
            while True:
                sock, _ = await loop.sock_accept(listener)
                _tune(sock)
                task = loop.create_task(_serve_one(sock, settings, handler))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            listener.close()
            for task in list(tasks):
                task.cancel()

    return loop.create_task(accept_loop()), bound_port
