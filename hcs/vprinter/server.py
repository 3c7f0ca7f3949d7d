"""The virtual printer on the network: accepting associations, faults, Print Jobs, events.

This module owns the I/O. It is built on :class:`dul.net.Acceptor`: the acceptor listens,
waits for each A-ASSOCIATE-RQ, and asks this printer's ``decide`` hook for the answer, so
a fault can reject (with any result/source/reason), refuse presentation contexts,
announce a smaller maximum PDU length or read slowly, per association. Each accepted
association gets its own :class:`PrintSession` (the Annex H rules, sans-I/O), its own
:class:`~hcs.vprinter.faults.FaultPlan` and its own JSON record; the acceptor's
``ended`` hook closes the record of every connection, associated or not.

An N-ACTION turns into a Print Job task: PENDING, PRINTING, then DONE (or FAILURE)
with an N-EVENT-REPORT at each step on the Print Job context when the SCU negotiated
one (PS3.4 H.4.5.2.1.2), rendering each film to PNG in a worker thread in between. The
job finishes even if the association ends first (H.5).

What one peer may take is bounded (issue 14): established associations end after
``idle_timeout`` seconds of silence and a PDU's body must come within
``pdu_read_timeout``; a message being received may hold at most ``max_message_bytes``
(by default sized from the largest image box this printer's configuration allows),
and all associations together at most ``receive_budget_bytes``.

Start it in-process with :func:`start_virtual_printer` (tests) or from the command
line (``hcs vprinter``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import gc
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from dimse import messages as m
from dimse import uids
from dimse.assembler import ReceiveBudget
from dimse.client import DimseConnection
from dimse.errors import DIMSEProtocolError
from dimse.outgoing import encode_message
from dimse.status import StatusCategory, describe_status, status_category
from dul.items import PresentationContextAC
from dul.negotiation import Accept, AcceptorPolicy, Reject
from dul.net import Acceptor, AcceptorSettings, Decision, Timeouts, UpperLayerConnection
from dul.pdu import AAssociateRQ, frame_message
from hcs.job import terms
from hcs.vprinter import personality, render
from hcs.vprinter.config import VirtualPrinterConfig, message_limit, receive_budget
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


@dataclasses.dataclass
class _Live:
    """One running association, as the printer keeps track of it."""

    number: int
    connection: UpperLayerConnection
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
        self.receive_budget = ReceiveBudget(receive_budget(config))
        self._personality = personality.Behaviour(config.personalities)
        self._picker = FaultPicker(
            [*config.faults, *(parse_fault(t) for t in personality.fault_texts(config))],
            config.fault_seed,
        )
        self._live: dict[int, _Live] = {}
        self._job_tasks: set[asyncio.Task] = set()
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vprinter-render")
        self._jobs_idle = asyncio.Event()
        self._jobs_idle.set()
        self._trim: asyncio.TimerHandle | None = None
        self._acceptor = Acceptor(
            AcceptorSettings(
                AcceptorPolicy(_abstract_syntaxes(config), ae_title=config.ae_title),
                ae_title=config.ae_title,
                max_pdu_length=config.max_pdu,
                timeouts=Timeouts(artim=config.artim, dimse=config.dimse_timeout),
                decide=self._decide,
                ended=self._ended,
                max_associations=config.max_associations,
                idle_timeout=config.idle_timeout or None,
                pdu_read_timeout=config.pdu_read_timeout or None,
            ),
            self._serve_association,
        )
        if config.out is not None:
            (config.out / "films").mkdir(parents=True, exist_ok=True)
            (config.out / "associations").mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ control
    async def start(self) -> None:
        self.port = await self._acceptor.listen(self.config.host, self.config.port)
        log.info(
            "%s listening on %s:%d (%s)",
            self.config.ae_title,
            self.config.host,
            self.port,
            ", ".join(k for k, v in self.config.classes.items() if v),
        )

    async def stop(self, grace: float = 10.0) -> None:
        """Stop accepting, abort the associations still open, let Print Jobs finish."""
        await self._acceptor.close(grace, why="aborted: the printer stopped")
        if self._trim is not None:
            self._trim.cancel()
        if self._job_tasks:
            await asyncio.wait(list(self._job_tasks), timeout=grace)
        for task in list(self._job_tasks):
            task.cancel()
        self._executor.shutdown(wait=True)

    @property
    def open_associations(self) -> int:
        """Connections open now, associated or still negotiating."""
        return len(self._acceptor.connections)

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until no association is open and no Print Job is running."""

        async def settle() -> None:
            while not (self._acceptor.idle and not self._job_tasks):
                await self._acceptor.wait_idle()
                await self._jobs_idle.wait()

        await asyncio.wait_for(settle(), timeout)

    async def wait_jobs(self, timeout: float = 30.0) -> None:
        """Wait until every Print Job (and every event being sent) has finished."""
        await asyncio.wait_for(self._jobs_idle.wait(), timeout)

    def _track(self, task: asyncio.Task, tasks: set[asyncio.Task]) -> None:
        tasks.add(task)
        self._jobs_idle.clear()

        def done(finished: asyncio.Task) -> None:
            tasks.discard(finished)
            if not tasks:
                self._jobs_idle.set()

        task.add_done_callback(done)

    # -------------------------------------------------------------- association
    async def _decide(
        self, connection: UpperLayerConnection, rq: AAssociateRQ, proposal: Decision
    ) -> Decision:
        """The acceptor's ``decide`` hook: faults first, then the acceptor's proposal."""
        number = connection.number
        record = AssociationRecord(number, connection.peer)
        plan = self._picker.pick(number, rq.calling_ae_title)
        live = _Live(number, connection, record, plan)
        self._live[number] = live
        record.note("calling_ae", rq.calling_ae_title.strip())
        record.note("called_ae", rq.called_ae_title.strip())
        record.note("faults", plan.describe())
        if self.config.personalities:
            record.note("personalities", list(self.config.personalities))
        reject = plan.reject()
        decision = Reject(*reject) if reject is not None else proposal
        if isinstance(decision, Reject):
            values = (decision.result, decision.source, decision.reason)
            record.note(
                "result",
                {"rejected": dict(zip(("result", "source", "reason"), values, strict=True))},
            )
            log.info(
                "a%04d %s -> A-ASSOCIATE-RJ result %d source %d reason %d",
                number,
                rq.calling_ae_title.strip(),
                *values,
            )
            self.counters["rejected"] += 1
            live.gone = True
            return decision
        answers = []
        for answer in decision.contexts:
            proposed = next(
                c for c in rq.presentation_contexts if c.context_id == answer.context_id
            )
            refusal = plan.context_result(proposed.abstract_syntax)
            if refusal is not None and answer.accepted:
                answer = PresentationContextAC(answer.context_id, refusal, "")
            answers.append(answer)
        rate = plan.read_rate()
        if rate is not None:
            connection.set_read_rate(rate)
        return Accept(tuple(answers), max_pdu_length=plan.max_pdu())

    def _note_accepted(self, live: _Live) -> None:
        connection, record, plan = live.connection, live.record, live.plan
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
            live.record.data["calling_ae"],
            ", ".join(accepted) or "no context",
            f" faults: {'; '.join(plan.describe())}" if plan else "",
        )
        self.counters["accepted"] += 1
        # the most associations this printer had at once (a group of servers must
        # never open a second one beside the first: tests read this)
        at_once = sum(1 for other in self._live.values() if not other.gone)
        self.counters["most_at_once"] = max(self.counters["most_at_once"], at_once)

    def _ended(self, connection: UpperLayerConnection, how: str) -> None:
        """The acceptor's ``ended`` hook: every connection's record is closed here."""
        self.counters["connections"] += 1
        live = self._live.pop(connection.number, None)
        if live is None:  # it never asked for an association
            live = _Live(
                connection.number,
                connection,
                AssociationRecord(connection.number, connection.peer),
                FaultPlan([]),
            )
        if live.session is not None:
            live.session.close()
        self._personality.forget(connection.number)
        live.record.finish(how)
        self._finish_record(live)
        if self._trim is None:  # once its buffers are gone (after this task ends)
            self._trim = asyncio.get_running_loop().call_later(0.5, self._give_memory_back)

    def _give_memory_back(self) -> None:
        self._trim = None
        give_memory_back()

    async def _serve_association(self, connection: UpperLayerConnection) -> None:
        live = self._live[connection.number]
        self._note_accepted(live)
        await self._serve(live)

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
            max_message_bytes=message_limit(config),
            budget=self.receive_budget,
            dimse_timeout=config.dimse_timeout,
        )
        self._events_at(live, "start")
        await connection.finished.wait()
        with contextlib.suppress(Exception):
            await live.dimse.close()

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
        live.gone = True
        live.connection.ended_by = live.connection.ended_by or "aborted by the printer (fault)"
        live.connection.abort(source, reason)

    def _end(self, live: _Live, ending: personality.Ending) -> None:
        """A personality ends the association instead of answering."""
        live.gone = True
        if ending.how == "abort":
            live.record.happening("A-ABORT sent (personality)", detail=ending.why)
            log.info("a%04d -> A-ABORT (personality: %s)", live.number, ending.why)
            live.connection.ended_by = f"aborted by the printer (personality: {ending.why})"
            live.connection.abort()
        else:
            live.record.happening("TCP closed (personality)", detail=ending.why)
            log.info("a%04d -> TCP closed (personality: %s)", live.number, ending.why)
            live.connection.drop(b"", f"closed by the printer (personality: {ending.why})")

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
        live.gone = True
        live.connection.drop(partial, "dropped by the printer mid-PDU (fault)")

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


def _load_malloc_trim():
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to do
        return None


_malloc_trim = _load_malloc_trim()


def give_memory_back() -> None:
    """Return freed heap to the system once an association is gone.

    glibc keeps what a large message's buffers freed for later use; a printer that one
    peer made hold hundreds of megabytes would keep that size for ever (issue 14). The
    printer calls this at most every half second, after associations ended.
    """
    if _malloc_trim is not None:
        gc.collect()  # an aborted association's buffers hang off exception tracebacks
        _malloc_trim(0)


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
