"""The seven PDUs of PS3.8 §9.3: round trips, hand-written bytes, decoder rules, the stream
cutter, and P-DATA-TF framing for gather I/O (PS3.8 §9.3.5, Annex E)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dul.codes import AbortReason
from dul.errors import PDUError
from dul.items import PresentationContextAC, PresentationContextRQ, UserInformation
from dul.pdu import (
    MAX_ASSOCIATION_PDU,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
    PDUStream,
    ae_title_field,
    decode_pdu,
    frame_message,
)
from dul.pdu_values import PresentationDataValue
from dul.wire import item
from tests.dul import strategies as hs

GRAYSCALE_PRINT = "1.2.840.10008.5.1.1.9"
IMPLICIT = "1.2.840.10008.1.2"
PRINTER_FIELD = b"PRINTER" + b" " * 9
HCS_FIELD = b"HCS" + b" " * 13
APPLICATION_CONTEXT_ITEM = bytes.fromhex("10000015") + b"1.2.840.10008.3.1.1.1"


def header(pdu_type: int, length: int) -> bytes:
    return bytes((pdu_type, 0)) + length.to_bytes(4, "big")


def refused(data: bytes) -> PDUError:
    with pytest.raises(PDUError) as caught:
        decode_pdu(data)
    return caught.value


def association_body(*items: bytes, called: bytes = PRINTER_FIELD) -> bytes:
    """Protocol version 1, reserved, AE titles, 32 reserved bytes, then ``items``."""
    return b"\x00\x01\x00\x00" + called + HCS_FIELD + bytes(32) + b"".join(items)


def rq_bytes(*items: bytes, called: bytes = PRINTER_FIELD) -> bytes:
    body = association_body(*items, called=called)
    return header(0x01, len(body)) + body


CONTEXT_ITEM = PresentationContextRQ(1, GRAYSCALE_PRINT, (IMPLICIT,)).encode()


# --------------------------------------------------------------------- round trips


def assert_round_trips(pdu) -> None:
    encoded = pdu.encode()
    assert int.from_bytes(encoded[2:6], "big") == len(encoded) - 6
    assert decode_pdu(encoded) == pdu


# Association PDUs are costly to draw; their items have round trips of their own.
@settings(max_examples=75)
@given(hs.associate_rqs())
def test_a_associate_rq_round_trips(pdu: AAssociateRQ) -> None:
    assert_round_trips(pdu)


@settings(max_examples=75)
@given(hs.associate_acs())
def test_a_associate_ac_round_trips(pdu: AAssociateAC) -> None:
    assert_round_trips(pdu)


@settings(max_examples=200)
@given(st.one_of(hs.associate_rjs, hs.pdata_tfs, hs.aborts))
def test_a_associate_rj_p_data_tf_and_a_abort_round_trip(pdu) -> None:
    assert_round_trips(pdu)


@pytest.mark.parametrize("pdu", [AReleaseRQ(), AReleaseRP()], ids=["A-RELEASE-RQ", "A-RELEASE-RP"])
def test_a_release_rq_and_rp_round_trip(pdu) -> None:
    assert_round_trips(pdu)


@settings(max_examples=50)
@given(st.lists(hs.any_pdus, min_size=1, max_size=4), st.data())
def test_pdus_cut_from_a_stream_in_any_chunking_round_trip(pdus, data) -> None:
    wire = b"".join(pdu.encode() for pdu in pdus)
    stream = PDUStream()
    received = []
    for chunk in data.draw(hs.chunkings(wire)):
        received += stream.feed(chunk)
    assert [decode_pdu(raw) for raw in received] == pdus
    assert stream.buffered == 0


@given(hs.ae_titles, hs.ae_titles)
def test_ae_titles_are_space_padded_to_16_bytes_and_stripped_back(called, calling) -> None:
    encoded = AAssociateRQ(
        called, calling, (PresentationContextRQ(1, "1.2", ("1.2",)),), UserInformation()
    ).encode()
    assert encoded[10:26] == called.encode().ljust(16, b" ")
    assert encoded[26:42] == calling.encode().ljust(16, b" ")
    decoded = decode_pdu(encoded)
    assert (decoded.called_ae_title, decoded.calling_ae_title) == (called, calling)


# ------------------------------------------------------------- hand-written bytes


def test_a_associate_rq_bytes_follow_table_9_11() -> None:
    pdu = AAssociateRQ(
        called_ae_title="PRINTER",
        calling_ae_title="HCS",
        presentation_contexts=(PresentationContextRQ(1, GRAYSCALE_PRINT, (IMPLICIT,)),),
        user_information=UserInformation(
            max_length=16384,
            implementation_class_uid="1.2.3.4",
            implementation_version_name="HCS_010",
        ),
    )
    expected = (
        bytes.fromhex("0100000000b5")  # type 01H, reserved, PDU-length 181
        + bytes.fromhex("00010000")  # protocol version 1, reserved
        + b"PRINTER         "  # called AE title, space padded
        + b"HCS             "  # calling AE title
        + bytes(32)  # reserved
        + bytes.fromhex("10000015")
        + b"1.2.840.10008.3.1.1.1"
        + bytes.fromhex("2000003201000000")  # context 1, length 50
        + bytes.fromhex("30000015")
        + b"1.2.840.10008.5.1.1.9"
        + bytes.fromhex("40000011")
        + b"1.2.840.10008.1.2"
        + bytes.fromhex("5000001e")  # user information, length 30
        + bytes.fromhex("5100000400004000")
        + bytes.fromhex("52000007")
        + b"1.2.3.4"
        + bytes.fromhex("55000007")
        + b"HCS_010"
    )
    assert pdu.encode() == expected
    assert decode_pdu(expected) == pdu


def test_a_associate_ac_bytes_follow_table_9_17() -> None:
    pdu = AAssociateAC(
        called_ae_title="PRINTER",
        calling_ae_title="HCS",
        presentation_contexts=(
            PresentationContextAC(1, 0, IMPLICIT),
            PresentationContextAC(3, 3, ""),
        ),
        user_information=UserInformation(max_length=32768, implementation_class_uid="1.2.3.4"),
    )
    expected = (
        bytes.fromhex("02000000009d")  # type 02H, reserved, PDU-length 157
        + bytes.fromhex("00010000")
        + b"PRINTER         "
        + b"HCS             "
        + bytes(32)
        + bytes.fromhex("10000015")
        + b"1.2.840.10008.3.1.1.1"
        + bytes.fromhex("2100001901000000")  # context 1: acceptance
        + bytes.fromhex("40000011")
        + b"1.2.840.10008.1.2"
        + bytes.fromhex("2100000803000300")  # context 3: abstract syntax
        + bytes.fromhex("40000000")  # not supported; empty transfer syntax sub-item
        + bytes.fromhex("50000013")
        + bytes.fromhex("5100000400008000")
        + bytes.fromhex("52000007")
        + b"1.2.3.4"
    )
    assert pdu.encode() == expected
    assert decode_pdu(expected) == pdu


@pytest.mark.parametrize(
    ("pdu", "expected"),
    [
        (AAssociateRJ(1, 1, 7), "03 00 00000004 00 01 01 07"),  # Table 9-21
        (AAssociateRJ(2, 3, 2), "03 00 00000004 00 02 03 02"),
        (AReleaseRQ(), "05 00 00000004 00000000"),  # Table 9-24
        (AReleaseRP(), "06 00 00000004 00000000"),  # Table 9-25
        (AAbort(0, 0), "07 00 00000004 00 00 00 00"),  # Table 9-26
        (AAbort(2, 6), "07 00 00000004 00 00 02 06"),
        (
            PDataTF((PresentationDataValue(1, True, True, b"\x00\x01"),)),
            "04 00 00000008 00000004 01 03 0001",  # Table 9-22, PDV item, control 03H
        ),
        (
            PDataTF(
                (
                    PresentationDataValue(3, False, False, b"ab"),
                    PresentationDataValue(3, False, True, b""),
                )
            ),
            "04 00 0000000e 00000004 03 00 6162 00000002 03 02",
        ),
    ],
    ids=[
        "rj-1-1-7",
        "rj-2-3-2",
        "release-rq",
        "release-rp",
        "abort-user",
        "abort-provider",
        "pdata-command",
        "pdata-two-pdvs",
    ],
)
def test_fixed_and_pdata_pdu_bytes(pdu, expected: str) -> None:
    assert pdu.encode() == bytes.fromhex(expected)
    assert decode_pdu(bytes.fromhex(expected)) == pdu


# ------------------------------------------------------------ association decoding


@pytest.mark.parametrize("reserved_type", [0x00, 0x11, 0x30, 0x60, 0x7F, 0xFF])
def test_reserved_item_types_in_an_association_pdu_are_ignored(reserved_type: int) -> None:
    """PS3.8 §9.3.1: items of unknown type in the variable field are ignored."""
    stray = item(reserved_type, b"\x01\x02\x03")
    pdu = decode_pdu(rq_bytes(stray, APPLICATION_CONTEXT_ITEM, stray, CONTEXT_ITEM, stray))
    assert pdu.presentation_contexts == (PresentationContextRQ(1, GRAYSCALE_PRINT, (IMPLICIT,)),)
    assert pdu.user_information == UserInformation()


def test_an_rq_holding_an_ac_presentation_context_is_an_unexpected_parameter() -> None:
    ac_item = PresentationContextAC(1, 0, IMPLICIT).encode()
    error = refused(rq_bytes(APPLICATION_CONTEXT_ITEM, CONTEXT_ITEM, ac_item))
    assert error.reason == AbortReason.UNEXPECTED_PDU_PARAMETER


def test_an_ac_holding_an_rq_presentation_context_is_an_unexpected_parameter() -> None:
    body = association_body(APPLICATION_CONTEXT_ITEM, CONTEXT_ITEM)
    error = refused(header(0x02, len(body)) + body)
    assert error.reason == AbortReason.UNEXPECTED_PDU_PARAMETER


@pytest.mark.parametrize(
    "items",
    [
        (CONTEXT_ITEM,),  # no application context
        (APPLICATION_CONTEXT_ITEM,),  # no presentation context proposed
        (APPLICATION_CONTEXT_ITEM, CONTEXT_ITEM, CONTEXT_ITEM),  # context ID 1 twice
        (APPLICATION_CONTEXT_ITEM, CONTEXT_ITEM[:-1]),  # truncated item
        (APPLICATION_CONTEXT_ITEM, CONTEXT_ITEM, b"\x50\x00"),  # stray bytes
    ],
    ids=["no-application-context", "no-context", "repeated-context-id", "truncated", "stray"],
)
def test_malformed_rq_is_an_invalid_parameter(items: tuple[bytes, ...]) -> None:
    assert refused(rq_bytes(*items)).reason == AbortReason.INVALID_PDU_PARAMETER


def test_rq_shorter_than_its_fixed_fields_is_invalid() -> None:
    body = association_body()[:67]
    assert refused(header(0x01, len(body)) + body).reason == AbortReason.INVALID_PDU_PARAMETER


def test_ae_title_edge_spaces_and_nul_padding_are_not_significant() -> None:
    called = b"  PRINTER\x00\x00     "
    pdu = decode_pdu(rq_bytes(APPLICATION_CONTEXT_ITEM, CONTEXT_ITEM, called=called))
    assert pdu.called_ae_title == "PRINTER"


def test_ac_ae_titles_are_reserved_fields_that_are_not_tested() -> None:
    """PS3.8 Table 9-17: the AC echoes the RQ's titles, "but its value shall not be tested"."""
    body = association_body(APPLICATION_CONTEXT_ITEM, called=b"\xffPRINTER\x80" + b" " * 7)
    pdu = decode_pdu(header(0x02, len(body)) + body)
    assert isinstance(pdu, AAssociateAC)
    assert pdu.calling_ae_title == "HCS"
    assert "PRINTER" in pdu.called_ae_title


