"""``hcs probe``: what does this printer do? (issue 11; docs/probe.md)

:func:`probe` negotiates, asks and tries values with the driver's own requests, never
printing a sheet, and returns a :class:`ProbeReport`; :func:`profile_table` turns the
report into a ``[printers.NAME]`` profile that ``hcs print`` and ``hcs serve`` use.
"""

from hcs.probe.prober import ProbeOptions, probe
from hcs.probe.profile import profile_table, toml_table, write_profile
from hcs.probe.report import ProbeReport, Trial

__all__ = [
    "ProbeOptions",
    "ProbeReport",
    "Trial",
    "probe",
    "profile_table",
    "toml_table",
    "write_profile",
]
