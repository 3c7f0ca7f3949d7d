"""Check that an encoded data set's lengths hold together before pydicom reads it.

pydicom trusts lengths: given a data set cut short, it returns the elements it could
read, with the last value silently truncated. A peer's data set is untrusted input, so
before decoding we walk its element headers (not its values: a 20 MB Pixel Data costs one
header) and check that every length fits inside its parent, that sequences and items
close, and that nesting stays sane. Anything wrong raises
:class:`~dimse.errors.DIMSEProtocolError` naming the element and the offset.

Little endian only (implicit and explicit VR), because those are the only transfer
syntaxes :mod:`dimse` supports. Rules from PS3.5 §7.1 (element encoding), §7.5 (sequences
and items), §6.2.2 (UN of undefined length holds implicit VR items) and A.4 (encapsulated
pixel data).
"""

import struct

from pydicom.datadict import dictionary_VR

from dimse.errors import DIMSEProtocolError

_ITEM = 0xFFFEE000
_ITEM_DELIMITER = 0xFFFEE00D
_SEQUENCE_DELIMITER = 0xFFFEE0DD
_ITEM_GROUP = 0xFFFE
_UNDEFINED = 0xFFFFFFFF
_PIXEL_DATA = 0x7FE00010
_MAX_DEPTH = 64
"""Deeper nesting than this is an attack or a bug; real print data sets nest 2 deep."""

_VRS = frozenset(
    b"AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL"
    b" UN UR US UT UV".split()
)
"""Every VR of PS3.5 Table 6.2-1; pydicom skips the rest of a data set after an unknown one."""
_LONG_LENGTH_VRS = frozenset(
    (b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV")
)
"""Explicit VRs with 2 reserved bytes and a 32-bit length (PS3.5 Table 7.1-1)."""

_TAG_AND_LENGTH = struct.Struct("<HHI")
_TAG_VR_SHORT_LENGTH = struct.Struct("<HH2sH")
_LONG_LENGTH = struct.Struct("<I")


def _label(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _is_sequence_in_implicit_vr(tag: int) -> bool:
    """Whether the data dictionary says ``tag`` is a sequence (implicit VR does not say)."""
    try:
        return dictionary_VR(tag) == "SQ"
    except KeyError:
        return False


class _Walker:
    """One pass over element headers; each method returns the offset after what it read."""

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self.data = data

    def fail(self, pos: int, what: str) -> DIMSEProtocolError:
        return DIMSEProtocolError(f"malformed data set at byte {pos}: {what}")

    def elements(self, pos: int, end: int, implicit: bool, depth: int, in_item: bool) -> int:
        """Elements from ``pos``: up to ``end``, or to an Item Delimitation if ``in_item``."""
        if depth > _MAX_DEPTH:
            raise self.fail(pos, f"sequences nested more than {_MAX_DEPTH} deep")
        data = self.data
        while pos < end:
            if end - pos < 8:
                raise self.fail(pos, f"{end - pos} bytes left, too few for an element header")
            group, element, length = _TAG_AND_LENGTH.unpack_from(data, pos)
            tag = group << 16 | element
            if group == _ITEM_GROUP:
                if tag == _ITEM_DELIMITER and in_item:
                    if length != 0:
                        raise self.fail(pos, "an Item Delimitation Item with a length")
                    return pos + 8
                raise self.fail(pos, f"unexpected {_label(tag)} among data elements")
            if implicit:
                vr = None
                pos += 8
            else:
                vr = bytes(data[pos + 4 : pos + 6])
                if vr not in _VRS:
                    raise self.fail(pos, f"element {_label(tag)} has no valid VR ({vr!r})")
                if vr in _LONG_LENGTH_VRS:
                    if end - pos < 12:
                        raise self.fail(pos, f"the header of {_label(tag)} is cut short")
                    (length,) = _LONG_LENGTH.unpack_from(data, pos + 8)
                    pos += 12
                else:
                    length = _TAG_VR_SHORT_LENGTH.unpack_from(data, pos)[3]
                    pos += 8
            pos = self.value(tag, vr, length, pos, end, implicit, depth)
        if in_item:
            raise self.fail(pos, "an item of undefined length has no Item Delimitation Item")
        return pos

    def value(
        self,
        tag: int,
        vr: bytes | None,
        length: int,
        pos: int,
        end: int,
        implicit: bool,
        depth: int,
    ) -> int:
        """Skip or descend into one element's value, which starts at ``pos``."""
        if length == _UNDEFINED:
            if vr is None or vr == b"SQ":
                return self.sequence(pos, end, implicit, depth + 1, undefined=True)
            if vr == b"UN":
                return self.sequence(pos, end, True, depth + 1, undefined=True)
            if vr in (b"OB", b"OW") and tag == _PIXEL_DATA:
                return self.fragments(pos, end)
            raise self.fail(pos, f"element {_label(tag)} ({vr.decode()}) has undefined length")
        if length > end - pos:
            raise self.fail(
                pos, f"element {_label(tag)} claims {length} bytes but only {end - pos} remain"
            )
        if vr == b"SQ" or (vr is None and _is_sequence_in_implicit_vr(tag)):
            self.sequence(pos, pos + length, implicit, depth + 1, undefined=False)
        return pos + length

    def sequence(self, pos: int, end: int, implicit: bool, depth: int, undefined: bool) -> int:
        """Items of a sequence, up to ``end`` or to a Sequence Delimitation if ``undefined``."""
        data = self.data
        while pos < end:
            if end - pos < 8:
                raise self.fail(pos, f"{end - pos} bytes left, too few for an item header")
            group, element, length = _TAG_AND_LENGTH.unpack_from(data, pos)
            tag = group << 16 | element
            if tag == _SEQUENCE_DELIMITER and undefined:
                if length != 0:
                    raise self.fail(pos, "a Sequence Delimitation Item with a length")
                return pos + 8
            if tag != _ITEM:
                raise self.fail(pos, f"expected an Item in a sequence, found {_label(tag)}")
            pos += 8
            if length == _UNDEFINED:
                pos = self.elements(pos, end, implicit, depth, in_item=True)
            elif length > end - pos:
                raise self.fail(pos, f"an item claims {length} bytes but only {end - pos} remain")
            else:
                pos = self.elements(pos, pos + length, implicit, depth, in_item=False)
        if undefined:
            raise self.fail(pos, "a sequence of undefined length has no Sequence Delimitation")
        return pos

    def fragments(self, pos: int, end: int) -> int:
        """Encapsulated Pixel Data: items of defined length up to a Sequence Delimitation."""
        data = self.data
        while end - pos >= 8:
            group, element, length = _TAG_AND_LENGTH.unpack_from(data, pos)
            tag = group << 16 | element
            pos += 8
            if tag == _SEQUENCE_DELIMITER:
                return pos
            if tag != _ITEM or length > end - pos:
                raise self.fail(pos - 8, "a malformed fragment in encapsulated Pixel Data")
            pos += length
        raise self.fail(pos, "encapsulated Pixel Data has no Sequence Delimitation")


def check_dataset_structure(data: bytes | bytearray | memoryview, implicit_vr: bool) -> None:
    """Raise :class:`DIMSEProtocolError` unless every length in ``data`` adds up.

    ``data`` is a whole data set in little endian, implicit or explicit VR as given.
    """
    _Walker(data).elements(0, len(data), implicit_vr, depth=0, in_item=False)
