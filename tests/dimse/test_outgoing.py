"""encode_message: command bytes plus data set pieces, buffers passed through uncopied."""

import pytest
from pydicom.dataset import Dataset

from dimse import uids
from dimse.command import decode_command
from dimse.dataset import decode_dataset
from dimse.messages import NActionRQ, NDeleteRQ, NSetRQ
from dimse.outgoing import encode_message

IMPLICIT = uids.IMPLICIT_VR_LITTLE_ENDIAN
EXPLICIT = uids.EXPLICIT_VR_LITTLE_ENDIAN


def image_box() -> NSetRQ:
    header = b"\x20\x20\x10\x00\x02\x00\x00\x00\x01\x00"  # Image Box Position 1
    pixels = memoryview(bytearray(range(256)) * 64)
    return NSetRQ(7, uids.BASIC_GRAYSCALE_IMAGE_BOX, "1.2.3.4.5", dataset=[header, pixels])


def test_pre_encoded_pieces_are_the_same_objects():
    message = image_box()
    command, pieces = encode_message(message, IMPLICIT)
    assert len(pieces) == 2
    assert pieces[0] is message.dataset[0]
    assert pieces[1] is message.dataset[1]
    assert decode_command(command) == (
        NSetRQ(7, uids.BASIC_GRAYSCALE_IMAGE_BOX, "1.2.3.4.5", None),
        True,
    )


def test_a_single_buffer_is_passed_through_too():
    payload = bytearray(b"\x20\x20\x10\x00\x02\x00\x00\x00\x01\x00")
    _, pieces = encode_message(NSetRQ(1, "1.2", "1.3", dataset=payload), IMPLICIT)
    assert pieces == [payload]
    assert pieces[0] is payload


@pytest.mark.parametrize("syntax", [IMPLICIT, EXPLICIT])
def test_a_dataset_is_encoded_in_the_contexts_transfer_syntax(syntax):
    dataset = Dataset()
    dataset.ImageBoxPosition = 2
    _, pieces = encode_message(NSetRQ(1, "1.2", "1.3", dataset=dataset), syntax)
    assert len(pieces) == 1
    assert decode_dataset(pieces[0], syntax) == dataset
    assert (pieces[0][4:6] == b"US") is (syntax == EXPLICIT)


def test_no_data_set_gives_no_pieces():
    assert encode_message(NDeleteRQ(1, "1.2", "1.3"), IMPLICIT)[1] == []
    assert encode_message(NActionRQ(1, "1.2", "1.3", 1), EXPLICIT)[1] == []


def test_pieces_must_be_buffers():
    with pytest.raises(ValueError, match="buffer"):
        encode_message(NSetRQ(1, "1.2", "1.3", dataset=[b"ok", "not a buffer"]), IMPLICIT)


def test_unsupported_transfer_syntax_is_refused_even_for_buffers():
    with pytest.raises(ValueError, match="unsupported"):
        encode_message(image_box(), uids.EXPLICIT_VR_BIG_ENDIAN)


@pytest.mark.parametrize("empty", [Dataset(), b"", []], ids=["Dataset", "bytes", "list"])
def test_an_empty_data_set_is_one_empty_piece_not_none(empty):
    command, pieces = encode_message(NSetRQ(1, "1.2", "1.3", dataset=empty), IMPLICIT)
    assert pieces == [b""]
    assert decode_command(command)[1] is True
