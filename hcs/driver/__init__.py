"""The DICOM print SCU driver: one :class:`PrinterDriver` per printer (PS3.4 Annex H)."""

from hcs.driver.printer import PrinterDriver, validate_request
from hcs.driver.profile import PrinterProfile
from hcs.job.model import (
    FilmBoxSpec,
    FilmSessionSpec,
    FilmSpec,
    ImageBoxSpec,
    JobOutcome,
    PrintRequest,
)

__all__ = [
    "FilmBoxSpec",
    "FilmSessionSpec",
    "FilmSpec",
    "ImageBoxSpec",
    "JobOutcome",
    "PrintRequest",
    "PrinterDriver",
    "PrinterProfile",
    "validate_request",
]
