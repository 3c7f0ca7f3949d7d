"""DIMSE status codes: their category and a sentence a person understands.

Sources: PS3.7 Annex C (the status classes and the general codes), PS3.7 §10.1 (which
N-service may return which code) and PS3.4 Annex H (the print-specific codes).

PS3.7 Annex C gives every code a class by its value:

======= ==========================================================
Success 0000
Warning 0001, Bxxx, 0107, 0116
Failure Axxx, Cxxx, 01xx (except 0107 and 0116), 02xx
Cancel  FE00
Pending FF00, FF01
======= ==========================================================

Axxx, Bxxx and Cxxx are left to each service class, so the meaning of, say, C600 depends
on the service. This project only speaks print management, so the print codes of
PS3.4 Annex H are in the one table below. Codes outside every range above are not allowed
by the standard ("Implementations shall not use Status Codes with values not listed");
we call them failures, because treating an unknown answer as success would print nothing
and report it printed.
"""

from enum import Enum, IntEnum
from types import MappingProxyType


class StatusCategory(Enum):
    """The status class of PS3.7 Annex C."""

    SUCCESS = "Success"
    WARNING = "Warning"
    FAILURE = "Failure"
    CANCEL = "Cancel"
    PENDING = "Pending"


class StatusCode(IntEnum):
    """Named status codes: the general ones of PS3.7 Annex C and the print ones of PS3.4 H."""

    SUCCESS = 0x0000
    # General warnings (PS3.7 C.4)
    OPTIONAL_ATTRIBUTES_NOT_SUPPORTED = 0x0001
    ATTRIBUTE_LIST_ERROR = 0x0107
    ATTRIBUTE_VALUE_OUT_OF_RANGE = 0x0116
    # General failures (PS3.7 C.5)
    NO_SUCH_ATTRIBUTE = 0x0105
    INVALID_ATTRIBUTE_VALUE = 0x0106
    PROCESSING_FAILURE = 0x0110
    DUPLICATE_SOP_INSTANCE = 0x0111
    NO_SUCH_SOP_INSTANCE = 0x0112
    NO_SUCH_EVENT_TYPE = 0x0113
    NO_SUCH_ARGUMENT = 0x0114
    INVALID_ARGUMENT_VALUE = 0x0115
    INVALID_SOP_INSTANCE = 0x0117
    NO_SUCH_SOP_CLASS = 0x0118
    CLASS_INSTANCE_CONFLICT = 0x0119
    MISSING_ATTRIBUTE = 0x0120
    MISSING_ATTRIBUTE_VALUE = 0x0121
    SOP_CLASS_NOT_SUPPORTED = 0x0122
    NO_SUCH_ACTION_TYPE = 0x0123
    NOT_AUTHORIZED = 0x0124
    DUPLICATE_INVOCATION = 0x0210
    UNRECOGNIZED_OPERATION = 0x0211
    MISTYPED_ARGUMENT = 0x0212
    RESOURCE_LIMITATION = 0x0213
    # Cancel and pending (PS3.7 C.2, C.3)
    CANCEL = 0xFE00
    PENDING = 0xFF00
    PENDING_WITH_WARNING = 0xFF01
    # Print management warnings (PS3.4 H.4)
    MEMORY_ALLOCATION_NOT_SUPPORTED = 0xB600
    FILM_SESSION_PRINTING_NOT_SUPPORTED = 0xB601
    FILM_SESSION_EMPTY_PAGE = 0xB602
    FILM_BOX_EMPTY_PAGE = 0xB603
    IMAGE_DEMAGNIFIED = 0xB604
    DENSITY_OUTSIDE_PRINTER_RANGE = 0xB605
    IMAGE_CROPPED = 0xB609
    IMAGE_DECIMATED = 0xB60A
    # Print management failures (PS3.4 H.4)
    FILM_SESSION_HAS_NO_FILM_BOX = 0xC600
    PRINT_QUEUE_FULL_FILM_SESSION = 0xC601
    PRINT_QUEUE_FULL_FILM_BOX = 0xC602
    IMAGE_LARGER_THAN_IMAGE_BOX = 0xC603
    IMAGE_POSITION_COLLISION = 0xC604
    INSUFFICIENT_PRINTER_MEMORY = 0xC605
    COMBINED_IMAGE_LARGER_THAN_IMAGE_BOX = 0xC613
    UNPRINTED_FILM_BOX_EXISTS = 0xC616


