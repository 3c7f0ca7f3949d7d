"""One association's print management state, and the entry point for its requests.

:class:`PrintSession` is sans-I/O: a request goes in, a response and (for N-ACTION)
a :class:`~hcs.vprinter.instances.PrintOrder` come out. The server sends the response and
runs the order as a Print Job. Nothing here knows about sockets, files or time, so every
Annex H rule can be tested by calling :meth:`PrintSession.handle` directly.

The hierarchy follows PS3.4 H.4: one Film Session per association (H.4.1.2.1.3),
Film Boxes under it, Image Boxes and Annotation Boxes created by the SCP with each Film
Box, Presentation LUTs beside them. When the association ends,
:meth:`PrintSession.close` forgets all of it; Print Jobs live in the printer's registry
and finish (H.5).

Where the rest lives: the SOP instances in :mod:`~hcs.vprinter.instances`, which
handler answers what in :mod:`~hcs.vprinter.dispatch`, the Annex H rules per SOP class
in :mod:`hcs.vprinter.handlers`, responses in :mod:`~hcs.vprinter.replies`, the Printer
Configuration answer in :mod:`~hcs.vprinter.configuration`. The names this module used
to define are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from dimse import messages as m
from dimse import uids
from dimse.errors import DIMSEProtocolError
from dimse.status import StatusCode
from dul.negotiation import NegotiatedContext
from hcs.vprinter.classes import (
    COLOR_META,
    GRAY_META,
    KNOWN_CLASSES,
    META_MEMBERS,
    OPERATIONS,
    PRINT_ACTION,
    operation_of,
    sop_class_of,
    sop_instance_of,
    valid_uid,
)
from hcs.vprinter.config import VirtualPrinterConfig
from hcs.vprinter.configuration import printer_configuration
from hcs.vprinter.dispatch import HANDLERS, Handler, route
from hcs.vprinter.instances import (
    AnnotationBox,
    BoxToPrint,
    FilmBox,
    FilmSession,
    FilmToPrint,
    ImageBox,
    PresentationLUT,
    PrintJob,
    PrintOrder,
)
from hcs.vprinter.replies import Failure, Reply, respond

__all__ = [
    "COLOR_META",
    "GRAY_META",
    "KNOWN_CLASSES",
    "META_MEMBERS",
    "OPERATIONS",
    "PRINT_ACTION",
    "AnnotationBox",
    "BoxToPrint",
    "Failure",
    "FilmBox",
    "FilmSession",
    "FilmToPrint",
    "ImageBox",
    "PresentationLUT",
    "PrintJob",
    "PrintOrder",
    "PrintSession",
    "Reply",
    "operation_of",
    "printer_configuration",
    "sop_class_of",
    "sop_instance_of",
    "valid_uid",
]


class PrintSession:
    """The print SOP instances of one association and the rules for changing them.

    ``handlers`` replaces :data:`~hcs.vprinter.dispatch.HANDLERS` for this session
    (a personality or a test may change how some operations are answered).
    """

    def __init__(
        self,
        config: VirtualPrinterConfig,
        *,
        association: int = 1,
        calling_ae: str = "",
        contexts: Mapping[int, NegotiatedContext] | None = None,
        printer_status: tuple[str, str] | None = None,
        jobs: MutableMapping[str, PrintJob] | None = None,
        handlers: Mapping[tuple[str, str], Handler] | None = None,
    ):
        self.config = config
        self.association = association
        self.calling_ae = calling_ae
        self.contexts = dict(contexts or {})
        self.printer_status = printer_status or (config.printer.status, config.printer.status_info)
        self.jobs: MutableMapping[str, PrintJob] = jobs if jobs is not None else {}
        self.handlers: dict[tuple[str, str], Handler] = dict(handlers or HANDLERS)
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
        if isinstance(request, m.CCancelRQ):
            return Reply(None, description="C-CANCEL ignored (nothing to cancel)")
        context = self.contexts.get(context_id)
        try:
            handler = route(self.handlers, context, sop_class_of(request), operation_of(request))
            return handler(self, context, request)
        except Failure as failure:
            return Reply(respond(request, failure.code, comment=failure.comment, tags=failure.tags))
        except DIMSEProtocolError as error:
            return Reply(
                respond(request, StatusCode.PROCESSING_FAILURE, comment=f"bad data set: {error}")
            )

    def close(self) -> None:
        """The association ended: every SOP instance but the Print Jobs is gone (H.5)."""
        self.film_session = None
        self.pluts.clear()
        self._used_uids.clear()

    def respond(self, request: m.Message, status: int, **kwargs) -> m.Message | None:
        """The response to ``request``: :func:`hcs.vprinter.replies.respond`."""
        return respond(request, status, **kwargs)

    # ------------------------------------------------------- for the handlers
    def dataset(self, context: NegotiatedContext, request: m.Message) -> Dataset | None:
        """The request's data set, decoded in its context's transfer syntax."""
        return request.decode_dataset(context.transfer_syntax)

    def new_uid(self, requested: str | None) -> str:
        """A SOP Instance UID for a new instance: the SCU's if it proposed a valid,
        unused one (else :class:`Failure`), ours otherwise."""
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

    def release_uid(self, uid: str) -> None:
        """An instance was deleted: its UID may be used again."""
        self._used_uids.discard(uid)
