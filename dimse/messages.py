"""The DIMSE messages print management uses, one frozen dataclass per message type.

Each class is PS3.7's message table written as fields: a positional field is mandatory
(C-ECHO-RQ's SOP class has a default, Verification, but must not be ``None``), a
keyword-only field with ``None`` as default is optional (PS3.7 §9.3 for
C-ECHO and C-CANCEL, §10.3 for the N-services, Annex C for the status fields a response
may add). Field names are PS3.7's element names in snake case; :mod:`dimse.command` maps
them to tags. Command Field and Command Data Set Type are not fields: the first is the
class, the second says whether ``dataset`` is ``None``.

``dataset`` is either a pydicom ``Dataset`` or its encoding: one buffer or a list of
buffers (``bytes``, ``bytearray``, ``memoryview``). Sending accepts all of them and passes
buffers through uncopied (an Image Box N-SET hands over its pixels as a memoryview).
Received messages carry the raw bytes and decode them only when asked, with
:meth:`Message.decode_dataset`, so pixel data is not parsed unless someone wants it.

Attribute tag lists (Offending Element, Attribute Identifier List) are tuples of ``int``
tags such as ``0x20100010``; a list or a single tag is turned into a tuple, and an empty
list or an empty Error Comment is the same as leaving the field out, because that is how
both encode.
"""

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Union

from dimse import uids
from dimse.elements import is_uid
from dimse.status import StatusCode

if TYPE_CHECKING:  # pydicom is imported when a data set is decoded, not to send a C-ECHO
    from pydicom.dataset import Dataset

Buffer = bytes | bytearray | memoryview
DatasetLike = Union["Dataset", Buffer, Sequence[Buffer]]  # a forward reference: no pydicom
"""A data set as a pydicom ``Dataset``, or already encoded as one buffer or a list of them."""

DatasetPresence = Literal["none", "optional", "required"]

_TAG_LIST_FIELDS = ("offending_element", "attribute_identifier_list")

# A request's UID fields, how an error names them, and the failure status PS3.7 gives
# when one is not a UID (Annex C: 0122 "SOP class not supported", 0117 "invalid SOP
# instance"). The class comes first: a request for a class we cannot name is refused
# as such whatever its instance says.
_UID_FIELDS = (
    ("affected_sop_class_uid", "Affected SOP Class UID", StatusCode.SOP_CLASS_NOT_SUPPORTED),
    ("requested_sop_class_uid", "Requested SOP Class UID", StatusCode.SOP_CLASS_NOT_SUPPORTED),
    ("affected_sop_instance_uid", "Affected SOP Instance UID", StatusCode.INVALID_SOP_INSTANCE),
    ("requested_sop_instance_uid", "Requested SOP Instance UID", StatusCode.INVALID_SOP_INSTANCE),
)


@dataclass(frozen=True, slots=True)
class Message:
    """Base of all message types. ``NAME`` is PS3.7's, ``COMMAND_FIELD`` its (0000,0100).

    ``DATASET`` says whether the message type never (``"none"``), optionally
    (``"optional"``) or always (``"required"``) carries a data set.
    """

    NAME: ClassVar[str]
    COMMAND_FIELD: ClassVar[int]
    DATASET: ClassVar[DatasetPresence] = "none"

    def __post_init__(self) -> None:
        for name in _TAG_LIST_FIELDS:
            value = getattr(self, name, None)
            if isinstance(value, int):  # one tag, e.g. pydicom's Tag("PixelData")
                object.__setattr__(self, name, (value,))
            elif value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value) or None)
            elif value == ():
                object.__setattr__(self, name, None)
        if getattr(self, "error_comment", None) == "":
            object.__setattr__(self, "error_comment", None)

    def decode_dataset(self, transfer_syntax_uid: str) -> "Dataset | None":
        """The data set as a pydicom ``Dataset`` (``None`` if the message has none).

        Encoded data sets are decoded in the given transfer syntax (the presentation
        context's); a malformed one raises :class:`~dimse.errors.DIMSEProtocolError`.
        """
        dataset = getattr(self, "dataset", None)
        if dataset is None:
            return None
        from pydicom.dataset import Dataset

        from dimse.dataset import decode_dataset

        if isinstance(dataset, Dataset):
            return dataset
        if not isinstance(dataset, bytes | bytearray | memoryview):
            dataset = b"".join(dataset)
        return decode_dataset(dataset, transfer_syntax_uid)


