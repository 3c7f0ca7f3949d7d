"""The print management SOP classes the virtual printer knows, and what each may do.

Which classes each meta SOP class's presentation context carries (PS3.4 H.3.1), which
DIMSE operations each class has (the H.4 tables), and how to read a request's class,
instance and operation.
"""

from __future__ import annotations

import re

from dimse import messages as m
from dimse import uids

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
