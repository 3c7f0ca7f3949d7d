"""Which handler answers which request, and the checks before any handler runs.

:data:`HANDLERS` maps ``(SOP class UID, operation)`` to a handler of
:mod:`hcs.vprinter.handlers`. A :class:`~hcs.vprinter.session.PrintSession` takes its own
copy, so something that changes how one printer behaves (a personality, a test) can
replace or wrap handlers without touching the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from dimse import messages as m
from dimse import uids
from dimse.status import StatusCode
from dul.negotiation import NegotiatedContext
from hcs.vprinter.classes import KNOWN_CLASSES, META_MEMBERS, OPERATIONS
from hcs.vprinter.handlers import (
    annotation,
    film_box,
    film_session,
    image_box,
    presentation_lut,
    queries,
)
from hcs.vprinter.replies import Failure, Reply

if TYPE_CHECKING:
    from hcs.vprinter.session import PrintSession

Handler = Callable[["PrintSession", NegotiatedContext, m.Message], Reply]

HANDLERS: dict[tuple[str, str], Handler] = {
    (uids.BASIC_FILM_SESSION, "N-CREATE"): film_session.session_create,
    (uids.BASIC_FILM_SESSION, "N-SET"): film_session.session_set,
    (uids.BASIC_FILM_SESSION, "N-ACTION"): film_session.session_action,
    (uids.BASIC_FILM_SESSION, "N-DELETE"): film_session.session_delete,
    (uids.BASIC_FILM_BOX, "N-CREATE"): film_box.film_box_create,
    (uids.BASIC_FILM_BOX, "N-SET"): film_box.film_box_set,
    (uids.BASIC_FILM_BOX, "N-ACTION"): film_box.film_box_action,
    (uids.BASIC_FILM_BOX, "N-DELETE"): film_box.film_box_delete,
    (uids.BASIC_GRAYSCALE_IMAGE_BOX, "N-SET"): image_box.image_box_set,
    (uids.BASIC_COLOR_IMAGE_BOX, "N-SET"): image_box.image_box_set,
    (uids.BASIC_ANNOTATION_BOX, "N-SET"): annotation.annotation_set,
    (uids.PRESENTATION_LUT, "N-CREATE"): presentation_lut.plut_create,
    (uids.PRESENTATION_LUT, "N-DELETE"): presentation_lut.plut_delete,
    (uids.PRINTER, "N-GET"): queries.printer_get,
    (uids.PRINT_JOB, "N-GET"): queries.print_job_get,
    (uids.PRINTER_CONFIGURATION_RETRIEVAL, "N-GET"): queries.configuration_get,
    (uids.VERIFICATION, "C-ECHO"): queries.echo,
}
"""The Annex H handler for each SOP class and operation."""


def route(
    handlers: dict[tuple[str, str], Handler],
    context: NegotiatedContext | None,
    sop_class: str | None,
    op: str,
) -> Handler:
    """The handler for a request, or :class:`Failure` with the status PS3.7 gives for a
    context not accepted, an unknown class, a class not on this context, or an
    operation the class does not have."""
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
    handler = handlers.get((sop_class, op)) if op in OPERATIONS.get(sop_class, ()) else None
    if handler is None:
        raise Failure(StatusCode.UNRECOGNIZED_OPERATION, f"{op} not defined for this SOP class")
    return handler
