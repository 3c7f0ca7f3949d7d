"""The items of A-ASSOCIATE-RQ/AC (PS3.8 §9.3.2-9.3.3, D.1; PS3.7 D.3.3): round trips under
hypothesis, hand-written bytes for each sub-item, and what the decoders refuse or skip."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dul.codes import AbortReason
from dul.errors import PDUError
from dul.items import (
    PresentationContextAC,
    PresentationContextRQ,
    RoleSelection,
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    UserIdentityAC,
    UserIdentityRQ,
    UserInformation,
    decode_presentation_context_ac,
    decode_presentation_context_rq,
    decode_user_information,
)
from dul.wire import Reader, ascii_field, item
from tests.dul import strategies as hs

VERIFICATION = b"1.2.840.10008.1.1"
IMPLICIT = b"1.2.840.10008.1.2"


def body_of(encoded: bytes, item_type: int) -> memoryview:
    """Check an item's 4-byte header (PS3.8 §9.3.2) and return its body."""
    assert encoded[0] == item_type
    assert int.from_bytes(encoded[2:4], "big") == len(encoded) - 4
    return memoryview(encoded)[4:]


def user_info_with(**fields) -> UserInformation:
    return decode_user_information(body_of(UserInformation(**fields).encode(), 0x50))


# --------------------------------------------------------------------- round trips


@given(hs.presentation_contexts_rq())
def test_presentation_context_rq_round_trips(context: PresentationContextRQ) -> None:
    assert decode_presentation_context_rq(body_of(context.encode(), 0x20)) == context


@given(hs.presentation_contexts_ac())
def test_presentation_context_ac_round_trips(context: PresentationContextAC) -> None:
    assert decode_presentation_context_ac(body_of(context.encode(), 0x21)) == context


@settings(max_examples=150)
@given(hs.user_informations)
def test_user_information_round_trips_with_any_sub_items(user: UserInformation) -> None:
    assert decode_user_information(body_of(user.encode(), 0x50)) == user


@given(hs.role_selections)
def test_role_selection_round_trips(role: RoleSelection) -> None:
    body_of(role.encode(), 0x54)
    assert user_info_with(role_selections=(role,)).role_selections == (role,)


@given(hs.extended_negotiations)
def test_sop_class_extended_negotiation_round_trips(ext: SOPClassExtendedNegotiation) -> None:
    body_of(ext.encode(), 0x56)
    assert user_info_with(extended_negotiations=(ext,)).extended_negotiations == (ext,)


@given(hs.common_extended_negotiations)
def test_sop_class_common_extended_negotiation_round_trips(
    common: SOPClassCommonExtendedNegotiation,
) -> None:
    body_of(common.encode(), 0x57)
    decoded = user_info_with(common_extended_negotiations=(common,))
    assert decoded.common_extended_negotiations == (common,)


@given(hs.user_identities_rq)
def test_user_identity_rq_round_trips(identity: UserIdentityRQ) -> None:
    body_of(identity.encode(), 0x58)
    assert user_info_with(user_identity_rq=identity).user_identity_rq == identity


@given(hs.user_identities_ac)
def test_user_identity_ac_round_trips(identity: UserIdentityAC) -> None:
    body_of(identity.encode(), 0x59)
    assert user_info_with(user_identity_ac=identity).user_identity_ac == identity


@given(hs.u32s, hs.uids, hs.version_names, st.tuples(hs.u16s, hs.u16s))
def test_single_valued_sub_items_round_trip(max_length, uid, name, window) -> None:
    decoded = user_info_with(
        max_length=max_length,
        implementation_class_uid=uid,
        implementation_version_name=name,
        async_operations_window=window,
    )
    assert decoded.max_length == max_length
    assert decoded.implementation_class_uid == uid
    assert decoded.implementation_version_name == name
    assert decoded.async_operations_window == window


def test_empty_user_information_decodes_to_all_absent() -> None:
    assert UserInformation().encode() == bytes.fromhex("50000000")
    assert user_info_with() == UserInformation()


