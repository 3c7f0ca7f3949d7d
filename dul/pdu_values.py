"""A presentation data value (PS3.8 §9.3.5 and Annex E): one fragment of a DIMSE message."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PresentationDataValue:
    """One PDV item of a P-DATA-TF PDU.

    ``is_command`` and ``is_last`` are bits 0 and 1 of the message control header
    (PS3.8 Annex E.2). ``data`` is the fragment without that header byte; it may be a
    memoryview into the received PDU, so copy it if you keep it past the next read.
    """

    context_id: int
    is_command: bool
    is_last: bool
    data: bytes | memoryview
