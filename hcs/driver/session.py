"""The Print Management DIMSE sequence on one association (PS3.4 Annex H).

N-GET Printer -> [N-CREATE Presentation LUT] -> N-CREATE Film Session -> for each film:
N-CREATE Film Box, wait for its answer, N-SET every Image Box it returned in position
order, [N-SET Annotation Boxes], N-ACTION print, N-DELETE Film Box -> N-DELETE Film
Session. Every request goes on the meta SOP class's presentation context (H.5), except
Presentation LUT, Annotation and Print Job, which have their own. Image boxes are never
set before the Film Box response has named them (fo-dicom-samples#28, "empty page").

Every answer is recorded with its meaning. A warning is kept on the film and printing
goes on; a failure stops that film, with the status, Error Comment and Offending
Element. N-EVENT-REPORTs (Printer, Print Job) may arrive between any two messages: they
are answered and update the state here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from dimse import uids
from dimse.client import DimseConnection, default_response
from dimse.dataset import is_implicit_vr
from dimse.messages import (
    NActionRQ,
    NCreateRQ,
    NDeleteRQ,
    NEventReportRQ,
    NGetRQ,
    NSetRQ,
    Request,
    Response,
)
from dimse.status import StatusCategory, status_category
from dul.items import PresentationContextRQ
from hcs.driver import quirks
from hcs.driver.datasets import film_box_dataset, film_session_dataset
from hcs.driver.imagebox import image_box_dataset
from hcs.driver.profile import PrinterProfile
from hcs.driver.replies import read_reply
from hcs.errors import HcsError
from hcs.job import terms
from hcs.job.model import (
    FilmOutcome,
    FilmSessionSpec,
    FilmSpec,
    ImageBoxSpec,
    JobOutcome,
    OperationRecord,
    PrintRequest,
)

log = logging.getLogger("hcs.driver")

BeforeAction = Callable[[list[int]], Awaitable[None]]
"""Awaited with the indexes of a collated session's films just before its N-ACTION."""

GRAY_CONTEXT, COLOR_CONTEXT, PLUT_CONTEXT, ANNOTATION_CONTEXT, PRINT_JOB_CONTEXT = 1, 3, 5, 7, 9
CONFIGURATION_CONTEXT, VERIFICATION_CONTEXT = 11, 13
REFERENCED_PRINT_JOB_TAGS = (0x21000500, 0x21200070)  # current and retired (REFERENCE.md 2.4)
PRINTER_EVENTS = terms.PRINTER_EVENTS
PRINT_JOB_EVENTS = terms.PRINT_JOB_EVENTS
_PRINTER_STATUS = {0x21100010: "PrinterStatus", 0x21100020: "PrinterStatusInfo"}
_FILM_BOX_REFERENCES = {
    0x20100510: "ReferencedImageBoxSequence",
    0x20100520: "ReferencedBasicAnnotationBoxSequence",
}


class FilmFailed(HcsError):
    """A failure status stopped a film; ``record`` is the operation that failed and
    ``hint`` the profile switch that would avoid it (:mod:`hcs.driver.quirks`)."""

    def __init__(self, record: OperationRecord, hint: str | None = None):
        super().__init__(record.description)
        self.record = record
        self.hint = hint

    @property
    def reason(self) -> str:
        return self.record.description + (f"; {self.hint}" if self.hint else "")


class PrinterNotReady(HcsError):
    """The printer reported FAILURE before we printed: the job is held with its reason."""


def proposed_contexts(profile: PrinterProfile, color: bool) -> list[PresentationContextRQ]:
    syntaxes = profile.transfer_syntax_uids
    contexts = [
        PresentationContextRQ(GRAY_CONTEXT, uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META, syntaxes)
    ]
    if color:
        contexts.append(
            PresentationContextRQ(COLOR_CONTEXT, uids.BASIC_COLOR_PRINT_MANAGEMENT_META, syntaxes)
        )
    if profile.presentation_lut:
        contexts.append(PresentationContextRQ(PLUT_CONTEXT, uids.PRESENTATION_LUT, syntaxes))
    if profile.annotation:
        contexts.append(
            PresentationContextRQ(ANNOTATION_CONTEXT, uids.BASIC_ANNOTATION_BOX, syntaxes)
        )
    if profile.print_job:
        contexts.append(PresentationContextRQ(PRINT_JOB_CONTEXT, uids.PRINT_JOB, syntaxes))
    if profile.printer_configuration:
        contexts.append(
            PresentationContextRQ(
                CONFIGURATION_CONTEXT, uids.PRINTER_CONFIGURATION_RETRIEVAL, syntaxes
            )
        )
    contexts.append(PresentationContextRQ(VERIFICATION_CONTEXT, uids.VERIFICATION, syntaxes))
    return contexts


