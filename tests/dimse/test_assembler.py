"""Reassembly: every message type through random fragmentation, and every protocol error."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset

from dimse import uids
from dimse.assembler import MessageAssembler, ReceivedMessage
from dimse.command import encode_command
from dimse.errors import DIMSEProtocolError
from dimse.messages import MESSAGE_TYPES, CEchoRQ, NEventReportRQ, NGetRQ, NGetRSP, NSetRQ
from dimse.outgoing import encode_message
from dul.pdu_values import PresentationDataValue
from tests.dimse.strategies import content, fragment_sizes, messages, split, without_dataset

SYNTAXES = [uids.IMPLICIT_VR_LITTLE_ENDIAN, uids.EXPLICIT_VR_LITTLE_ENDIAN]


def pdvs(context_id, command, pieces, command_sizes=(1 << 30,), data_sizes=(1 << 30,)):
    """The PDVs an Upper Layer could make of a message, at the given fragment sizes."""
    values = []
    fragments = split(command, list(command_sizes))
    for index, fragment in enumerate(fragments):
        values.append(
            PresentationDataValue(context_id, True, index == len(fragments) - 1, fragment)
        )
    if pieces:
        fragments = split(b"".join(pieces), list(data_sizes))
        for index, fragment in enumerate(fragments):
            last = index == len(fragments) - 1
            values.append(PresentationDataValue(context_id, False, last, memoryview(fragment)))
    return values


def feed_all(assembler, values):
    results = [assembler.feed(value) for value in values]
    assert all(result is None for result in results[:-1])
    return results[-1]


def get_printer(message_id=1):
    return NGetRQ(message_id, uids.PRINTER, uids.PRINTER_INSTANCE)


def set_image_box(message_id=2):
    return NSetRQ(message_id, uids.BASIC_GRAYSCALE_IMAGE_BOX, "1.2.3", dataset=b"\x00" * 40)


@pytest.mark.parametrize("message_type", MESSAGE_TYPES, ids=lambda t: t.NAME)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_message_type_survives_any_fragmentation(message_type, data):
    message = data.draw(messages(message_type))
    syntax = data.draw(st.sampled_from(SYNTAXES))
    context_id = data.draw(st.integers(1, 255).filter(lambda n: n % 2))
    command, pieces = encode_message(message, syntax)
    values = pdvs(context_id, command, pieces, data.draw(fragment_sizes), data.draw(fragment_sizes))

    received = feed_all(MessageAssembler(), values)

    assert received.context_id == context_id
    assert without_dataset(received.message) == without_dataset(message)
    original = getattr(message, "dataset", None)
    if original is None:
        assert getattr(received.message, "dataset", None) is None
    else:
        assert received.message.dataset == b"".join(pieces)
        assert content(received.message.decode_dataset(syntax)) == content(original)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(MESSAGE_TYPES), min_size=2, max_size=6), st.data())
def test_a_stream_of_messages_on_several_contexts(message_types, data):
    assembler = MessageAssembler(max_message_bytes=1 << 20)
    for message_type in message_types:
        message = data.draw(messages(message_type))
        context_id = data.draw(st.sampled_from([1, 3, 5]))
        command, pieces = encode_message(message, uids.IMPLICIT_VR_LITTLE_ENDIAN)
        values = pdvs(
            context_id, command, pieces, data.draw(fragment_sizes), data.draw(fragment_sizes)
        )
        received = feed_all(assembler, values)
        assert received.context_id == context_id
        assert without_dataset(received.message) == without_dataset(message)
        assert not assembler.in_progress


def test_command_fragments_are_copied_before_the_upper_layer_reuses_its_buffer():
    command, pieces = encode_message(set_image_box(), uids.IMPLICIT_VR_LITTLE_ENDIAN)
    receive_buffer = bytearray(command + b"".join(pieces))
    view = memoryview(receive_buffer)
    assembler = MessageAssembler()
    half = len(command) // 2
    assert assembler.feed(PresentationDataValue(1, True, False, view[:half])) is None
    receive_buffer[:half] = b"\xff" * half  # the next read lands in the same buffer
    assert assembler.feed(PresentationDataValue(1, True, True, view[half : len(command)])) is None
    assert assembler.feed(PresentationDataValue(1, False, False, view[len(command) : -8])) is None
    received = assembler.feed(PresentationDataValue(1, False, True, view[-8:]))
    assert received == ReceivedMessage(1, set_image_box())


def test_a_data_set_in_one_fragment_is_not_copied_and_several_are_joined_once():
    command, pieces = encode_message(set_image_box(), uids.IMPLICIT_VR_LITTLE_ENDIAN)
    data = memoryview(b"".join(pieces))
    assembler = MessageAssembler()
    assembler.feed(PresentationDataValue(1, True, True, command))
    received = assembler.feed(PresentationDataValue(1, False, True, data))
    assert received.message.dataset is data
    assembler.feed(PresentationDataValue(1, True, True, command))
    assembler.feed(PresentationDataValue(1, False, False, data[:10]))
    received = assembler.feed(PresentationDataValue(1, False, True, data[10:]))
    assert bytes(received.message.dataset) == bytes(data)


def test_an_empty_data_set_is_still_a_data_set():
    command = encode_command(NSetRQ(1, "1.2", "1.3", dataset=b""))
    assembler = MessageAssembler()
    assert assembler.feed(PresentationDataValue(1, True, True, command)) is None
    assert assembler.in_progress
    received = assembler.feed(PresentationDataValue(1, False, True, b""))
    assert received.message.dataset == b""
    assert received.message.decode_dataset(uids.IMPLICIT_VR_LITTLE_ENDIAN) == Dataset()


def test_a_message_of_exactly_the_limit_is_accepted():
    command, pieces = encode_message(set_image_box(), uids.IMPLICIT_VR_LITTLE_ENDIAN)
    limit = len(command) + 40
    received = feed_all(MessageAssembler(limit), pdvs(1, command, pieces, [7], [9]))
    assert received.message == set_image_box()


def command_pdv(message, context_id=1, is_last=True):
    return PresentationDataValue(context_id, True, is_last, encode_command(message))


def data_pdv(context_id=1, is_last=True, data=b"\x00" * 8):
    return PresentationDataValue(context_id, False, is_last, data)


SET_COMMAND = encode_command(set_image_box())

PROTOCOL_ERRORS = {
    "data set without a command": ([data_pdv()], "without a command"),
    "data set before the last command fragment": (
        [PresentationDataValue(1, True, False, SET_COMMAND[:20]), data_pdv()],
        "before the last command fragment",
    ),
    "command fragments on two contexts": (
        [
            PresentationDataValue(1, True, False, SET_COMMAND[:20]),
            PresentationDataValue(3, True, True, SET_COMMAND[20:]),
        ],
        "context 3 arrived in the middle of a message on context 1",
    ),
    "data set on another context than its command": (
        [command_pdv(set_image_box()), data_pdv(context_id=3)],
        "context 3",
    ),
    "data set fragments on two contexts": (
        [command_pdv(set_image_box()), data_pdv(is_last=False), data_pdv(context_id=5)],
        "context 5",
    ),
    "a command where the data set was announced": (
        [command_pdv(set_image_box()), command_pdv(get_printer())],
        "where the data set announced by the N-SET-RQ was expected",
    ),
    "a command fragment after the last command fragment": (
        [command_pdv(set_image_box()), command_pdv(get_printer(), is_last=False)],
        "was expected",
    ),
    "a data set after a command that announced none": (
        [command_pdv(get_printer()), data_pdv()],
        "without a command",
    ),
    "a malformed command": (
        [PresentationDataValue(1, True, True, SET_COMMAND[:-1])],
        "Group Length",
    ),
    "a malformed command in fragments": (
        [
            PresentationDataValue(1, True, False, SET_COMMAND[:20]),
            PresentationDataValue(1, True, True, SET_COMMAND[21:]),
        ],
        "Group Length",
    ),
    "an empty command": ([PresentationDataValue(1, True, True, b"")], "too short"),
}


@pytest.mark.parametrize("case", sorted(PROTOCOL_ERRORS))
def test_protocol_errors(case):
    values, complaint = PROTOCOL_ERRORS[case]
    assembler = MessageAssembler()
    for value in values[:-1]:
        assembler.feed(value)
    with pytest.raises(DIMSEProtocolError, match=complaint):
        assembler.feed(values[-1])
    # After a protocol error the assembler refuses everything: the caller must abort.
    with pytest.raises(DIMSEProtocolError, match="already failed"):
        assembler.feed(command_pdv(CEchoRQ(1)))
    assert not assembler.in_progress


@pytest.mark.parametrize("limit", [0, 10, len(SET_COMMAND), len(SET_COMMAND) + 39])
def test_messages_over_the_limit_are_refused(limit):
    values = pdvs(1, SET_COMMAND, [b"\x00" * 40], [13], [11])
    assembler = MessageAssembler(max_message_bytes=limit)
    with pytest.raises(DIMSEProtocolError, match=f"limit of {limit} bytes"):
        for value in values:
            assembler.feed(value)


def test_the_limit_applies_to_each_message_not_the_association():
    message = NEventReportRQ(1, uids.PRINTER, uids.PRINTER_INSTANCE, 1)
    command = encode_command(message)
    assembler = MessageAssembler(max_message_bytes=len(command))
    for _ in range(5):
        assert assembler.feed(PresentationDataValue(1, True, True, command)).message == message


def test_a_negative_limit_is_a_value_error():
    with pytest.raises(ValueError):
        MessageAssembler(max_message_bytes=-1)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.builds(
            PresentationDataValue,
            st.sampled_from([1, 3]),
            st.booleans(),
            st.booleans(),
            st.one_of(
                st.binary(max_size=40),
                st.sampled_from([SET_COMMAND, encode_command(NGetRSP(1, 0)), SET_COMMAND[:30]]),
            ),
        ),
        max_size=8,
    )
)
def test_any_pdv_sequence_yields_messages_or_the_protocol_error(values):
    assembler = MessageAssembler(max_message_bytes=200)
    try:
        for value in values:
            assembler.feed(value)
    except DIMSEProtocolError:
        pass