_S, _W, _F = StatusCategory.SUCCESS, StatusCategory.WARNING, StatusCategory.FAILURE
_C, _P = StatusCategory.CANCEL, StatusCategory.PENDING

STATUS_TABLE = MappingProxyType(
    {
        StatusCode.SUCCESS: (_S, "success"),
        StatusCode.OPTIONAL_ATTRIBUTES_NOT_SUPPORTED: (
            _W,
            "the requested optional attributes are not supported",
        ),
        StatusCode.ATTRIBUTE_LIST_ERROR: (
            _W,
            "attribute list error: some attributes were not recognised and were ignored",
        ),
        StatusCode.ATTRIBUTE_VALUE_OUT_OF_RANGE: (
            _W,
            "attribute value out of range: the peer used a value of its own instead",
        ),
        StatusCode.NO_SUCH_ATTRIBUTE: (_F, "no such attribute: an attribute was not recognised"),
        StatusCode.INVALID_ATTRIBUTE_VALUE: (_F, "invalid attribute value"),
        StatusCode.PROCESSING_FAILURE: (
            _F,
            "processing failure: the peer failed while performing the operation",
        ),
        StatusCode.DUPLICATE_SOP_INSTANCE: (
            _F,
            "duplicate SOP instance: the SOP Instance UID is already in use",
        ),
        StatusCode.NO_SUCH_SOP_INSTANCE: (_F, "no such SOP instance"),
        StatusCode.NO_SUCH_EVENT_TYPE: (_F, "no such event type"),
        StatusCode.NO_SUCH_ARGUMENT: (_F, "no such argument: an argument was not recognised"),
        StatusCode.INVALID_ARGUMENT_VALUE: (_F, "invalid argument value"),
        StatusCode.INVALID_SOP_INSTANCE: (
            _F,
            "invalid SOP instance: the SOP Instance UID breaks the UID construction rules",
        ),
        StatusCode.NO_SUCH_SOP_CLASS: (_F, "no such SOP class"),
        StatusCode.CLASS_INSTANCE_CONFLICT: (
            _F,
            "class-instance conflict: the SOP instance is not a member of the SOP class",
        ),
        StatusCode.MISSING_ATTRIBUTE: (_F, "missing attribute: a required attribute is absent"),
        StatusCode.MISSING_ATTRIBUTE_VALUE: (
            _F,
            "missing attribute value: a required attribute has no value",
        ),
        StatusCode.SOP_CLASS_NOT_SUPPORTED: (_F, "refused: SOP class not supported"),
        StatusCode.NO_SUCH_ACTION_TYPE: (_F, "no such action type"),
        StatusCode.NOT_AUTHORIZED: (_F, "refused: not authorized to invoke the operation"),
        StatusCode.DUPLICATE_INVOCATION: (
            _F,
            "duplicate invocation: the Message ID is already used by another operation",
        ),
        StatusCode.UNRECOGNIZED_OPERATION: (
            _F,
            "unrecognized operation: not one agreed on this association",
        ),
        StatusCode.MISTYPED_ARGUMENT: (
            _F,
            "mistyped argument: a parameter was not agreed for use on this association",
        ),
        StatusCode.RESOURCE_LIMITATION: (
            _F,
            "resource limitation: the peer lacked the resources to perform the operation",
        ),
        StatusCode.CANCEL: (_C, "cancelled"),
        StatusCode.PENDING: (_P, "pending: the operation is continuing"),
        StatusCode.PENDING_WITH_WARNING: (
            _P,
            "pending: the operation is continuing, but optional keys were not supported",
        ),
        StatusCode.MEMORY_ALLOCATION_NOT_SUPPORTED: (_W, "memory allocation not supported"),
        StatusCode.FILM_SESSION_PRINTING_NOT_SUPPORTED: (
            _W,
            "film session printing (collation) is not supported",
        ),
        StatusCode.FILM_SESSION_EMPTY_PAGE: (
            _W,
            "the film session has no image box instances (empty page)",
        ),
        StatusCode.FILM_BOX_EMPTY_PAGE: (
            _W,
            "the film box has no image box instances (empty page)",
        ),
        StatusCode.IMAGE_DEMAGNIFIED: (
            _W,
            "the image is larger than the image box and has been demagnified",
        ),
        StatusCode.DENSITY_OUTSIDE_PRINTER_RANGE: (
            _W,
            "the requested minimum or maximum density is outside the printer's range;"
            " the printer's own value is used",
        ),
        StatusCode.IMAGE_CROPPED: (
            _W,
            "the image is larger than the image box and has been cropped to fit",
        ),
        StatusCode.IMAGE_DECIMATED: (
            _W,
            "the image or combined print image is larger than the image box"
            " and has been decimated to fit",
        ),
        StatusCode.FILM_SESSION_HAS_NO_FILM_BOX: (
            _F,
            "the film session has no film box instances",
        ),
        StatusCode.PRINT_QUEUE_FULL_FILM_SESSION: (
            _F,
            "unable to create a print job for the film session: the print queue is full",
        ),
        StatusCode.PRINT_QUEUE_FULL_FILM_BOX: (
            _F,
            "unable to create a print job for the film box: the print queue is full",
        ),
        StatusCode.IMAGE_LARGER_THAN_IMAGE_BOX: (
            _F,
            "the image is larger than the image box",
        ),
        StatusCode.IMAGE_POSITION_COLLISION: (
            _F,
            "image position collision: several images for one position (retired code)",
        ),
        StatusCode.INSUFFICIENT_PRINTER_MEMORY: (
            _F,
            "the printer has not enough memory to store the image",
        ),
        StatusCode.COMBINED_IMAGE_LARGER_THAN_IMAGE_BOX: (
            _F,
            "the combined print image is larger than the image box",
        ),
        StatusCode.UNPRINTED_FILM_BOX_EXISTS: (
            _F,
            "an earlier film box has not been printed and the printer does not support"
            " printing the film session; no new film box was created",
        ),
    }
)
"""Every code we can name -> (category, sentence). Codes not here fall back to their range."""


