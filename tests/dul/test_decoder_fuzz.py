"""Hostile bytes: the decoder, the stream cutter and the association object never do
anything but decode, raise :class:`PDUError` (with an A-ABORT reason, PS3.8 Table 9-26),
or abort the association, whatever a peer sends and however TCP cuts it.

Runs a few hundred examples per test. ``HCS_FUZZ_LONG=1`` raises that to 20000 for a
long manual run: ``HCS_FUZZ_LONG=1 .venv/bin/pytest tests/dul/test_decoder_fuzz.py``.
"""

import os
import tracemalloc

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from dul.association import Association
from dul.codes import AbortReason, AbortSource
from dul.errors import PDUError
from dul.events import (
    Aborted,
    AssociationAccepted,
    AssociationRejected,
    AssociationRequested,
    PDataReceived,
    ReleaseConfirmed,
    ReleaseRequested,
)
from dul.items import (
    PresentationContextAC,
    PresentationContextRQ,
    UserInformation,
    decode_presentation_context_ac,
    decode_presentation_context_rq,
    decode_user_information,
)
from dul.negotiation import Accept, AcceptorPolicy, evaluate_request
from dul.pdu import (
    MAX_ASSOCIATION_PDU,
    PDU_NAMES,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
    PDUStream,
    decode_pdu,
)
from dul.pdu_values import PresentationDataValue
from dul.wire import item
from tests.dul import strategies as hs

LONG = os.environ.get("HCS_FUZZ_LONG") == "1"
FUZZ = settings(
    max_examples=20_000 if LONG else 300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]  # for a property known to fail
pytestmark = pytest.mark.timeout(7200 if LONG else 120)

VERIFICATION = "1.2.840.10008.1.1"
GRAYSCALE_PRINT = "1.2.840.10008.5.1.1.9"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
PRINTER_AE = "PRINTER"
CONTEXTS = (
    PresentationContextRQ(1, VERIFICATION, (IMPLICIT,)),
    PresentationContextRQ(3, GRAYSCALE_PRINT, (EXPLICIT, IMPLICIT)),
    PresentationContextRQ(5, "1.2.3.4.5", (IMPLICIT,)),  # refused: abstract syntax unknown
)
POLICY = AcceptorPolicy({VERIFICATION: (IMPLICIT,), GRAYSCALE_PRINT: (IMPLICIT, EXPLICIT)})
EVENT_TYPES = (
    AssociationRequested,
    AssociationAccepted,
    AssociationRejected,
    PDataReceived,
    ReleaseRequested,
    ReleaseConfirmed,
    Aborted,
)
PROVIDER_REASONS = set(range(7))

# ------------------------------------------------------------------ seed PDUs

USER = UserInformation(
    max_length=16384, implementation_class_uid="1.2.3.4", implementation_version_name="PEER"
)
SEEDS = [
    AAssociateRQ(PRINTER_AE, "HCS", CONTEXTS, USER).encode(),
    AAssociateRQ(PRINTER_AE, "HCS", CONTEXTS[:1], UserInformation()).encode(),
    AAssociateAC(
        PRINTER_AE,
        "HCS",
        (PresentationContextAC(1, 0, IMPLICIT), PresentationContextAC(3, 0, EXPLICIT)),
        USER,
    ).encode(),
    AAssociateAC(PRINTER_AE, "HCS", (PresentationContextAC(1, 3, ""),), USER).encode(),
    AAssociateRJ(1, 1, 7).encode(),
    PDataTF((PresentationDataValue(1, True, True, b"\x00\x00\x04\x00"),)).encode(),
    PDataTF(
        (
            PresentationDataValue(3, False, False, b"abcd"),
            PresentationDataValue(3, False, True, b"ef"),
        )
    ).encode(),
    PDataTF((PresentationDataValue(5, True, True, b""),)).encode(),
    AReleaseRQ().encode(),
    AReleaseRP().encode(),
    AAbort(0, 0).encode(),
    AAbort(2, 6).encode(),
]
ASSOCIATION_SEEDS = [raw for raw in SEEDS if raw[0] in (0x01, 0x02)]
seed_pdus = st.sampled_from(SEEDS) | st.one_of(hs.associate_rjs, hs.pdata_tfs, hs.aborts).map(
    lambda pdu: pdu.encode()
)


