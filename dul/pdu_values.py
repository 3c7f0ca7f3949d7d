"""A presentation data value (PS3.8 §9.3.5 and Annex E): one fragment of a DIMSE message."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PresentationDataValue:
    """One PDV item of a P-DATA-TF PDU.

    ``is_command`` and ``is_last`` are bits 0 and 1 of the message control header
    (PS3.8 Annex E.2). ``data`` is the fragment without that header byte. On receive it
    is a read-only memoryview of bytes the Upper Layer never changes or reuses, so it may
    be kept without a copy (that is how a large data set reaches the DIMSE layer copied
    at most once).
    """

    context_id: int
    is_command: bool
    is_last: bool
    data: bytes | memoryview
