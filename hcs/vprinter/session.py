"""One association's print management SOP instances and the Annex H behaviour.

:class:`PrintSession` is sans-I/O: a request goes in, a response and (for N-ACTION)
a :class:`PrintOrder` come out. The server sends the response and runs the order as a
Print Job. Nothing here knows about sockets, files or time, so every Annex H rule can
be tested by calling :meth:`PrintSession.handle` directly.

The hierarchy follows PS3.4 H.4: one Film Session per association (H.4.1.2.1.3),
Film Boxes under it, Image Boxes and Annotation Boxes created by the SCP with each Film
Box, Presentation LUTs beside them. Which image box class a Film Box gets depends on the
meta SOP class of the presentation context it was created on (H.4.2.2.1.3). When the
association ends, :meth:`PrintSession.close` forgets all of it; Print Jobs live in the
printer's registry and finish (H.5).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import Tag
from pydicom.uid import generate_uid

from dimse import messages as m
from dimse import uids
from dimse.errors import DIMSEProtocolError
from dimse.status import StatusCode
from dul.negotiation import NegotiatedContext
from hcs.job import terms
from hcs.vprinter import geometry, rules
from hcs.vprinter.config import VirtualPrinterConfig

GRAY_META = uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META
COLOR_META = uids.BASIC_COLOR_PRINT_MANAGEMENT_META

META_MEMBERS: dict[str, frozenset[str]] = {
    GRAY_META: frozenset(
        {uids.BASIC_FILM_SESSION, uids.BASIC_FILM_BOX, uids.BASIC_GRAYSCALE_IMAGE_BOX, uids.PRINTER}
    ),
    COLOR_META: frozenset(
        {uids.BASIC_FILM_SESSION, uids.BASIC_FILM_BOX, uids.BASIC_COLOR_IMAGE_BOX, uids.PRINTER}
    ),
}
"""The SOP classes each meta SOP class's presentation context carries (PS3.4 H.3.1)."""

KNOWN_CLASSES = frozenset(
    {
        uids.VERIFICATION,
        uids.BASIC_FILM_SESSION,
        uids.BASIC_FILM_BOX,
        uids.BASIC_GRAYSCALE_IMAGE_BOX,
        uids.BASIC_COLOR_IMAGE_BOX,
        uids.BASIC_ANNOTATION_BOX,
        uids.PRESENTATION_LUT,
        uids.PRINT_JOB,
        uids.PRINTER,
        uids.PRINTER_CONFIGURATION_RETRIEVAL,
    }
)

# DIMSE usage per SOP class (PS3.4 H.4.x tables): the operations each class has.
OPERATIONS: dict[str, frozenset[str]] = {
    uids.BASIC_FILM_SESSION: frozenset({"N-CREATE", "N-SET", "N-ACTION", "N-DELETE"}),
    uids.BASIC_FILM_BOX: frozenset({"N-CREATE", "N-SET", "N-ACTION", "N-DELETE"}),
    uids.BASIC_GRAYSCALE_IMAGE_BOX: frozenset({"N-SET"}),
    uids.BASIC_COLOR_IMAGE_BOX: frozenset({"N-SET"}),
    uids.BASIC_ANNOTATION_BOX: frozenset({"N-SET"}),
    uids.PRESENTATION_LUT: frozenset({"N-CREATE", "N-DELETE"}),
    uids.PRINT_JOB: frozenset({"N-GET"}),
    uids.PRINTER: frozenset({"N-GET"}),
    uids.PRINTER_CONFIGURATION_RETRIEVAL: frozenset({"N-GET"}),
    uids.VERIFICATION: frozenset({"C-ECHO"}),
}

PRINT_ACTION = 1  # Action Type ID of "print" (Tables H.4-3, H.4-8)
_UID = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")


def operation_of(request: m.Message) -> str:
    """``N-CREATE``, ``N-SET``, ... for a request message."""
    return request.NAME.removesuffix("-RQ")


def sop_class_of(request: m.Message) -> str | None:
    return getattr(request, "affected_sop_class_uid", None) or getattr(
        request, "requested_sop_class_uid", None
    )


def sop_instance_of(request: m.Message) -> str | None:
    return getattr(request, "affected_sop_instance_uid", None) or getattr(
        request, "requested_sop_instance_uid", None
    )


def valid_uid(value: str) -> bool:
    return 0 < len(value) <= 64 and _UID.fullmatch(value) is not None


# ------------------------------------------------------------------- SOP instances


@dataclass
class PresentationLUT:
    uid: str
    shape: str | None
    lut: Any = None  # (numpy table, bits) for an explicit LUT


@dataclass
class ImageBox:
    uid: str
    sop_class: str
    position: int
    box: geometry.Box
    pixels: rules.Pixels | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    dataset: Dataset | None = None
    fit: str | None = None  # DEMAGNIFY, DECIMATE or CROP when larger than the box
    warning: int | None = None

    @property
    def color(self) -> bool:
        return self.sop_class == uids.BASIC_COLOR_IMAGE_BOX


@dataclass
class AnnotationBox:
    uid: str
    position: int
    text: str = ""


@dataclass
class FilmBox:
    uid: str
    color: bool
    attrs: dict[str, Any]
    layout: geometry.Layout
    dpi: float
    image_boxes: list[ImageBox]
    annotation_boxes: list[AnnotationBox]
    plut: PresentationLUT | None = None
    printed: bool = False


