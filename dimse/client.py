"""DIMSE over an open association: send requests, match responses, answer the peer.

:class:`DimseConnection` sits on a :class:`dul.net.UpperLayerConnection`. It reassembles
P-DATA into messages, hands each response to the request waiting for it (by Message
ID Being Responded To), and answers requests the peer sends us: on a print SCU's
association that is the printer's N-EVENT-REPORT, which may arrive at any moment,
even between our request and its response (PS3.4 H.4.6.2.1.2). Each request the peer
sends is answered by ``on_request``; without a handler it is answered by default
(Success for N-EVENT-REPORT and C-ECHO, "unrecognized operation" for anything else)
and put on :attr:`DimseConnection.requests` (the last 64) for the caller to see.

A request whose UIDs are not UIDs is answered with the failure status PS3.7 gives for
it (0122 for the SOP class, 0117 for the instance; see :meth:`dimse.messages.Request.invalid`)
without being handed to ``on_request``, and ``on_invalid_request`` hears of it.

A malformed message aborts the association (PS3.8 leaves the reason to the user: we
send the service-user abort) and every waiting request fails with the reason. So does
any exception raised while a message is handled (ours or a handler's): the association
ends at once, visibly, with a log line and the cause in :attr:`DimseConnection.ended`,
never a reader that stops unseen and leaves requests waiting for their timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from dimse.assembler import MessageAssembler, ReceiveBudget
from dimse.errors import DIMSEProtocolError
from dimse.message_ids import MessageIDAllocator
from dimse.messages import (
    CEchoRQ,
    CEchoRSP,
    Message,
    NEventReportRQ,
    Request,
    Response,
    fit_error_comment,
)
from dimse.outgoing import encode_message
from dimse.status import StatusCode
from dul.events import Aborted, PDataReceived, ReleaseConfirmed
from dul.net import (
    AssociationAbortedError,
    AssociationFailed,
    NetworkError,
    TimeoutExpired,
    UpperLayerConnection,
)

log = logging.getLogger("dimse.client")

_KEPT_REQUESTS = 64

RequestHandler = Callable[[int, Request], Awaitable[Response | None]]
InvalidRequestHandler = Callable[[int, Request, str], Awaitable[None]]


class AssociationEnded(AssociationFailed):
    """The association ended while a request was waiting for its response."""


class _Expired(Exception):
    """The DIMSE timeout ran out before the response (turned into TimeoutExpired)."""


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_exception(_Expired())


def default_response(request: Request) -> Response | None:
    """What an SCU answers to a request from the SCP it did not ask for.

    Success for N-EVENT-REPORT and C-ECHO, "unrecognized operation" for anything else,
    ``None`` for C-CANCEL (which has no response).
    """
    if request.RESPONSE is None:
        return None
    if isinstance(request, NEventReportRQ | CEchoRQ):
        return request.respond(StatusCode.SUCCESS)
    return request.respond(StatusCode.UNRECOGNIZED_OPERATION)


def describe(message: Message) -> str:
    """A message in a line for the ``dimse.client`` log (``hcs -v``): its PS3.7 name, the SOP
    class and instance it is about, its Message ID, and a response's status."""
    from dimse.status import describe_status
    from dimse.uids import uid_name

    parts = [message.NAME]
    sop_class = getattr(message, "affected_sop_class_uid", None) or getattr(
        message, "requested_sop_class_uid", None
    )
    if sop_class:
        parts.append(uid_name(sop_class))
    instance = getattr(message, "affected_sop_instance_uid", None) or getattr(
        message, "requested_sop_instance_uid", None
    )
    if instance:
        parts.append(instance)
    for field in ("action_type_id", "event_type_id"):
        value = getattr(message, field, None)
        if value is not None:
            parts.append(f"{field.replace('_id', '').replace('_', ' ')} {value}")
    if isinstance(message, Response):
        parts.append(f"for message {message.message_id_being_responded_to}:")
        parts.append(describe_status(message.status))
    else:
        parts.append(f"(message {message.message_id})")
    return " ".join(parts)


