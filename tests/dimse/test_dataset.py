"""Data sets through pydicom in both transfer syntaxes, and what a bad one raises."""

import contextlib
import warnings
from io import BytesIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.filereader import read_dataset

from dimse import uids
from dimse.dataset import decode_dataset, encode_dataset, is_implicit_vr
from dimse.errors import DIMSEProtocolError
from tests.dimse.strategies import content, datasets

SYNTAXES = [uids.IMPLICIT_VR_LITTLE_ENDIAN, uids.EXPLICIT_VR_LITTLE_ENDIAN]


def film_box() -> Dataset:
    reference = Dataset()
    reference.ReferencedSOPClassUID = uids.BASIC_FILM_SESSION
    reference.ReferencedSOPInstanceUID = "1.2.826.0.1.3680043.2.1"
    dataset = Dataset()
    dataset.ImageDisplayFormat = "STANDARD\\2,2"
    dataset.FilmOrientation = "PORTRAIT"
    dataset.RequestedImageSize = "120.5"
    dataset.ReferencedFilmSessionSequence = [reference]
    return dataset


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_encoding_matches_the_transfer_syntax(syntax):
    encoded = encode_dataset(film_box(), syntax)
    assert read_dataset(BytesIO(encoded), is_implicit_vr(syntax), True) == film_box()
    # The first element is (2010,0010) Image Display Format, VR ST: explicit VR says so.
    assert encoded[:4] == b"\x10\x20\x10\x00"
    assert (encoded[4:6] == b"ST") is (syntax == uids.EXPLICIT_VR_LITTLE_ENDIAN)


@settings(max_examples=60, deadline=None)
@given(datasets(), st.sampled_from(SYNTAXES))
def test_datasets_round_trip(dataset, syntax):
    encoded = encode_dataset(dataset, syntax)
    assert content(decode_dataset(encoded, syntax)) == content(dataset)
    assert content(decode_dataset(bytearray(encoded), syntax)) == content(dataset)
    assert content(decode_dataset(memoryview(encoded), syntax)) == content(dataset)


def test_an_empty_data_set_round_trips():
    for syntax in SYNTAXES:
        assert encode_dataset(Dataset(), syntax) == b""
        assert decode_dataset(b"", syntax) == Dataset()


@pytest.mark.parametrize("syntax", [uids.EXPLICIT_VR_BIG_ENDIAN, "1.2.840.10008.1.2.4.50", "x"])
def test_other_transfer_syntaxes_are_refused(syntax):
    with pytest.raises(ValueError, match="unsupported transfer syntax"):
        encode_dataset(film_box(), syntax)
    with pytest.raises(ValueError, match="unsupported transfer syntax"):
        decode_dataset(b"", syntax)


def test_a_dataset_pydicom_cannot_encode_is_a_value_error():
    dataset = Dataset()
    dataset.PixelData = b"\x00\x00"  # OB or OW? undecidable without Bits Allocated
    with pytest.raises(ValueError, match="cannot encode"):
        encode_dataset(dataset, uids.EXPLICIT_VR_LITTLE_ENDIAN)


def test_explicit_vr_bytes_on_an_implicit_context_are_refused():
    explicit = encode_dataset(film_box(), uids.EXPLICIT_VR_LITTLE_ENDIAN)
    with pytest.raises(DIMSEProtocolError):
        decode_dataset(explicit, uids.IMPLICIT_VR_LITTLE_ENDIAN)


def test_implicit_vr_bytes_on_an_explicit_context_are_refused():
    implicit = encode_dataset(film_box(), uids.IMPLICIT_VR_LITTLE_ENDIAN)
    with pytest.raises(DIMSEProtocolError):
        decode_dataset(implicit, uids.EXPLICIT_VR_LITTLE_ENDIAN)


@pytest.mark.parametrize(
    ("data", "syntax"),
    [
        (b"\x28\x00\x10\x00\x03\x00\x00\x00abc", uids.IMPLICIT_VR_LITTLE_ENDIAN),
        (b"\x28\x00\x10\x00US\x03\x00abc", uids.EXPLICIT_VR_LITTLE_ENDIAN),
    ],
)
def test_a_bad_value_fails_at_decoding_not_later(data, syntax):
    """(0028,0010) Rows is US; three bytes are no US. pydicom would only notice on access."""
    with pytest.raises(DIMSEProtocolError, match=r"\(0028,0010\)"):
        decode_dataset(data, syntax)


@settings(max_examples=150, deadline=None)
@given(datasets(), st.sampled_from(SYNTAXES), st.data())
def test_a_data_set_cut_inside_an_element_is_a_protocol_error(dataset, syntax, data):
    encoded = encode_dataset(dataset, syntax)
    boundaries = {0}
    for element in dataset:  # top-level elements, encoded one by one, in tag order
        single = Dataset()
        single.add(element)
        boundaries.add(max(boundaries) + len(encode_dataset(single, syntax)))
    assert max(boundaries) == len(encoded)
    cut = data.draw(st.integers(0, len(encoded)))
    if cut in boundaries:
        assert len(decode_dataset(encoded[:cut], syntax)) == sorted(boundaries).index(cut)
    else:
        with pytest.raises(DIMSEProtocolError):
            decode_dataset(encoded[:cut], syntax)


@settings(max_examples=300, deadline=None)
@given(
    datasets(),
    st.sampled_from(SYNTAXES),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_mutated_data_sets_decode_or_raise_the_protocol_error(dataset, syntax, mutations):
    encoded = bytearray(encode_dataset(dataset, syntax))
    if not encoded:
        return
    for position, byte in mutations:
        encoded[position % len(encoded)] = byte
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.suppress(DIMSEProtocolError):
            decode_dataset(bytes(encoded), syntax)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(SYNTAXES))
def test_random_bytes_decode_or_raise_the_protocol_error(data, syntax):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.suppress(DIMSEProtocolError):
            decode_dataset(data, syntax)