@dataclass
class FilmSession:
    uid: str
    attrs: dict[str, Any]
    film_boxes: list[FilmBox] = field(default_factory=list)


@dataclass
class PrintJob:
    """A Print Job SOP instance (PS3.4 H.4.5): it outlives the association."""

    uid: str
    association: int
    priority: str
    originator: str
    printer_name: str
    label: str
    films: list[FilmToPrint]
    status: str = "PENDING"
    info: str = "NORMAL"
    created: datetime.datetime = field(default_factory=datetime.datetime.now)


# --------------------------------------------------------------- what gets printed


@dataclass(frozen=True)
class BoxToPrint:
    """One image box as it was when the print was ordered (later N-SETs do not change it)."""

    position: int
    box: geometry.Box
    uid: str
    pixels: rules.Pixels | None
    polarity: str
    magnification: str
    smoothing: str
    requested_size_mm: float | None
    fit: str | None
    lut: Any
    dataset: Dataset | None


@dataclass(frozen=True)
class FilmToPrint:
    """A film box frozen at N-ACTION time, with everything the renderer needs."""

    film_id: str
    film_box_uid: str
    film_session_uid: str
    color: bool
    layout: geometry.Layout
    dpi: float
    attrs: dict[str, Any]
    session_attrs: dict[str, Any]
    boxes: tuple[BoxToPrint, ...]
    annotations: tuple[tuple[int, str], ...]
    annotation_count: int
    copies: int


@dataclass
class PrintOrder:
    """What one N-ACTION asks the printer to do: a Print Job over some films."""

    job_uid: str
    films: list[FilmToPrint]
    priority: str
    label: str
    source: str  # "film box" or "film session"


@dataclass
class Reply:
    response: m.Message | None
    order: PrintOrder | None = None
    description: str = ""


class Failure(Exception):
    """Stop handling a request and answer with this status."""

    def __init__(self, code: int, comment: str = "", tags: list[int] | None = None):
        super().__init__(comment)
        self.code = code
        self.comment = comment
        self.tags = tags or []


# ------------------------------------------------------------------------ session


