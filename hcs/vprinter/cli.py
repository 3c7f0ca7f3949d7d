"""``hcs vprinter``: run the virtual printer from the command line.

Options override the TOML file given with ``--config``; faults come from ``--fault``
(repeatable) and the file's ``[[faults]]``. The first line on standard output says
where it listens (``--port 0`` picks a free port, and this line tells which), then one
line per operation goes to standard error. SIGINT or SIGTERM stops it cleanly: open
associations are aborted, running Print Jobs finish, records are written.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from hcs.commandline import EXIT_NETWORK, EXIT_OK, EXIT_USAGE
from hcs.vprinter.config import SOP_CLASS_NAMES, ConfigError, load_config
from hcs.vprinter.faults import FAULT_KINDS, FaultSpecError, parse_fault
from hcs.vprinter.personality import NAMES


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``vprinter`` subcommand to ``hcs``'s subparsers."""
    parser = subparsers.add_parser(
        "vprinter",
        help="run a virtual print SCP that renders films and injects faults",
        description="A strict DICOM Print Management SCP (PS3.4 Annex H) that renders each"
        " printed film to PNG, records every DIMSE message as JSON and injects faults.",
    )
    add = parser.add_argument
    add("--port", type=int, default=None, help="TCP port (0 picks a free one; default 11112)")
    add("--host", default=None, help="address to listen on (default 127.0.0.1)")
    add("--ae", default=None, help="our AE title (default VPRINTER)")
    add("--out", default=None, help="folder for films (PNG, JSON) and association records")
    add("--config", default=None, help="TOML file with the printer's configuration")
    add("--max-pdu", type=int, default=None, help="largest P-DATA PDU we accept (default 65536)")
    add("--implicit-only", action="store_true", default=None, help="accept implicit VR LE only")
    add("--print-time", type=float, default=None, help="seconds a Print Job takes (default 0)")
    add("--store-dicom", action="store_true", default=None, help="also write image boxes as DICOM")
    add("--no-png", dest="png", action="store_false", default=None, help="do not render PNGs")
    add("--png-dpi", type=float, default=None, help="resolution of the PNG previews (default 50)")
    add("--resolution-dpi", type=float, default=None, help="the printer's resolution (default 300)")
    add("--film-sizes", default=None, help="comma-separated Film Size IDs the printer takes")
    add(
        "--display-formats",
        default=None,
        help="space-separated display formats or kinds, e.g. 'STANDARD\\2,2 ROW SLIDE CUSTOM'",
    )
    add(
        "--classes",
        default=None,
        help=f"comma-separated SOP classes to support ({', '.join(SOP_CLASS_NAMES)})",
    )
    add("--printer-status", default=None, choices=("NORMAL", "WARNING", "FAILURE"))
    add("--printer-status-info", default=None, help="Printer Status Info (e.g. 'FILM JAM')")
    add(
        "--unsupported",
        default=None,
        choices=("fail", "warn"),
        help="U/U attributes not supported: 0105 or 0107",
    )
    add(
        "--invalid-value",
        default=None,
        choices=("fail", "warn"),
        help="bad U/M values: 0106 or 0116",
    )
    add("--oversize", default=None, choices=("DEMAGNIFY", "DECIMATE", "CROP", "FAIL"))
    add(
        "--no-session-print",
        dest="session_print",
        action="store_false",
        default=None,
        help="refuse Film Session N-ACTION (then an unprinted Film Box blocks the next: C616)",
    )
    add("--max-associations", type=int, default=None)
    add(
        "--idle-timeout",
        type=float,
        default=None,
        help="abort an association silent this many seconds (default 120; 0: never)",
    )
    add(
        "--pdu-read-timeout",
        type=float,
        default=None,
        help="abort when the rest of a PDU takes longer than this (default 30; 0: never)",
    )
    add(
        "--max-message-bytes",
        type=int,
        default=None,
        help="largest DIMSE message accepted (default: the largest image the printer takes)",
    )
    add(
        "--receive-budget-bytes",
        type=int,
        default=None,
        help="bytes all associations together may be receiving (default: 2 messages)",
    )
    add(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help=f"inject a fault: KIND[:key=value,...], KIND one of {', '.join(FAULT_KINDS)}",
    )
    add("--fault-seed", type=int, default=None, help="seed for faults chosen with p=")
    add(
        "--personality",
        action="append",
        default=[],
        metavar="NAME",
        help="behave like a kind of real printer (repeatable, combinable): " + ", ".join(NAMES),
    )
    add(
        "--personality-delay",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds per N-SET of the slow personality (default 2)",
    )
    add("--quiet", action="store_true", help="do not log each operation")
    return parser


def _overrides(args: argparse.Namespace) -> dict:
    overrides = {
        "port": args.port,
        "host": args.host,
        "ae_title": args.ae,
        "out": args.out,
        "max_pdu": args.max_pdu,
        "implicit_only": args.implicit_only,
        "print_time": args.print_time,
        "store_dicom": args.store_dicom,
        "png": args.png,
        "png_dpi": args.png_dpi,
        "max_associations": args.max_associations,
        "idle_timeout": args.idle_timeout,
        "pdu_read_timeout": args.pdu_read_timeout,
        "max_message_bytes": args.max_message_bytes,
        "receive_budget_bytes": args.receive_budget_bytes,
        "fault_seed": args.fault_seed,
        "personality_delay": args.personality_delay,
        "film.resolution_dpi": args.resolution_dpi,
        "film.unsupported": args.unsupported,
        "film.invalid_value": args.invalid_value,
        "film.oversize": args.oversize,
        "film.session_print": args.session_print,
        "printer.status": args.printer_status,
        "printer.status_info": args.printer_status_info,
    }
    if args.film_sizes:
        overrides["film.sizes"] = [s.strip() for s in args.film_sizes.split(",") if s.strip()]
    if args.display_formats:
        overrides["film.display_formats"] = args.display_formats.split()
    if args.classes is not None:
        chosen = {c.strip() for c in args.classes.split(",") if c.strip()}
        unknown = chosen - set(SOP_CLASS_NAMES)
        if unknown:
            raise ConfigError(f"--classes: unknown {', '.join(sorted(unknown))}")
        overrides["classes"] = {name: name in chosen for name in SOP_CLASS_NAMES}
    return overrides


def run(args: argparse.Namespace) -> int:
    """Run until SIGINT/SIGTERM; exit 2 for a bad configuration, 3 if it cannot listen."""
    try:
        overrides = _overrides(args)
        if args.personality:
            from_file = load_config(args.config).personalities if args.config else []
            overrides["personalities"] = [*from_file, *args.personality]
        config = load_config(args.config, overrides)
        config.faults += [parse_fault(text) for text in args.fault]
    except (ConfigError, FaultSpecError) as error:
        print(f"hcs vprinter: {error}", file=sys.stderr)
        return EXIT_USAGE
    logger = logging.getLogger("hcs.vprinter")
    if not args.quiet:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return asyncio.run(_serve(config))


async def _serve(config) -> int:
    from dul.net import NetworkError
    from hcs.vprinter.server import start_virtual_printer

    try:
        printer = await start_virtual_printer(config)
    except NetworkError as error:
        print(f"hcs vprinter: {error}", file=sys.stderr)
        return EXIT_NETWORK
    print(
        f"hcs vprinter: {config.ae_title} listening on {config.host}:{printer.port}"
        + (f", writing to {config.out}" if config.out else ""),
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await printer.stop()
    counters = printer.counters
    print(
        f"hcs vprinter: stopped after {counters['accepted']} associations,"
        f" {counters['films']} films",
        flush=True,
    )
    return EXIT_OK