class DimseConnection:
    """Request/response DIMSE over one association, either role."""

    def __init__(
        self,
        upper_layer: UpperLayerConnection,
        *,
        dimse_timeout: float | None = None,
        on_request: RequestHandler | None = None,
        on_invalid_request: InvalidRequestHandler | None = None,
        max_message_bytes: int | None = None,
        budget: ReceiveBudget | None = None,
    ):
        self.upper_layer = upper_layer
        self.dimse_timeout = (
            dimse_timeout if dimse_timeout is not None else upper_layer.timeouts.dimse
        )
        self.on_request = on_request
        self.on_invalid_request = on_invalid_request
        self.requests: asyncio.Queue[tuple[int, Request]] = asyncio.Queue()
        self._assembler = MessageAssembler(max_message_bytes=max_message_bytes, budget=budget)
        self._waiting: dict[int, asyncio.Future] = {}
        self._ids = MessageIDAllocator()
        self._ended: Exception | None = None
        self._abort_reason: str | None = None
        self._reader = asyncio.get_running_loop().create_task(self._read_loop())

    @property
    def ended(self) -> Exception | None:
        """Why the association ended (``None`` while it is open): the error a request
        still waiting was failed with."""
        return self._ended

    @property
    def contexts(self):
        return self.upper_layer.contexts

    def context_for(self, abstract_syntax: str) -> int:
        """The accepted presentation context for a SOP class (or meta SOP class)."""
        for context in self.upper_layer.contexts.values():
            if context.accepted and context.abstract_syntax == abstract_syntax:
                return context.context_id
        raise KeyError(abstract_syntax)

    def next_message_id(self) -> int:
        return self._ids.allocate()

    async def send(self, context_id: int, message: Message) -> None:
        """Send one message; its command and data set leave in one gather write."""
        transfer_syntax = self.upper_layer.contexts[context_id].transfer_syntax
        command, dataset = encode_message(message, transfer_syntax)
        if log.isEnabledFor(logging.INFO):
            log.info("%s: sent %s", self.upper_layer.peer, describe(message))
        await self.upper_layer.send_message(context_id, command, dataset)

    async def request(
        self, context_id: int, message: Request, timeout: float | None = None
    ) -> Response:
        """Send a request and wait for its response (DIMSE timeout by default)."""
        if self._ended is not None:
            raise self._ended
        if self._abort_reason is not None:  # aborted; the reader has not wound up yet
            raise AssociationEnded(f"we aborted: {self._abort_reason}")
        message_id = message.message_id
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting[message_id] = future
        timer = None
        try:
            await self.send(context_id, message)
            timeout = self.dimse_timeout if timeout is None else timeout
            # One timer on the future itself: asyncio.wait_for(shield(...)) made two more
            # futures, a task-side waiter and their callbacks for every message.
            if timeout is not None:
                timer = loop.call_later(timeout, _expire, future)
            try:
                return await future
            except _Expired:
                raise TimeoutExpired(
                    f"no {message.NAME.replace('RQ', 'RSP')} from {self.upper_layer.peer} "
                    f"within {timeout:g} s"
                ) from None
        finally:
            if timer is not None:
                timer.cancel()
            self._waiting.pop(message_id, None)

    async def echo(self, timeout: float | None = None) -> CEchoRSP:
        """C-ECHO on the Verification context."""
        from dimse import uids

        context_id = self.context_for(uids.VERIFICATION)
        return await self.request(context_id, CEchoRQ(self.next_message_id()), timeout)

    async def release(self) -> None:
        """Release the association in order and stop reading."""
        await self.upper_layer.release()
        await self._stop_reader()

    def abort(self, reason: str | None = None) -> None:
        """A-ABORT now; requests still waiting fail with ``reason`` when one is given."""
        if reason is not None and self._abort_reason is None:
            self._abort_reason = reason
        self._abort_upper_layer(reason)

    def _abort_upper_layer(self, reason: str | None) -> None:
        upper = self.upper_layer
        if reason is not None and upper.ended_by is None:
            upper.ended_by = f"aborted: {reason}"
        upper.abort()

    async def close(self) -> None:
        await self.upper_layer.close()
        await self._stop_reader()

    async def _stop_reader(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def _read_loop(self) -> None:
        ended: Exception = AssociationEnded("the association ended")
        peer = self.upper_layer.peer
        try:
            while True:
                event = await self.upper_layer.next_event()
                if event is None:
                    ended = NetworkError(f"the connection to {peer} closed before the answer")
                    break
                if isinstance(event, Aborted):
                    ended = AssociationAbortedError(event)
                    break
                if isinstance(event, ReleaseConfirmed):
                    ended = AssociationEnded("the association was released")
                    break
                if isinstance(event, PDataReceived):
                    for value in event.values:
                        try:
                            received = self._assembler.feed(value)
                        except DIMSEProtocolError as error:
                            log.info("aborting the association with %s: %s", peer, error)
                            self._abort_upper_layer(str(error))
                            ended = AssociationEnded(f"we aborted: {error}")
                            return
                        if received is not None:
                            if log.isEnabledFor(logging.INFO):
                                log.info(
                                    "%s: received %s",
                                    self.upper_layer.peer,
                                    describe(received.message),
                                )
                            await self._dispatch(received.context_id, received.message)
                            self._assembler.settle()
        except asyncio.CancelledError:
            raise
        except NetworkError as error:  # a response could not be sent: the transport is gone
            ended = error
        except Exception as error:  # a bug here or in a handler: end the association, loudly
            log.error(
                "aborting the association with %s: %s while handling a message",
                peer,
                type(error).__name__,
                exc_info=True,
            )
            ended = AssociationEnded(
                f"we aborted: internal error handling a message ({type(error).__name__}: {error})"
            )
            self._abort_upper_layer(str(ended).removeprefix("we aborted: "))
        finally:
            self._assembler.close()
            if self._abort_reason is not None:
                ended = AssociationEnded(f"we aborted: {self._abort_reason}")
            ended.__traceback__ = None  # no frames (and their buffers) kept alive by it
            self._ended = ended
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(ended)

    async def _dispatch(self, context_id: int, message: Message) -> None:
        if isinstance(message, Response):
            future = self._waiting.get(message.message_id_being_responded_to)
            if future is not None and not future.done():
                future.set_result(message)
            else:
                log.warning(
                    "%s for message %d, which nobody is waiting for",
                    message.NAME,
                    message.message_id_being_responded_to,
                )
            return
        assert isinstance(message, Request)
        problem = message.invalid()
        if problem is not None:
            await self._refuse(context_id, message, *problem)
            return
        handler = self.on_request
        if handler is None:
            # Surfaced for a caller that has no handler; bounded, so an acceptor that
            # nobody reads from does not keep every image it was sent.
            if self.requests.qsize() >= _KEPT_REQUESTS:
                self.requests.get_nowait()
            self.requests.put_nowait((context_id, message))
            response = default_response(message)
        else:
            response = await handler(context_id, message)
        if response is not None:
            await self.send(context_id, response)

    async def _refuse(self, context_id: int, request: Request, status: int, reason: str) -> None:
        """Answer a request we cannot act on with ``status``; its bad UID is left out."""
        log.warning("%s from %s refused: %s", request.NAME, self.upper_layer.peer, reason)
        if request.RESPONSE is not None:
            response = request.respond(status, error_comment=fit_error_comment(reason))
            await self.send(context_id, response)
        if self.on_invalid_request is not None:
            await self.on_invalid_request(context_id, request, reason)