def length_fields(raw: bytes) -> list[tuple[int, int]]:
    """(offset, width) of every length field in a well-formed PDU: the header's, each
    item's and sub-item's, each PDV item's, and the UID lengths inside sub-items."""
    fields = [(2, 4)]
    if raw[0] in (0x01, 0x02):
        offset = 74
        while offset + 4 <= len(raw):
            item_type, length = raw[offset], int.from_bytes(raw[offset + 2 : offset + 4], "big")
            fields.append((offset + 2, 2))
            inner = {0x20: 8, 0x21: 8, 0x50: 4}.get(item_type)
            if inner is not None:
                sub, end = offset + inner, offset + 4 + length
                while sub + 4 <= end:
                    fields.append((sub + 2, 2))
                    if raw[sub] in (0x54, 0x56, 0x57):
                        fields.append((sub + 4, 2))
                    if raw[sub] in (0x58, 0x59):
                        fields.append((sub + (6 if raw[sub] == 0x58 else 4), 2))
                    sub += 4 + int.from_bytes(raw[sub + 2 : sub + 4], "big")
            offset += 4 + length
    elif raw[0] == 0x04:
        offset = 6
        while offset + 4 <= len(raw):
            fields.append((offset, 4))
            offset += 4 + int.from_bytes(raw[offset : offset + 4], "big")
    return fields


LYING_LENGTHS = [
    0,
    1,
    2,
    3,
    4,
    5,
    0x7F,
    0x80,
    0xFF,
    0x7FFF,
    0xFFFF,
    0x10000,
    0x7FFFFFFF,
    0x40000000,
    0xFFFFFFFF,
    MAX_ASSOCIATION_PDU,
    MAX_ASSOCIATION_PDU + 1,
]


@st.composite
def mutated(draw: st.DrawFn, raw: bytes) -> bytes:
    """``raw`` with one to four mutations: flipped bytes, truncation, extension, inserted
    or deleted bytes, and length fields that lie (gigabytes included)."""
    data = bytearray(raw)
    fields = length_fields(raw)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "extend", "insert", "delete", "lie"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[position] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[draw(st.integers(0, len(data))) :]
        elif kind == "extend":
            data += draw(st.binary(min_size=1, max_size=64))
        elif kind == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[position : position + draw(st.integers(1, 16))]
        elif kind == "lie":
            offset, width = draw(st.sampled_from(fields))
            if offset + width <= len(data):
                value = draw(st.sampled_from(LYING_LENGTHS) | st.integers(0, 2 ** (8 * width) - 1))
                value += draw(st.sampled_from([0, 0, -1, 1]))
                data[offset : offset + width] = (value % 2 ** (8 * width)).to_bytes(width, "big")
    if len(data) >= 6 and draw(st.booleans()):
        # Make the PDU header tell the truth, so the decoder has to read the body.
        data[2:6] = (len(data) - 6).to_bytes(4, "big")
    return bytes(data)


KNOWN_ITEM_TYPES = [0x10, 0x20, 0x21, 0x30, 0x40, 0x50, *range(0x51, 0x5A), 0x5A]


@st.composite
def item_soups(draw: st.DrawFn, depth: int = 0) -> bytes:
    """Items of known and unknown types with random, nested, or lying bodies."""
    out = bytearray()
    for _ in range(draw(st.integers(0, 4))):
        item_type = draw(st.sampled_from(KNOWN_ITEM_TYPES) | hs.u8s)
        if depth < 2 and draw(st.booleans()):
            prefix = draw(st.sampled_from([b"", b"\x01\x00\x00\x00", b"\x00\x05", b"\x01\x01"]))
            body = prefix + draw(item_soups(depth + 1))
        else:
            body = draw(st.binary(max_size=24))
        encoded = bytearray(item(item_type, body))
        if draw(st.integers(0, 9)) == 0:  # a length that lies
            encoded[2:4] = draw(hs.u16s).to_bytes(2, "big")
        out += encoded
    return bytes(out)