# ------------------------------------------------------------- hand-written bytes


def test_presentation_context_rq_bytes_follow_table_9_13() -> None:
    context = PresentationContextRQ(1, VERIFICATION.decode(), (IMPLICIT.decode(),))
    expected = (
        bytes.fromhex("2000002e")  # item type 20H, reserved, length 46
        + bytes.fromhex("01000000")  # context ID 1, three reserved bytes
        + bytes.fromhex("30000011")
        + VERIFICATION  # abstract syntax sub-item
        + bytes.fromhex("40000011")
        + IMPLICIT  # transfer syntax sub-item
    )
    assert context.encode() == expected


def test_presentation_context_ac_bytes_follow_table_9_18() -> None:
    accepted = PresentationContextAC(3, 0, IMPLICIT.decode())
    assert accepted.encode() == (
        bytes.fromhex("21000019")  # item type 21H, reserved, length 25
        + bytes.fromhex("03000000")  # context ID 3, reserved, result 0, reserved
        + bytes.fromhex("40000011")
        + IMPLICIT
    )
    rejected = PresentationContextAC(5, 3, "")
    assert rejected.encode() == bytes.fromhex("210000080500030040000000")


@pytest.mark.parametrize(
    ("sub_item", "expected"),
    [
        (
            RoleSelection("1.2.3", scu_role=True, scp_role=False),
            bytes.fromhex("540000090005") + b"1.2.3" + bytes.fromhex("0100"),
        ),
        (
            SOPClassExtendedNegotiation("1.2.3", b"\x01\x00\x01"),
            bytes.fromhex("5600000a0005") + b"1.2.3" + b"\x01\x00\x01",
        ),
        (
            SOPClassCommonExtendedNegotiation("1.2.3", "1.2.4", ("1.2.5",)),
            bytes.fromhex("570000170005")  # 57H, sub-item version 0, length 23
            + b"1.2.3"
            + bytes.fromhex("0005")
            + b"1.2.4"
            + bytes.fromhex("00070005")
            + b"1.2.5",
        ),
        (
            UserIdentityRQ(2, True, b"user", b"pass"),
            bytes.fromhex("5800000e02010004") + b"user" + bytes.fromhex("0004") + b"pass",
        ),
        (UserIdentityAC(b"ok"), bytes.fromhex("590000040002") + b"ok"),
    ],
    ids=["54H-role", "56H-extended", "57H-common-extended", "58H-identity-rq", "59H-identity-ac"],
)
def test_sub_item_bytes_follow_ps3_7_annex_d(sub_item, expected: bytes) -> None:
    assert sub_item.encode() == expected


def test_user_information_bytes_follow_d1_and_ps3_7() -> None:
    user = UserInformation(
        max_length=16384,
        implementation_class_uid="1.2.3.4",
        implementation_version_name="HCS_010",
        async_operations_window=(3, 1),
    )
    sub_items = (
        bytes.fromhex("5100000400004000")  # Maximum Length 16384 (PS3.8 D.1)
        + bytes.fromhex("52000007")
        + b"1.2.3.4"  # Implementation Class UID
        + bytes.fromhex("5300000400030001")  # invoked 3, performed 1
        + bytes.fromhex("55000007")
        + b"HCS_010"  # Implementation Version Name
    )
    assert user.encode() == bytes.fromhex("50000026") + sub_items
    assert len(sub_items) == 0x26


# ------------------------------------------------------------- decoder leniency


@pytest.mark.parametrize("unknown_type", [0x5A, 0x7F, 0xFF, 0x00, 0x10])
def test_unknown_user_information_sub_items_are_skipped(unknown_type: int) -> None:
    """PS3.8 D.2 Note 2: acceptors ignore user information sub-items they do not know."""
    body = (
        item(unknown_type, b"\xde\xad\xbe\xef")
        + bytes.fromhex("5100000400008000")
        + item(unknown_type, b"")
        + bytes.fromhex("52000003")
        + b"1.2"
    )
    decoded = decode_user_information(memoryview(body))
    assert decoded == UserInformation(max_length=0x8000, implementation_class_uid="1.2")
    assert decoded.unknown_sub_items == (unknown_type, unknown_type)


