"""Messages <-> command sets: round trips, pydicom as an independent decoder, and errors."""

import contextlib
import dataclasses
from io import BytesIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.filereader import data_element_generator, read_dataset

from dimse import elements as el
from dimse import uids
from dimse.command import DATA_SET_PRESENT, NO_DATA_SET, decode_command, encode_command
from dimse.errors import DIMSEProtocolError
from dimse.messages import (
    MESSAGE_TYPES,
    CCancelRQ,
    CEchoRQ,
    CEchoRSP,
    NActionRQ,
    NActionRSP,
    NCreateRQ,
    NCreateRSP,
    NDeleteRQ,
    NDeleteRSP,
    NEventReportRQ,
    NEventReportRSP,
    NGetRQ,
    NGetRSP,
    NSetRQ,
    NSetRSP,
)
from tests.dimse.strategies import messages, without_dataset

PYDICOM_KEYWORDS = {
    "affected_sop_class_uid": "AffectedSOPClassUID",
    "requested_sop_class_uid": "RequestedSOPClassUID",
    "message_id": "MessageID",
    "message_id_being_responded_to": "MessageIDBeingRespondedTo",
    "status": "Status",
    "offending_element": "OffendingElement",
    "error_comment": "ErrorComment",
    "error_id": "ErrorID",
    "affected_sop_instance_uid": "AffectedSOPInstanceUID",
    "requested_sop_instance_uid": "RequestedSOPInstanceUID",
    "event_type_id": "EventTypeID",
    "attribute_identifier_list": "AttributeIdentifierList",
    "action_type_id": "ActionTypeID",
}

# PS3.7 Annex E and REFERENCE.md §2.3, written out again so that the code is checked
# against the table, not against itself.
COMMAND_FIELDS = {
    CEchoRQ: 0x0030,
    CEchoRSP: 0x8030,
    CCancelRQ: 0x0FFF,
    NEventReportRQ: 0x0100,
    NEventReportRSP: 0x8100,
    NGetRQ: 0x0110,
    NGetRSP: 0x8110,
    NSetRQ: 0x0120,
    NSetRSP: 0x8120,
    NActionRQ: 0x0130,
    NActionRSP: 0x8130,
    NCreateRQ: 0x0140,
    NCreateRSP: 0x8140,
    NDeleteRQ: 0x0150,
    NDeleteRSP: 0x8150,
}

all_messages = st.one_of(*(messages(message_type) for message_type in MESSAGE_TYPES))


def pydicom_value(dataset, keyword):
    """A command element's value as pydicom decodes it, in our representation."""
    element = dataset[keyword]
    if element.VR == "AT":
        value = element.value
        return tuple(int(t) for t in (value if element.VM > 1 else [value]))
    return element.value


def test_every_message_type_has_its_command_field():
    assert {t: t.COMMAND_FIELD for t in MESSAGE_TYPES} == COMMAND_FIELDS


def test_requests_use_requested_or_affected_uids_as_ps3_7_says():
    """GET, SET, ACTION, DELETE requests address Requested SOP; CREATE and EVENT Affected."""
    for message_type in (NGetRQ, NSetRQ, NActionRQ, NDeleteRQ):
        names = {f.name for f in dataclasses.fields(message_type)}
        assert {"requested_sop_class_uid", "requested_sop_instance_uid"} <= names
    for message_type in (NCreateRQ, NEventReportRQ):
        names = {f.name for f in dataclasses.fields(message_type)}
        assert "affected_sop_class_uid" in names
        assert "requested_sop_class_uid" not in names


@settings(max_examples=300, deadline=None)
@given(all_messages)
def test_decode_inverts_encode(message):
    command = encode_command(message)
    decoded, has_dataset = decode_command(command)
    assert decoded == without_dataset(message)
    assert has_dataset == (getattr(message, "dataset", None) is not None)


