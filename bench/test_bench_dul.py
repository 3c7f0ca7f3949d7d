"""pytest-benchmark cases for the hot sans-I/O pieces of dul.

    .venv/bin/pytest bench/test_bench_dul.py --benchmark-enable

Without ``--benchmark-enable`` (pyproject's default is ``--benchmark-disable``) each case
runs once, as a plain test of what it measures. No socket is involved: these are the
costs that bench/dul_compare.py's loopback figures are made of.
"""

import numpy as np
import pytest

from dul.items import PresentationContextRQ, UserInformation
from dul.pdu import (
    HEADER_LENGTH,
    AAssociateRQ,
    PDataTF,
    PDUStream,
    decode_pdu,
    frame_message,
)
from dul.pdu_values import PresentationDataValue

IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
VERIFICATION = "1.2.840.10008.1.1"
GRAYSCALE_META = "1.2.840.10008.5.1.1.9"
COLOR_META = "1.2.840.10008.5.1.1.18"
PRESENTATION_LUT = "1.2.840.10008.5.1.1.23"

MESSAGE = 16 << 20  # a 16 MiB Image Box data set
PDU = 16384  # the usual maximum PDU length of a printer
CHUNK = 256 << 10  # what dul.net asks the socket for at a time


@pytest.fixture(scope="module")
def pixels() -> memoryview:
    return memoryview(np.arange(MESSAGE, dtype=np.uint32).astype(np.uint8))


@pytest.fixture(scope="module")
def command() -> bytes:
    return bytes(range(100)) * 2  # about the size of an N-SET-RQ command set


def test_encode_a_associate_rq(benchmark) -> None:
    """What a print SCU proposes: the two print meta SOP classes, P-LUT, Verification."""
    request = AAssociateRQ(
        "PRINTER",
        "HCS_PRINT_SCU",
        tuple(
            PresentationContextRQ(2 * i + 1, abstract, (EXPLICIT, IMPLICIT))
            for i, abstract in enumerate(
                (GRAYSCALE_META, COLOR_META, PRESENTATION_LUT, VERIFICATION)
            )
        ),
        UserInformation(
            max_length=PDU,
            implementation_class_uid="2.25.1234567890",
            implementation_version_name="HCS_010",
        ),
    )
    encoded = benchmark(request.encode)
    assert encoded[0] == 0x01
    assert decode_pdu(encoded) == request


def test_decode_a_p_data_tf(benchmark) -> None:
    """One full 16 KiB P-DATA-TF of a data set: the PDU a 16 MiB message arrives as."""
    data = bytes(PDU - 6)
    raw = PDataTF((PresentationDataValue(1, False, False, data),)).encode()
    assert len(raw) == HEADER_LENGTH + PDU
    pdu = benchmark(decode_pdu, raw)
    (value,) = pdu.values
    assert (value.context_id, value.is_command, value.is_last) == (1, False, False)
    assert value.data == data


def test_frame_message_16_mib_into_16_kib_pdus(benchmark, command, pixels) -> None:
    """frame_message returns headers and memoryview slices; the pixels are not copied."""
    head = b"\x20\x20\x10\x00\x02\x00\x00\x00\x01\x00"
    pieces = benchmark(frame_message, 1, command, [head, pixels], PDU)
    slices = [p for p in pieces if isinstance(p, memoryview)]
    assert sum(len(s) for s in slices) == MESSAGE and all(s.obj is pixels.obj for s in slices)
    pdus = [decode_pdu(raw) for raw in PDUStream(PDU).feed(b"".join(pieces))]
    values = [value for pdu in pdus for value in pdu.values]
    assert max(len(value.data) for value in values) == PDU - 6
    assert [v.is_command for v in values] == [True] + [False] * (len(values) - 1)
    assert [v.is_last for v in values] == [True] + [False] * (len(values) - 2) + [True]
    assert b"".join(v.data for v in values) == command + head + pixels


def test_pdu_stream_feed_16_mib_in_256_kib_chunks(benchmark, command, pixels) -> None:
    """Cutting a 16 MiB message, framed into 16 KiB PDUs, out of 256 KiB reads."""
    wire = b"".join(frame_message(1, command, [pixels], PDU))
    chunks = [wire[i : i + CHUNK] for i in range(0, len(wire), CHUNK)]

    def feed_all() -> list:
        stream = PDUStream(max_pdata_length=PDU)
        pdus = []
        for chunk in chunks:
            pdus += stream.feed(chunk)
        assert stream.buffered == 0
        return pdus

    pdus = benchmark(feed_all)
    assert len(pdus) == 1 + -(-MESSAGE // (PDU - 6))
    assert sum(len(p) for p in pdus) == len(wire)
    assert pdus[-1] == wire[-len(pdus[-1]) :]
