"""What a printer's answer says about the printer, and the profile switch that deals with it.

Real printers bend the standard in known ways (REFERENCE.md 1.3 and 1.4). When one of
them shows on the wire, the driver either copes by itself and notes it on the job, or
fails the film with an error that names the ``[printers.NAME]`` key to change. This
module turns an answer into that sentence, so the service engineer reading the job
sees the switch, not only the status code.
"""

from __future__ import annotations

from pydicom.datadict import keyword_for_tag
from pydicom.dataset import Dataset

from dimse import uids
from dimse.status import StatusCode
from hcs.driver.profile import OMITTABLE, PrinterProfile
from hcs.job.model import OperationRecord

_PIXEL_MODULE = frozenset({"BitsStored", "BitsAllocated", "HighBit", "PixelData"})
_NOT_SUPPORTED = frozenset(
    {
        StatusCode.NO_SUCH_SOP_CLASS,
        StatusCode.SOP_CLASS_NOT_SUPPORTED,
        StatusCode.UNRECOGNIZED_OPERATION,
        StatusCode.NO_SUCH_SOP_INSTANCE,
    }
)
_ATTRIBUTE_WARNINGS = frozenset(
    {StatusCode.ATTRIBUTE_LIST_ERROR, StatusCode.ATTRIBUTE_VALUE_OUT_OF_RANGE}
)
TRANSFER_SYNTAX_NAMES = {
    uids.IMPLICIT_VR_LITTLE_ENDIAN: "Implicit VR Little Endian",
    uids.EXPLICIT_VR_LITTLE_ENDIAN: "Explicit VR Little Endian",
}


def keywords(record: OperationRecord) -> list[str]:
    """The Offending Element tags of an answer as keywords (a tag we do not know as hex)."""
    out = []
    for tag in record.offending_element or ():
        out.append(keyword_for_tag(tag) or f"({tag >> 16:04X},{tag & 0xFFFF:04X})")
    return out


def failure_hint(
    record: OperationRecord,
    profile: PrinterProfile,
    sent: Dataset | None = None,
    plut_unused: bool = False,
) -> str | None:
    """The profile switch that avoids this failure, as a sentence, or ``None``.

    ``sent`` is the data set of the failed request (when it was a pydicom Dataset): a
    printer that answers 0x0105 without an Offending Element (DCMTK's dcmprscp does) is
    taken to mean the attribute of it that printers are known to refuse.
    ``plut_unused``: the Presentation LUT class was negotiated but the job made none.
    """
    table = f"[printers.{profile.name}]"
    named = keywords(record)
    if not named and record.status == StatusCode.NO_SUCH_ATTRIBUTE and sent is not None:
        named = [k for k in ("ReferencedPresentationLUTSequence", *sorted(OMITTABLE)) if k in sent]
    operation = record.operation
    if "ReferencedPresentationLUTSequence" in named and "Film Box" in operation:
        return (
            "the printer refuses the Presentation LUT on the Film Box: a pre-CP-173 printer"
            f" wants it on the Film Session (set presentation_lut_in_session = true in {table},"
            " or presentation_lut = false)"
        )
    if "ReferencedPresentationLUTSequence" in named and "Film Session" in operation:
        return (
            "the printer refuses the Presentation LUT on the Film Session"
            f" (set presentation_lut_in_session = false in {table})"
        )
    if operation.startswith("N-CREATE Presentation LUT") and record.status in _NOT_SUPPORTED:
        return f"the printer has no Presentation LUT (set presentation_lut = false in {table})"
    if operation.startswith("N-SET Annotation Box") and record.status in _NOT_SUPPORTED:
        return f"the printer has no annotation boxes (set annotation = false in {table})"
    if (
        operation.startswith("N-SET Image Box")
        and record.status == StatusCode.INVALID_ATTRIBUTE_VALUE
    ):
        hints = []
        if profile.bits == 12:
            hints.append(f"the printer may take 8-bit images only (set bits = 8 in {table})")
        if plut_unused:
            hints.append(
                "the printer may want a Presentation LUT matching the image depth whenever"
                " the class is negotiated (DCMTK's PresentationLUTMatchRequired): set"
                f" presentation_lut = false in {table}, or print with a Presentation LUT"
            )
        if hints:
            return "; or ".join(hints)
    omittable = [k for k in named if k in OMITTABLE]
    if omittable:
        listed = ", ".join(f'"{k}"' for k in omittable)
        return f"the printer refuses {', '.join(omittable)} (add {listed} to omit in {table})"
    return None


def warning_note(record: OperationRecord, profile: PrinterProfile) -> str | None:
    """A note for 0x0107/0x0116 warnings: the printer ignored or changed these attributes."""
    if record.status not in _ATTRIBUTE_WARNINGS:
        return None
    named = keywords(record)
    if not named:
        return f"{record.operation}: the printer ignored or changed some attributes"
    omittable = [k for k in named if k in OMITTABLE]
    text = f"{record.operation}: the printer ignored or changed {', '.join(named)}"
    if omittable:
        listed = ", ".join(f'"{k}"' for k in omittable)
        text += f" (to stop sending it, add {listed} to omit in [printers.{profile.name}])"
    return text


def ended_note(operation: str | None, transfer_syntax: str | None) -> str:
    """Which request the printer ended the association after, and how its data set was
    encoded: the step a service engineer looks at first."""
    if operation is None:
        return "the printer ended the association before any request was answered"
    if transfer_syntax is None:
        return f"the printer ended the association after {operation} (no data set)"
    name = TRANSFER_SYNTAX_NAMES.get(transfer_syntax, transfer_syntax)
    text = f"the printer ended the association after {operation} (data set in {name})"
    if transfer_syntax == uids.EXPLICIT_VR_LITTLE_ENDIAN:
        text += (
            "; a printer that accepts explicit VR but parses implicit needs"
            ' transfer_syntaxes = ["implicit"]'
        )
    return text


def negotiation_hint(profile: PrinterProfile) -> str | None:
    """For an association refused or aborted while negotiating: the optional classes we
    proposed, which some printers refuse to see at all (fo-dicom-samples#30)."""
    optional = [
        key
        for key in ("presentation_lut", "annotation", "print_job", "printer_configuration")
        if getattr(profile, key)
    ]
    if not optional:
        return None
    switches = ", ".join(f"{key} = false" for key in optional)
    return (
        "some printers refuse an association that proposes optional SOP classes"
        f" (try {switches} in [printers.{profile.name}])"
    )
