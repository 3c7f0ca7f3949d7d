"""``hcs probe``: what does this printer do? (issue 11; docs/probe.md)

:func:`probe` negotiates, asks and tries values with the driver's own requests, never
printing a sheet, and returns a :class:`ProbeReport`; :func:`profile_table` turns the
report into a ``[printers.NAME]`` profile that ``hcs print`` and ``hcs serve`` use.

The names are imported on first use, so that ``hcs`` (which registers the ``probe``
command from :mod:`hcs.probe.cli`) starts without loading the prober.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ProbeOptions": "hcs.probe.prober",
    "probe": "hcs.probe.prober",
    "ProbeReport": "hcs.probe.report",
    "Trial": "hcs.probe.report",
    "profile_table": "hcs.probe.profile",
    "toml_table": "hcs.probe.profile",
    "write_profile": "hcs.probe.profile",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hcs.probe' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