def _check(code: int) -> None:
    if not 0 <= code <= 0xFFFF:
        raise ValueError(f"a DIMSE status is an unsigned 16-bit value, not {code!r}")


def _range_category_and_meaning(code: int) -> tuple[StatusCategory, str]:
    """Category and sentence for a code the table does not name, from PS3.7 Annex C."""
    high = code >> 12
    if high == 0xB:
        return _W, "service-class specific warning"
    if high == 0xC:
        return _F, "service-class specific failure (in storage: cannot understand)"
    if code >> 8 == 0xA7:
        return _F, "refused: out of resources (service-class specific)"
    if code >> 8 == 0xA9:
        return _F, "error: data set does not match SOP class (service-class specific)"
    if high == 0xA:
        return _F, "service-class specific failure"
    if code >> 8 in (0x01, 0x02):
        return _F, "failure (a code reserved by the DICOM standard but not assigned)"
    return _F, "unknown status code outside the ranges PS3.7 allows; treated as a failure"


def status_category(code: int) -> StatusCategory:
    """The PS3.7 Annex C status class of ``code`` (unknown codes by range, else failure)."""
    _check(code)
    entry = STATUS_TABLE.get(code)
    return entry[0] if entry else _range_category_and_meaning(code)[0]


def status_meaning(code: int) -> str:
    """A short lower-case sentence saying what ``code`` means, never empty."""
    _check(code)
    entry = STATUS_TABLE.get(code)
    return entry[1] if entry else _range_category_and_meaning(code)[1]


def describe_status(code: int) -> str:
    """``code`` for a log line or an error, e.g. ``0x0106 Failure: invalid attribute value``."""
    return f"0x{code:04X} {status_category(code).value}: {status_meaning(code)}"