@dataclass(frozen=True, slots=True)
class Request(Message):
    """A request (or C-CANCEL): something the peer must act on.

    ``RESPONSE`` is the response's class (``None`` for C-CANCEL, which has none), and
    :meth:`respond` builds it: the one place a response takes values from its request.
    """

    RESPONSE: ClassVar[type["Response"] | None] = None

    @property
    def sop_class_uid(self) -> str | None:
        """The Affected or Requested SOP Class UID, whichever this request carries."""
        return getattr(self, "affected_sop_class_uid", None) or getattr(
            self, "requested_sop_class_uid", None
        )

    @property
    def sop_instance_uid(self) -> str | None:
        """The Affected or Requested SOP Instance UID, whichever this request carries."""
        return getattr(self, "affected_sop_instance_uid", None) or getattr(
            self, "requested_sop_instance_uid", None
        )

    def invalid(self) -> tuple[int, str] | None:
        """``(failure status, reason)`` when a UID in this request is not a UID, else ``None``.

        A decoded command set holds whatever ASCII the peer sent in a UI element; such a
        request cannot be acted on, and its UIDs must not be copied into the answer.
        """
        for name, label, status in _UID_FIELDS:
            value = getattr(self, name, None)
            if value is not None and not is_uid(value):
                shown = value if len(value) <= 24 else value[:24] + "..."
                return status, f"{label} is not a UID: {shown.encode('unicode_escape').decode()}"
        return None

    def respond(self, status: int, **fields: Any) -> "Response":
        """This request's response with ``status``.

        Message ID Being Responded To, the Affected SOP Class and Instance UIDs and the
        Action/Event Type ID are taken from the request where the response has them; a
        UID is taken only when it is a valid UID (never a peer's value unchecked).
        ``fields`` are set as given and override what would be copied.
        """
        response_class = self.RESPONSE
        if response_class is None:
            raise TypeError(f"{self.NAME} has no response")
        names = _field_names(response_class)
        copied: dict[str, Any] = {}
        for name, value in (
            ("affected_sop_class_uid", self.sop_class_uid),
            ("affected_sop_instance_uid", self.sop_instance_uid),
        ):
            if name in names and is_uid(value):
                copied[name] = value
        for name in ("action_type_id", "event_type_id"):
            if name in names:
                copied[name] = getattr(self, name, None)
        copied.update(fields)
        return response_class(self.message_id, status, **copied)


def fit_error_comment(text: str) -> str:
    """``text`` made fit for Error Comment (LO): printable ASCII, no backslash (a ``/``
    instead), 64 characters at most; anything else becomes ``?``."""
    text = text.replace("\\", "/")
    return "".join(c if c.isascii() and c.isprintable() else "?" for c in text[:64])


@functools.cache
def _field_names(message_type: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(message_type))


@dataclass(frozen=True, slots=True)
class Response(Message):
    """A response; ``message_id_being_responded_to`` and ``status`` are in every one."""


# --- C-ECHO and C-CANCEL (PS3.7 §9.3.5, §9.3.2.3) ------------------------------------------


@dataclass(frozen=True, slots=True)
class CEchoRQ(Request):
    """C-ECHO-RQ (PS3.7 Table 9.3-12): are you there?"""

    NAME: ClassVar[str] = "C-ECHO-RQ"
    COMMAND_FIELD: ClassVar[int] = 0x0030

    message_id: int
    affected_sop_class_uid: str = uids.VERIFICATION