@pytest.mark.parametrize("title", ["", "A\\B", "CTRL\x01", "  "])
def test_an_ac_echoes_whatever_title_the_rq_carried(title: str) -> None:
    """A peer's RQ may carry a blank or ill-formed title; our AC echoes it (Table 9-17)
    instead of refusing to encode, so accepting such a peer does not fail."""
    encoded = AAssociateAC(title, "HCS", (), UserInformation()).encode()
    assert encoded[10:26] == title.strip().encode().ljust(16, b" ")
    assert decode_pdu(encoded).called_ae_title == title.strip()


def test_an_ac_title_still_fits_16_ascii_bytes() -> None:
    with pytest.raises(ValueError):
        AAssociateAC("SEVENTEEN_CHARS_A", "HCS", (), UserInformation()).encode()
    with pytest.raises(ValueError):
        AAssociateAC("\u00c9CRAN", "HCS", (), UserInformation()).encode()


def test_protocol_version_and_reserved_bytes_are_carried_not_tested() -> None:
    raw = bytearray(rq_bytes(APPLICATION_CONTEXT_ITEM, CONTEXT_ITEM))
    raw[1] = 0xAA  # reserved byte of the PDU header
    raw[6:10] = b"\x00\x03\xff\xff"  # protocol version 3, reserved
    raw[42:74] = b"\xee" * 32  # the 32 reserved bytes
    pdu = decode_pdu(bytes(raw))
    assert pdu.protocol_version == 3


