"""read_reply gives what pydicom's decoding gives, or None (then pydicom decodes as before)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dimse import uids
from dimse.dataset import decode_dataset, encode_dataset
from dimse.errors import DIMSEProtocolError
from hcs.driver.replies import read_reply

IMAGE_BOXES = 0x20100510
ANNOTATION_BOXES = 0x20100520
PRINTER_STATUS = 0x21100010
PRINTER_STATUS_INFO = 0x21100020
SEQUENCES = {
    IMAGE_BOXES: "ReferencedImageBoxSequence",
    ANNOTATION_BOXES: "ReferencedBasicAnnotationBoxSequence",
}
STRINGS = {PRINTER_STATUS: "PrinterStatus", PRINTER_STATUS_INFO: "PrinterStatusInfo"}
SYNTAXES = [uids.IMPLICIT_VR_LITTLE_ENDIAN, uids.EXPLICIT_VR_LITTLE_ENDIAN]

uid_values = st.from_regex(r"1\.2\.[1-9][0-9]{0,20}(\.(0|[1-9][0-9]{0,9})){0,4}", fullmatch=True)
cs_values = st.from_regex(r"[A-Z0-9_ ]{0,16}", fullmatch=True)


def reference(sop_class: str, sop_instance: str) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = sop_class
    item.ReferencedSOPInstanceUID = sop_instance
    return item


def as_pydicom_reads_it(data: bytes, syntax: str) -> dict[str, object]:
    dataset = decode_dataset(data, syntax)
    found: dict[str, object] = {}
    for keyword in STRINGS.values():
        if keyword in dataset:
            found[keyword] = str(dataset.get(keyword))
    for keyword in SEQUENCES.values():
        if keyword in dataset:
            found[keyword] = [
                (str(i.ReferencedSOPClassUID), str(i.ReferencedSOPInstanceUID))
                for i in dataset.get(keyword)
            ]
    return found


def as_we_read_it(data: bytes, syntax: str) -> dict[str, object] | None:
    found = read_reply(
        data, syntax == uids.IMPLICIT_VR_LITTLE_ENDIAN, strings=STRINGS, sequences=SEQUENCES
    )
    if found is None:
        return None
    return {
        key: value
        if isinstance(value, str)
        else [(r.ReferencedSOPClassUID, r.ReferencedSOPInstanceUID) for r in value]
        for key, value in found.items()
    }


@settings(max_examples=60, deadline=None)
@given(
    syntax=st.sampled_from(SYNTAXES),
    boxes=st.lists(st.tuples(uid_values, uid_values), max_size=20),
    annotations=st.none() | st.lists(st.tuples(uid_values, uid_values), max_size=3),
    undefined=st.booleans(),
    status=st.none() | cs_values,
    info=st.none() | cs_values,
    extra=st.booleans(),
)
def test_read_reply_matches_pydicom(syntax, boxes, annotations, undefined, status, info, extra):
    ds = Dataset()
    if extra:  # attributes the driver does not read, before and after
        ds.ImageDisplayFormat = "STANDARD\\4,5"
        ds.FilmSizeID = "14INX17IN"
        ds.MaxDensity = 300
    ds.ReferencedImageBoxSequence = Sequence([reference(c, i) for c, i in boxes])
    if annotations is not None:
        ds.ReferencedBasicAnnotationBoxSequence = Sequence(
            [reference(c, i) for c, i in annotations]
        )
    if status is not None:
        ds.PrinterStatus = status
    if info is not None:
        ds.PrinterStatusInfo = info
    if undefined:
        for element in ds:
            if element.VR == "SQ":
                element.value.is_undefined_length = True
                for item in element.value:
                    item.is_undefined_length_sequence_item = True
    data = encode_dataset(ds, syntax)
    ours = as_we_read_it(data, syntax)
    theirs = as_pydicom_reads_it(data, syntax)
    if ours is not None:  # None: pydicom decodes, as before
        assert ours == theirs
    if not any("\\" in (v or "") for v in (status, info)):
        assert ours is not None, "the usual layout must not need pydicom"


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_read_reply_leaves_the_unusual_to_pydicom(syntax):
    ds = Dataset()
    ds.PrinterStatus = ["NORMAL", "WARNING"]  # multi-valued
    assert read_reply(encode_dataset(ds, syntax), syntax == SYNTAXES[0], strings=STRINGS) is None
    ds = Dataset()
    ds.ReferencedImageBoxSequence = [reference(uids.BASIC_GRAYSCALE_IMAGE_BOX, "1.2.3")]
    ds.ReferencedImageBoxSequence[0].ReferencedFrameNumber = "1\\2"  # not UI in an item
    if syntax == uids.EXPLICIT_VR_LITTLE_ENDIAN:
        data = encode_dataset(ds, syntax)
        assert read_reply(data, False, sequences=SEQUENCES) is None


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_read_reply_items_without_uids_read_like_pydicom_items(syntax):
    ds = Dataset()
    item = Dataset()
    item.ReferencedSOPClassUID = uids.BASIC_GRAYSCALE_IMAGE_BOX  # no instance UID
    ds.ReferencedImageBoxSequence = [item, Dataset()]
    data = encode_dataset(ds, syntax)
    ours = read_reply(data, syntax == SYNTAXES[0], sequences=SEQUENCES)[
        "ReferencedImageBoxSequence"
    ]
    theirs = decode_dataset(data, syntax).ReferencedImageBoxSequence
    for a, b in zip(ours, theirs, strict=True):
        for keyword in ("ReferencedSOPClassUID", "ReferencedSOPInstanceUID"):
            assert a.get(keyword, "none") == b.get(keyword, "none")
            assert hasattr(a, keyword) == hasattr(b, keyword)


def test_read_reply_refuses_a_malformed_reply_as_pydicom_decoding_did():
    ds = Dataset()
    ds.ReferencedImageBoxSequence = [reference(uids.BASIC_GRAYSCALE_IMAGE_BOX, "1.2.3")]
    data = encode_dataset(ds, uids.IMPLICIT_VR_LITTLE_ENDIAN)
    with pytest.raises(DIMSEProtocolError):
        read_reply(data[:-3], True, sequences=SEQUENCES)
    with pytest.raises(DIMSEProtocolError):
        decode_dataset(data[:-3], uids.IMPLICIT_VR_LITTLE_ENDIAN)
    # explicit VR bytes on an implicit VR context, and the other way round
    explicit = encode_dataset(ds, uids.EXPLICIT_VR_LITTLE_ENDIAN)
    with pytest.raises(DIMSEProtocolError):
        read_reply(explicit, True, sequences=SEQUENCES)
    with pytest.raises(DIMSEProtocolError):
        decode_dataset(explicit, uids.IMPLICIT_VR_LITTLE_ENDIAN)
    status = Dataset()
    status.PrinterStatus = "NORMAL"
    implicit = encode_dataset(status, uids.IMPLICIT_VR_LITTLE_ENDIAN)
    with pytest.raises(DIMSEProtocolError):
        read_reply(implicit, False, strings=STRINGS)
    with pytest.raises(DIMSEProtocolError):
        decode_dataset(implicit, uids.EXPLICIT_VR_LITTLE_ENDIAN)
    assert read_reply(b"", True, sequences=SEQUENCES) == {}