@st.composite
def structured_pdus(draw: st.DrawFn) -> bytes:
    """A PDU with a plausible header and fixed fields and a random variable part."""
    pdu_type = draw(st.sampled_from(sorted(PDU_NAMES)))
    if pdu_type in (0x01, 0x02):
        titles = st.text(hs.AE_CHARACTERS, min_size=32, max_size=32).map(str.encode)
        body = (
            draw(st.binary(min_size=4, max_size=4))
            + draw(titles | st.binary(min_size=32, max_size=32))
            + bytes(32)
            + draw(item_soups())
        )
    elif pdu_type == 0x04:
        body = b""
        for _ in range(draw(st.integers(0, 3))):
            pdv = draw(st.binary(max_size=16))
            length = len(pdv) if draw(st.integers(0, 4)) else draw(hs.u32s)
            body += length.to_bytes(4, "big") + pdv
    else:
        body = draw(st.binary(min_size=4, max_size=4) | st.binary(max_size=8))
    length = len(body) if draw(st.integers(0, 4)) else draw(hs.u32s)
    return bytes((pdu_type, draw(hs.u8s))) + length.to_bytes(4, "big") + body


hostile_pdus = st.one_of(
    st.binary(max_size=200),
    structured_pdus(),
    (seed_pdus | st.sampled_from(ASSOCIATION_SEEDS)).flatmap(mutated),
)
"""One PDU's worth of hostile bytes: random, structured random, or a mutated real PDU."""

hostile_streams = st.lists(st.one_of(seed_pdus, hostile_pdus), min_size=1, max_size=4).map(b"".join)
"""Several PDUs back to back, real ones among hostile ones."""


# -------------------------------------------------------------------- decode_pdu


def decodes_or_raises_pdu_error(raw: bytes) -> object:
    try:
        return decode_pdu(raw)
    except PDUError as error:
        assert error.reason in PROVIDER_REASONS
        assert isinstance(error.reason, AbortReason)
        return error


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes_decode_or_raise_pdu_error(raw: bytes) -> None:
    decodes_or_raises_pdu_error(raw)


@FUZZ
@given(structured_pdus())
def test_structured_random_pdus_decode_or_raise_pdu_error(raw: bytes) -> None:
    decodes_or_raises_pdu_error(raw)


@FUZZ
@given((seed_pdus | st.sampled_from(ASSOCIATION_SEEDS)).flatmap(mutated))
def test_mutated_pdus_decode_or_raise_pdu_error(raw: bytes) -> None:
    decodes_or_raises_pdu_error(raw)


@settings(FUZZ, max_examples=2000 if LONG else 100)
@given(hs.any_pdus.map(lambda pdu: pdu.encode()).flatmap(mutated))
def test_mutated_random_valid_pdus_decode_or_raise_pdu_error(raw: bytes) -> None:
    decodes_or_raises_pdu_error(raw)


@FUZZ
@given(
    st.sampled_from(
        [decode_presentation_context_rq, decode_presentation_context_ac, decode_user_information]
    ),
    item_soups() | st.binary(max_size=64),
    st.sampled_from([b"", b"\x01\x00\x00\x00", b"\x01\x00\x05\x00"]),
)
def test_item_decoders_read_random_bodies_or_raise_pdu_error(decoder, soup, prefix) -> None:
    try:
        decoder(memoryview(prefix + soup))
    except PDUError as error:
        assert error.reason in PROVIDER_REASONS


@FUZZ
@given(st.binary(max_size=64), hs.u8s)
def test_unknown_pdu_types_are_unrecognized_pdu(body: bytes, pdu_type: int) -> None:
    assume(pdu_type not in PDU_NAMES)
    raw = bytes((pdu_type, 0)) + len(body).to_bytes(4, "big") + body
    with pytest.raises(PDUError) as caught:
        decode_pdu(raw)
    assert caught.value.reason == AbortReason.UNRECOGNIZED_PDU
    with pytest.raises(PDUError) as caught:
        PDUStream().feed(raw)
    assert caught.value.reason == AbortReason.UNRECOGNIZED_PDU


