"""Command set bytes <-> ``{element number: value}``: group 0000, implicit VR little endian.

A command set (PS3.7 §6.3.1 and §E.1) is always implicit VR little endian, whatever the
presentation context says, its elements are in ascending tag order, and it opens with
Command Group Length (0000,0000) UL: the number of bytes that follow that element.

This module knows bytes and value representations; which elements a given message
carries is :mod:`dimse.command`'s business. It is on every message's path, so encoding is
a few ``struct.pack`` calls and decoding one pass with ``struct.unpack_from``.

Decoding trusts no length: every length is checked against the bytes that are really
there, and anything inconsistent raises :class:`~dimse.errors.DIMSEProtocolError`.
"""

import re
import struct
from collections.abc import Mapping
from types import MappingProxyType

from dimse.errors import DIMSEProtocolError

CommandValue = int | str | tuple[int, ...]
"""US and UL values are ``int``, UI and LO ``str``, AT a tuple of tags as ``int`` (gggg_eeee)."""

GROUP_LENGTH = 0x0000
AFFECTED_SOP_CLASS_UID = 0x0002
REQUESTED_SOP_CLASS_UID = 0x0003
COMMAND_FIELD = 0x0100
MESSAGE_ID = 0x0110
MESSAGE_ID_BEING_RESPONDED_TO = 0x0120
MOVE_DESTINATION = 0x0600
PRIORITY = 0x0700
COMMAND_DATA_SET_TYPE = 0x0800
STATUS = 0x0900
OFFENDING_ELEMENT = 0x0901
ERROR_COMMENT = 0x0902
ERROR_ID = 0x0903
AFFECTED_SOP_INSTANCE_UID = 0x1000
REQUESTED_SOP_INSTANCE_UID = 0x1001
EVENT_TYPE_ID = 0x1002
ATTRIBUTE_IDENTIFIER_LIST = 0x1005
ACTION_TYPE_ID = 0x1008
NUMBER_OF_REMAINING_SUBOPERATIONS = 0x1020
NUMBER_OF_COMPLETED_SUBOPERATIONS = 0x1021
NUMBER_OF_FAILED_SUBOPERATIONS = 0x1022
NUMBER_OF_WARNING_SUBOPERATIONS = 0x1023
MOVE_ORIGINATOR_APPLICATION_ENTITY_TITLE = 0x1030
MOVE_ORIGINATOR_MESSAGE_ID = 0x1031

ELEMENTS = MappingProxyType(
    {
        GROUP_LENGTH: ("Command Group Length", "UL"),
        AFFECTED_SOP_CLASS_UID: ("Affected SOP Class UID", "UI"),
        REQUESTED_SOP_CLASS_UID: ("Requested SOP Class UID", "UI"),
        COMMAND_FIELD: ("Command Field", "US"),
        MESSAGE_ID: ("Message ID", "US"),
        MESSAGE_ID_BEING_RESPONDED_TO: ("Message ID Being Responded To", "US"),
        MOVE_DESTINATION: ("Move Destination", "AE"),
        PRIORITY: ("Priority", "US"),
        COMMAND_DATA_SET_TYPE: ("Command Data Set Type", "US"),
        STATUS: ("Status", "US"),
        OFFENDING_ELEMENT: ("Offending Element", "AT"),
        ERROR_COMMENT: ("Error Comment", "LO"),
        ERROR_ID: ("Error ID", "US"),
        AFFECTED_SOP_INSTANCE_UID: ("Affected SOP Instance UID", "UI"),
        REQUESTED_SOP_INSTANCE_UID: ("Requested SOP Instance UID", "UI"),
        EVENT_TYPE_ID: ("Event Type ID", "US"),
        ATTRIBUTE_IDENTIFIER_LIST: ("Attribute Identifier List", "AT"),
        ACTION_TYPE_ID: ("Action Type ID", "US"),
        NUMBER_OF_REMAINING_SUBOPERATIONS: ("Number of Remaining Sub-operations", "US"),
        NUMBER_OF_COMPLETED_SUBOPERATIONS: ("Number of Completed Sub-operations", "US"),
        NUMBER_OF_FAILED_SUBOPERATIONS: ("Number of Failed Sub-operations", "US"),
        NUMBER_OF_WARNING_SUBOPERATIONS: ("Number of Warning Sub-operations", "US"),
        MOVE_ORIGINATOR_APPLICATION_ENTITY_TITLE: (
            "Move Originator Application Entity Title",
            "AE",
        ),
        MOVE_ORIGINATOR_MESSAGE_ID: ("Move Originator Message ID", "US"),
    }
)
"""Element number in group 0000 -> (name, VR), from PS3.7 Annex E and the PS3.6 dictionary.

Decoding skips elements not listed here (retired ones such as (0000,0001) Command Length
to End), because an unknown element is harmless and its length was still checked.
"""

