"""The virtual printer on the network: accepting associations, faults, Print Jobs, events.

This module owns the I/O. Each association gets its own :class:`PrintSession` (the
Annex H rules, sans-I/O), its own :class:`~hcs.vprinter.faults.FaultPlan` and its own
JSON record. It runs its own accept loop instead of :func:`dul.net.serve` because a
fault may need to decide, per association, whether to reject (with any
result/source/reason), which presentation contexts to refuse and what maximum PDU
length to announce; the Upper Layer machinery itself (:class:`dul.association.Association`,
:class:`dul.net.UpperLayerConnection`) is reused as it is.

An N-ACTION turns into a Print Job task: PENDING, PRINTING, then DONE (or FAILURE)
with an N-EVENT-REPORT at each step on the Print Job context when the SCU negotiated
one (PS3.4 H.4.5.2.1.2), rendering each film to PNG in a worker thread in between. The
job finishes even if the association ends first (H.5).

Start it in-process with :func:`start_virtual_printer` (tests) or from the command
line (``hcs vprinter``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from dimse import messages as m
from dimse import uids
from dimse.client import DimseConnection
from dimse.errors import DIMSEProtocolError
from dimse.outgoing import encode_message
from dimse.status import StatusCategory, describe_status, status_category
from dul.association import Association
from dul.events import Aborted, AssociationRequested, ReleaseRequested
from dul.items import PresentationContextAC
from dul.negotiation import Accept, AcceptorPolicy, evaluate_request
from dul.net import NetworkError, TimeoutExpired, Timeouts, UpperLayerConnection
from dul.pdu import AAbort, frame_message
from hcs.job import terms
from hcs.vprinter import personality, render
from hcs.vprinter.config import VirtualPrinterConfig
from hcs.vprinter.faults import ABSTRACT_SYNTAX_ALIASES, FaultPicker, FaultPlan, parse_fault
from hcs.vprinter.record import AssociationRecord, write_json
from hcs.vprinter.session import (
    COLOR_META,
    GRAY_META,
    FilmToPrint,
    PrintJob,
    PrintOrder,
    PrintSession,
    operation_of,
    sop_class_of,
    sop_instance_of,
)

log = logging.getLogger("hcs.vprinter")

_PRINTER_EVENTS = terms.PRINTER_EVENT_IDS
_JOB_EVENTS = terms.PRINT_JOB_EVENT_IDS
_MALFORMED_INSTANCE = "1.2.840.10008.5.1.1.x7"  # as long as PRINTER_INSTANCE, not a UID
_KEEP = 2000  # association and film summaries kept in memory (the files keep all)


class PrinterConnection(UpperLayerConnection):
    """An Upper Layer connection that can read slowly and remembers how it ended.

    ``read_rate`` (bytes per second, ``None`` = as fast as possible) throttles the
    reads from the socket, so a sender's writes back up as they would against a slow
    printer. It does so by handing the inherited read loop an event loop whose socket
    receive calls are rate-limited, so the read loop itself stays the Upper Layer's.
    """

    def __init__(self, association: Association, sock: socket.socket, timeouts: Timeouts):
        self.read_rate: float | None = None
        self.ended_by: str | None = None
        super().__init__(association, sock, timeouts)
        self._loop = _ThrottledLoop(self._loop, self)

    async def flush(self) -> None:
        """Write what the association has queued (A-ASSOCIATE-AC/RJ)."""
        await self._flush()

    async def next_event(self, timeout: float | None = None):
        event = await super().next_event(timeout)
        if isinstance(event, Aborted) and self.ended_by is None:
            self.ended_by = f"aborted: {event.description}"
        elif isinstance(event, ReleaseRequested) and self.ended_by is None:
            self.ended_by = "released"
        return event


class _ThrottledLoop:
    """The running event loop, except that socket reads honour ``read_rate``."""

    def __init__(self, loop: asyncio.AbstractEventLoop, connection: PrinterConnection):
        self._real = loop
        self._connection = connection

    def __getattr__(self, name: str):
        return getattr(self._real, name)

    async def sock_recv(self, sock: socket.socket, size: int) -> bytes:
        rate = self._connection.read_rate
        if rate is None:
            return await self._real.sock_recv(sock, size)
        data = await self._real.sock_recv(sock, min(size, max(64, int(rate / 20))))
        await asyncio.sleep(len(data) / rate)
        return data

    async def sock_recv_into(self, sock: socket.socket, buffer) -> int:
        rate = self._connection.read_rate
        if rate is None:
            return await self._real.sock_recv_into(sock, buffer)
        view = memoryview(buffer)[: max(64, int(rate / 20))]
        count = await self._real.sock_recv_into(sock, view)
        await asyncio.sleep(count / rate)
        return count


@dataclasses.dataclass
class _Live:
    """One running association, as the printer keeps track of it."""

    number: int
    connection: PrinterConnection
    sock: socket.socket
    record: AssociationRecord
    plan: FaultPlan
    session: PrintSession | None = None
    dimse: DimseConnection | None = None
    requests: int = 0
    gone: bool = False


class VirtualPrinter:
    """A running virtual print SCP. Use :func:`start_virtual_printer` to get one."""

    def __init__(self, config: VirtualPrinterConfig):
        self.config = config
        self.port = 0
        self.jobs: dict[str, PrintJob] = {}
        self.associations: collections.deque[dict[str, Any]] = collections.deque(maxlen=_KEEP)
        self.films: collections.deque[dict[str, Any]] = collections.deque(maxlen=_KEEP)
        self.counters = collections.Counter()
        self._personality = personality.Behaviour(config.personalities)
        self._picker = FaultPicker(
            [*config.faults, *(parse_fault(t) for t in personality.fault_texts(config))],
            config.fault_seed,
        )
        self._listener: socket.socket | None = None
        self._accept_task: asyncio.Task | None = None
        self._live: dict[int, _Live] = {}
        self._tasks: set[asyncio.Task] = set()
        self._job_tasks: set[asyncio.Task] = set()
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vprinter-render")
        self._next_number = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._jobs_idle = asyncio.Event()
        self._jobs_idle.set()
        self._policy = AcceptorPolicy(_abstract_syntaxes(config), ae_title=config.ae_title)
        self._timeouts = Timeouts(artim=config.artim, dimse=config.dimse_timeout)
        if config.out is not None:
            (config.out / "films").mkdir(parents=True, exist_ok=True)
            (config.out / "associations").mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ control
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            self.config.host, self.config.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        family, kind, proto, _, address = infos[0]
        listener = socket.socket(family, kind, proto)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(address)
        except OSError as error:
            listener.close()
            raise NetworkError(
                f"cannot listen on {self.config.host}:{self.config.port}: {error.strerror}"
            ) from None
        listener.listen(128)
        listener.setblocking(False)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._accept_task = loop.create_task(self._accept_loop())
        log.info(
            "%s listening on %s:%d (%s)",
            self.config.ae_title,
            self.config.host,
            self.port,
            ", ".join(k for k, v in self.config.classes.items() if v),
        )

    async def stop(self, grace: float = 10.0) -> None:
        """Stop accepting, abort the associations still open, let Print Jobs finish."""
        if self._accept_task is not None:
            self._accept_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._accept_task
            self._accept_task = None
        for live in list(self._live.values()):
            live.connection.ended_by = live.connection.ended_by or "aborted: the printer stopped"
            live.connection.abort()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)
        if self._job_tasks:
            await asyncio.wait(list(self._job_tasks), timeout=grace)
        for task in [*self._tasks, *self._job_tasks]:
            task.cancel()
        self._executor.shutdown(wait=True)

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until no association is open and no Print Job is running."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def wait_jobs(self, timeout: float = 30.0) -> None:
        """Wait until every Print Job (and every event being sent) has finished."""
        await asyncio.wait_for(self._jobs_idle.wait(), timeout)

    def _busy_changed(self) -> None:
        for event, busy in (
            (self._idle, self._tasks or self._job_tasks),
            (self._jobs_idle, self._job_tasks),
        ):
            if busy:
                event.clear()
            else:
                event.set()

    def _track(self, task: asyncio.Task, tasks: set[asyncio.Task]) -> None:
        tasks.add(task)
        self._busy_changed()

        def done(finished: asyncio.Task) -> None:
            tasks.discard(finished)
            self._busy_changed()

        task.add_done_callback(done)

    async def _accept_loop(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                sock, _ = await loop.sock_accept(self._listener)
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._next_number += 1
                task = loop.create_task(self._association(sock, self._next_number))
                self._track(task, self._tasks)
        finally:
            self._listener.close()

    # -------------------------------------------------------------- association
    async def _association(self, sock: socket.socket, number: int) -> None:
        config = self.config
        association = Association(
            "acceptor", ae_title=config.ae_title, max_pdu_length=config.max_pdu
        )
        association.transport_indication()
        connection = PrinterConnection(association, sock, self._timeouts)
        record = AssociationRecord(number, connection.peer)
        live = _Live(number, connection, sock, record, FaultPlan([]))
        self._live[number] = live
        self.counters["connections"] += 1
        try:
            try:
                event = await connection.next_event(config.artim)
            except TimeoutExpired:
                record.finish("no A-ASSOCIATE-RQ within ARTIM")
                return
            if not isinstance(event, AssociationRequested):
                record.finish("closed before asking for an association")
                return
            if await self._negotiate(live, event):
                await self._serve(live)
                record.finish(connection.ended_by or "connection closed")
            else:
                record.finish("rejected")
        except Exception:  # one broken association must never take the printer down
            log.exception("a%04d failed", number)
            connection.abort()
            record.finish("internal error")
        finally:
            await connection.close()
            if live.session is not None:
                live.session.close()
            self._personality.forget(number)
            self._live.pop(number, None)
            self._finish_record(live)

    async def _negotiate(self, live: _Live, event: AssociationRequested) -> bool:
        """Answer the A-ASSOCIATE-RQ; True when the association was accepted."""
        rq = event.request
        connection, record, config = live.connection, live.record, self.config
        plan = self._picker.pick(live.number, rq.calling_ae_title)
        live.plan = plan
        record.note("calling_ae", rq.calling_ae_title.strip())
        record.note("called_ae", rq.called_ae_title.strip())
        record.note("faults", plan.describe())
        if config.personalities:
            record.note("personalities", list(config.personalities))
        reject = plan.reject()
        if reject is None and len(self._live) > config.max_associations:
            reject = (2, 3, 2)  # transient, presentation provider, local limit exceeded
        decision = None
        if reject is None:
            decision = evaluate_request(
                rq.called_ae_title,
                rq.calling_ae_title,
                rq.application_context,
                rq.presentation_contexts,
                self._policy,
            )
            if not isinstance(decision, Accept):
                reject = (decision.result, decision.source, decision.reason)
        if reject is not None:
            connection.association.reject(*reject)
            await connection.flush()
            record.note(
                "result",
                {"rejected": {"result": reject[0], "source": reject[1], "reason": reject[2]}},
            )
            log.info(
                "a%04d %s -> A-ASSOCIATE-RJ result %d source %d reason %d",
                live.number,
                rq.calling_ae_title.strip(),
                *reject,
            )
            self.counters["rejected"] += 1
            with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
                await asyncio.wait_for(connection.finished.wait(), config.artim)
            live.gone = True
            return False
        answers = []
        for answer in decision.contexts:
            proposed = next(
                c for c in rq.presentation_contexts if c.context_id == answer.context_id
            )
            refusal = plan.context_result(proposed.abstract_syntax)
            if refusal is not None and answer.accepted:
                answer = PresentationContextAC(answer.context_id, refusal, "")
            answers.append(answer)
        max_pdu = plan.max_pdu()
        if max_pdu is not None:
            connection.association.max_pdu_length = max_pdu
            stream = getattr(connection.association, "_stream", None)
            if stream is not None:  # refuse larger PDUs than we announced, like a strict printer
                stream.max_pdata_length = max_pdu
        connection.association.accept(answers)
        await connection.flush()
        rate = plan.read_rate()
        if rate is not None:
            connection.read_rate = rate
            with contextlib.suppress(OSError):
                live.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        record.note("result", "accepted")
        record.note(
            "contexts",
            [
                {
                    "id": c.context_id,
                    "abstract_syntax": c.abstract_syntax,
                    "name": uids.uid_name(c.abstract_syntax),
                    "transfer_syntax": c.transfer_syntax,
                    "accepted": c.accepted,
                    "result": c.result,
                }
                for c in connection.contexts.values()
            ],
        )
        record.note(
            "max_pdu",
            {
                "ours": connection.association.max_pdu_length,
                "peer": connection.association.peer_max_pdu_length,
            },
        )
        accepted = [
            uids.uid_name(c.abstract_syntax) for c in connection.contexts.values() if c.accepted
        ]
        log.info(
            "a%04d %s -> accepted (%s)%s",
            live.number,
            rq.calling_ae_title.strip(),
            ", ".join(accepted) or "no context",
            f" faults: {'; '.join(plan.describe())}" if plan else "",
        )
        self.counters["accepted"] += 1
        return True

    async def _serve(self, live: _Live) -> None:
        connection, config = live.connection, self.config
        live.session = PrintSession(
            config,
            association=live.number,
            calling_ae=live.record.data["calling_ae"],
            contexts=connection.contexts,
            printer_status=live.plan.printer_status(),
            jobs=self.jobs,
        )

        async def on_request(context_id: int, request: m.Request):
            return await self._on_request(live, context_id, request)

        async def on_invalid_request(context_id: int, request: m.Request, reason: str):
            live.requests += 1
            live.record.event("in", context_id, request)
            live.record.happening(f"{request.NAME} refused: {reason}")
            log.info("a%04d %s refused: %s", live.number, request.NAME, reason)

        live.dimse = DimseConnection(
            connection,
            on_request=on_request,
            on_invalid_request=on_invalid_request,
            max_message_bytes=config.max_message_bytes,
            dimse_timeout=config.dimse_timeout,
        )
        self._events_at(live, "start")
        await connection.finished.wait()
        with contextlib.suppress(Exception):
            await live.dimse.close()
        ended = live.dimse.ended
        if ended is not None and str(ended).startswith("we aborted"):
            connection.ended_by = connection.ended_by or str(ended)

    def _events_at(self, live: _Live, moment: str, arg: Any = None) -> None:
        """Send the Printer events the fault plan has for ``moment`` (after this response)."""
        for kind, info in live.plan.events(moment, arg):
            self._printer_event_soon(live, kind, info)
        for _ in range(live.plan.bad_events(moment, arg)):
            task = asyncio.get_running_loop().create_task(self._malformed_event(live))
            self._track(task, self._job_tasks)

    # ----------------------------------------------------------------- requests
    async def _on_request(self, live: _Live, context_id: int, request: m.Request):
        live.requests += 1
        number = live.requests
        record, session = live.record, live.session
        context = live.connection.contexts.get(context_id)
        dataset = None
        misread = unreadable = False
        if (
            context is not None
            and context.transfer_syntax
            and getattr(request, "dataset", None) is not None
        ):
            misread = self._personality.misreads(context.transfer_syntax)
            try:
                dataset = request.decode_dataset(
                    self._personality.reading_syntax(context.transfer_syntax)
                )
                request = dataclasses.replace(request, dataset=dataset)
            except DIMSEProtocolError as error:
                unreadable = True
                record.happening("undecodable data set", detail=str(error))
        record.event("in", context_id, request, dataset)
        op, sop_class = operation_of(request), sop_class_of(request)
        action = live.plan.action(number, op, sop_class)
        for kind, info in live.plan.events("before", op):
            await self._printer_event(live, kind, info, wait=False)
        if action.kind == "abort":
            self._abort(live, action.abort_source, action.abort_reason)
            return None
        if action.kind == "stall":
            record.happening("stalled: no answer to this request (fault)")
            log.info("a%04d %s %s -> no answer (stall fault)", live.number, op, _short(sop_class))
            return None
        if action.delay:
            record.happening(f"answer delayed {action.delay:g} s (fault)")
            await asyncio.sleep(action.delay)
        before = self._personality.before(live.number, request)
        request = before.request
        if before.ending is None and misread and unreadable:
            before.ending = personality.Ending("close", "a data set it could not read")
        if before.ending is not None:
            self._end(live, before.ending)
            return None
        order = None
        spec = action.status
        if before.refusal is not None:
            code, comment, tag = before.refusal
            response = session.respond(request, code, comment=comment, tags=[tag])
        elif spec is not None and status_category(spec.params["code"]) == StatusCategory.FAILURE:
            response = session.respond(
                request,
                spec.params["code"],
                comment=spec.params["comment"],
                tags=[spec.params["element"]] if spec.params["element"] else None,
            )
        else:
            reply = session.handle(context_id, request)
            response, order = reply.response, reply.order
            if spec is not None and response is not None:
                changes: dict[str, Any] = {"status": spec.params["code"]}
                if spec.params["comment"]:
                    changes["error_comment"] = spec.params["comment"]
                if spec.params["element"]:
                    changes["offending_element"] = (spec.params["element"],)
                response = dataclasses.replace(response, **changes)
        if spec is not None:
            record.happening(f"status {spec.params['code']:04X} forced (fault)")
        response, ending = self._personality.after(request, response, misread)
        if ending is not None:
            order = None  # nothing was answered, so nothing prints
            self._end(live, ending)
            return None
        if action.kind == "drop":
            self._drop(live, context_id, response)
            return None
        if response is not None:
            record.event("out", context_id, response)
            self._log_operation(live, request, response)
        if order is not None:
            live.record.data["print_jobs"].append(order.job_uid)
            live.record.data["films"] += [f.film_id for f in order.films]
            task = asyncio.get_running_loop().create_task(self._run_job(live, order))
            self._track(task, self._job_tasks)
        self._events_at(live, "after", op)
        self._events_at(live, "message", number)
        return response

    def _log_operation(self, live: _Live, request: m.Message, response: m.Message) -> None:
        status = getattr(response, "status", 0)
        instance = sop_instance_of(response) or sop_instance_of(request) or ""
        comment = getattr(response, "error_comment", None)
        log.info(
            "a%04d %s %s %s -> %s%s",
            live.number,
            operation_of(request),
            _short(sop_class_of(request)),
            instance,
            describe_status(status),
            f" ({comment})" if comment else "",
        )

    def _abort(self, live: _Live, source: int, reason: int) -> None:
        """A-ABORT with the chosen source and reason, then close the connection."""
        live.record.happening("A-ABORT sent (fault)", source=source, reason=reason)
        log.info("a%04d -> A-ABORT source %d reason %d (fault)", live.number, source, reason)
        with contextlib.suppress(OSError):
            live.sock.send(AAbort(source, reason).encode())
        self._shutdown(live, "aborted by the printer (fault)")

    def _end(self, live: _Live, ending: personality.Ending) -> None:
        """A personality ends the association instead of answering."""
        if ending.how == "abort":
            live.record.happening("A-ABORT sent (personality)", detail=ending.why)
            log.info("a%04d -> A-ABORT (personality: %s)", live.number, ending.why)
            with contextlib.suppress(OSError):
                live.sock.send(AAbort(0, 0).encode())
            self._shutdown(live, f"aborted by the printer (personality: {ending.why})")
        else:
            live.record.happening("TCP closed (personality)", detail=ending.why)
            log.info("a%04d -> TCP closed (personality: %s)", live.number, ending.why)
            self._shutdown(live, f"closed by the printer (personality: {ending.why})")

    def _drop(self, live: _Live, context_id: int, response: m.Message | None) -> None:
        """Half of the response's first P-DATA-TF, then the TCP connection closes."""
        partial = b"\x04\x00\x00\x00\x00\x40"  # a P-DATA-TF header promising 64 bytes
        if response is not None:
            context = live.connection.contexts[context_id]
            command, pieces = encode_message(response, context.transfer_syntax)
            frames = frame_message(
                context_id, command, pieces, live.connection.association.peer_max_pdu_length
            )
            whole = b"".join(bytes(p) for p in frames)
            partial = whole[: max(7, len(whole) // 2)]
        live.record.happening("connection dropped mid-PDU (fault)", sent_bytes=len(partial))
        log.info("a%04d -> TCP dropped after %d bytes of a PDU (fault)", live.number, len(partial))
        with contextlib.suppress(OSError):
            live.sock.send(partial)
        self._shutdown(live, "dropped by the printer mid-PDU (fault)")

    def _shutdown(self, live: _Live, why: str) -> None:
        live.gone = True
        live.connection.ended_by = live.connection.ended_by or why
        with contextlib.suppress(OSError):
            live.sock.shutdown(socket.SHUT_RDWR)

    # ------------------------------------------------------------------- events
    def _event_context(self, live: _Live, sop_class: str) -> int | None:
        wanted = (
            (GRAY_META, COLOR_META, uids.PRINTER)
            if sop_class == uids.PRINTER
            else (uids.PRINT_JOB,)
        )
        for abstract_syntax in wanted:
            for context in live.connection.contexts.values():
                if context.accepted and context.abstract_syntax == abstract_syntax:
                    return context.context_id
        return None

    async def _malformed_event(self, live: _Live) -> None:
        """A Printer N-EVENT-REPORT whose Affected SOP Instance UID is not a UID (fault).

        Our encoder refuses such a UID, so the command is encoded with the real one and
        patched: the bytes a broken printer would send.
        """
        dimse = live.dimse
        context_id = self._event_context(live, uids.PRINTER)
        if dimse is None or context_id is None or live.gone or not live.connection.is_established:
            return
        request = m.NEventReportRQ(
            dimse.next_message_id(), uids.PRINTER, uids.PRINTER_INSTANCE, _PRINTER_EVENTS["WARNING"]
        )
        transfer_syntax = live.connection.contexts[context_id].transfer_syntax
        command, dataset = encode_message(request, transfer_syntax)
        command = command.replace(uids.PRINTER_INSTANCE.encode(), _MALFORMED_INSTANCE.encode())
        live.record.happening(
            "malformed N-EVENT-REPORT sent (fault)", affected_sop_instance_uid=_MALFORMED_INSTANCE
        )
        log.info("a%04d -> N-EVENT-REPORT with a malformed UID (fault)", live.number)
        with contextlib.suppress(Exception):
            await live.connection.send_message(context_id, command, dataset)

    def _printer_event_soon(self, live: _Live, kind: str, info: str) -> None:
        """Send a Printer event from a task of its own (after the current response)."""
        task = asyncio.get_running_loop().create_task(self._printer_event(live, kind, info, True))
        self._track(task, self._job_tasks)

    async def _printer_event(self, live: _Live, kind: str, info: str, wait: bool) -> None:
        """A Printer N-EVENT-REPORT (Table H.4-16, instance 1.2.840.10008.5.1.1.17)."""
        dataset = None
        if kind != "NORMAL":
            dataset = Dataset()
            dataset.PrinterStatusInfo = info
            dataset.PrinterName = self.config.printer.name
        await self._event(
            live, uids.PRINTER, uids.PRINTER_INSTANCE, _PRINTER_EVENTS[kind], dataset, wait
        )

    async def _event(
        self,
        live: _Live,
        sop_class: str,
        instance: str,
        event_type: int,
        dataset: Dataset | None,
        wait: bool = True,
    ) -> None:
        """Send one N-EVENT-REPORT. Returns once the request is queued on the association
        (so a response sent afterwards follows it on the wire); with ``wait`` also once
        its response arrived. Inside a request handler ``wait`` must be False: the
        handler runs on the reader that will deliver that response."""
        dimse = live.dimse
        context_id = self._event_context(live, sop_class)
        if dimse is None or context_id is None or live.gone or not live.connection.is_established:
            return
        request = m.NEventReportRQ(
            dimse.next_message_id(), sop_class, instance, event_type, dataset=dataset
        )
        live.record.event("out", context_id, request)
        sending = asyncio.get_running_loop().create_task(
            dimse.request(context_id, request, self.config.dimse_timeout)
        )
        await asyncio.sleep(0)  # let it frame and queue the request now
        answer = self._event_answer(live, context_id, sop_class, event_type, sending)
        if wait:
            await answer
        else:
            self._track(asyncio.get_running_loop().create_task(answer), self._job_tasks)

    async def _event_answer(self, live, context_id, sop_class, event_type, sending) -> None:
        try:
            response = await sending
        except Exception as error:  # the SCU went away or never answered: note it, go on
            live.record.happening("N-EVENT-REPORT not answered", detail=str(error))
            return
        live.record.event("in", context_id, response)
        log.info(
            "a%04d N-EVENT-REPORT %s event %d -> %s",
            live.number,
            _short(sop_class),
            event_type,
            describe_status(response.status),
        )

    # -------------------------------------------------------------- print jobs
    async def _run_job(self, live: _Live, order: PrintOrder) -> None:
        config = self.config
        status, info = live.session.printer_status
        job = PrintJob(
            uid=order.job_uid,
            association=live.number,
            priority=order.priority,
            originator=live.record.data["calling_ae"] or "",
            printer_name=config.printer.name,
            label=order.label,
            films=order.films,
        )
        self.jobs[job.uid] = job
        self.counters["print_jobs"] += 1
        try:
            await asyncio.sleep(0)  # after the N-ACTION response
            await self._job_event(live, job, "PENDING", "NORMAL")
            if config.print_time:
                await asyncio.sleep(config.print_time / 2)
            await self._job_event(live, job, "PRINTING", "NORMAL")
            if status == "FAILURE":
                results = [
                    self._film_summary(live, job, film, None, [], f"FAILURE: {info}")
                    for film in order.films
                ]
                if config.out is not None:
                    for result in results:
                        write_json(config.out / "films" / f"{result['film_id']}.json", result)
                self._keep(live, results)
                await self._job_event(live, job, "FAILURE", info)
                return
            loop = asyncio.get_running_loop()
            try:
                results = await loop.run_in_executor(
                    self._executor, self._print_films, live, job, order
                )
            except Exception:  # the printer failed: the SCU hears FAILURE
                log.exception("a%04d rendering failed", live.number)
                await self._job_event(live, job, "FAILURE", "PRINTER DOWN")
                return
            self._keep(live, results)
            if config.print_time:
                await asyncio.sleep(config.print_time / 2)
            await self._job_event(live, job, "DONE", "NORMAL")
        finally:
            self.jobs.pop(job.uid, None)  # Done/Failure was confirmed, or nobody can ask

    async def _job_event(self, live: _Live, job: PrintJob, status: str, info: str) -> None:
        job.status, job.info = status, info
        if status in ("DONE", "FAILURE"):
            self.counters[f"jobs_{status.lower()}"] += 1
        dataset = Dataset()
        dataset.ExecutionStatusInfo = info
        dataset.FilmSessionLabel = job.label
        dataset.PrinterName = job.printer_name
        await self._event(live, uids.PRINT_JOB, job.uid, _JOB_EVENTS[status], dataset)

    def _keep(self, live: _Live, results: list[dict[str, Any]]) -> None:
        for result in results:
            self.films.append(result)
            self.counters["films"] += 1
        log.info(
            "a%04d printed %s", live.number, ", ".join(r["film_id"] for r in results) or "nothing"
        )

    def _print_films(self, live: _Live, job: PrintJob, order: PrintOrder) -> list[dict[str, Any]]:
        """Render and write each film (runs in a worker thread)."""
        out, results = self.config.out, []
        for film in order.films:
            png_path, placed = None, []
            if self.config.png and out is not None:
                image, placed = render.render_film(
                    film, self.config.png_dpi, self.config.film.annotation_max_chars
                )
                png_path = out / "films" / f"{film.film_id}.png"
                image.save(png_path, format="PNG", compress_level=1)
            elif self.config.png:
                _, placed = render.render_film(film, self.config.png_dpi)
            if self.config.store_dicom and out is not None:
                self._store_boxes(film, out / "films")
            summary = self._film_summary(live, job, film, png_path, placed, "PRINTED")
            if out is not None:
                write_json(out / "films" / f"{film.film_id}.json", summary)
            results.append(summary)
        return results

    def _film_summary(
        self, live, job, film: FilmToPrint, png: Path | None, placed, status
    ) -> dict[str, Any]:
        placed_by_position = {p.position: p for p in placed}
        boxes = []
        for box in film.boxes:
            entry: dict[str, Any] = {
                "position": box.position,
                "uid": box.uid,
                "rect_mm": [
                    round(v, 3) for v in (box.box.x, box.box.y, box.box.width, box.box.height)
                ],
                "box_pixels": list(box.box.pixels(film.dpi)),
                "image": None,
            }
            if box.pixels is not None:
                entry["image"] = {
                    "columns": box.pixels.columns,
                    "rows": box.pixels.rows,
                    "photometric": box.pixels.photometric,
                    "bits_stored": box.pixels.bits_stored,
                    "polarity": box.polarity,
                    "magnification": box.magnification,
                    "smoothing": box.smoothing,
                    "requested_size_mm": box.requested_size_mm,
                    "fit": box.fit,
                }
            if box.position in placed_by_position:
                entry["placed"] = placed_by_position[box.position].as_json()
            boxes.append(entry)
        return {
            "film_id": film.film_id,
            "status": status,
            "association": live.number,
            "calling_ae": live.record.data["calling_ae"],
            "print_job": job.uid,
            "film_session": film.film_session_uid,
            "film_box": film.film_box_uid,
            "color": film.color,
            "copies": film.copies,
            "film_box_attributes": {k: _plain(v) for k, v in film.attrs.items()},
            "film_session_attributes": {k: _plain(v) for k, v in film.session_attrs.items()},
            "film_mm": [round(film.layout.width, 3), round(film.layout.height, 3)],
            "dpi": film.dpi,
            "png": png.name if png else None,
            "png_dpi": self.config.png_dpi,
            "boxes": boxes,
            "annotations": [{"position": p, "text": t} for p, t in film.annotations],
        }

    @staticmethod
    def _store_boxes(film: FilmToPrint, folder: Path) -> None:
        for box in film.boxes:
            if box.dataset is None:
                continue
            dataset = box.dataset.copy()
            dataset.file_meta = FileMetaDataset()
            dataset.file_meta.MediaStorageSOPClassUID = (
                uids.BASIC_COLOR_IMAGE_BOX if film.color else uids.BASIC_GRAYSCALE_IMAGE_BOX
            )
            dataset.file_meta.MediaStorageSOPInstanceUID = box.uid
            dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
            dataset.SOPClassUID = dataset.file_meta.MediaStorageSOPClassUID
            dataset.SOPInstanceUID = box.uid
            dataset.save_as(
                folder / f"{film.film_id}-box{box.position:02d}.dcm", enforce_file_format=True
            )

    def _finish_record(self, live: _Live) -> None:
        data = live.record.data
        self.associations.append(
            {k: data[k] for k in ("association", "calling_ae", "result", "end", "films", "faults")}
        )
        if self.config.out is not None:
            write_json(self.config.out / "associations" / f"{live.record.name}.json", data)
        log.info("a%04d ended: %s", live.number, data["end"])


def _abstract_syntaxes(config: VirtualPrinterConfig) -> dict[str, tuple[str, ...]]:
    syntaxes = (
        (uids.IMPLICIT_VR_LITTLE_ENDIAN,)
        if config.implicit_only
        else (uids.EXPLICIT_VR_LITTLE_ENDIAN, uids.IMPLICIT_VR_LITTLE_ENDIAN)
    )
    return {uid: syntaxes for name, uid in ABSTRACT_SYNTAX_ALIASES.items() if config.supports(name)}


def _short(sop_class: str | None) -> str:
    if sop_class is None:
        return "?"
    return uids.uid_name(sop_class).removesuffix(" SOP Class")


def _plain(value: Any) -> Any:
    if isinstance(value, int | float | str) or value is None:
        return value
    return str(value)


async def start_virtual_printer(config: VirtualPrinterConfig) -> VirtualPrinter:
    """Start a virtual printer in the running event loop; ``.port`` is the bound port,
    ``await .stop()`` ends it."""
    printer = VirtualPrinter(config)
    await printer.start()
    return printer
