"""The DICOM print SCU driver: one :class:`PrinterDriver` per printer (PS3.4 Annex H).

The names below are loaded on first use: ``hcs echo`` and ``hcs status`` need only
:mod:`hcs.driver.profile`'s TLS settings, and importing the whole driver (numpy, the
kernels, pydicom) would triple their start-up time.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "FilmBoxSpec": "hcs.job.model",
    "FilmSessionSpec": "hcs.job.model",
    "FilmSpec": "hcs.job.model",
    "ImageBoxSpec": "hcs.job.model",
    "JobOutcome": "hcs.job.model",
    "PrintRequest": "hcs.job.model",
    "PrinterDriver": "hcs.driver.printer",
    "validate_request": "hcs.driver.printer",
    "PrinterProfile": "hcs.driver.profile",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'hcs.driver' has no attribute {name!r}")
    return getattr(import_module(home), name)


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