@dataclass(frozen=True, slots=True)
class CEchoRSP(Response):
    """C-ECHO-RSP (PS3.7 Table 9.3-13)."""

    NAME: ClassVar[str] = "C-ECHO-RSP"
    COMMAND_FIELD: ClassVar[int] = 0x8030

    message_id_being_responded_to: int
    status: int
    _: KW_ONLY
    affected_sop_class_uid: str | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None


@dataclass(frozen=True, slots=True)
class CCancelRQ(Request):
    """C-CANCEL-RQ (PS3.7 Table 9.3-3): stop the operation with that Message ID."""

    NAME: ClassVar[str] = "C-CANCEL-RQ"
    COMMAND_FIELD: ClassVar[int] = 0x0FFF

    message_id_being_responded_to: int


# --- N-EVENT-REPORT (PS3.7 §10.3.1) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NEventReportRQ(Request):
    """N-EVENT-REPORT-RQ (Table 10.3-1); ``dataset`` is the Event Information."""

    NAME: ClassVar[str] = "N-EVENT-REPORT-RQ"
    COMMAND_FIELD: ClassVar[int] = 0x0100
    DATASET: ClassVar[DatasetPresence] = "optional"

    message_id: int
    affected_sop_class_uid: str
    affected_sop_instance_uid: str
    event_type_id: int
    _: KW_ONLY
    dataset: DatasetLike | None = None


@dataclass(frozen=True, slots=True)
class NEventReportRSP(Response):
    """N-EVENT-REPORT-RSP (Table 10.3-2); ``dataset`` is the Event Reply."""

    NAME: ClassVar[str] = "N-EVENT-REPORT-RSP"
    COMMAND_FIELD: ClassVar[int] = 0x8100
    DATASET: ClassVar[DatasetPresence] = "optional"

    message_id_being_responded_to: int
    status: int
    _: KW_ONLY
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    event_type_id: int | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    dataset: DatasetLike | None = None


# --- N-GET (PS3.7 §10.3.2) -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NGetRQ(Request):
    """N-GET-RQ (Table 10.3-3); no Attribute Identifier List means "all attributes"."""

    NAME: ClassVar[str] = "N-GET-RQ"
    COMMAND_FIELD: ClassVar[int] = 0x0110

    message_id: int
    requested_sop_class_uid: str
    requested_sop_instance_uid: str
    _: KW_ONLY
    attribute_identifier_list: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class NGetRSP(Response):
    """N-GET-RSP (Table 10.3-4); ``dataset`` is the Attribute List."""

    NAME: ClassVar[str] = "N-GET-RSP"
    COMMAND_FIELD: ClassVar[int] = 0x8110
    DATASET: ClassVar[DatasetPresence] = "optional"

    message_id_being_responded_to: int
    status: int
    _: KW_ONLY
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    attribute_identifier_list: tuple[int, ...] | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    dataset: DatasetLike | None = None


# --- N-SET (PS3.7 §10.3.3) -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NSetRQ(Request):
    """N-SET-RQ (Table 10.3-5); ``dataset`` is the Modification List and is mandatory."""

    NAME: ClassVar[str] = "N-SET-RQ"
    COMMAND_FIELD: ClassVar[int] = 0x0120
    DATASET: ClassVar[DatasetPresence] = "required"

    message_id: int
    requested_sop_class_uid: str
    requested_sop_instance_uid: str
    dataset: DatasetLike


@dataclass(frozen=True, slots=True)
class NSetRSP(Response):
    """N-SET-RSP (Table 10.3-6); ``dataset`` is the Attribute List."""

    NAME: ClassVar[str] = "N-SET-RSP"
    COMMAND_FIELD: ClassVar[int] = 0x8120
    DATASET: ClassVar[DatasetPresence] = "optional"

    message_id_being_responded_to: int
    status: int
    _: KW_ONLY
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    attribute_identifier_list: tuple[int, ...] | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    dataset: DatasetLike | None = None