class PrintSession:
    """The print SOP instances of one association and the rules for changing them."""

    def __init__(
        self,
        config: VirtualPrinterConfig,
        *,
        association: int = 1,
        calling_ae: str = "",
        contexts: Mapping[int, NegotiatedContext] | None = None,
        printer_status: tuple[str, str] | None = None,
        jobs: MutableMapping[str, PrintJob] | None = None,
    ):
        self.config = config
        self.association = association
        self.calling_ae = calling_ae
        self.contexts = dict(contexts or {})
        self.printer_status = printer_status or (config.printer.status, config.printer.status_info)
        self.jobs: MutableMapping[str, PrintJob] = jobs if jobs is not None else {}
        self.film_session: FilmSession | None = None
        self.pluts: dict[str, PresentationLUT] = {}
        self.films_printed = 0
        self._used_uids: set[str] = set()
        negotiated = {c.abstract_syntax for c in self.contexts.values() if c.accepted}
        self.has_plut = uids.PRESENTATION_LUT in negotiated
        self.has_annotation = uids.BASIC_ANNOTATION_BOX in negotiated
        self.has_print_job = uids.PRINT_JOB in negotiated

    # ----------------------------------------------------------------- entry point
    def handle(self, context_id: int, request: m.Message) -> Reply:
        """Answer one request (never raises for anything the peer sent)."""
        context = self.contexts.get(context_id)
        op = operation_of(request)
        sop_class = sop_class_of(request)
        if isinstance(request, m.CCancelRQ):
            return Reply(None, description="C-CANCEL ignored (nothing to cancel)")
        try:
            if context is None or not context.accepted:
                raise Failure(StatusCode.MISTYPED_ARGUMENT, "no such presentation context")
            if sop_class not in KNOWN_CLASSES:
                raise Failure(StatusCode.NO_SUCH_SOP_CLASS, f"unknown SOP class {sop_class}")
            carried = META_MEMBERS.get(context.abstract_syntax, {context.abstract_syntax})
            if sop_class not in carried:
                raise Failure(
                    StatusCode.SOP_CLASS_NOT_SUPPORTED,
                    f"{uids.uid_name(sop_class)} not on this context",
                )
            if op not in OPERATIONS.get(sop_class, ()):
                raise Failure(
                    StatusCode.UNRECOGNIZED_OPERATION, f"{op} not defined for this SOP class"
                )
            handler = getattr(self, "_" + _HANDLERS[(sop_class, op)])
            return handler(context, request)
        except Failure as failure:
            return Reply(
                self.respond(request, failure.code, comment=failure.comment, tags=failure.tags)
            )
        except DIMSEProtocolError as error:
            return Reply(
                self.respond(
                    request, StatusCode.PROCESSING_FAILURE, comment=f"bad data set: {error}"
                )
            )

    def close(self) -> None:
        """The association ended: every SOP instance but the Print Jobs is gone (H.5)."""
        self.film_session = None
        self.pluts.clear()
        self._used_uids.clear()

    # --------------------------------------------------------------- responses
    def respond(
        self,
        request: m.Message,
        status: int,
        *,
        instance: str | None = None,
        dataset: Dataset | None = None,
        comment: str | None = None,
        tags: list[int] | None = None,
    ) -> m.Message | None:
        """The response to ``request`` (see :meth:`dimse.messages.Request.respond`), with
        ``instance`` as its Affected SOP Instance UID when given."""
        if not isinstance(request, m.Request) or request.RESPONSE is None:
            return None
        names = {f.name for f in dataclasses.fields(request.RESPONSE)}
        kwargs: dict[str, Any] = {}
        if instance is not None and "affected_sop_instance_uid" in names:
            kwargs["affected_sop_instance_uid"] = instance
        if comment:
            kwargs["error_comment"] = m.fit_error_comment(comment)
        if tags:
            kwargs["offending_element"] = tuple(tags)
            if "attribute_identifier_list" in names and status in (
                StatusCode.NO_SUCH_ATTRIBUTE,
                StatusCode.ATTRIBUTE_LIST_ERROR,
                StatusCode.MISSING_ATTRIBUTE,
            ):
                kwargs["attribute_identifier_list"] = tuple(tags)
        if dataset is not None and "dataset" in names:
            kwargs["dataset"] = dataset
        return request.respond(status, **kwargs)

    def _answer(
        self,
        request: m.Message,
        problems: list[rules.Problem],
        *,
        instance: str | None = None,
        dataset: Dataset | None = None,
        extra_warning: int | None = None,
    ) -> Reply:
        verdict = rules.worst(problems)
        if verdict is None:
            code = extra_warning or StatusCode.SUCCESS
            return Reply(self.respond(request, code, instance=instance, dataset=dataset))
        code, tags, text = verdict
        return Reply(
            self.respond(request, code, instance=instance, dataset=dataset, comment=text, tags=tags)
        )

    @staticmethod
    def _fail_if_failed(problems: list[rules.Problem]) -> None:
        verdict = rules.worst(problems)
        if verdict is not None and verdict[0] not in rules.WARNINGS:
            code, tags, text = verdict
            raise Failure(code, text, tags)

    def _dataset(self, context: NegotiatedContext, request: m.Message) -> Dataset | None:
        return request.decode_dataset(context.transfer_syntax)

    def _new_uid(self, requested: str | None) -> str:
        if requested:
            if not valid_uid(requested):
                raise Failure(StatusCode.INVALID_SOP_INSTANCE, f"invalid UID {requested[:40]}")
            if requested in self._used_uids:
                raise Failure(StatusCode.DUPLICATE_SOP_INSTANCE, "SOP Instance UID already in use")
            uid = requested
        else:
            uid = generate_uid(prefix=None)
        self._used_uids.add(uid)
        return uid

    # ---------------------------------------------------------------- Film Session
    def _session_create(self, context, request: m.NCreateRQ) -> Reply:
        if self.film_session is not None:
            raise Failure(
                StatusCode.DUPLICATE_SOP_INSTANCE, "one Film Session per association (H.4.1.2.1.3)"
            )
        dataset = self._dataset(context, request)
        values, problems = rules.check_attributes(dataset, rules.FILM_SESSION, self.config)
        self._memory_allocation(values, problems)
        self._fail_if_failed(problems)
        uid = self._new_uid(request.affected_sop_instance_uid)
        film = self.config.film
        attrs = {
            "NumberOfCopies": "1",
            "PrintPriority": "MED",
            "MediumType": film.medium_types[0],
            "FilmDestination": film.destinations[0],
            "FilmSessionLabel": "",
        }
        attrs.update(values)
        self.film_session = FilmSession(uid, attrs)
        return self._answer(request, problems, instance=uid, dataset=_as_dataset(attrs))

    def _memory_allocation(self, values: dict, problems: list[rules.Problem]) -> None:
        if "MemoryAllocation" in values and not self.config.film.memory_allocation:
            values.pop("MemoryAllocation")
            problems.append(
                rules.Problem(
                    StatusCode.MEMORY_ALLOCATION_NOT_SUPPORTED,
                    int(Tag("MemoryAllocation")),
                    "memory allocation not supported",
                )
            )

    def _session(self, request: m.Message) -> FilmSession:
        session = self.film_session
        if session is None or session.uid != request.requested_sop_instance_uid:
            raise Failure(StatusCode.NO_SUCH_SOP_INSTANCE, "no such Film Session")
        return session

    def _session_set(self, context, request: m.NSetRQ) -> Reply:
        session = self._session(request)
        dataset = self._dataset(context, request)
        values, problems = rules.check_attributes(dataset, rules.FILM_SESSION, self.config)
        self._memory_allocation(values, problems)
        self._fail_if_failed(problems)
        session.attrs.update(values)
        return self._answer(request, problems, instance=session.uid, dataset=_as_dataset(values))

    def _session_action(self, context, request: m.NActionRQ) -> Reply:
        session = self._session(request)
        if request.action_type_id != PRINT_ACTION:
            raise Failure(StatusCode.NO_SUCH_ACTION_TYPE, f"action {request.action_type_id}")
        if not self.config.film.session_print:
            raise Failure(StatusCode.UNRECOGNIZED_OPERATION, "printer prints film boxes only")
        if not session.film_boxes:
            raise Failure(
                StatusCode.FILM_SESSION_HAS_NO_FILM_BOX, "the film session has no film box"
            )
        warning = None
        if not any(b.pixels is not None for f in session.film_boxes for b in f.image_boxes):
            warning = StatusCode.FILM_SESSION_EMPTY_PAGE
        elif not self.config.film.collation:
            warning = StatusCode.FILM_SESSION_PRINTING_NOT_SUPPORTED
        else:
            warning = _first_box_warning(session.film_boxes)
        order = self._order(session, session.film_boxes, "film session")
        reply = self._action_reply(request, session.uid, order, warning)
        return reply

    def _session_delete(self, context, request: m.NDeleteRQ) -> Reply:
        session = self._session(request)
        self.film_session = None
        self._used_uids.discard(session.uid)
        return Reply(self.respond(request, StatusCode.SUCCESS, instance=session.uid))

    # -------------------------------------------------------------------- Film Box
    def _film_box_create(self, context, request: m.NCreateRQ) -> Reply:
        dataset = self._dataset(context, request)
        color = context.abstract_syntax == COLOR_META
        unsupported = set()
        if not self.has_plut:
            unsupported |= {
                "ReferencedPresentationLUTSequence",
                "Illumination",
                "ReflectedAmbientLight",
            }
        if not color:
            unsupported.add("ICCProfile")
        values, problems = rules.check_attributes(
            dataset, rules.FILM_BOX_CREATE, self.config, unsupported=frozenset(unsupported)
        )
        self._fail_if_failed(problems)
        session = self.film_session
        reference = values.pop("ReferencedFilmSessionSequence")
        tag = int(Tag("ReferencedFilmSessionSequence"))
        if session is None:
            raise Failure(
                StatusCode.INVALID_ATTRIBUTE_VALUE, "no Film Session on this association", [tag]
            )
        if (
            len(reference) != 1
            or reference[0].get("ReferencedSOPClassUID") != uids.BASIC_FILM_SESSION
            or reference[0].get("ReferencedSOPInstanceUID") != session.uid
        ):
            raise Failure(
                StatusCode.INVALID_ATTRIBUTE_VALUE, "Referenced Film Session is not ours", [tag]
            )
        if not self.config.film.session_print and any(not f.printed for f in session.film_boxes):
            raise Failure(StatusCode.UNPRINTED_FILM_BOX_EXISTS, "print the existing film box first")
        film = self.config.film
        attrs: dict[str, Any] = {
            "ImageDisplayFormat": str(values["ImageDisplayFormat"]).strip(),
            "FilmOrientation": "PORTRAIT",
            "FilmSizeID": film.sizes[0],
            "MagnificationType": film.default_magnification,
            "SmoothingType": film.default_smoothing,
            "BorderDensity": film.border_density,
            "EmptyImageDensity": film.empty_image_density,
            "MinDensity": film.min_density,
            "MaxDensity": film.max_density,
            "Trim": "NO",
            "ConfigurationInformation": "",
            "RequestedResolutionID": film.resolutions[0],
        }
        if self.has_annotation:
            attrs["AnnotationDisplayFormatID"] = film.default_annotation_format
        if self.has_plut:
            attrs["Illumination"] = 2000
            attrs["ReflectedAmbientLight"] = 10
        plut = self._plut_reference(values.pop("ReferencedPresentationLUTSequence", None))
        values.pop("ICCProfile", None)
        attrs.update(values)
        display_format = geometry.parse_display_format(attrs["ImageDisplayFormat"])
        try:
            layout = geometry.layout(
                display_format,
                attrs["FilmSizeID"],
                attrs["FilmOrientation"],
                margin_mm=film.margin_mm,
                gap_mm=film.gap_mm,
                custom_formats=self.config.custom_formats,
            )
        except geometry.DisplayFormatError as error:
            raise Failure(
                StatusCode.INVALID_ATTRIBUTE_VALUE, str(error), [int(Tag("ImageDisplayFormat"))]
            ) from None
        if len(layout.boxes) > film.max_boxes:
            raise Failure(
                StatusCode.INVALID_ATTRIBUTE_VALUE,
                f"{len(layout.boxes)} image boxes, this printer takes {film.max_boxes}",
                [int(Tag("ImageDisplayFormat"))],
            )
        dpi = film.resolution_dpi * (2 if attrs["RequestedResolutionID"] == "HIGH" else 1)
        box_class = uids.BASIC_COLOR_IMAGE_BOX if color else uids.BASIC_GRAYSCALE_IMAGE_BOX
        uid = self._new_uid(request.affected_sop_instance_uid)
        image_boxes = [
            ImageBox(self._new_uid(None), box_class, b.position, b) for b in layout.boxes
        ]
        annotations = []
        if self.has_annotation:
            count = film.annotation_formats[str(attrs["AnnotationDisplayFormatID"])]
            annotations = [AnnotationBox(self._new_uid(None), i + 1) for i in range(count)]
        film_box = FilmBox(uid, color, attrs, layout, dpi, image_boxes, annotations, plut)
        session.film_boxes.append(film_box)
        out = _as_dataset(attrs)
        out.ReferencedFilmSessionSequence = [_reference(uids.BASIC_FILM_SESSION, session.uid)]
        out.ReferencedImageBoxSequence = [_reference(b.sop_class, b.uid) for b in image_boxes]
        if self.has_annotation:
            out.ReferencedBasicAnnotationBoxSequence = [
                _reference(uids.BASIC_ANNOTATION_BOX, a.uid) for a in annotations
            ]
        if plut is not None:
            out.ReferencedPresentationLUTSequence = [_reference(uids.PRESENTATION_LUT, plut.uid)]
        return self._answer(request, problems, instance=uid, dataset=out)

    def _plut_reference(self, sequence) -> PresentationLUT | None:
        if sequence is None:
            return None
        tag = int(Tag("ReferencedPresentationLUTSequence"))
        if len(sequence) != 1:
            raise Failure(
                StatusCode.INVALID_ATTRIBUTE_VALUE, "one Presentation LUT reference", [tag]
            )
        uid = sequence[0].get("ReferencedSOPInstanceUID")
        if (
            sequence[0].get("ReferencedSOPClassUID") != uids.PRESENTATION_LUT
            or uid not in self.pluts
        ):
            raise Failure(StatusCode.INVALID_ATTRIBUTE_VALUE, "no such Presentation LUT", [tag])
        return self.pluts[uid]

    def _film_box(self, request: m.Message) -> FilmBox:
        uid = request.requested_sop_instance_uid
        if self.film_session is not None:
            for film_box in self.film_session.film_boxes:
                if film_box.uid == uid:
                    return film_box
        raise Failure(StatusCode.NO_SUCH_SOP_INSTANCE, "no such Film Box")

    def _film_box_set(self, context, request: m.NSetRQ) -> Reply:
        film_box = self._film_box(request)
        dataset = self._dataset(context, request)
        unsupported = set()
        if not self.has_plut:
            unsupported |= {
                "ReferencedPresentationLUTSequence",
                "Illumination",
                "ReflectedAmbientLight",
            }
        values, problems = rules.check_attributes(
            dataset, rules.FILM_BOX_SET, self.config, unsupported=frozenset(unsupported)
        )
        self._fail_if_failed(problems)
        if "ReferencedPresentationLUTSequence" in values:
            film_box.plut = self._plut_reference(values.pop("ReferencedPresentationLUTSequence"))
        film_box.attrs.update(values)
        return self._answer(request, problems, instance=film_box.uid, dataset=_as_dataset(values))

    def _film_box_action(self, context, request: m.NActionRQ) -> Reply:
        film_box = self._film_box(request)
        if request.action_type_id != PRINT_ACTION:
            raise Failure(StatusCode.NO_SUCH_ACTION_TYPE, f"action {request.action_type_id}")
        if not any(b.pixels is not None for b in film_box.image_boxes):
            warning = StatusCode.FILM_BOX_EMPTY_PAGE
        else:
            warning = _first_box_warning([film_box])
        order = self._order(self.film_session, [film_box], "film box")
        return self._action_reply(request, film_box.uid, order, warning)

    def _film_box_delete(self, context, request: m.NDeleteRQ) -> Reply:
        film_box = self._film_box(request)
        self.film_session.film_boxes.remove(film_box)
        for uid in [film_box.uid, *(b.uid for b in film_box.image_boxes)]:
            self._used_uids.discard(uid)
        return Reply(self.respond(request, StatusCode.SUCCESS, instance=film_box.uid))

    # ------------------------------------------------------------------- printing
    def _order(self, session: FilmSession, film_boxes: list[FilmBox], source: str) -> PrintOrder:
        films = []
        copies = int(session.attrs.get("NumberOfCopies", 1))
        for film_box in film_boxes:
            self.films_printed += 1
            film_box.printed = True
            films.append(
                FilmToPrint(
                    film_id=f"a{self.association:04d}-f{self.films_printed:03d}",
                    film_box_uid=film_box.uid,
                    film_session_uid=session.uid,
                    color=film_box.color,
                    layout=film_box.layout,
                    dpi=film_box.dpi,
                    attrs=dict(film_box.attrs),
                    session_attrs=dict(session.attrs),
                    boxes=tuple(self._box_to_print(film_box, b) for b in film_box.image_boxes),
                    annotations=tuple(
                        (a.position, a.text) for a in film_box.annotation_boxes if a.text
                    ),
                    annotation_count=len(film_box.annotation_boxes),
                    copies=copies,
                )
            )
        return PrintOrder(
            generate_uid(prefix=None),
            films,
            str(session.attrs.get("PrintPriority", "MED")),
            str(session.attrs.get("FilmSessionLabel", "")),
            source,
        )

    def _box_to_print(self, film_box: FilmBox, box: ImageBox) -> BoxToPrint:
        attrs, film = box.attrs, film_box.attrs
        plut = attrs.get("plut") or film_box.plut
        size = attrs.get("RequestedImageSize")
        return BoxToPrint(
            position=box.position,
            box=box.box,
            uid=box.uid,
            pixels=box.pixels,
            polarity=str(attrs.get("Polarity", "NORMAL")),
            magnification=str(attrs.get("MagnificationType", film["MagnificationType"])),
            smoothing=str(attrs.get("SmoothingType", film["SmoothingType"])),
            requested_size_mm=float(size) if size is not None else None,
            fit=box.fit,
            lut=(plut.shape, plut.lut) if plut is not None else None,
            dataset=box.dataset if self.config.store_dicom else None,
        )

    def _action_reply(
        self, request: m.NActionRQ, instance: str, order: PrintOrder, warning: int | None
    ) -> Reply:
        dataset = None
        if self.has_print_job:
            dataset = Dataset()
            dataset.ReferencedPrintJobSequencePullStoredPrint = [
                _reference(uids.PRINT_JOB, order.job_uid)
            ]
        status = warning or StatusCode.SUCCESS
        return Reply(self.respond(request, status, instance=instance, dataset=dataset), order)

    # ------------------------------------------------------------------ Image Box
    def _image_box(self, request: m.Message) -> tuple[FilmBox, ImageBox]:
        uid = request.requested_sop_instance_uid
        if self.film_session is not None:
            for film_box in self.film_session.film_boxes:
                for box in film_box.image_boxes:
                    if box.uid == uid:
                        if box.sop_class != request.requested_sop_class_uid:
                            raise Failure(
                                StatusCode.CLASS_INSTANCE_CONFLICT,
                                f"this image box is a {uids.uid_name(box.sop_class)}",
                            )
                        return film_box, box
        raise Failure(StatusCode.NO_SUCH_SOP_INSTANCE, "no such Image Box")

    def _image_box_set(self, context, request: m.NSetRQ) -> Reply:
        film_box, box = self._image_box(request)
        dataset = self._dataset(context, request)
        color = box.color
        table = rules.COLOR_IMAGE_BOX if color else rules.GRAYSCALE_IMAGE_BOX
        sequence_keyword = "BasicColorImageSequence" if color else "BasicGrayscaleImageSequence"
        unsupported = (
            frozenset() if self.has_plut else frozenset({"ReferencedPresentationLUTSequence"})
        )
        values, problems = rules.check_attributes(
            dataset, table, self.config, unsupported=unsupported
        )
        self._fail_if_failed(problems)
        position_tag = int(Tag("ImageBoxPosition"))
        if int(values["ImageBoxPosition"]) != box.position:
            raise Failure(
                StatusCode.INVALID_ATTRIBUTE_VALUE,
                f"this image box is at position {box.position}",
                [position_tag],
            )
        sequence = values.pop(sequence_keyword)
        sequence_tag = int(Tag(sequence_keyword))
        if len(sequence) == 0:  # zero length: erase the image (H.4.3.1.2.1)
            box.pixels, box.dataset, box.fit, box.warning = None, None, None, None
            box.attrs = {}
            return self._answer(request, problems, instance=box.uid)
        if len(sequence) != 1:
            raise Failure(
                StatusCode.INVALID_ATTRIBUTE_VALUE, "one image item expected", [sequence_tag]
            )
        pixels, pixel_problems = rules.check_pixel_item(sequence[0], color, self.config)
        self._fail_if_failed(pixel_problems)
        plut_reference = values.pop("ReferencedPresentationLUTSequence", None)
        if plut_reference is not None:
            values["plut"] = self._plut_reference(plut_reference)
        fit, warning = self._fit(film_box, box, pixels, values, problems)
        box.pixels, box.attrs, box.fit, box.warning = pixels, values, fit, warning
        box.dataset = dataset if self.config.store_dicom else None
        return self._answer(request, problems, instance=box.uid, extra_warning=warning)

    def _fit(self, film_box: FilmBox, box: ImageBox, pixels, values, problems) -> tuple:
        """What happens to an image larger than its box (PS3.4 H.4.3.1.2.1.3, C.13.5)."""
        columns, rows = box.box.pixels(film_box.dpi)
        size = values.get("RequestedImageSize")
        if size is not None:
            wanted = float(size) / geometry.MM_PER_INCH * film_box.dpi
            if wanted > columns + 1e-6:
                values.pop("RequestedImageSize")
                code = (
                    StatusCode.INVALID_ATTRIBUTE_VALUE
                    if self.config.film.invalid_value == "fail"
                    else StatusCode.ATTRIBUTE_VALUE_OUT_OF_RANGE
                )
                text = f"Requested Image Size {float(size):g} mm is wider than the box"
                if code == StatusCode.INVALID_ATTRIBUTE_VALUE:
                    raise Failure(code, text, [int(Tag("RequestedImageSize"))])
                problems.append(rules.Problem(code, int(Tag("RequestedImageSize")), text))
            else:
                columns = max(1, int(wanted))
        if pixels.columns <= columns and pixels.rows <= rows:
            return None, None
        requested = values.get("RequestedDecimateCropBehavior")
        behaviour = str(requested or self.config.film.oversize)
        magnification = str(values.get("MagnificationType", film_box.attrs["MagnificationType"]))
        text = f"image {pixels.columns}x{pixels.rows} larger than box {columns}x{rows}"
        if behaviour == "FAIL" or (requested == "DECIMATE" and magnification == "NONE"):
            raise Failure(StatusCode.IMAGE_LARGER_THAN_IMAGE_BOX, text)
        warning = {
            "DEMAGNIFY": StatusCode.IMAGE_DEMAGNIFIED,
            "DECIMATE": StatusCode.IMAGE_DECIMATED,
            "CROP": StatusCode.IMAGE_CROPPED,
        }[behaviour]
        return behaviour, warning

    # -------------------------------------------------------------- Annotation Box
    def _annotation_set(self, context, request: m.NSetRQ) -> Reply:
        uid = request.requested_sop_instance_uid
        target = None
        if self.film_session is not None:
            for film_box in self.film_session.film_boxes:
                for annotation in film_box.annotation_boxes:
                    if annotation.uid == uid:
                        target = annotation
        if target is None:
            raise Failure(StatusCode.NO_SUCH_SOP_INSTANCE, "no such Annotation Box")
        dataset = self._dataset(context, request)
        values, problems = rules.check_attributes(dataset, rules.ANNOTATION_BOX, self.config)
        self._fail_if_failed(problems)
        if int(values["AnnotationPosition"]) != target.position:
            raise Failure(
                StatusCode.INVALID_ATTRIBUTE_VALUE,
                f"this annotation box is at position {target.position}",
                [int(Tag("AnnotationPosition"))],
            )
        text = values.get("TextString", "") or ""
        if isinstance(text, MultiValue):  # a backslash in the text split the LO into values
            text = "\\".join(str(v) for v in text)
        target.text = str(text)
        return self._answer(request, problems, instance=target.uid)

    # ---------------------------------------------------------- Presentation LUT
    def _plut_create(self, context, request: m.NCreateRQ) -> Reply:
        dataset = self._dataset(context, request)
        values, problems = rules.check_presentation_lut(dataset, self.config)
        self._fail_if_failed(problems)
        uid = self._new_uid(request.affected_sop_instance_uid)
        shape = values.get("PresentationLUTShape")
        self.pluts[uid] = PresentationLUT(uid, str(shape) if shape else None, values.get("lut"))
        out = Dataset()
        if shape:
            out.PresentationLUTShape = shape
        return self._answer(request, problems, instance=uid, dataset=out)

    def _plut_delete(self, context, request: m.NDeleteRQ) -> Reply:
        uid = request.requested_sop_instance_uid
        if uid not in self.pluts:
            raise Failure(StatusCode.NO_SUCH_SOP_INSTANCE, "no such Presentation LUT")
        del self.pluts[uid]
        self._used_uids.discard(uid)
        return Reply(self.respond(request, StatusCode.SUCCESS, instance=uid))

    # -------------------------------------------------------------- N-GET classes
    def _printer_get(self, context, request: m.NGetRQ) -> Reply:
        if request.requested_sop_instance_uid != uids.PRINTER_INSTANCE:
            raise Failure(StatusCode.NO_SUCH_SOP_INSTANCE, "the Printer is 1.2.840.10008.5.1.1.17")
        printer = self.config.printer
        status, info = self.printer_status
        attrs = {
            "PrinterStatus": status,
            "PrinterStatusInfo": info,
            "PrinterName": printer.name,
            "Manufacturer": printer.manufacturer,
            "ManufacturerModelName": printer.model,
            "DeviceSerialNumber": printer.serial_number,
            "SoftwareVersions": printer.software_versions,
            "DateOfLastCalibration": printer.calibration_date,
            "TimeOfLastCalibration": printer.calibration_time,
        }
        return self._get_reply(request, attrs, uids.PRINTER_INSTANCE)

    def _get_reply(self, request: m.NGetRQ, attrs: dict[str, Any], instance: str) -> Reply:
        full = _as_dataset(attrs)
        wanted = request.attribute_identifier_list
        if not wanted:
            return Reply(self.respond(request, StatusCode.SUCCESS, instance=instance, dataset=full))
        out, unknown = Dataset(), []
        for tag in wanted:
            if tag in full:
                out[tag] = full[tag]
            else:
                unknown.append(tag)
        if unknown:
            return Reply(
                self.respond(
                    request,
                    StatusCode.ATTRIBUTE_LIST_ERROR,
                    instance=instance,
                    dataset=out,
                    comment="some requested attributes are not supported",
                    tags=unknown,
                )
            )
        return Reply(self.respond(request, StatusCode.SUCCESS, instance=instance, dataset=out))

    def _print_job_get(self, context, request: m.NGetRQ) -> Reply:
        job = self.jobs.get(request.requested_sop_instance_uid)
        if job is None:
            raise Failure(StatusCode.NO_SUCH_SOP_INSTANCE, "no such Print Job")
        attrs = {
            "ExecutionStatus": job.status,
            "ExecutionStatusInfo": job.info,
            "PrintPriority": job.priority,
            "CreationDate": job.created.strftime("%Y%m%d"),
            "CreationTime": job.created.strftime("%H%M%S"),
            "PrinterName": job.printer_name,
            "Originator": job.originator,
        }
        return self._get_reply(request, attrs, job.uid)

    def _configuration_get(self, context, request: m.NGetRQ) -> Reply:
        if request.requested_sop_instance_uid != uids.PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE:
            raise Failure(
                StatusCode.NO_SUCH_SOP_INSTANCE, "the instance is 1.2.840.10008.5.1.1.17.376"
            )
        dataset = Dataset()
        dataset.PrinterConfigurationSequence = [printer_configuration(self.config)]
        wanted = request.attribute_identifier_list
        if wanted and int(Tag("PrinterConfigurationSequence")) not in wanted:
            return self._get_reply(request, {}, uids.PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE)
        return Reply(
            self.respond(
                request,
                StatusCode.SUCCESS,
                instance=uids.PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE,
                dataset=dataset,
            )
        )

    def _echo(self, context, request: m.CEchoRQ) -> Reply:
        return Reply(self.respond(request, StatusCode.SUCCESS))