_UID = re.compile(r"[0-9]+(\.[0-9]+)*\Z")
_MAX_UID_LENGTH = 64
_MAX_LO_LENGTH = 64
_MAX_AE_LENGTH = 16

_HEADER = struct.Struct("<HHI")  # group, element, value length
_US_ELEMENT = struct.Struct("<HHIH")
_GROUP_LENGTH_ELEMENT = struct.Struct("<HHII")
_GROUP_LENGTH_SIZE = _GROUP_LENGTH_ELEMENT.size


def element_label(element: int) -> str:
    """``(0000,0900) Status``: how error messages name an element."""
    name = ELEMENTS.get(element, ("unknown element", ""))[0]
    return f"(0000,{element:04X}) {name}"


# --- encoding -----------------------------------------------------------------------------


def _encode_us(element: int, value: object) -> bytes:
    if not isinstance(value, int) or not 0 <= value <= 0xFFFF:
        raise ValueError(f"{element_label(element)} must be an integer 0..65535, not {value!r}")
    return _US_ELEMENT.pack(0, element, 2, value)


def is_uid(value: object) -> bool:
    """Whether ``value`` can go on the wire as a UI: digits and dots, at most 64 characters.

    The one test for "may we send this UID": the encoder uses it, and so does every
    place that would copy a peer's UID into a response (a request whose UID fails it is
    answered with a failure status that leaves the UID out).
    """
    return isinstance(value, str) and len(value) <= _MAX_UID_LENGTH and bool(_UID.match(value))


def _encode_ui(element: int, value: object) -> bytes:
    if not is_uid(value):
        raise ValueError(f"{element_label(element)} must be a UID (digits and dots), not {value!r}")
    raw = value.encode("ascii")
    if len(raw) % 2:
        raw += b"\x00"
    return _HEADER.pack(0, element, len(raw)) + raw


def _encode_text(element: int, value: object, max_length: int) -> bytes:
    if (
        not isinstance(value, str)
        or len(value) > max_length
        or not value.isascii()
        or not value.isprintable()
        or "\\" in value
    ):
        raise ValueError(
            f"{element_label(element)} must be printable ASCII without a backslash,"
            f" at most {max_length} characters, not {value!r}"
        )
    raw = value.encode("ascii")
    if len(raw) % 2:
        raw += b" "
    return _HEADER.pack(0, element, len(raw)) + raw


def _encode_at(element: int, value: object) -> bytes:
    tags = tuple(value) if isinstance(value, tuple | list) else None
    if tags is None or not all(isinstance(t, int) and 0 <= t <= 0xFFFFFFFF for t in tags):
        raise ValueError(f"{element_label(element)} must be a sequence of tags, not {value!r}")
    raw = struct.pack(f"<{2 * len(tags)}H", *(half for t in tags for half in (t >> 16, t & 0xFFFF)))
    return _HEADER.pack(0, element, len(raw)) + raw