@settings(max_examples=300, deadline=None)
@given(all_messages)
def test_pydicom_reads_what_we_meant(message):
    command = encode_command(message)
    raw_elements = list(data_element_generator(BytesIO(command), True, True))
    order = [int(e.tag) for e in raw_elements]
    assert order[0] == 0x00000000
    assert order == sorted(set(order)), "ascending, no duplicates"
    assert all(tag >> 16 == 0 for tag in order)

    dataset = read_dataset(BytesIO(command), is_implicit_VR=True, is_little_endian=True)
    assert dataset.CommandGroupLength == len(command) - 12
    assert dataset.CommandField == type(message).COMMAND_FIELD
    has_dataset = getattr(message, "dataset", None) is not None
    assert (dataset.CommandDataSetType != NO_DATA_SET) == has_dataset
    expected_keywords = {"CommandGroupLength", "CommandField", "CommandDataSetType"}
    for field in dataclasses.fields(message):
        value = getattr(message, field.name)
        if field.name == "dataset" or value is None:
            continue
        keyword = PYDICOM_KEYWORDS[field.name]
        expected_keywords.add(keyword)
        assert pydicom_value(dataset, keyword) == value, keyword
    assert {element.keyword for element in dataset} == expected_keywords


def test_a_known_encoding_byte_for_byte():
    """C-ECHO-RQ, Message ID 1: the classic 68-byte command set (PS3.7 E, implicit VR LE)."""
    command = encode_command(CEchoRQ(1))
    assert command == (
        b"\x00\x00\x00\x00\x04\x00\x00\x00\x38\x00\x00\x00"  # group length 56
        b"\x00\x00\x02\x00\x12\x00\x00\x001.2.840.10008.1.1\x00"  # affected SOP class
        b"\x00\x00\x00\x01\x02\x00\x00\x00\x30\x00"  # command field C-ECHO-RQ
        b"\x00\x00\x10\x01\x02\x00\x00\x00\x01\x00"  # message ID 1
        b"\x00\x00\x00\x08\x02\x00\x00\x00\x01\x01"  # no data set
    )


def test_data_set_type_follows_the_data_set():
    with_data = encode_command(NSetRQ(1, uids.BASIC_FILM_SESSION, "1.2.3", dataset=b"x"))
    assert el.decode_command_set(with_data)[el.COMMAND_DATA_SET_TYPE] == DATA_SET_PRESENT
    without = encode_command(NDeleteRQ(1, uids.BASIC_FILM_SESSION, "1.2.3"))
    assert el.decode_command_set(without)[el.COMMAND_DATA_SET_TYPE] == NO_DATA_SET


@pytest.mark.parametrize(
    "message",
    [
        NGetRQ(1, uids.PRINTER, None),
        NGetRSP(1, None),
        NSetRQ(1, uids.BASIC_FILM_BOX, "1.2.3", dataset=None),
        NEventReportRQ(1, uids.PRINTER, uids.PRINTER_INSTANCE, None),
        NGetRQ(70000, uids.PRINTER, uids.PRINTER_INSTANCE),
        NGetRQ(1, "1.2.abc", uids.PRINTER_INSTANCE),
        NGetRQ(1, "1." + "2" * 64, uids.PRINTER_INSTANCE),
        NGetRSP(1, 0, error_comment="x" * 65),
        NGetRSP(1, 0, error_comment="back\\slash"),
        NGetRSP(1, 0, error_comment="caf\u00e9"),
        NGetRSP(1, 0, offending_element=(0x1_0000_0000,)),
        NGetRSP(1, -1),
        CEchoRQ(1, None),
    ],
)
def test_encoding_an_invalid_message_is_a_value_error(message):
    with pytest.raises(ValueError):
        encode_command(message)