_HANDLERS = {
    (uids.BASIC_FILM_SESSION, "N-CREATE"): "session_create",
    (uids.BASIC_FILM_SESSION, "N-SET"): "session_set",
    (uids.BASIC_FILM_SESSION, "N-ACTION"): "session_action",
    (uids.BASIC_FILM_SESSION, "N-DELETE"): "session_delete",
    (uids.BASIC_FILM_BOX, "N-CREATE"): "film_box_create",
    (uids.BASIC_FILM_BOX, "N-SET"): "film_box_set",
    (uids.BASIC_FILM_BOX, "N-ACTION"): "film_box_action",
    (uids.BASIC_FILM_BOX, "N-DELETE"): "film_box_delete",
    (uids.BASIC_GRAYSCALE_IMAGE_BOX, "N-SET"): "image_box_set",
    (uids.BASIC_COLOR_IMAGE_BOX, "N-SET"): "image_box_set",
    (uids.BASIC_ANNOTATION_BOX, "N-SET"): "annotation_set",
    (uids.PRESENTATION_LUT, "N-CREATE"): "plut_create",
    (uids.PRESENTATION_LUT, "N-DELETE"): "plut_delete",
    (uids.PRINTER, "N-GET"): "printer_get",
    (uids.PRINT_JOB, "N-GET"): "print_job_get",
    (uids.PRINTER_CONFIGURATION_RETRIEVAL, "N-GET"): "configuration_get",
    (uids.VERIFICATION, "C-ECHO"): "echo",
}