# --- N-ACTION (PS3.7 §10.3.4) --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NActionRQ(Request):
    """N-ACTION-RQ (Table 10.3-7); ``dataset`` is the Action Information."""

    NAME: ClassVar[str] = "N-ACTION-RQ"
    COMMAND_FIELD: ClassVar[int] = 0x0130
    DATASET: ClassVar[DatasetPresence] = "optional"

    message_id: int
    requested_sop_class_uid: str
    requested_sop_instance_uid: str
    action_type_id: int
    _: KW_ONLY
    dataset: DatasetLike | None = None


@dataclass(frozen=True, slots=True)
class NActionRSP(Response):
    """N-ACTION-RSP (Table 10.3-8); ``dataset`` is the Action Reply."""

    NAME: ClassVar[str] = "N-ACTION-RSP"
    COMMAND_FIELD: ClassVar[int] = 0x8130
    DATASET: ClassVar[DatasetPresence] = "optional"

    message_id_being_responded_to: int
    status: int
    _: KW_ONLY
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    action_type_id: int | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    dataset: DatasetLike | None = None


# --- N-CREATE (PS3.7 §10.3.5) --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NCreateRQ(Request):
    """N-CREATE-RQ (Table 10.3-9); without an instance UID the SCP assigns one."""

    NAME: ClassVar[str] = "N-CREATE-RQ"
    COMMAND_FIELD: ClassVar[int] = 0x0140
    DATASET: ClassVar[DatasetPresence] = "optional"

    message_id: int
    affected_sop_class_uid: str
    _: KW_ONLY
    affected_sop_instance_uid: str | None = None
    dataset: DatasetLike | None = None


@dataclass(frozen=True, slots=True)
class NCreateRSP(Response):
    """N-CREATE-RSP (Table 10.3-10); ``dataset`` is the Attribute List.

    Affected SOP Class UID is optional here and some SCPs leave it out; do not rely on it.
    """

    NAME: ClassVar[str] = "N-CREATE-RSP"
    COMMAND_FIELD: ClassVar[int] = 0x8140
    DATASET: ClassVar[DatasetPresence] = "optional"

    message_id_being_responded_to: int
    status: int
    _: KW_ONLY
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    attribute_identifier_list: tuple[int, ...] | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    dataset: DatasetLike | None = None


# --- N-DELETE (PS3.7 §10.3.6) --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NDeleteRQ(Request):
    """N-DELETE-RQ (Table 10.3-11)."""

    NAME: ClassVar[str] = "N-DELETE-RQ"
    COMMAND_FIELD: ClassVar[int] = 0x0150

    message_id: int
    requested_sop_class_uid: str
    requested_sop_instance_uid: str


@dataclass(frozen=True, slots=True)
class NDeleteRSP(Response):
    """N-DELETE-RSP (Table 10.3-12)."""

    NAME: ClassVar[str] = "N-DELETE-RSP"
    COMMAND_FIELD: ClassVar[int] = 0x8150

    message_id_being_responded_to: int
    status: int
    _: KW_ONLY
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None


for _request, _response in (
    (CEchoRQ, CEchoRSP),
    (NEventReportRQ, NEventReportRSP),
    (NGetRQ, NGetRSP),
    (NSetRQ, NSetRSP),
    (NActionRQ, NActionRSP),
    (NCreateRQ, NCreateRSP),
    (NDeleteRQ, NDeleteRSP),
):
    _request.RESPONSE = _response

MESSAGE_TYPES: tuple[type[Message], ...] = (
    CEchoRQ,
    CEchoRSP,
    CCancelRQ,
    NEventReportRQ,
    NEventReportRSP,
    NGetRQ,
    NGetRSP,
    NSetRQ,
    NSetRSP,
    NActionRQ,
    NActionRSP,
    NCreateRQ,
    NCreateRSP,
    NDeleteRQ,
    NDeleteRSP,
)
"""Every message type this package encodes and decodes."""
