"""The UIDs print management talks about (PS3.4 Annex H, PS3.5 Annex A, PS3.7 Annex A).

Plain strings, so they compare equal to pydicom's ``UID`` and to what a peer sends.

The 1996 conformance statement we follow calls the Printer SOP Class
``1.2.840.10008.5.1.1.14``; that is the Print Job SOP Class. The Printer is ``…5.1.1.16``
and its one well-known instance is ``…5.1.1.17`` (PS3.4 H.4.6.4 and H.4.6.5).
"""

from types import MappingProxyType

DICOM_APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"

VERIFICATION = "1.2.840.10008.1.1"

BASIC_FILM_SESSION = "1.2.840.10008.5.1.1.1"
BASIC_FILM_BOX = "1.2.840.10008.5.1.1.2"
BASIC_GRAYSCALE_IMAGE_BOX = "1.2.840.10008.5.1.1.4"
BASIC_COLOR_IMAGE_BOX = "1.2.840.10008.5.1.1.4.1"
BASIC_GRAYSCALE_PRINT_MANAGEMENT_META = "1.2.840.10008.5.1.1.9"
BASIC_COLOR_PRINT_MANAGEMENT_META = "1.2.840.10008.5.1.1.18"
PRINT_JOB = "1.2.840.10008.5.1.1.14"
BASIC_ANNOTATION_BOX = "1.2.840.10008.5.1.1.15"
PRINTER = "1.2.840.10008.5.1.1.16"
PRINTER_INSTANCE = "1.2.840.10008.5.1.1.17"
"""The well-known SOP Instance of the Printer SOP Class (PS3.4 H.4.6.5)."""
PRINTER_CONFIGURATION_RETRIEVAL = "1.2.840.10008.5.1.1.16.376"
PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE = "1.2.840.10008.5.1.1.17.376"
"""The well-known SOP Instance of Printer Configuration Retrieval (PS3.4 H.4.11)."""
PRESENTATION_LUT = "1.2.840.10008.5.1.1.23"

IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2"
"""Retired (PS3.5 A.3); named so that a peer proposing it can be recognised and refused."""

NAMES = MappingProxyType(
    {
        DICOM_APPLICATION_CONTEXT: "DICOM Application Context Name",
        VERIFICATION: "Verification SOP Class",
        BASIC_FILM_SESSION: "Basic Film Session SOP Class",
        BASIC_FILM_BOX: "Basic Film Box SOP Class",
        BASIC_GRAYSCALE_IMAGE_BOX: "Basic Grayscale Image Box SOP Class",
        BASIC_COLOR_IMAGE_BOX: "Basic Color Image Box SOP Class",
        BASIC_GRAYSCALE_PRINT_MANAGEMENT_META: "Basic Grayscale Print Management Meta SOP Class",
        BASIC_COLOR_PRINT_MANAGEMENT_META: "Basic Color Print Management Meta SOP Class",
        PRINT_JOB: "Print Job SOP Class",
        BASIC_ANNOTATION_BOX: "Basic Annotation Box SOP Class",
        PRINTER: "Printer SOP Class",
        PRINTER_INSTANCE: "Printer SOP Instance",
        PRINTER_CONFIGURATION_RETRIEVAL: "Printer Configuration Retrieval SOP Class",
        PRINTER_CONFIGURATION_RETRIEVAL_INSTANCE: "Printer Configuration Retrieval SOP Instance",
        PRESENTATION_LUT: "Presentation LUT SOP Class",
        IMPLICIT_VR_LITTLE_ENDIAN: "Implicit VR Little Endian",
        EXPLICIT_VR_LITTLE_ENDIAN: "Explicit VR Little Endian",
        EXPLICIT_VR_BIG_ENDIAN: "Explicit VR Big Endian (retired)",
    }
)
"""UID -> the name PS3.6 gives it, for log lines and error messages."""


def uid_name(uid: str) -> str:
    """The name of a UID we know, or the UID itself, so log lines read well either way."""
    return NAMES.get(uid, uid)