# ---------------------------------------------------------------------- helpers


def _reference(sop_class: str, sop_instance: str) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = sop_class
    item.ReferencedSOPInstanceUID = sop_instance
    return item


def _as_dataset(attrs: Mapping[str, Any]) -> Dataset:
    dataset = Dataset()
    for keyword, value in attrs.items():
        if keyword == "plut":
            continue
        if isinstance(value, list) and value and isinstance(value[0], Dataset):
            value = DicomSequence(value)
        setattr(dataset, keyword, value)
    return dataset


def _first_box_warning(film_boxes: list[FilmBox]) -> int | None:
    for film_box in film_boxes:
        for box in film_box.image_boxes:
            if box.pixels is not None and box.warning is not None:
                return box.warning
    return None


# Representative layouts listed in the Printer Configuration for the bare kinds.
_CONFIGURATION_FORMATS = {
    "STANDARD": [
        "STANDARD\\1,1",
        "STANDARD\\1,2",
        "STANDARD\\2,2",
        "STANDARD\\2,3",
        "STANDARD\\3,3",
        "STANDARD\\3,4",
        "STANDARD\\4,5",
    ],
    "ROW": ["ROW\\1,2"],
    "COL": ["COL\\1,2"],
    "SLIDE": ["SLIDE"],
    "SUPERSLIDE": ["SUPERSLIDE"],
}