# -------------------------------------------------------------- decode_pdu rules


@pytest.mark.parametrize("pdu_type", [0x00, 0x08, 0x10, 0x50, 0xFF])
def test_unknown_pdu_type_is_unrecognized_pdu(pdu_type: int) -> None:
    assert refused(header(pdu_type, 4) + bytes(4)).reason == AbortReason.UNRECOGNIZED_PDU


@pytest.mark.parametrize("data", [b"", b"\x05", b"\x05\x00\x00\x00\x00"])
def test_fewer_than_six_bytes_are_not_a_pdu(data: bytes) -> None:
    assert refused(data).reason == AbortReason.INVALID_PDU_PARAMETER


@pytest.mark.parametrize("pdu_type", [0x03, 0x05, 0x06, 0x07])
@pytest.mark.parametrize("length", [0, 3, 5, 0xFFFFFFFF])
def test_fixed_length_pdus_must_say_and_be_4(pdu_type: int, length: int) -> None:
    body = bytes(min(length, 8))
    assert refused(header(pdu_type, length) + body).reason == AbortReason.INVALID_PDU_PARAMETER
    assert refused(header(pdu_type, len(body)) + body).reason == AbortReason.INVALID_PDU_PARAMETER


def test_a_length_that_disagrees_with_the_bytes_is_invalid() -> None:
    raw = AReleaseRQ().encode()
    assert refused(raw + b"\x00").reason == AbortReason.INVALID_PDU_PARAMETER
    assert refused(raw[:-1]).reason == AbortReason.INVALID_PDU_PARAMETER


