"""The structural check of encoded data sets, on hand-built encodings (PS3.5 §7.1, §7.5)."""

import struct

import pytest

from dimse.dataset_structure import check_dataset_structure
from dimse.errors import DIMSEProtocolError

UNDEFINED = 0xFFFFFFFF
LONG_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}


def implicit(tag: int, value: bytes, length: int | None = None) -> bytes:
    length = len(value) if length is None else length
    return struct.pack("<HHI", tag >> 16, tag & 0xFFFF, length) + value


def explicit(tag: int, vr: str, value: bytes, length: int | None = None) -> bytes:
    length = len(value) if length is None else length
    if vr in LONG_VRS:
        header = struct.pack("<HH2s2xI", tag >> 16, tag & 0xFFFF, vr.encode(), length)
    else:
        header = struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), length)
    return header + value


def item(content: bytes, defined: bool = True) -> bytes:
    if defined:
        return implicit(0xFFFEE000, content)
    return implicit(0xFFFEE000, content, UNDEFINED) + implicit(0xFFFEE00D, b"")


SEQUENCE_END = implicit(0xFFFEE0DD, b"")
ROWS_IMPLICIT = implicit(0x00280010, b"\x02\x00")
ROWS_EXPLICIT = explicit(0x00280010, "US", b"\x02\x00")
SEQUENCE = 0x20200110  # Basic Grayscale Image Sequence


def check(data: bytes, implicit_vr: bool) -> None:
    check_dataset_structure(data, implicit_vr)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        ROWS_IMPLICIT,
        implicit(SEQUENCE, item(ROWS_IMPLICIT)),  # defined lengths throughout
        implicit(SEQUENCE, item(ROWS_IMPLICIT, defined=False) + SEQUENCE_END, UNDEFINED),
        implicit(SEQUENCE, item(ROWS_IMPLICIT) + item(b"")) + ROWS_IMPLICIT,
        implicit(SEQUENCE, b""),  # an empty sequence
        implicit(0x00091010, b"\x00\xe0\xfe\xff"),  # private: not descended into
    ],
)
def test_well_formed_implicit_vr(data):
    check(data, implicit_vr=True)


@pytest.mark.parametrize(
    "data",
    [
        ROWS_EXPLICIT,
        explicit(SEQUENCE, "SQ", item(ROWS_EXPLICIT)),
        explicit(SEQUENCE, "SQ", item(ROWS_EXPLICIT, defined=False) + SEQUENCE_END, UNDEFINED),
        # UN of undefined length holds implicit VR items (PS3.5 §6.2.2)
        explicit(0x00091010, "UN", item(ROWS_IMPLICIT, defined=False) + SEQUENCE_END, UNDEFINED),
        # encapsulated Pixel Data: basic offset table, one fragment, delimiter
        explicit(0x7FE00010, "OB", item(b"") + item(b"\xff\xd8") + SEQUENCE_END, UNDEFINED),
    ],
)
def test_well_formed_explicit_vr(data):
    check(data, implicit_vr=False)


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (ROWS_IMPLICIT[:7], "too few for an element header"),
        (implicit(0x00280010, b"\x02\x00", 3), "claims 3 bytes"),
        (implicit(SEQUENCE, item(ROWS_IMPLICIT[:-1])), "claims"),
        (implicit(SEQUENCE, implicit(0xFFFEE000, ROWS_IMPLICIT, 30)), "item claims 30"),
        (implicit(SEQUENCE, ROWS_IMPLICIT), "expected an Item"),
        (implicit(SEQUENCE, item(ROWS_IMPLICIT), UNDEFINED), "no Sequence Delimitation"),
        (
            implicit(
                SEQUENCE, implicit(0xFFFEE000, ROWS_IMPLICIT, UNDEFINED) + SEQUENCE_END, UNDEFINED
            ),
            "unexpected",
        ),
        (implicit(SEQUENCE, implicit(0xFFFEE000, ROWS_IMPLICIT, UNDEFINED), UNDEFINED), "no Item"),
        (implicit(SEQUENCE, item(b"") + implicit(0xFFFEE0DD, b"\x00\x00"), UNDEFINED), "length"),
        (implicit(0xFFFEE00D, b""), "unexpected"),
        (SEQUENCE_END, "unexpected"),
        (implicit(SEQUENCE, item(b"", defined=False)[:-8] + implicit(0xFFFEE00D, b"ab")), "length"),
        (implicit(SEQUENCE, b"\x00\xe0\xfe\xff"), "too few for an item header"),
    ],
)
def test_malformed_implicit_vr(data, complaint):
    with pytest.raises(DIMSEProtocolError, match=complaint):
        check(data, implicit_vr=True)


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (explicit(0x00280010, "ZZ", b"\x02\x00"), "no valid VR"),
        (explicit(0x00280010, "us", b"\x02\x00"), "no valid VR"),
        (explicit(0x00280010, "US", b"\x02\x00", 4), "claims 4"),
        (explicit(0x7FE00010, "OB", b"\x00" * 4)[:10], "cut short"),
        (explicit(0x00100010, "PN", b"", UNDEFINED & 0xFFFF), "claims"),
        (explicit(0x00100010, "UT", b"", UNDEFINED), "undefined length"),
        (explicit(0x00091010, "OB", item(b"") + SEQUENCE_END, UNDEFINED), "undefined length"),
        (explicit(0x7FE00010, "OB", item(b"") + item(b"\xff\xd8"), UNDEFINED), "no Sequence"),
        (
            explicit(0x7FE00010, "OB", item(b"") + implicit(0xFFFEE000, b"", 9), UNDEFINED),
            "fragment",
        ),
        (explicit(0x7FE00010, "OB", ROWS_IMPLICIT + SEQUENCE_END, UNDEFINED), "fragment"),
        (explicit(SEQUENCE, "SQ", item(ROWS_IMPLICIT)), "no valid VR"),  # implicit inside explicit
    ],
)
def test_malformed_explicit_vr(data, complaint):
    with pytest.raises(DIMSEProtocolError, match=complaint):
        check(data, implicit_vr=False)


def test_nesting_is_bounded():
    data = ROWS_IMPLICIT
    for _ in range(100):
        data = implicit(SEQUENCE, item(data))
    with pytest.raises(DIMSEProtocolError, match="nested"):
        check(data, implicit_vr=True)


def test_undefined_length_nesting_is_bounded_without_recursion_error():
    opening = implicit(SEQUENCE, b"", UNDEFINED) + implicit(0xFFFEE000, b"", UNDEFINED)
    with pytest.raises(DIMSEProtocolError, match="nested"):
        check(opening * 5000, implicit_vr=True)