def encode_command_set(elements: Mapping[int, CommandValue]) -> bytes:
    """Encode group 0000 elements, adding Command Group Length; ``ValueError`` on bad values.

    ``elements`` maps element numbers of :data:`ELEMENTS` (not the group length, which is
    computed) to values. They are written in ascending order, as PS3.5 §7.1 requires.
    """
    parts = []
    for element in sorted(elements):
        value = elements[element]
        vr = ELEMENTS.get(element, (None, None))[1]
        if element == GROUP_LENGTH or vr is None:
            raise ValueError(f"cannot encode {element_label(element)} in a command set")
        if vr == "US":
            parts.append(_encode_us(element, value))
        elif vr == "UI":
            parts.append(_encode_ui(element, value))
        elif vr == "AT":
            parts.append(_encode_at(element, value))
        elif vr == "LO":
            parts.append(_encode_text(element, value, _MAX_LO_LENGTH))
        else:  # AE
            parts.append(_encode_text(element, value, _MAX_AE_LENGTH))
    body = b"".join(parts)
    return _GROUP_LENGTH_ELEMENT.pack(0, GROUP_LENGTH, 4, len(body)) + body


# --- decoding -----------------------------------------------------------------------------


def _decode_value(element: int, vr: str, raw: bytes) -> CommandValue | None:
    """One value from its bytes; ``None`` for an empty value (treated as absent)."""
    if not raw:
        return None
    if vr == "US":
        if len(raw) != 2:
            raise DIMSEProtocolError(
                f"{element_label(element)} has {len(raw)} bytes; a US value has 2"
            )
        return raw[0] | raw[1] << 8
    if vr == "AT":
        if len(raw) % 4:
            raise DIMSEProtocolError(
                f"{element_label(element)} has {len(raw)} bytes, not a multiple of 4 (AT)"
            )
        halves = struct.unpack(f"<{len(raw) // 2}H", raw)
        return tuple(halves[i] << 16 | halves[i + 1] for i in range(0, len(halves), 2))
    if vr == "UI":
        try:
            uid = raw.decode("ascii")
        except UnicodeDecodeError:
            raise DIMSEProtocolError(f"{element_label(element)} is not ASCII: {raw!r}") from None
        return uid.rstrip("\x00 ") or None
    # LO and AE: leading and trailing spaces are not significant (PS3.5 Table 6.2-1).
    return raw.decode("ascii", errors="replace").strip("\x00 ") or None


def decode_command_set(data: bytes | bytearray | memoryview) -> dict[int, CommandValue]:
    """Decode a complete command set to ``{element number: value}``.

    Values come back typed by VR (see :data:`CommandValue`); empty values are left out,
    and so are elements this module does not know. The group length is checked, not
    returned. Raises :class:`DIMSEProtocolError` for anything that is not a well-formed
    group 0000 in ascending order.
    """
    size = len(data)
    if size < _GROUP_LENGTH_SIZE:
        raise DIMSEProtocolError(
            f"a command set of {size} bytes is too short to hold its Command Group Length"
        )
    group, element, length, group_length = _GROUP_LENGTH_ELEMENT.unpack_from(data, 0)
    if (group, element, length) != (0, GROUP_LENGTH, 4):
        raise DIMSEProtocolError(
            f"a command set must begin with (0000,0000) Command Group Length UL,"
            f" not ({group:04X},{element:04X}) of length {length}"
        )
    if group_length != size - _GROUP_LENGTH_SIZE:
        raise DIMSEProtocolError(
            f"Command Group Length says {group_length} bytes follow, but"
            f" {size - _GROUP_LENGTH_SIZE} do"
        )
    values: dict[int, CommandValue] = {}
    previous = GROUP_LENGTH
    pos = _GROUP_LENGTH_SIZE
    while pos < size:
        if size - pos < _HEADER.size:
            raise DIMSEProtocolError(f"the command set ends inside an element header at {pos}")
        group, element, length = _HEADER.unpack_from(data, pos)
        pos += _HEADER.size
        if group != 0:
            raise DIMSEProtocolError(
                f"element ({group:04X},{element:04X}) in a command set; only group 0000 belongs"
            )
        if element <= previous:
            raise DIMSEProtocolError(
                f"{element_label(element)} follows (0000,{previous:04X}):"
                " command elements must be in ascending order"
            )
        if length > size - pos:
            raise DIMSEProtocolError(
                f"{element_label(element)} claims {length} bytes but only {size - pos} remain"
            )
        previous = element
        known = ELEMENTS.get(element)
        if known is not None:
            value = _decode_value(element, known[1], bytes(data[pos : pos + length]))
            if value is not None:
                values[element] = value
        pos += length
    return values