@pytest.mark.parametrize(
    "body",
    [
        b"",  # no PDV item
        bytes.fromhex("0000000101"),  # PDV item too short for its header
        bytes.fromhex("00000000"),
        bytes.fromhex("ffffffff0103"),  # PDV claims 4 GiB
        bytes.fromhex("00000004010300"),  # PDV cut short
        bytes.fromhex("0000000201030000"),  # stray bytes after a PDV
    ],
)
def test_malformed_pdata_tf_is_invalid(body: bytes) -> None:
    assert refused(header(0x04, len(body)) + body).reason == AbortReason.INVALID_PDU_PARAMETER


def test_pdv_control_bits_2_to_7_are_not_tested() -> None:
    raw = header(0x04, 8) + bytes.fromhex("0000000401fcabcd")
    (pdv,) = decode_pdu(raw).values
    assert (pdv.is_command, pdv.is_last, bytes(pdv.data)) == (False, False, b"\xab\xcd")
    (pdv,) = decode_pdu(raw[:11] + b"\xff" + raw[12:]).values
    assert (pdv.is_command, pdv.is_last) == (True, True)


def test_received_pdv_data_is_a_view_into_the_pdu() -> None:
    raw = PDataTF((PresentationDataValue(1, False, True, b"pixels"),)).encode()
    (pdv,) = decode_pdu(raw).values
    assert isinstance(pdv.data, memoryview)
    assert pdv.data.obj is raw


