"""Text attributes at the top level of an encoded data set, read without pydicom.

``hcs status`` wants a handful of strings from the Printer's N-GET answer (Printer
Status, Manufacturer, ...): loading pydicom for them would triple the command's start-up
(190 ms of imports against a 10 ms exchange). This walks the element headers of a little
endian data set (implicit or explicit VR), steps over sequences and their items without
reading them, and returns the wanted elements' values as text, multiple values still
joined by a backslash as on the wire.

It is as strict as :mod:`dimse.dataset_structure` about lengths: anything that does not
hold together raises :class:`~dimse.errors.DIMSEProtocolError` naming the offset. Text is
decoded as Latin-1 (the default repertoire and ``ISO_IR 100``) or UTF-8 (``ISO_IR 192``);
any other character set raises :class:`UnsupportedCharacterSet`, and the caller decodes
with pydicom instead.
"""

from __future__ import annotations

import struct
from collections.abc import Collection

from dimse.errors import DIMSEProtocolError

_ITEM = 0xFFFEE000
_ITEM_DELIMITER = 0xFFFEE00D
_SEQUENCE_DELIMITER = 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
_SPECIFIC_CHARACTER_SET = 0x00080005
_MAX_DEPTH = 64
_LONG_LENGTH_VRS = frozenset(
    (b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV")
)
# The default repertoire is ASCII; bytes above it are read as Latin-1 rather than refused.
_CHARSETS = {"": "latin-1", "ISO_IR 6": "latin-1", "ISO_IR 100": "latin-1", "ISO_IR 192": "utf-8"}
_HEADER = struct.Struct("<HHI")
_EXPLICIT = struct.Struct("<HH2sH")
_EXPLICIT_LONG = struct.Struct("<HH2s2xI")


class UnsupportedCharacterSet(ValueError):
    """The data set's Specific Character Set is not one this reader decodes."""


def _element(data: memoryview, offset: int, implicit: bool) -> tuple[int, int, int]:
    """(tag, value offset, value length) of the element at ``offset``."""
    end = len(data)
    if offset + 8 > end:
        raise DIMSEProtocolError(f"data set truncated in an element header at offset {offset}")
    if implicit:
        group, element, length = _HEADER.unpack_from(data, offset)
        return (group << 16) | element, offset + 8, length
    group, element, vr, short = _EXPLICIT.unpack_from(data, offset)
    tag = (group << 16) | element
    if group == 0xFFFE:  # item tags carry no VR, in either syntax
        group, element, length = _HEADER.unpack_from(data, offset)
        return tag, offset + 8, length
    if vr in _LONG_LENGTH_VRS:
        if offset + 12 > end:
            raise DIMSEProtocolError(
                f"data set truncated in the header of ({group:04X},{element:04X})"
            )
        return tag, offset + 12, _EXPLICIT_LONG.unpack_from(data, offset)[3]
    if not (vr.isalpha() and vr.isupper()):
        raise DIMSEProtocolError(
            f"({group:04X},{element:04X}) at offset {offset} has no valid VR ({bytes(vr)!r})"
        )
    return tag, offset + 8, short


def _skip_undefined(data: memoryview, offset: int, implicit: bool, depth: int) -> int:
    """Step over an undefined-length sequence's items; the offset after its delimiter."""
    if depth > _MAX_DEPTH:
        raise DIMSEProtocolError(f"sequences nested deeper than {_MAX_DEPTH}")
    while True:
        tag, start, length = _element(data, offset, True)  # item headers are always 8 bytes
        if tag == _SEQUENCE_DELIMITER:
            return start
        if tag != _ITEM:
            raise DIMSEProtocolError(f"expected an item at offset {offset}, found ({tag:08X})")
        if length != _UNDEFINED:
            offset = _skip(data, start, length)
            continue
        offset = start
        while True:  # the item's elements up to its delimiter
            tag, value, length = _element(data, offset, implicit)
            if tag == _ITEM_DELIMITER:
                offset = value
                break
            offset = (
                _skip_undefined(data, value, implicit, depth + 1)
                if length == _UNDEFINED
                else _skip(data, value, length)
            )


def _skip(data: memoryview, start: int, length: int) -> int:
    if start + length > len(data):
        raise DIMSEProtocolError(
            f"an element of {length} bytes at offset {start} runs past the data set's end"
        )
    return start + length


def read_text(
    data: bytes | bytearray | memoryview, implicit: bool, tags: Collection[int]
) -> dict[int, str]:
    """The values of ``tags`` found at the top level, as text with padding stripped."""
    view = memoryview(data).cast("B")
    raw: dict[int, bytes] = {}
    charset = ""
    offset = 0
    while offset < len(view):
        tag, value, length = _element(view, offset, implicit)
        if length == _UNDEFINED:
            offset = _skip_undefined(view, value, implicit, 1)
            continue
        offset = _skip(view, value, length)
        if tag == _SPECIFIC_CHARACTER_SET:
            charset = bytes(view[value:offset]).decode("ascii", "replace").strip(" \0")
        elif tag in tags:
            raw[tag] = bytes(view[value:offset])
    codec = _CHARSETS.get(charset.split("\\")[0].strip())
    if codec is None:
        raise UnsupportedCharacterSet(f"Specific Character Set {charset!r}")
    return {tag: value.decode(codec, "replace").strip(" \0") for tag, value in raw.items()}