def test_a_pdv_claiming_4_gib_raises_without_allocating_it() -> None:
    raw = bytes.fromhex("04 00 0000000a ffffffff 01 03 0000")
    tracemalloc.start()
    try:
        with pytest.raises(PDUError):
            decode_pdu(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


# --------------------------------------------------------------------- PDUStream


def feed_stream(stream: PDUStream, chunks: list[bytes]) -> tuple[list[bytes], PDUError | None]:
    """Feed ``chunks``; check the stream holds exactly what arrived and was not returned."""
    fed, returned, pdus = 0, 0, []
    for chunk in chunks:
        fed += len(chunk)
        try:
            new = stream.feed(chunk)
        except PDUError as error:
            assert error.reason in PROVIDER_REASONS
            assert stream.buffered <= fed - returned
            return pdus, error
        pdus += new
        returned += sum(len(pdu) for pdu in new)
        if stream.error is not None:  # a bad header after the PDUs this call returned
            assert stream.buffered == 0
            return pdus, stream.error
        assert stream.buffered == fed - returned  # nothing claimed, only what arrived
    return pdus, None


@FUZZ
@given(hostile_streams.flatmap(lambda raw: st.tuples(st.just(raw), hs.chunkings(raw))))
def test_stream_in_any_chunking_cuts_whole_pdus_or_raises_pdu_error(raw_and_chunks) -> None:
    raw, chunks = raw_and_chunks
    pdus, _ = feed_stream(PDUStream(max_pdata_length=16384), chunks)
    assert raw.startswith(b"".join(pdus))  # whole PDUs, in order, nothing invented
    for pdu in pdus:
        assert int.from_bytes(pdu[2:6], "big") == len(pdu) - 6
        decodes_or_raises_pdu_error(pdu)


@FUZZ
@given(hostile_streams, st.data())
def test_stream_cuts_the_same_pdus_whatever_the_chunking(raw: bytes, data) -> None:
    whole, whole_error = feed_stream(PDUStream(16384), [raw])
    chunked, chunked_error = feed_stream(PDUStream(16384), data.draw(hs.chunkings(raw)))
    assert chunked == whole
    assert (chunked_error is None) == (whole_error is None)


@pytest.mark.parametrize("pdu_type", [0x01, 0x02, 0x04])
def test_a_header_claiming_4_gib_buffers_only_what_arrived(pdu_type: int) -> None:
    stream = PDUStream(max_pdata_length=0)  # no maximum for P-DATA-TF
    head = bytes((pdu_type, 0)) + (0xFFFFFFFF).to_bytes(4, "big")
    if pdu_type != 0x04:
        with pytest.raises(PDUError, match="claims") as caught:
            stream.feed(head)  # refused at the header, before any body arrives
        assert caught.value.reason == AbortReason.INVALID_PDU_PARAMETER
        return
    chunk = bytes(1 << 16)
    tracemalloc.start()
    try:
        assert stream.feed(head) == []
        for _ in range(32):
            assert stream.feed(chunk) == []
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert stream.buffered == 6 + 32 * len(chunk)
    assert peak < 16 << 20  # about the 2 MiB that arrived, never the 4 GiB claimed


@given(st.integers(MAX_ASSOCIATION_PDU + 1, 0xFFFFFFFF), st.sampled_from([0x01, 0x02]))
def test_an_association_pdu_over_the_limit_is_refused_at_its_header(length, pdu_type) -> None:
    with pytest.raises(PDUError) as caught:
        PDUStream().feed(bytes((pdu_type, 0)) + length.to_bytes(4, "big"))
    assert caught.value.reason == AbortReason.INVALID_PDU_PARAMETER


@given(st.integers(1, 1 << 20), st.integers(1, 1 << 16))
def test_a_pdata_tf_over_our_maximum_is_refused_at_its_header(maximum: int, excess: int) -> None:
    stream = PDUStream(max_pdata_length=maximum)
    with pytest.raises(PDUError, match="exceeds our maximum") as caught:
        stream.feed(b"\x04\x00" + (maximum + excess).to_bytes(4, "big"))
    assert caught.value.reason == AbortReason.INVALID_PDU_PARAMETER
    assert stream.buffered <= 6  # the header at most: the body was never buffered


# ------------------------------------------------------------------ Association


def take_sent(association: Association) -> bytes:
    return b"".join(bytes(piece) for piece in association.data_to_send())


def in_sta2() -> Association:
    acceptor = Association("acceptor", ae_title=PRINTER_AE)
    acceptor.transport_indication()
    return acceptor


def in_sta5() -> Association:
    requestor = Association("requestor")
    requestor.request(PRINTER_AE, CONTEXTS)
    requestor.transport_connected()
    take_sent(requestor)
    return requestor


def established() -> tuple[Association, Association]:
    """A requestor and an acceptor in Sta6, the acceptor's answer from evaluate_request."""
    requestor, acceptor = Association("requestor"), in_sta2()
    requestor.request(PRINTER_AE, CONTEXTS)
    requestor.transport_connected()
    (requested,) = acceptor.receive_data(take_sent(requestor))
    rq = requested.request
    decision = evaluate_request(
        rq.called_ae_title,
        rq.calling_ae_title,
        rq.application_context,
        rq.presentation_contexts,
        POLICY,
    )
    assert isinstance(decision, Accept)
    acceptor.accept(decision.contexts)
    (accepted,) = requestor.receive_data(take_sent(acceptor))
    assert isinstance(accepted, AssociationAccepted)
    assert requestor.state == acceptor.state == "Sta6"
    assert [c.context_id for c in requestor.accepted_contexts] == [1, 3]
    return requestor, acceptor


STARTS = {
    "Sta2-acceptor": in_sta2,
    "Sta5-requestor": in_sta5,
    "Sta6-requestor": lambda: established()[0],
    "Sta6-acceptor": lambda: established()[1],
}
# Where received bytes alone can take each start: a valid RQ moves Sta2 to Sta3, a valid
# AC Sta5 to Sta6, an A-RELEASE-RQ Sta6 to Sta8; A-ABORT or -RJ end in Sta1, the rest
# in Sta13; an incomplete PDU stays put.
REACHABLE = {
    "Sta2": {"Sta2", "Sta3", "Sta13", "Sta1"},
    "Sta5": {"Sta5", "Sta6", "Sta8", "Sta13", "Sta1"},
    "Sta6": {"Sta6", "Sta8", "Sta13", "Sta1"},
}


def oracle_error(raw: bytes) -> bool:
    """Whether ``raw``, read whole, holds bytes that cannot be a PDU."""
    try:
        for pdu in PDUStream(65536).feed(raw):
            decode_pdu(pdu)
    except PDUError:
        return True
    return False


def check_association(start: str, chunks: list[bytes]) -> None:
    association = STARTS[start]()
    first_state = association.state
    events = []
    for chunk in chunks:
        events += association.receive_data(chunk)  # must never raise
    raw = b"".join(chunks)
    sent_raw = take_sent(association)

    assert all(isinstance(event, EVENT_TYPES) for event in events)
    assert association.state in REACHABLE[first_state]
    sent_pdus = [decode_pdu(pdu) for pdu in PDUStream().feed(sent_raw)]
    assert all(isinstance(pdu, AAbort | AAssociateRJ) for pdu in sent_pdus)
    if any(isinstance(pdu, AAssociateRJ) for pdu in sent_pdus):
        assert first_state == "Sta2"  # AE-6 refusing a protocol version without bit 0

    local_aborts = [e for e in events if isinstance(e, Aborted) and e.initiator == "local"]
    for event in local_aborts:
        assert AAbort(AbortSource.SERVICE_PROVIDER, event.reason) in sent_pdus
        assert event.reason in PROVIDER_REASONS
        assert event.description
    if association.state == "Sta13":
        assert sent_pdus, "an association that ends in Sta13 sent an A-ABORT or A-ASSOCIATE-RJ"
        assert association.artim_running
    if association.state == "Sta1":
        assert association.close_requested
    if association.state == first_state:
        assert not sent_pdus
        assert all(isinstance(event, PDataReceived) for event in events)
    if oracle_error(raw):
        assert association.state in ("Sta1", "Sta13")


@pytest.mark.parametrize("start", STARTS)
@FUZZ
@given(data=st.data())
def test_association_survives_hostile_bytes_in_any_chunking(start: str, data) -> None:
    raw = data.draw(hostile_streams)
    check_association(start, data.draw(hs.chunkings(raw)))


@pytest.mark.parametrize("start", STARTS)
@settings(FUZZ, max_examples=20_000 if LONG else 200, phases=NO_SHRINK)
@given(data=st.data())
def test_association_does_the_same_whatever_the_chunking(start: str, data) -> None:
    raw = data.draw(hostile_streams)
    chunked = STARTS[start]()
    events = []
    for chunk in data.draw(hs.chunkings(raw)):
        events += chunked.receive_data(chunk)
    at_once = STARTS[start]()
    assert at_once.receive_data(raw) == events
    assert at_once.state == chunked.state
    assert take_sent(at_once) == take_sent(chunked)


def test_pdus_after_pdata_on_an_unaccepted_context_do_the_same_in_one_read_or_two() -> None:
    unaccepted = PDataTF((PresentationDataValue(7, True, True, b""),)).encode()
    peer_abort = AAbort(0, 0).encode()
    one, two = established()[1], established()[1]
    events_one = one.receive_data(unaccepted + peer_abort)
    events_two = two.receive_data(unaccepted) + two.receive_data(peer_abort)
    assert events_one == events_two
    assert one.state == two.state
    assert take_sent(one) == take_sent(two)


@pytest.mark.parametrize("start", STARTS)
@FUZZ
@given(raw=st.binary(max_size=300), data=st.data())
def test_association_survives_random_bytes(start: str, raw: bytes, data) -> None:
    check_association(start, data.draw(hs.chunkings(raw)))


@pytest.mark.parametrize("start", STARTS)
def test_association_aborts_with_the_reason_of_a_bad_header(start: str) -> None:
    association = STARTS[start]()
    events = association.receive_data(b"\x09\x00\x00\x00\x00\x04\x00\x00\x00\x00")
    assert association.state == "Sta13"
    (abort,) = [decode_pdu(pdu) for pdu in PDUStream().feed(take_sent(association))]
    if start.startswith("Sta2"):  # AA-1: the A-ABORT of Sta2 has the service-user source
        assert abort == AAbort(AbortSource.SERVICE_USER, 0) and events == []
    else:
        assert abort == AAbort(AbortSource.SERVICE_PROVIDER, AbortReason.UNRECOGNIZED_PDU)
        (event,) = events
        assert (event.initiator, event.reason) == ("local", AbortReason.UNRECOGNIZED_PDU)


@pytest.mark.parametrize("start", STARTS)
def test_association_ignores_the_rest_of_a_stream_it_cannot_read(start: str) -> None:
    association = STARTS[start]()
    association.receive_data(b"\x04\x00\xff\xff\xff\xff")  # over our 65536 maximum
    take_sent(association)
    assert association.receive_data(AAbort(0, 0).encode() * 3) == []
    assert association.state == "Sta13"
    assert take_sent(association) == b""


def test_pdus_before_garbage_in_one_read_are_handled_as_in_two_reads() -> None:
    peer_abort, garbage = AAbort(0, 0).encode(), b"\x09\x00\x00\x00\x00\x00"
    one, two = established()[0], established()[0]
    two.receive_data(peer_abort)
    two.receive_data(garbage)
    one.receive_data(peer_abort + garbage)
    assert one.state == two.state == "Sta1"