def test_abort_and_reject_reserved_bytes_are_not_tested() -> None:
    assert decode_pdu(bytes.fromhex("07ff00000004abcd0205")) == AAbort(2, 5)
    assert decode_pdu(bytes.fromhex("03ff00000004ee020301")) == AAssociateRJ(2, 3, 1)
    assert decode_pdu(bytes.fromhex("050000000004ffffffff")) == AReleaseRQ()


# ------------------------------------------------------------------ AE title field


@pytest.mark.parametrize(
    ("title", "field"),
    [
        ("A", b"A" + b" " * 15),
        ("  PRINTER ", b"PRINTER" + b" " * 9),
        ("SIXTEEN_CHARS_AE", b"SIXTEEN_CHARS_AE"),
        ("A B", b"A B" + b" " * 13),
    ],
)
def test_ae_title_field_is_16_bytes_space_padded(title: str, field: bytes) -> None:
    assert ae_title_field(title) == field


@pytest.mark.parametrize(
    "title",
    ["", " " * 16, "SEVENTEEN_CHARS_A", "BACK\\SLASH", "TAB\tAE", "NUL\x00AE", "\u00c9CRAN"],
)
def test_ae_title_field_refuses_what_an_ae_title_cannot_be(title: str) -> None:
    with pytest.raises(ValueError):
        ae_title_field(title)


# ----------------------------------------------------------------------- PDUStream


def test_stream_cuts_a_pdu_delivered_byte_by_byte() -> None:
    raw = AAbort(2, 1).encode()
    stream = PDUStream()
    for index, byte in enumerate(raw[:-1]):
        assert stream.feed(bytes([byte])) == []
        assert stream.buffered == index + 1
    assert stream.feed(raw[-1:]) == [raw]
    assert stream.buffered == 0


def test_stream_keeps_a_partial_pdu_after_whole_ones() -> None:
    raw = AReleaseRQ().encode() + AReleaseRP().encode()
    stream = PDUStream()
    assert stream.feed(raw + raw[:3]) == [raw[:10], raw[10:]]
    assert stream.buffered == 3


def test_stream_refuses_a_pdata_tf_over_our_maximum_at_its_header() -> None:
    stream = PDUStream(max_pdata_length=16384)
    assert stream.feed(header(0x04, 16384)) == []  # exactly the maximum is fine
    stream = PDUStream(max_pdata_length=16384)
    with pytest.raises(PDUError, match="exceeds our maximum") as caught:
        stream.feed(header(0x04, 16385))
    assert caught.value.reason == AbortReason.INVALID_PDU_PARAMETER


def test_stream_with_maximum_0_accepts_any_pdata_tf_length() -> None:
    stream = PDUStream(max_pdata_length=0)
    assert stream.feed(header(0x04, 0xFFFFFFFF) + b"\x00" * 10) == []
    assert stream.buffered == 16


@pytest.mark.parametrize("pdu_type", [0x01, 0x02])
def test_stream_refuses_an_association_pdu_claiming_more_than_its_limit(pdu_type: int) -> None:
    assert PDUStream().feed(header(pdu_type, MAX_ASSOCIATION_PDU)) == []
    with pytest.raises(PDUError, match="claims") as caught:
        PDUStream().feed(header(pdu_type, MAX_ASSOCIATION_PDU + 1))
    assert caught.value.reason == AbortReason.INVALID_PDU_PARAMETER


