"""The virtual printer: a strict Print Management SCP that renders films and injects faults.

One job per module: :mod:`~hcs.vprinter.config` (TOML and overrides),
:mod:`~hcs.vprinter.geometry` (display formats and box rectangles),
:mod:`~hcs.vprinter.rules` (PS3.4 Annex H attribute tables),
:mod:`~hcs.vprinter.session` (one association's state and its entry point, sans-I/O),
:mod:`~hcs.vprinter.instances` (the SOP instances), :mod:`~hcs.vprinter.classes` (which
SOP classes and operations exist), :mod:`~hcs.vprinter.dispatch` (which handler answers
what), :mod:`hcs.vprinter.handlers` (the Annex H rules, one module per SOP class),
:mod:`~hcs.vprinter.replies` (building responses), :mod:`~hcs.vprinter.configuration`
(the Printer Configuration Retrieval answer),
:mod:`~hcs.vprinter.render` (film to PNG), :mod:`~hcs.vprinter.faults`,
:mod:`~hcs.vprinter.record` (JSON records), :mod:`~hcs.vprinter.server` (the network
side, Print Jobs and events) and :mod:`~hcs.vprinter.cli` (``hcs vprinter``).

In-process use::

    config = load_config(overrides={"port": 0, "out": tmp_path})
    printer = await start_virtual_printer(config)
    ...  # print to 127.0.0.1:printer.port
    await printer.wait_idle()
    await printer.stop()
"""

from typing import TYPE_CHECKING, Any

from hcs.vprinter.config import ConfigError, VirtualPrinterConfig, load_config
from hcs.vprinter.faults import FaultSpec, parse_fault

if TYPE_CHECKING:
    from hcs.vprinter.server import VirtualPrinter, start_virtual_printer


def __getattr__(name: str) -> Any:
    """The server (numpy, pydicom, Pillow) is loaded on first use, so that the ``hcs``
    command line can describe ``hcs vprinter``'s options without it."""
    if name in ("VirtualPrinter", "start_virtual_printer"):
        from hcs.vprinter import server

        return getattr(server, name)
    raise AttributeError(f"module 'hcs.vprinter' has no attribute {name!r}")


__all__ = [
    "ConfigError",
    "FaultSpec",
    "VirtualPrinter",
    "VirtualPrinterConfig",
    "load_config",
    "parse_fault",
    "start_virtual_printer",
]
