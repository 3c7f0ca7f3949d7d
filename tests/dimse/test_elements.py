"""The group 0000 element codec: values by VR, padding, and every malformed-input path."""

import struct
from io import BytesIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.datadict import dictionary_VR
from pydicom.filereader import read_dataset

from dimse import elements as el
from dimse.errors import DIMSEProtocolError


def element(number: int, value: bytes) -> bytes:
    return struct.pack("<HHI", 0, number, len(value)) + value


def command_set(*elements: bytes, group_length: int | None = None) -> bytes:
    body = b"".join(elements)
    length = len(body) if group_length is None else group_length
    return element(0x0000, struct.pack("<I", length)) + body


def test_element_vrs_agree_with_the_pydicom_dictionary():
    for number, (_, vr) in el.ELEMENTS.items():
        assert dictionary_VR(number) == vr, f"(0000,{number:04X})"


def test_uids_are_padded_with_nul_and_text_with_space():
    encoded = el.encode_command_set({el.AFFECTED_SOP_CLASS_UID: "1.2.3", el.ERROR_COMMENT: "odd"})
    assert b"1.2.3\x00" in encoded
    assert b"odd " in encoded
    assert el.decode_command_set(encoded) == {
        el.AFFECTED_SOP_CLASS_UID: "1.2.3",
        el.ERROR_COMMENT: "odd",
    }


def test_multi_valued_tags_encode_group_then_element():
    encoded = el.encode_command_set({el.OFFENDING_ELEMENT: (0x20100010, 0x7FE00010)})
    assert encoded.endswith(b"\x10\x20\x10\x00\xe0\x7f\x10\x00")
    dataset = read_dataset(BytesIO(encoded), is_implicit_VR=True, is_little_endian=True)
    assert list(dataset.OffendingElement) == [0x20100010, 0x7FE00010]


def test_space_padded_uids_from_sloppy_peers_are_accepted():
    data = command_set(element(0x0002, b"1.2.3 "))
    assert el.decode_command_set(data) == {el.AFFECTED_SOP_CLASS_UID: "1.2.3"}


def test_unknown_and_retired_elements_are_skipped():
    data = command_set(element(0x0001, b"\x00\x00\x00\x00"), element(0x4000, b"ab"))
    assert el.decode_command_set(data) == {}


def test_a_non_ascii_error_comment_does_not_abort():
    data = command_set(element(0x0902, b"caf\xe9"))
    assert el.decode_command_set(data)[el.ERROR_COMMENT].startswith("caf")


def test_encoding_refuses_the_group_length_and_unknown_elements():
    with pytest.raises(ValueError):
        el.encode_command_set({el.GROUP_LENGTH: 4})
    with pytest.raises(ValueError):
        el.encode_command_set({0x4000: 1})


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (b"", "too short"),
        (b"\x00\x00\x00\x00\x04\x00\x00", "too short"),
        (element(0x0100, b"\x30\x00\x00\x00"), "must begin with"),
        (element(0x0000, b"\x00\x00\x00\x00\x00\x00"), "must begin with"),
        (command_set(element(0x0100, b"\x30\x00"), group_length=11), "Group Length says"),
        (command_set(element(0x0100, b"\x30\x00"), group_length=9), "Group Length says"),
        (command_set(b"\x00\x00\x00\x01"), "inside an element header"),
        (command_set(struct.pack("<HHI", 0, 0x0100, 9) + b"\x30\x00"), "claims 9 bytes"),
        (command_set(struct.pack("<HHI", 0, 0x0100, 0xFFFFFFFF)), "claims"),
        (command_set(struct.pack("<HHI", 8, 0x0016, 2) + b"12"), "only group 0000"),
        (command_set(element(0x0110, b"\x01\x00"), element(0x0100, b"\x30\x00")), "ascending"),
        (command_set(element(0x0100, b"\x30\x00"), element(0x0100, b"\x30\x00")), "ascending"),
        (command_set(element(0x0000, b"\x00\x00\x00\x00")), "ascending"),
        (command_set(element(0x0100, b"\x30\x00\x00\x00")), "a US value has 2"),
        (command_set(element(0x0100, b"\x30")), "a US value has 2"),
        (command_set(element(0x0901, b"\x10\x20\x10")), "multiple of 4"),
        (command_set(element(0x0002, b"1.2\xff")), "not ASCII"),
    ],
)
def test_malformed_command_sets_raise_the_protocol_error(data, complaint):
    with pytest.raises(DIMSEProtocolError, match=complaint):
        el.decode_command_set(data)


raw_elements = st.lists(
    st.tuples(
        st.sampled_from([*el.ELEMENTS, 0x0001, 0x4000, 0xFFFF]),
        st.binary(max_size=12),
    ),
    max_size=8,
)


@settings(max_examples=500, deadline=None)
@given(raw_elements, st.booleans(), st.integers(-4, 4))
def test_arbitrary_element_soup_decodes_or_raises_the_protocol_error(elements, sort, skew):
    """Well-framed but arbitrary elements: values of any size, any order, any group length."""
    if sort:
        elements = sorted(elements)
    body = b"".join(element(number, value) for number, value in elements)
    group_length = max(0, len(body) + skew)
    data = command_set(body, group_length=group_length)
    try:
        values = el.decode_command_set(data)
    except DIMSEProtocolError:
        return
    assert group_length == len(body)
    assert set(values) <= set(el.ELEMENTS)