@pytest.mark.parametrize("pdu_type", [0x03, 0x05, 0x06, 0x07])
def test_stream_refuses_a_fixed_pdu_of_another_length_at_its_header(pdu_type: int) -> None:
    with pytest.raises(PDUError, match="not 4"):
        PDUStream().feed(header(pdu_type, 0x7FFFFFFF))


def test_stream_refuses_an_unknown_pdu_type_at_its_header() -> None:
    with pytest.raises(PDUError) as caught:
        PDUStream().feed(header(0x08, 4))
    assert caught.value.reason == AbortReason.UNRECOGNIZED_PDU


# ------------------------------------------------------------------- frame_message


def as_buffer(data: bytes, kind: str) -> bytes | bytearray | memoryview:
    return {"bytes": data, "bytearray": bytearray(data), "memoryview": memoryview(data)}[kind]


buffer_kinds = st.sampled_from(["bytes", "bytearray", "memoryview"])
pieces_strategy = st.lists(st.tuples(st.binary(max_size=300), buffer_kinds), max_size=4)
max_lengths = st.just(0) | st.integers(8, 400)


def cut_and_decode(out: list, max_pdu_length: int) -> tuple[list[bytes], list]:
    raw = b"".join(bytes(piece) for piece in out)
    stream = PDUStream(max_pdata_length=max_pdu_length)
    pdus = stream.feed(raw)
    assert stream.buffered == 0
    return pdus, [decode_pdu(pdu) for pdu in pdus]


@settings(max_examples=300)
@given(hs.odd_context_ids, st.binary(max_size=300), pieces_strategy, max_lengths)
def test_frame_message_fragments_decode_back_to_the_message(
    context_id: int, command: bytes, pieces, max_pdu_length: int
) -> None:
    dataset = [as_buffer(data, kind) for data, kind in pieces]
    out = frame_message(context_id, command, dataset, max_pdu_length)
    raw_pdus, pdus = cut_and_decode(out, max_pdu_length)

    fragment = (max_pdu_length - 6) & ~1 if max_pdu_length else None
    pdvs = []
    for raw, pdu in zip(raw_pdus, pdus, strict=True):
        assert isinstance(pdu, PDataTF) and len(pdu.values) == 1  # one PDV per PDU
        assert raw[11] in (0, 1, 2, 3)  # control bits 2-7 sent as 0 (PS3.8 E.2)
        if max_pdu_length:
            assert len(raw) - 6 <= max_pdu_length
        pdvs.append(pdu.values[0])
    assert all(pdv.context_id == context_id for pdv in pdvs)

    parts = [(True, command)]
    if dataset:
        parts.append((False, b"".join(data for data, _ in pieces)))
    for is_command, data in parts:
        mine = [pdv for pdv in pdvs if pdv.is_command == is_command]
        assert b"".join(bytes(pdv.data) for pdv in mine) == data
        assert [pdv.is_last for pdv in mine] == [False] * (len(mine) - 1) + [True]
        if fragment:  # every fragment but the last is full and even
            assert all(len(pdv.data) == fragment for pdv in mine[:-1])
        if len(data) % 2 == 0:
            assert all(len(pdv.data) % 2 == 0 for pdv in mine)
    # The command comes first; a message without a data set sends only the command.
    assert [pdv.is_command for pdv in pdvs] == sorted(
        (pdv.is_command for pdv in pdvs), reverse=True
    )
    assert any(not pdv.is_command for pdv in pdvs) == bool(dataset)


@pytest.mark.parametrize("max_pdu_length", [-1, 1, 6, 7])
def test_frame_message_refuses_a_maximum_with_no_room_for_data(max_pdu_length: int) -> None:
    with pytest.raises(ValueError, match="no room"):
        frame_message(1, b"\x00" * 8, [], max_pdu_length)


