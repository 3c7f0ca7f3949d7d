"""The few attributes the driver reads from a printer's replies, read without pydicom.

A Film Box N-CREATE-RSP carries the Referenced Image Box Sequence: twenty items of two
UIDs each for a 4x5 film. Decoding that with pydicom and converting every element (as
:func:`dimse.dataset.decode_dataset` does, so that a bad value fails early) cost about
1.8 ms per film, more than all the film's DIMSE commands together. The N-GET Printer
reply (two CS values) cost a few hundred microseconds the same way.

:func:`read_reply` checks the structure exactly as before
(:func:`dimse.dataset_structure.check_dataset_structure`, so a malformed reply is still a
:class:`~dimse.errors.DIMSEProtocolError`), then walks the element headers and reads only
the values asked for, converted as pydicom converts them (latin-1, trailing spaces and
NULs stripped). It covers the layout printers send: implicit or explicit VR little
endian, sequences and items of defined or undefined length, the expected VRs. Anything
else (a multi-valued value, an unexpected VR, an undefined
length elsewhere, a data set whose first element looks like the other VR encoding)
returns ``None``, and the caller decodes with pydicom as before: an unusual printer gets
the old behaviour, not a new one.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

from dimse.dataset_structure import check_dataset_structure

REFERENCED_SOP_CLASS_UID = 0x00081150
REFERENCED_SOP_INSTANCE_UID = 0x00081155
_REFERENCE_KEYWORDS = {
    REFERENCED_SOP_CLASS_UID: "ReferencedSOPClassUID",
    REFERENCED_SOP_INSTANCE_UID: "ReferencedSOPInstanceUID",
}

_ITEM = 0xFFFEE000
_ITEM_END = 0xFFFEE00D
_SEQUENCE_END = 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
_HEADER = struct.Struct("<HHI")
_EXPLICIT = struct.Struct("<HH2sH")
_LONG_LENGTH = struct.Struct("<I")
_LONG_LENGTH_VRS = frozenset(
    (b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV")
)
_VRS = frozenset(
    b"AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL"
    b" UN UR US UT UV".split()
)


class Reference:
    """One item of a Referenced ... Sequence, read like a pydicom item: ``.get(keyword,
    default)`` or the attribute (``AttributeError`` when the printer left it out)."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, str]):
        self._values = values

    def get(self, keyword: str, default: Any = None) -> Any:
        return self._values.get(keyword, default)

    def __getattr__(self, keyword: str) -> str:
        try:
            return self._values[keyword]
        except KeyError:
            raise AttributeError(keyword) from None

    def __repr__(self) -> str:
        return f"Reference({self._values!r})"


class _Unusual(Exception):
    """Outside the layout this module reads: decode with pydicom instead."""


def read_reply(
    data: bytes | bytearray | memoryview,
    implicit: bool,
    *,
    strings: Mapping[int, str] = {},
    sequences: Mapping[int, str] = {},
) -> dict[str, object] | None:
    """``{keyword: value}`` for the attributes present among those asked for, or ``None``.

    ``strings`` maps top-level CS tags to their keywords (value: ``str``); ``sequences``
    maps top-level sequences of references to theirs (value: a list of
    :class:`Reference`). ``None`` means "decode with pydicom". Raises
    :class:`~dimse.errors.DIMSEProtocolError` when the structure is malformed.
    """
    data = bytes(data)
    check_dataset_structure(data, implicit)
    if not data:
        return {}
    # pydicom guesses the encoding from the first element and refuses a mismatch:
    # leave any doubt to it.
    if (data[4:6] in _VRS) == implicit:
        return None
    try:
        return _read(data, implicit, strings, sequences)
    except (_Unusual, struct.error, IndexError):
        return None


def _read(
    data: bytes, implicit: bool, strings: Mapping[int, str], sequences: Mapping[int, str]
) -> dict[str, object]:
    found: dict[str, object] = {}
    pos, end = 0, len(data)
    while pos < end:
        tag, vr, start, length = _element(data, pos, implicit)
        if tag in sequences:
            if vr not in (None, b"SQ"):
                raise _Unusual
            items, pos = _items(
                data, start, None if length == _UNDEFINED else start + length, implicit
            )
            found[sequences[tag]] = [_reference(item) for item in items]
            continue
        if length == _UNDEFINED:
            raise _Unusual
        if tag in strings:
            if vr not in (None, b"CS"):
                raise _Unusual
            found[strings[tag]] = _string(data[start : start + length])
        pos = start + length
    return found


def _element(data: bytes, pos: int, implicit: bool) -> tuple[int, bytes | None, int, int]:
    """(tag, VR or None, value offset, value length) of the element at ``pos``."""
    if implicit:
        group, element, length = _HEADER.unpack_from(data, pos)
        return (group << 16) | element, None, pos + 8, length
    group, element, vr, length = _EXPLICIT.unpack_from(data, pos)
    if group == 0xFFFE:
        raise _Unusual  # an item tag among elements
    if vr in _LONG_LENGTH_VRS:
        return (group << 16) | element, vr, pos + 12, _LONG_LENGTH.unpack_from(data, pos + 8)[0]
    return (group << 16) | element, vr, pos + 8, length


def _items(
    data: bytes, pos: int, end: int | None, implicit: bool
) -> tuple[list[dict[int, bytes]], int]:
    """The items of a sequence: each ``{tag: raw value}``; and the offset after it."""
    items = []
    while end is None or pos < end:
        group, element, length = _HEADER.unpack_from(data, pos)
        tag = (group << 16) | element
        pos += 8
        if tag == _SEQUENCE_END and end is None:
            return items, pos
        if tag != _ITEM:
            raise _Unusual
        item_end = None if length == _UNDEFINED else pos + length
        values: dict[int, bytes] = {}
        while item_end is None or pos < item_end:
            group, element, length = _HEADER.unpack_from(data, pos)
            if group == 0xFFFE:
                if (group << 16) | element == _ITEM_END and item_end is None:
                    pos += 8
                    break
                raise _Unusual
            tag, vr, start, length = _element(data, pos, implicit)
            if length == _UNDEFINED or vr not in (None, b"UI"):
                raise _Unusual  # a nested sequence or an odd VR: pydicom's job
            values[tag] = data[start : start + length]
            pos = start + length
        items.append(values)
    return items, pos


def _string(raw: bytes) -> str:
    """A CS or UI value as pydicom converts it: latin-1, trailing spaces and NULs off."""
    value = raw.decode("latin-1").rstrip(" \x00")
    if "\\" in value:
        raise _Unusual  # multi-valued: pydicom makes a MultiValue of it
    return value


def _reference(item: Mapping[int, bytes]) -> Reference:
    values = {}
    for tag, keyword in _REFERENCE_KEYWORDS.items():
        raw = item.get(tag)
        if raw is not None:
            values[keyword] = _string(raw)
    return Reference(values)