def test_uids_padded_with_a_trailing_nul_or_space_decode_without_it() -> None:
    body = bytes.fromhex("01000000") + item(0x30, b"1.2.3\x00") + item(0x40, b"1.2.840.10008.1.2 ")
    decoded = decode_presentation_context_rq(memoryview(body))
    assert decoded == PresentationContextRQ(1, "1.2.3", ("1.2.840.10008.1.2",))


def test_user_identity_rq_without_a_secondary_length_decodes_as_empty_secondary() -> None:
    body = item(0x58, bytes.fromhex("01000002") + b"me")
    decoded = decode_user_information(memoryview(body))
    assert decoded.user_identity_rq == UserIdentityRQ(1, False, b"me", b"")


def test_rejected_context_without_transfer_syntax_sub_item_decodes() -> None:
    decoded = decode_presentation_context_ac(memoryview(bytes.fromhex("07000300")))
    assert decoded == PresentationContextAC(7, 3, "")
    assert not decoded.accepted


def test_rejected_context_transfer_syntax_is_not_tested() -> None:
    """PS3.8 Table 9-18: when the result is not acceptance, the transfer syntax sub-item
    "shall not be significant and its value shall not be tested"."""
    decoded = decode_presentation_context_ac(
        memoryview(bytes.fromhex("03000400") + item(0x40, b"\xff\xfe garbage"))
    )
    assert (decoded.context_id, decoded.result, decoded.accepted) == (3, 4, False)


def test_accepted_context_transfer_syntax_must_be_ascii() -> None:
    with pytest.raises(PDUError, match="not ASCII"):
        decode_presentation_context_ac(memoryview(bytes.fromhex("03000000") + item(0x40, b"\xff")))


# ------------------------------------------------------------- decoder refusals


def refused(decoder, body: bytes) -> PDUError:
    with pytest.raises(PDUError) as caught:
        decoder(memoryview(body))
    return caught.value


def test_presentation_context_rq_with_unknown_sub_item_is_unrecognized_parameter() -> None:
    body = bytes.fromhex("01000000") + item(0x30, b"1.2") + item(0x40, b"1.2") + item(0x55, b"x")
    error = refused(decode_presentation_context_rq, body)
    assert error.reason == AbortReason.UNRECOGNIZED_PDU_PARAMETER


def test_presentation_context_rq_with_two_abstract_syntaxes_is_unexpected_parameter() -> None:
    body = bytes.fromhex("01000000") + item(0x30, b"1.2") + item(0x30, b"1.3") + item(0x40, b"1")
    error = refused(decode_presentation_context_rq, body)
    assert error.reason == AbortReason.UNEXPECTED_PDU_PARAMETER


@pytest.mark.parametrize(
    "sub_items",
    [item(0x40, b"1.2"), item(0x30, b"1.2"), b""],
    ids=["no-abstract-syntax", "no-transfer-syntax", "empty"],
)
def test_presentation_context_rq_needs_abstract_and_transfer_syntax(sub_items: bytes) -> None:
    error = refused(decode_presentation_context_rq, bytes.fromhex("01000000") + sub_items)
    assert error.reason == AbortReason.INVALID_PDU_PARAMETER


def test_presentation_context_ac_result_above_4_is_invalid() -> None:
    error = refused(decode_presentation_context_ac, bytes.fromhex("01000500") + item(0x40, b"1"))
    assert error.reason == AbortReason.INVALID_PDU_PARAMETER


def test_presentation_context_ac_with_abstract_syntax_is_unrecognized_parameter() -> None:
    error = refused(decode_presentation_context_ac, bytes.fromhex("01000000") + item(0x30, b"1"))
    assert error.reason == AbortReason.UNRECOGNIZED_PDU_PARAMETER