def test_frame_message_with_maximum_8_sends_2_byte_fragments() -> None:
    out = frame_message(1, b"abcde", [], 8)
    _, pdus = cut_and_decode(out, 8)
    assert [bytes(p.values[0].data) for p in pdus] == [b"ab", b"cd", b"e"]


def test_frame_message_with_maximum_0_sends_each_part_in_one_pdu() -> None:
    command, dataset = b"c" * 1000, [b"d" * 100_000, bytearray(b"e" * 3)]
    out = frame_message(5, command, dataset, 0)
    _, pdus = cut_and_decode(out, 0)
    assert len(pdus) == 2
    assert out[1] is command  # a whole bytes piece goes out as it is


def frames(out: list) -> list[tuple[bytes, list]]:
    """Group ``frame_message`` output as (12-byte PDU and PDV header, data pieces) per PDU."""
    grouped: list[tuple[bytes, list]] = []
    index = 0
    while index < len(out):
        head = out[index]
        assert isinstance(head, bytes) and len(head) == 12 and head[0] == 0x04
        size, pieces = int.from_bytes(head[2:6], "big") - 6, []
        index += 1
        while sum(len(piece) for piece in pieces) < size:
            pieces.append(out[index])
            index += 1
        assert sum(len(piece) for piece in pieces) == size
        grouped.append((head, pieces))
    return grouped


def data_pieces(out: list) -> list:
    """Every data piece of ``frame_message`` output, headers left out."""
    return [piece for _, pieces in frames(out) for piece in pieces]


def test_frame_message_sends_a_bytearray_data_set_as_views_of_it() -> None:
    pixels = bytearray(np.random.default_rng(1).integers(0, 256, 1 << 20, dtype=np.uint8))
    source = np.frombuffer(pixels, np.uint8)
    out = frame_message(3, b"\x00" * 100, [pixels], 16384)
    data = data_pieces(out)[1:]  # after the command
    assert len(data) == -(-len(pixels) // 16378)  # 16378 = (16384 - 6) rounded to even
    for piece in data:
        assert isinstance(piece, memoryview)
        assert np.shares_memory(np.frombuffer(piece, np.uint8), source)
    assert sum(len(piece) for piece in data) == len(pixels)


def test_frame_message_sends_numpy_pixels_without_copying() -> None:
    image = np.arange(512 * 384, dtype=np.uint16).reshape(512, 384)
    header_bytes = bytearray(b"\xe0\x7f\x10\x00" + (image.nbytes).to_bytes(4, "little"))
    out = frame_message(1, b"\x00" * 8, [header_bytes, memoryview(image)], 32768)
    data = data_pieces(out)[1:]
    image_bytes = np.frombuffer(image, np.uint8)
    shared = [
        piece for piece in data if np.shares_memory(np.frombuffer(piece, np.uint8), image_bytes)
    ]
    assert sum(len(piece) for piece in shared) == image.nbytes
    assert all(isinstance(piece, memoryview) for piece in data)
    _, pdus = cut_and_decode(out, 32768)
    received = b"".join(bytes(p.values[0].data) for p in pdus if not p.values[0].is_command)
    assert received == bytes(header_bytes) + image.tobytes()


def test_frame_message_slices_a_bytes_piece_as_views_of_it() -> None:
    dataset = bytes(range(256)) * 100
    out = frame_message(1, b"", [dataset], 1024)
    for piece in data_pieces(out):
        if len(piece):
            assert isinstance(piece, memoryview) and piece.obj is dataset


def test_frame_message_with_an_empty_command_sends_one_empty_last_fragment() -> None:
    out = frame_message(1, b"", [], 100)
    _, pdus = cut_and_decode(out, 100)
    assert pdus == [PDataTF((PresentationDataValue(1, True, True, b""),))]


def test_an_ae_title_with_a_control_character_is_refused_not_stripped():
    from dul.pdu import ae_title_field

    assert ae_title_field(" PRINTER ") == b"PRINTER         "
    for bad in ("AE\n", "\tAE", "A\x7fE"):
        with pytest.raises(ValueError, match="printable"):
            ae_title_field(bad)
