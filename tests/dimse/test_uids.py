"""The UID constants against pydicom's UID dictionary (generated from PS3.6)."""

import pytest
from pydicom.uid import UID

from dimse import uids

EXPECTED = {
    "VERIFICATION": ("1.2.840.10008.1.1", "Verification SOP Class"),
    "BASIC_FILM_SESSION": ("1.2.840.10008.5.1.1.1", "Basic Film Session SOP Class"),
    "BASIC_FILM_BOX": ("1.2.840.10008.5.1.1.2", "Basic Film Box SOP Class"),
    "BASIC_GRAYSCALE_IMAGE_BOX": ("1.2.840.10008.5.1.1.4", "Basic Grayscale Image Box SOP Class"),
    "BASIC_COLOR_IMAGE_BOX": ("1.2.840.10008.5.1.1.4.1", "Basic Color Image Box SOP Class"),
    "BASIC_GRAYSCALE_PRINT_MANAGEMENT_META": (
        "1.2.840.10008.5.1.1.9",
        "Basic Grayscale Print Management Meta SOP Class",
    ),
    "BASIC_COLOR_PRINT_MANAGEMENT_META": (
        "1.2.840.10008.5.1.1.18",
        "Basic Color Print Management Meta SOP Class",
    ),
    "PRINT_JOB": ("1.2.840.10008.5.1.1.14", "Print Job SOP Class"),
    "BASIC_ANNOTATION_BOX": ("1.2.840.10008.5.1.1.15", "Basic Annotation Box SOP Class"),
    "PRINTER": ("1.2.840.10008.5.1.1.16", "Printer SOP Class"),
    "PRINTER_INSTANCE": ("1.2.840.10008.5.1.1.17", "Printer SOP Instance"),
    "PRINTER_CONFIGURATION_RETRIEVAL": (
        "1.2.840.10008.5.1.1.16.376",
        "Printer Configuration Retrieval SOP Class",
    ),
    "PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE": (
        "1.2.840.10008.5.1.1.17.376",
        "Printer Configuration Retrieval SOP Instance",
    ),
    "PRESENTATION_LUT": ("1.2.840.10008.5.1.1.23", "Presentation LUT SOP Class"),
    "IMPLICIT_VR_LITTLE_ENDIAN": ("1.2.840.10008.1.2", "Implicit VR Little Endian"),
    "EXPLICIT_VR_LITTLE_ENDIAN": ("1.2.840.10008.1.2.1", "Explicit VR Little Endian"),
    "DICOM_APPLICATION_CONTEXT": ("1.2.840.10008.3.1.1.1", "DICOM Application Context Name"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_constant_value_and_pydicom_name(name):
    value, pydicom_name = EXPECTED[name]
    assert getattr(uids, name) == value
    assert UID(value).name == pydicom_name


def test_the_printer_is_not_the_print_job():
    """The seed document's mistake: …14 is Print Job, the Printer is …16."""
    assert uids.PRINTER != uids.PRINT_JOB
    assert UID(uids.PRINT_JOB).name == "Print Job SOP Class"


def test_every_named_uid_has_a_name():
    constants = {v for k, v in vars(uids).items() if k.isupper() and isinstance(v, str)}
    assert constants == set(uids.NAMES)
    assert uids.uid_name(uids.PRINTER) == "Printer SOP Class"
    assert uids.uid_name("1.2.3") == "1.2.3"