@pytest.mark.parametrize(
    "body",
    [
        bytes.fromhex("510000020000"),  # maximum length too short for its u32
        bytes.fromhex("530000020001"),  # async window without "performed"
        bytes.fromhex("540000040009") + b"12",  # role UID length past the sub-item
        bytes.fromhex("540000030001") + b"1",  # role sub-item without role bytes
        bytes.fromhex("5600000100"),  # extended negotiation cut inside its UID length
        bytes.fromhex("570000040001") + b"1" + b"\x00",  # common extended cut short
        bytes.fromhex("570000090001") + b"1" + bytes.fromhex("0001") + b"2" + b"\x00\x05",
        bytes.fromhex("5800000a01000010") + b"abcd",  # primary field length lies
        bytes.fromhex("590000020005"),  # server response length lies
        bytes.fromhex("5100001000004000"),  # sub-item length past the item
        bytes.fromhex("510000"),  # a stray partial sub-item header
    ],
)
def test_truncated_or_lying_sub_items_are_invalid_parameters(body: bytes) -> None:
    error = refused(decode_user_information, body)
    assert error.reason == AbortReason.INVALID_PDU_PARAMETER


def test_non_ascii_uid_is_an_invalid_parameter() -> None:
    error = refused(decode_user_information, bytes.fromhex("52000003") + b"1.\xff")
    assert error.reason == AbortReason.INVALID_PDU_PARAMETER


# --------------------------------------------------------------- encoder refusals


@pytest.mark.parametrize("context_id", [0, 2, 256, -1])
def test_presentation_context_id_must_be_odd_1_to_255(context_id: int) -> None:
    with pytest.raises(ValueError, match="odd"):
        PresentationContextRQ(context_id, "1.2", ("1.2",)).encode()


def test_presentation_context_needs_a_transfer_syntax() -> None:
    with pytest.raises(ValueError, match="no transfer syntax"):
        PresentationContextRQ(1, "1.2", ()).encode()


@pytest.mark.parametrize("uid", ["", "1." * 32 + "1", "1.2.\u00e9"])
def test_uids_must_be_ascii_1_to_64_characters(uid: str) -> None:
    with pytest.raises(ValueError):
        PresentationContextRQ(1, uid, ("1.2",)).encode()
    with pytest.raises(ValueError):
        RoleSelection(uid, True, True).encode()


@pytest.mark.parametrize("name", ["", "X" * 17])
def test_implementation_version_name_must_be_1_to_16_characters(name: str) -> None:
    with pytest.raises(ValueError, match="1 to 16"):
        UserInformation(implementation_version_name=name).encode()


def test_an_item_body_over_65535_bytes_is_refused() -> None:
    with pytest.raises(ValueError, match="65535"):
        SOPClassExtendedNegotiation("1.2", bytes(0x10000)).encode()


# ----------------------------------------------------------------------- wire


def test_reader_refuses_to_read_past_its_end() -> None:
    reader = Reader(b"\x01\x02\x03", "test field")
    assert reader.u16() == 0x0102
    with pytest.raises(PDUError, match="test field is truncated") as caught:
        reader.u16()
    assert caught.value.reason == AbortReason.INVALID_PDU_PARAMETER
    assert reader.remaining == 1
    assert reader.u8() == 3
    assert reader.rest().tobytes() == b""


def test_reader_take_of_a_gigabyte_claim_raises_without_allocating() -> None:
    reader = Reader(bytes(8), "item")
    with pytest.raises(PDUError):
        reader.take(0xFFFFFFFF)
    with pytest.raises(PDUError):
        reader.skip(9)


def test_reader_take_returns_a_view_not_a_copy() -> None:
    data = bytearray(b"abcdef")
    view = Reader(data, "x").take(3)
    data[0] = ord("z")
    assert view.tobytes() == b"zbc"


def test_ascii_field_strips_padding_and_refuses_non_ascii() -> None:
    assert ascii_field(b"1.2.3\x00\x00", "uid") == "1.2.3"
    assert ascii_field(b"ABC   ", "name") == "ABC"
    with pytest.raises(PDUError, match="not ASCII"):
        ascii_field(b"\x80", "uid")
