"""dimse.flat: the Printer's text attributes read from the bytes, as pydicom reads them."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dimse import uids
from dimse.dataset import decode_dataset, encode_dataset
from dimse.errors import DIMSEProtocolError
from dimse.flat import UnsupportedCharacterSet, read_text

SYNTAXES = [uids.IMPLICIT_VR_LITTLE_ENDIAN, uids.EXPLICIT_VR_LITTLE_ENDIAN]
WANTED = {0x21100010, 0x21100020, 0x00080070, 0x00081090, 0x00181020, 0x00181200}


def printer(**extra) -> Dataset:
    ds = Dataset()
    ds.Manufacturer = "ACME Film "
    ds.ManufacturerModelName = "DryView 8900"
    ds.SoftwareVersions = ["4.1", "build 77"]
    ds.DateOfLastCalibration = "20250101"
    item = Dataset()
    item.CodeValue = "X"
    inner = Dataset()
    inner.CodeMeaning = "nested"
    item.ConceptNameCodeSequence = Sequence([inner])
    ds.ReferencedImageBoxSequence = Sequence([item, Dataset()])
    ds.PrinterStatus = "WARNING"
    ds.PrinterStatusInfo = "FILM TRANSP NRDY"
    for keyword, value in extra.items():
        setattr(ds, keyword, value)
    return ds


def pydicom_text(data: bytes, syntax: str) -> dict[int, str]:
    """What hcs status showed before: pydicom's values, multi-values joined."""
    decoded = decode_dataset(data, syntax)
    out = {}
    for tag in WANTED:
        if tag in decoded:
            value = decoded[tag].value
            out[tag] = value if isinstance(value, str) else "\\".join(str(v) for v in value)
    return out


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_read_text_agrees_with_pydicom(syntax):
    data = encode_dataset(printer(), syntax)
    got = read_text(data, syntax == uids.IMPLICIT_VR_LITTLE_ENDIAN, WANTED)
    assert got == pydicom_text(data, syntax)
    assert got[0x00181020] == "4.1\\build 77"
    assert got[0x00080070] == "ACME Film"


def undefined_length_sequence(implicit: bool) -> bytes:
    """(0040,A730) with undefined length holding one undefined-length item, then a
    Manufacturer; written by hand, since pydicom writes defined lengths."""

    def element(group, elem, vr, value):
        if implicit:
            return (
                group.to_bytes(2, "little")
                + elem.to_bytes(2, "little")
                + len(value).to_bytes(4, "little")
                + value
            )
        return (
            group.to_bytes(2, "little")
            + elem.to_bytes(2, "little")
            + vr
            + len(value).to_bytes(2, "little")
            + value
        )

    item_body = element(0x0008, 0x0100, b"SH", b"CODE")
    sq_header = b"\x40\x00\x30\xa7" + (b"" if implicit else b"SQ\0\0") + b"\xff\xff\xff\xff"
    item = b"\xfe\xff\x00\xe0\xff\xff\xff\xff" + item_body + b"\xfe\xff\x0d\xe0\0\0\0\0"
    end = b"\xfe\xff\xdd\xe0\0\0\0\0"
    return sq_header + item + end + element(0x0008, 0x0070, b"LO", b"ACME")


@pytest.mark.parametrize("implicit", [True, False])
def test_undefined_length_sequences_are_stepped_over(implicit):
    data = undefined_length_sequence(implicit)
    assert read_text(data, implicit, {0x00080070, 0x00080100}) == {0x00080070: "ACME"}


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_every_truncation_is_refused_or_a_prefix(syntax):
    """Cut anywhere: a DIMSEProtocolError, or (at an element boundary) fewer elements;
    never another exception and never a value that was not there."""
    implicit = syntax == uids.IMPLICIT_VR_LITTLE_ENDIAN
    data = encode_dataset(printer(), syntax)
    full = read_text(data, implicit, WANTED)
    for cut in range(len(data)):
        try:
            got = read_text(data[:cut], implicit, WANTED)
        except DIMSEProtocolError:
            continue
        assert all(full[tag] == value for tag, value in got.items()), cut


def test_a_length_past_the_end_names_the_offset():
    data = b"\x08\x00\x70\x00" + (100).to_bytes(4, "little") + b"ACME"
    with pytest.raises(DIMSEProtocolError, match="offset 8"):
        read_text(data, True, {0x00080070})


def test_character_sets():
    utf8 = encode_dataset(
        printer(SpecificCharacterSet="ISO_IR 192", Manufacturer="Müller"),
        uids.EXPLICIT_VR_LITTLE_ENDIAN,
    )
    assert read_text(utf8, False, {0x00080070}) == {0x00080070: "Müller"}
    latin = encode_dataset(
        printer(SpecificCharacterSet="ISO_IR 100", Manufacturer="Müller"),
        uids.EXPLICIT_VR_LITTLE_ENDIAN,
    )
    assert read_text(latin, False, {0x00080070}) == {0x00080070: "Müller"}
    cyrillic = encode_dataset(
        printer(SpecificCharacterSet="ISO_IR 144"), uids.EXPLICIT_VR_LITTLE_ENDIAN
    )
    with pytest.raises(UnsupportedCharacterSet):
        read_text(cyrillic, False, {0x00080070})