def to_gray(pixels: np.ndarray) -> np.ndarray:
    """Rec.601 luma of an RGB image, for a colour job on a grayscale-only printer."""
    weights = np.array([0.299, 0.587, 0.114])
    return np.clip(np.rint(pixels @ weights), 0, 255).astype(np.uint8)


class PrinterState:
    """What we know of a printer from N-GET and N-EVENT-REPORT."""

    def __init__(self) -> None:
        self.status: str | None = None
        self.status_info: str | None = None
        self.events: list[str] = []
        self.print_jobs: dict[str, str] = {}
        self.changed = asyncio.Event()

    def note_event(self, text: str) -> None:
        self.events.append(text)
        self.changed.set()


class PrintAssociation:
    """One open association to a printer, able to print any number of sessions on it."""

    def __init__(
        self,
        dimse: DimseConnection,
        profile: PrinterProfile,
        state: PrinterState,
        ask_status: bool = True,
    ):
        self.dimse = dimse
        self.ask_status = ask_status and profile.printer_status
        self.profile = profile
        self.state = state
        dimse.on_request = self._on_request
        dimse.on_invalid_request = self._on_invalid_request
        accepted = {c.context_id for c in dimse.contexts.values() if c.accepted}
        self.gray = GRAY_CONTEXT in accepted
        self.color = COLOR_CONTEXT in accepted
        self.plut = PLUT_CONTEXT in accepted
        self.annotation = ANNOTATION_CONTEXT in accepted
        self.print_job = PRINT_JOB_CONTEXT in accepted
        self.configuration = CONFIGURATION_CONTEXT in accepted
        # The last request sent and its data set's transfer syntax (None: no data set),
        # for the outcome when the printer ends the association instead of answering.
        self.last_sent: tuple[str, str | None] | None = None
        self.plut_used = False  # a Presentation LUT was created on this association

    # ----------------------------------------------------------- peer requests
    async def _on_request(self, context_id: int, request: Request) -> Response | None:
        if isinstance(request, NEventReportRQ):
            dataset = None
            try:
                ts = self.dimse.contexts[context_id].transfer_syntax
                dataset = request.decode_dataset(ts)
            except Exception:  # a broken event payload must not stop printing
                log.warning("undecodable N-EVENT-REPORT data set from %s", self.profile.name)
            info = dataset.get("PrinterStatusInfo") if dataset is not None else None
            if request.affected_sop_class_uid == uids.PRINTER:
                status = PRINTER_EVENTS.get(request.event_type_id, "UNKNOWN")
                self.state.status, self.state.status_info = status, info or status
                self.state.note_event(f"Printer {status}" + (f" ({info})" if info else ""))
            elif request.affected_sop_class_uid == uids.PRINT_JOB:
                status = PRINT_JOB_EVENTS.get(request.event_type_id, "UNKNOWN")
                execution = dataset.get("ExecutionStatusInfo") if dataset is not None else None
                self.state.print_jobs[request.affected_sop_instance_uid] = status
                self.state.note_event(
                    f"Print Job {request.affected_sop_instance_uid} {status}"
                    + (f" ({execution})" if execution else "")
                )
            log.info(
                "%s: %s",
                self.profile.name,
                self.state.events[-1] if self.state.events else "N-EVENT-REPORT",
            )
        return default_response(request)

    async def _on_invalid_request(self, context_id: int, request: Request, reason: str) -> None:
        """A printer whose requests we cannot read is not one to go on printing with: the
        association is aborted and the job ends now, with the reason, rather than waiting
        for a response that the broken conversation may never bring."""
        why = f"the printer sent a malformed {request.NAME} ({reason})"
        log.warning("%s: %s; aborting the association", self.profile.name, why)
        self.state.note_event(why)
        self.dimse.abort(why)

    # --------------------------------------------------------------- requests
    async def _request(
        self,
        outcome: JobOutcome,
        operation: str,
        context_id: int,
        message: Request,
        sop_class: str,
        sop_instance: str | None,
    ) -> Response:
        has_dataset = getattr(message, "dataset", None) is not None
        self.last_sent = (
            operation,
            self.dimse.contexts[context_id].transfer_syntax if has_dataset else None,
        )
        started = time.perf_counter()
        response = await self.dimse.request(context_id, message)
        record = OperationRecord(
            operation,
            sop_class,
            getattr(response, "affected_sop_instance_uid", None) or sop_instance,
            response.status,
            response.error_comment,
            response.offending_element,
            seconds=time.perf_counter() - started,
        )
        outcome.operations.append(record)
        category = status_category(response.status)
        if log.isEnabledFor(logging.INFO):  # the description is built only to be logged
            log.info("%s: %s", self.profile.name, record.description)
        if category in (StatusCategory.FAILURE, StatusCategory.CANCEL):
            sent = getattr(message, "dataset", None)
            hint = quirks.failure_hint(
                record,
                self.profile,
                sent if isinstance(sent, Dataset) else None,
                plut_unused=self.plut and not self.plut_used,
            )
            if hint:
                outcome.note(hint)
            raise FilmFailed(record, hint)
        note = quirks.warning_note(record, self.profile)
        if note:
            outcome.note(note)
        return response

    def _decode(self, response: Response, context_id: int) -> Dataset | None:
        return response.decode_dataset(self.dimse.contexts[context_id].transfer_syntax)

    def _read(
        self,
        response: Response,
        context_id: int,
        *,
        strings: Mapping[int, str] = {},
        sequences: Mapping[int, str] = {},
    ) -> Mapping[str, Any] | None:
        """The attributes the driver reads from a reply, without pydicom when the reply
        has the usual layout (see :mod:`hcs.driver.replies`), else the pydicom Dataset."""
        data = getattr(response, "dataset", None)
        if isinstance(data, bytes | bytearray | memoryview):
            transfer_syntax = self.dimse.contexts[context_id].transfer_syntax
            found = read_reply(
                data, is_implicit_vr(transfer_syntax), strings=strings, sequences=sequences
            )
            if found is not None:
                return found
        return self._decode(response, context_id)

    async def printer_status(self, outcome: JobOutcome) -> None:
        """N-GET Printer: FAILURE holds the job; WARNING is noted and printing goes on.

        A printer that refuses the N-GET itself (pynetdicom#777: "the N-GET check always
        fails") is noted and printed on: its status is unknown, not FAILURE.
        """
        if not self.ask_status:
            return
        context = GRAY_CONTEXT if self.gray else COLOR_CONTEXT
        message = NGetRQ(self.dimse.next_message_id(), uids.PRINTER, uids.PRINTER_INSTANCE)
        try:
            response = await self._request(
                outcome, "N-GET Printer", context, message, uids.PRINTER, uids.PRINTER_INSTANCE
            )
        except FilmFailed as failure:
            outcome.note(
                f"the printer refused N-GET Printer ({failure.record.description}): printing"
                f" without its status (printer_status = false in [printers.{self.profile.name}]"
                " skips the N-GET)"
            )
            return
        dataset = self._read(response, context, strings=_PRINTER_STATUS)
        if dataset is not None:
            self.state.status = str(dataset.get("PrinterStatus", "") or "") or None
            self.state.status_info = str(dataset.get("PrinterStatusInfo", "") or "") or None
        outcome.printer_status = self.state.status
        outcome.printer_status_info = self.state.status_info
        if self.state.status == "FAILURE":
            raise PrinterNotReady(
                f"printer {self.profile.name} reports FAILURE"
                + (f" ({self.state.status_info})" if self.state.status_info else "")
            )

    async def printer_configuration(self, outcome: JobOutcome) -> Dataset | None:
        """N-GET Printer Configuration Retrieval (PS3.4 H.4.11): the printer's film sizes,
        formats and pixel spacing, when it offers the class."""
        if not self.configuration:
            return None
        response = await self._request(
            outcome,
            "N-GET Printer Configuration",
            CONFIGURATION_CONTEXT,
            NGetRQ(
                self.dimse.next_message_id(),
                uids.PRINTER_CONFIGURATION_RETRIEVAL,
                uids.PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE,
            ),
            uids.PRINTER_CONFIGURATION_RETRIEVAL,
            uids.PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE,
        )
        return self._decode(response, CONFIGURATION_CONTEXT)

    async def print_request(
        self,
        request: PrintRequest,
        outcome: JobOutcome,
        films: list[int] | None = None,
        before_action: BeforeAction | None = None,
    ) -> None:
        """Print the films of ``request`` whose index is in ``films`` (default: all);
        ``before_action``: see :meth:`hcs.driver.PrinterDriver.print`."""
        color = request.color and self.color
        if request.color and not self.color:
            outcome.events.append(
                "the printer refused Basic Color Print Management: printing in grayscale"
            )
        meta = COLOR_CONTEXT if color else GRAY_CONTEXT
        if not (self.gray or color):
            raise PrinterNotReady("the printer accepted no print management meta SOP class")
        indexes = films if films is not None else list(range(len(request.films)))
        collate = request.collate and self.profile.session_print
        if request.collate and not collate:
            outcome.events.append(
                f"printer {self.profile.name} is not configured for Film Session printing "
                "(session_print): printing film by film"
            )
        plut_uid = None
        self.plut_used = False
        try:
            await self.printer_status(outcome)
            if request.presentation_lut_shape and self.plut:
                plut_uid = await self._create_presentation_lut(
                    outcome, request.presentation_lut_shape
                )
            elif request.presentation_lut_shape:
                outcome.note(
                    "the printer refused the Presentation LUT SOP class: printed without"
                    f" Presentation LUT {request.presentation_lut_shape}"
                )
            session_uid = await self._create_film_session(outcome, request.session, meta, plut_uid)
        except FilmFailed as failure:  # nothing of this session can print
            for index in indexes:
                outcome.films[index].state = "failed"
                outcome.films[index].reason = failure.reason
            if plut_uid is not None:
                await self._delete(
                    outcome,
                    "N-DELETE Presentation LUT",
                    PLUT_CONTEXT,
                    uids.PRESENTATION_LUT,
                    plut_uid,
                )
            return
        try:
            for index in indexes:
                film_outcome = outcome.films[index]
                try:
                    await self._print_film(
                        outcome,
                        film_outcome,
                        request.films[index],
                        meta,
                        session_uid,
                        plut_uid,
                        color,
                        collate and request.action,
                        request.action,
                    )
                except FilmFailed as failure:
                    film_outcome.state = "failed"
                    film_outcome.reason = failure.reason
            if collate and request.action:
                await self._print_session(outcome, meta, session_uid, indexes, before_action)
        finally:
            if self.dimse.upper_layer.is_established:
                await self._delete(
                    outcome, "N-DELETE Film Session", meta, uids.BASIC_FILM_SESSION, session_uid
                )
                if plut_uid is not None:
                    await self._delete(
                        outcome,
                        "N-DELETE Presentation LUT",
                        PLUT_CONTEXT,
                        uids.PRESENTATION_LUT,
                        plut_uid,
                    )

    async def _delete(self, outcome, operation, context, sop_class, sop_instance) -> None:
        with contextlib.suppress(FilmFailed):  # recorded; a failed delete undoes no print
            await self._request(
                outcome,
                operation,
                context,
                NDeleteRQ(self.dimse.next_message_id(), sop_class, sop_instance),
                sop_class,
                sop_instance,
            )

    async def _create_presentation_lut(self, outcome: JobOutcome, shape: str) -> str:
        terms.one_of("PresentationLUTShape", shape, terms.PRESENTATION_LUT_SHAPES)
        dataset = Dataset()
        dataset.PresentationLUTShape = shape
        uid, _ = await self._create(
            outcome, "Presentation LUT", PLUT_CONTEXT, uids.PRESENTATION_LUT, dataset
        )
        self.plut_used = True
        return uid

    async def _create(
        self, outcome: JobOutcome, what: str, context: int, sop_class: str, dataset: Dataset
    ) -> tuple[str, Response]:
        """N-CREATE with the instance UID left to the printer (or ours, with the profile's
        ``assign_uids``); the UID of the instance created."""
        ours = generate_uid() if self.profile.assign_uids else None
        response = await self._request(
            outcome,
            f"N-CREATE {what}",
            context,
            NCreateRQ(
                self.dimse.next_message_id(),
                sop_class,
                affected_sop_instance_uid=ours,
                dataset=dataset,
            ),
            sop_class,
            ours,
        )
        uid = response.affected_sop_instance_uid or ours
        if not uid:
            record = OperationRecord(
                f"N-CREATE {what}",
                sop_class,
                None,
                response.status,
                detail="the printer did not say which instance it created",
            )
            hint = (
                "the printer answered N-CREATE without the Affected SOP Instance UID it"
                f" assigned (set assign_uids = true in [printers.{self.profile.name}]:"
                " hcs then chooses the UIDs)"
            )
            outcome.note(hint)
            raise FilmFailed(record, hint)
        return uid, response

    async def _create_film_session(
        self, outcome: JobOutcome, spec: FilmSessionSpec, meta: int, plut_uid: str | None
    ) -> str:
        dataset = film_session_dataset(self.profile, spec, plut_uid)
        uid, _ = await self._create(outcome, "Film Session", meta, uids.BASIC_FILM_SESSION, dataset)
        return uid

    async def _print_film(
        self,
        outcome: JobOutcome,
        film_outcome: FilmOutcome,
        film: FilmSpec,
        meta: int,
        session_uid: str,
        plut_uid: str | None,
        color: bool,
        collate: bool,
        action: bool = True,
    ) -> None:
        dataset = film_box_dataset(self.profile, film.box, session_uid, plut_uid)
        film_uid, response = await self._create(
            outcome, "Film Box", meta, uids.BASIC_FILM_BOX, dataset
        )
        answer = self._read(response, meta, sequences=_FILM_BOX_REFERENCES)
        if answer is None:
            raise FilmFailed(
                OperationRecord(
                    "N-CREATE Film Box",
                    uids.BASIC_FILM_BOX,
                    film_uid,
                    response.status,
                    detail="the printer answered without a data set, so without the image"
                    " boxes to fill (fo-dicom#852)",
                )
            )
        boxes = list(answer.get("ReferencedImageBoxSequence", []))
        expected = _fixed_box_count(film.box.image_display_format)
        if expected is not None and len(boxes) > expected:
            outcome.note(
                f"the printer made {len(boxes)} image boxes for"
                f" {film.box.image_display_format} ({expected} expected): the first"
                f" {expected} are used"
            )
            boxes = boxes[:expected]
        if len(film.images) > len(boxes):
            raise FilmFailed(
                OperationRecord(
                    "N-CREATE Film Box",
                    uids.BASIC_FILM_BOX,
                    film_uid,
                    response.status,
                    detail=f"the printer made {len(boxes)} image boxes for "
                    f"{film.box.image_display_format}, the film has {len(film.images)} images",
                )
            )
        for position, (reference, image) in enumerate(
            zip(boxes, film.images, strict=False), start=1
        ):
            if image is None:
                continue
            await self._set_image_box(outcome, meta, reference, image, position, color)
        if film.annotations and self.annotation:
            await self._set_annotations(outcome, answer, film.annotations)
        elif film.annotations:
            outcome.note("the printer refused the Basic Annotation Box SOP class: no annotations")
        if collate:
            film_outcome.state = "created"
            return
        if not action:  # hcs bench --no-print: the whole path but the N-ACTION
            film_outcome.state = "not printed"
            await self._delete(outcome, "N-DELETE Film Box", meta, uids.BASIC_FILM_BOX, film_uid)
            return
        await self._print_film_box(outcome, film_outcome, meta, film_uid)
        await self._delete(outcome, "N-DELETE Film Box", meta, uids.BASIC_FILM_BOX, film_uid)

    async def _set_image_box(
        self,
        outcome: JobOutcome,
        meta: int,
        reference: Any,
        image: ImageBoxSpec,
        position: int,
        color: bool,
    ) -> None:
        box_class = image_box_class(outcome, reference, color)
        box_uid = str(reference.get("ReferencedSOPInstanceUID", "") or "")
        if not box_uid:
            raise FilmFailed(
                OperationRecord(
                    "N-CREATE Film Box",
                    uids.BASIC_FILM_BOX,
                    None,
                    None,
                    detail=f"image box {position} has no Referenced SOP Instance UID",
                )
            )
        as_color = color
        if image.pixels.ndim == 3 and not as_color:
            image = _replace_pixels(image, to_gray(image.pixels))
        elif image.pixels.ndim == 2 and as_color:
            image = _replace_pixels(image, np.repeat(image.pixels[:, :, None], 3, axis=2))
        dataset = image_box_dataset(
            image,
            position,
            color=as_color,
            bits=self.profile.bits if not as_color else 8,
            omit=self.profile.omit,
            transfer_syntax=self.dimse.contexts[meta].transfer_syntax,
        )
        await self._request(
            outcome,
            f"N-SET Image Box {position}",
            meta,
            NSetRQ(self.dimse.next_message_id(), box_class, box_uid, dataset),
            box_class,
            box_uid,
        )

    async def _set_annotations(
        self, outcome: JobOutcome, answer: Mapping[str, Any], annotations: dict[int, str]
    ) -> None:
        boxes = list(answer.get("ReferencedBasicAnnotationBoxSequence", []))
        for position, text in sorted(annotations.items()):
            if not 1 <= position <= len(boxes):
                outcome.events.append(
                    f"annotation {position} skipped: the printer has {len(boxes)} annotation boxes"
                )
                continue
            reference = boxes[position - 1]
            dataset = Dataset()
            dataset.AnnotationPosition = position
            limit = self.profile.annotation_max_chars
            if len(text) > limit:
                outcome.note(
                    f"annotation {position} cut to the {limit} characters printer"
                    f" {self.profile.name} prints (annotation_max_chars)"
                )
                text = text[:limit]
            dataset.TextString = terms.text("TextString", text, 64)
            reference_class = str(reference.get("ReferencedSOPClassUID", "") or "")
            if reference_class != uids.BASIC_ANNOTATION_BOX:
                outcome.note(
                    f"the printer referenced annotation boxes as {reference_class or 'nothing'}:"
                    " set as Basic Annotation Box"
                )
            uid = str(reference.ReferencedSOPInstanceUID)
            await self._request(
                outcome,
                f"N-SET Annotation Box {position}",
                ANNOTATION_CONTEXT,
                NSetRQ(self.dimse.next_message_id(), uids.BASIC_ANNOTATION_BOX, uid, dataset),
                uids.BASIC_ANNOTATION_BOX,
                uid,
            )

    async def _print_film_box(
        self, outcome: JobOutcome, film_outcome: FilmOutcome, meta: int, film_uid: str
    ) -> None:
        film_outcome.state = "unknown"  # from here on the printer may have printed it
        response = await self._request(
            outcome,
            "N-ACTION Film Box (print)",
            meta,
            NActionRQ(self.dimse.next_message_id(), uids.BASIC_FILM_BOX, film_uid, 1),
            uids.BASIC_FILM_BOX,
            film_uid,
        )
        film_outcome.state = "printed"
        film_outcome.warnings += [r.description for r in outcome.operations[-1:] if r.is_warning]
        await self._follow_print_job(outcome, [film_outcome], response, meta)

    async def _print_session(
        self,
        outcome: JobOutcome,
        meta: int,
        session_uid: str,
        indexes: list[int],
        before_action: BeforeAction | None = None,
    ) -> None:
        films = [outcome.films[i] for i in indexes if outcome.films[i].state == "created"]
        if not films:
            return
        if before_action is not None:
            await before_action([film.index for film in films])
        for film in films:
            film.state = "unknown"
        try:
            response = await self._request(
                outcome,
                "N-ACTION Film Session (print)",
                meta,
                NActionRQ(self.dimse.next_message_id(), uids.BASIC_FILM_SESSION, session_uid, 1),
                uids.BASIC_FILM_SESSION,
                session_uid,
            )
        except FilmFailed as failure:
            for film in films:
                film.state, film.reason = "failed", failure.reason
            return
        for film in films:
            film.state = "printed"
        await self._follow_print_job(outcome, films, response, meta)

    async def _follow_print_job(
        self, outcome: JobOutcome, films: list[FilmOutcome], response: Response, meta: int
    ) -> None:
        """Record the Print Job the printer made, and follow it to DONE or FAILURE."""
        reply = self._decode(response, meta)
        job_uid = None
        if reply is not None:
            for tag in REFERENCED_PRINT_JOB_TAGS:
                if tag in reply and len(reply[tag].value):
                    job_uid = str(reply[tag].value[0].ReferencedSOPInstanceUID)
                    break
        if job_uid is None:
            return  # a printer without Print Job answers with the status alone (H.4.1.2.4.3)
        for film in films:
            film.print_job_uid = job_uid
        if not self.print_job:
            return
        final = await self._wait_for_print_job(outcome, job_uid)
        for film in films:
            film.print_job_status = final
            if final == "FAILURE":
                film.state, film.reason = "failed", f"Print Job {job_uid} ended in FAILURE"

    async def _wait_for_print_job(self, outcome: JobOutcome, job_uid: str) -> str | None:
        deadline = asyncio.get_running_loop().time() + self.profile.print_job_timeout
        while True:
            status = self.state.print_jobs.get(job_uid)
            if status in ("DONE", "FAILURE"):
                return status
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                outcome.events.append(
                    f"Print Job {job_uid}: no final state within "
                    f"{self.profile.print_job_timeout:g} s"
                )
                return status
            self.state.changed.clear()
            try:
                await asyncio.wait_for(self.state.changed.wait(), min(1.0, remaining))
            except TimeoutError:
                await self._poll_print_job(outcome, job_uid)

    async def _poll_print_job(self, outcome: JobOutcome, job_uid: str) -> None:
        try:
            response = await self._request(
                outcome,
                "N-GET Print Job",
                PRINT_JOB_CONTEXT,
                NGetRQ(self.dimse.next_message_id(), uids.PRINT_JOB, job_uid),
                uids.PRINT_JOB,
                job_uid,
            )
        except FilmFailed:
            return
        dataset = self._decode(response, PRINT_JOB_CONTEXT)
        if dataset is not None and dataset.get("ExecutionStatus"):
            self.state.print_jobs[job_uid] = str(dataset.ExecutionStatus)