def test_optional_create_rsp_sop_class_may_be_absent():
    """Some SCPs omit Affected SOP Class UID from N-CREATE-RSP; we must accept that."""
    command = el.encode_command_set(
        {
            el.COMMAND_FIELD: 0x8140,
            el.MESSAGE_ID_BEING_RESPONDED_TO: 5,
            el.COMMAND_DATA_SET_TYPE: NO_DATA_SET,
            el.STATUS: 0,
            el.AFFECTED_SOP_INSTANCE_UID: "1.2.3.4",
        }
    )
    message, has_dataset = decode_command(command)
    assert message == NCreateRSP(5, 0, affected_sop_instance_uid="1.2.3.4")
    assert not has_dataset


def _command(**overrides):
    values = {
        el.COMMAND_FIELD: 0x0110,
        el.MESSAGE_ID: 1,
        el.COMMAND_DATA_SET_TYPE: NO_DATA_SET,
        el.REQUESTED_SOP_CLASS_UID: uids.PRINTER,
        el.REQUESTED_SOP_INSTANCE_UID: uids.PRINTER_INSTANCE,
    }
    for name, value in overrides.items():
        tag = getattr(el, name.upper())
        if value is None:
            del values[tag]
        else:
            values[tag] = value
    return el.encode_command_set(values)


def test_the_fixture_itself_decodes():
    assert decode_command(_command())[0] == NGetRQ(1, uids.PRINTER, uids.PRINTER_INSTANCE)


def test_extra_elements_are_ignored():
    message, _ = decode_command(_command(error_comment="hello", priority=2))
    assert message == NGetRQ(1, uids.PRINTER, uids.PRINTER_INSTANCE)


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"command_field": None}, "Command Field"),
        ({"command_field": 0x0001}, "unsupported"),  # C-STORE-RQ: not ours
        ({"command_data_set_type": None}, "Command Data Set Type"),
        ({"command_data_set_type": 0x0000}, "must not carry a data set"),
        ({"message_id": None}, "Message ID"),
        ({"requested_sop_class_uid": None}, "Requested SOP Class UID"),
        ({"requested_sop_instance_uid": None}, "Requested SOP Instance UID"),
        ({"command_field": 0x0120}, "needs one"),  # N-SET-RQ without its data set
    ],
)
def test_a_peers_incomplete_command_is_a_protocol_error(overrides, complaint):
    with pytest.raises(DIMSEProtocolError, match=complaint):
        decode_command(_command(**overrides))


def test_c_echo_rq_needs_its_sop_class_although_ours_has_a_default():
    command = el.encode_command_set(
        {el.COMMAND_FIELD: 0x0030, el.MESSAGE_ID: 1, el.COMMAND_DATA_SET_TYPE: NO_DATA_SET}
    )
    with pytest.raises(DIMSEProtocolError, match="Affected SOP Class UID"):
        decode_command(command)


def test_an_empty_uid_counts_as_missing():
    command = _command(requested_sop_instance_uid=None)
    # Append a zero-length Requested SOP Instance UID by hand: the encoder would refuse it.
    body = command[12:] + b"\x00\x00\x01\x10\x00\x00\x00\x00"
    command = b"\x00\x00\x00\x00\x04\x00\x00\x00" + len(body).to_bytes(4, "little") + body
    with pytest.raises(DIMSEProtocolError, match="Requested SOP Instance UID"):
        decode_command(command)


@settings(max_examples=200, deadline=None)
@given(
    all_messages,
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_mutated_commands_decode_or_raise_the_protocol_error(message, mutations):
    command = bytearray(encode_command(message))
    for position, byte in mutations:
        command[position % len(command)] = byte
    with contextlib.suppress(DIMSEProtocolError):
        decode_command(bytes(command))


@settings(max_examples=200, deadline=None)
@given(all_messages, st.data())
def test_truncated_commands_raise_the_protocol_error(message, data):
    command = encode_command(message)
    cut = data.draw(st.integers(0, len(command) - 1))
    with pytest.raises(DIMSEProtocolError):
        decode_command(command[:cut])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_decode_or_raise_the_protocol_error(data):
    with contextlib.suppress(DIMSEProtocolError):
        decode_command(data)
