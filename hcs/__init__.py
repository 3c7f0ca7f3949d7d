"""hcs: a DICOM hardcopy server and Print Management SCU.

The one-call print API (docs/api.md) is importable from here: ``hcs.print_images``,
``hcs.print_images_async``, ``hcs.PrintResult``, ``hcs.JobOptions``, ``hcs.Frame``,
``hcs.JobFrame``, ``hcs.PrinterProfile``, ``hcs.PrintInputError``. They load on first use, so that
``import hcs`` (and ``hcs echo``) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = frozenset(
    {
        "Frame",
        "JobFrame",
        "JobOptions",
        "PrintInputError",
        "PrintResult",
        "PrinterProfile",
        "print_images",
        "print_images_async",
    }
)

if TYPE_CHECKING:
    from hcs.api import (
        Frame,
        JobFrame,
        JobOptions,
        PrinterProfile,
        PrintInputError,
        PrintResult,
        print_images,
        print_images_async,
    )


def __getattr__(name: str) -> Any:
    if name in _API:
        from hcs import api

        return getattr(api, name)
    raise AttributeError(f"module 'hcs' has no attribute {name!r}")


__all__ = [
    "Frame",
    "JobFrame",
    "JobOptions",
    "PrintInputError",
    "PrintResult",
    "PrinterProfile",
    "__version__",
    "print_images",
    "print_images_async",
]
