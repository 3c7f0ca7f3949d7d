"""Message dataclasses: normalised tag lists, defaults, and decoding their data sets."""

import dataclasses

import pytest
from pydicom.dataset import Dataset

from dimse import uids
from dimse.dataset import encode_dataset
from dimse.errors import DIMSEProtocolError
from dimse.messages import (
    MESSAGE_TYPES,
    CEchoRQ,
    NDeleteRQ,
    NGetRQ,
    NGetRSP,
    NSetRQ,
    Request,
    Response,
)

IMPLICIT = uids.IMPLICIT_VR_LITTLE_ENDIAN


def printer_status() -> Dataset:
    dataset = Dataset()
    dataset.PrinterStatus = "NORMAL"
    dataset.PrinterStatusInfo = "NORMAL"
    return dataset


def test_tag_lists_become_tuples_and_empty_means_absent():
    assert NGetRQ(
        1, "1.2", "1.3", attribute_identifier_list=[0x21100010]
    ).attribute_identifier_list == (0x21100010,)
    assert NGetRQ(1, "1.2", "1.3", attribute_identifier_list=[]).attribute_identifier_list is None
    assert NGetRSP(1, 0, offending_element=()).offending_element is None
    assert NGetRSP(1, 0, offending_element=0x7FE00010).offending_element == (0x7FE00010,)
    assert NGetRSP(1, 0, error_comment="").error_comment is None


def test_c_echo_defaults_to_verification():
    assert CEchoRQ(3).affected_sop_class_uid == uids.VERIFICATION


def test_messages_are_frozen():
    message = NDeleteRQ(1, "1.2", "1.3")
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.message_id = 2  # type: ignore[misc]


def test_every_type_is_a_request_or_a_response_named_as_ps3_7_names_it():
    for message_type in MESSAGE_TYPES:
        is_response = issubclass(message_type, Response)
        assert is_response != issubclass(message_type, Request)
        assert message_type.NAME.endswith("-RSP" if is_response else "-RQ")
        assert message_type.NAME.replace("-", "").lower() == message_type.__name__.lower()


def test_responses_start_with_the_message_id_they_answer_and_the_status():
    for message_type in MESSAGE_TYPES:
        if issubclass(message_type, Response):
            names = [f.name for f in dataclasses.fields(message_type)][:2]
            assert names == ["message_id_being_responded_to", "status"]


@pytest.mark.parametrize(
    "dataset",
    [
        printer_status(),
        encode_dataset(printer_status(), IMPLICIT),
        bytearray(encode_dataset(printer_status(), IMPLICIT)),
        memoryview(encode_dataset(printer_status(), IMPLICIT)),
        [
            encode_dataset(printer_status(), IMPLICIT)[:5],
            encode_dataset(printer_status(), IMPLICIT)[5:],
        ],
    ],
    ids=["Dataset", "bytes", "bytearray", "memoryview", "pieces"],
)
def test_decode_dataset_accepts_every_form(dataset):
    message = NGetRSP(1, 0, dataset=dataset)
    assert message.decode_dataset(IMPLICIT) == printer_status()


def test_decode_dataset_without_a_data_set():
    assert NGetRSP(1, 0).decode_dataset(IMPLICIT) is None
    assert NDeleteRQ(1, "1.2", "1.3").decode_dataset(IMPLICIT) is None


def test_decode_dataset_of_garbage_is_the_protocol_error():
    with pytest.raises(DIMSEProtocolError):
        NSetRQ(1, "1.2", "1.3", dataset=b"\x10\x00\x10\x00\xff\x00\x00\x00").decode_dataset(
            IMPLICIT
        )