def printer_configuration(config: VirtualPrinterConfig) -> Dataset:
    """One Printer Configuration Sequence item (PS3.4 H.4.11, PS3.3 C.13.9): what the
    printer supports, including the pixel matrix of box 1 of each format and size."""
    film = config.film
    item = Dataset()
    supported = [
        uid
        for name, uid in terms.SOP_CLASSES.items()
        if name != "verification" and config.supports(name)
    ]
    item.SOPClassesSupported = supported
    bits = 12 if film.supports_12bit else 8
    item.MemoryBitDepth = bits
    item.PrintingBitDepth = bits
    media = []
    for medium in film.medium_types:
        entry = Dataset()
        entry.MediumType = medium
        entry.FilmSizeID = film.sizes[0]
        entry.MinDensity = film.min_density
        entry.MaxDensity = film.max_density
        media.append(entry)
    item.MediaInstalledSequence = media
    other = []
    for size in film.sizes[1:]:
        entry = Dataset()
        entry.MediumType = film.medium_types[0]
        entry.FilmSizeID = size
        other.append(entry)
    item.OtherMediaAvailableSequence = other
    formats = []
    for entry in film.display_formats:
        if entry == "CUSTOM":
            formats += [f"CUSTOM\\{k}" for k in config.custom_formats]
        else:
            formats += _CONFIGURATION_FORMATS.get(entry, [entry])
    supported_formats = []
    pixel_spacing = round(geometry.MM_PER_INCH / film.resolution_dpi, 6)
    for size in film.sizes:
        for text in dict.fromkeys(formats):
            try:
                layout = geometry.layout(
                    geometry.parse_display_format(text),
                    size,
                    "PORTRAIT",
                    margin_mm=film.margin_mm,
                    gap_mm=film.gap_mm,
                    custom_formats=config.custom_formats,
                )
            except geometry.DisplayFormatError:
                continue
            columns, rows = layout.boxes[0].pixels(film.resolution_dpi)
            entry = Dataset()
            entry.Rows = rows
            entry.Columns = columns
            entry.ImageDisplayFormat = text
            entry.FilmOrientation = "PORTRAIT"
            entry.FilmSizeID = size
            entry.PrinterResolutionID = "STANDARD"
            entry.PrinterPixelSpacing = [pixel_spacing, pixel_spacing]
            entry.RequestedImageSizeFlag = (
                "NO" if "RequestedImageSize" in film.unsupported_attributes else "YES"
            )
            supported_formats.append(entry)
    item.SupportedImageDisplayFormatsSequence = supported_formats
    item.DefaultMagnificationType = film.default_magnification
    item.OtherMagnificationTypesAvailable = [
        t for t in film.magnification_types if t != film.default_magnification
    ]
    item.DefaultSmoothingType = film.default_smoothing
    item.OtherSmoothingTypesAvailable = [
        t for t in film.smoothing_types if t != film.default_smoothing
    ]
    item.ConfigurationInformationDescription = (
        "accepted: " + ", ".join(film.configuration_information)
        if film.configuration_information
        else "any configuration information is accepted and ignored"
    )
    item.MaximumCollatedFilms = str(film.max_copies) if film.collation else "1"
    item.DecimateCropResult = {"DEMAGNIFY": "DECIMATE"}.get(film.oversize, film.oversize)
    item.Manufacturer = config.printer.manufacturer
    item.ManufacturerModelName = config.printer.model
    item.PrinterName = config.printer.name
    return item