IMAGE_BOX_CLASSES = {False: uids.BASIC_GRAYSCALE_IMAGE_BOX, True: uids.BASIC_COLOR_IMAGE_BOX}
META_CLASSES = frozenset(
    {
        uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META,
        uids.BASIC_COLOR_PRINT_MANAGEMENT_META,
    }
)


def image_box_class(outcome: JobOutcome, reference: Dataset, color: bool) -> str:
    """The Image Box SOP class for N-SET: the one the negotiated meta SOP class carries
    (PS3.4 H.3.1), never the printer's Referenced SOP Class UID copied blindly.

    Printers have answered with the meta SOP class UID, with nothing, or with the other
    print class; each is noted on the job and the right class is sent (issue 11).
    """
    wanted = IMAGE_BOX_CLASSES[color]
    given = str(reference.get("ReferencedSOPClassUID", "") or "")
    if given != wanted:
        if not given:
            what = "no Referenced SOP Class UID"
        elif given in META_CLASSES:
            what = f"the meta SOP class {given}"
        else:
            what = f"{uids.uid_name(given)} ({given})"
        outcome.note(
            f"the printer referenced its image boxes with {what}: N-SET as"
            f" {uids.uid_name(wanted)}, the class of the negotiated meta SOP class"
        )
    return wanted


def _fixed_box_count(display_format: str) -> int | None:
    """The box count of a STANDARD, ROW or COL format (SLIDE, SUPERSLIDE and CUSTOM
    counts are the printer's to say)."""
    try:
        return terms.parse_display_format(display_format).grid_boxes
    except terms.InvalidAttribute:
        return None


def _replace_pixels(image: ImageBoxSpec, pixels: np.ndarray) -> ImageBoxSpec:
    from dataclasses import replace

    return replace(image, pixels=np.ascontiguousarray(pixels))
