"""The ``hcs`` command line: a contract that tests and users rely on (DESIGN.md).

Exit codes: 0 success, 1 the peer refused or failed (DICOM status, reject, abort),
2 bad usage or bad input, 3 network or timeout. A failure prints one line saying what
happened in DICOM terms and in plain words, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence

from dimse.errors import DIMSEProtocolError
from dimse.status import StatusCategory, status_category
from dul.net import AssociationFailed, NetworkError, Timeouts
from hcs import __version__
from hcs.bench import add_parser as add_bench_parser
from hcs.commandline import EXIT_NETWORK, EXIT_OK, EXIT_PEER, EXIT_USAGE
from hcs.commandline import ae_title as _ae_title
from hcs.commandline import port as _port
from hcs.commandline import seconds as _seconds
from hcs.defaults import CALLING_AE_TITLE, DEFAULT_CALLED_AE
from hcs.print_command import add_parser as add_print_parser
from hcs.print_command import run as run_print
from hcs.probe.cli import add_parser as add_probe_parser
from hcs.probe.cli import run as run_probe
from hcs.server.cli import RUNNERS as SERVER_RUNNERS
from hcs.server.cli import add_parsers as add_server_parsers
from hcs.vprinter.cli import add_parser as add_vprinter_parser
from hcs.vprinter.cli import run as run_vprinter


def _add_peer_arguments(parser: argparse.ArgumentParser, called_default: str) -> None:
    parser.add_argument("host", help="host name or address of the SCP")
    parser.add_argument("port", type=_port, help="TCP port of the SCP")
    parser.add_argument(
        "--called-ae",
        type=_ae_title,
        default=called_default,
        help=f"the SCP's AE title (default {called_default})",
    )
    parser.add_argument(
        "--calling-ae",
        type=_ae_title,
        default=CALLING_AE_TITLE,
        help=f"our AE title (default {CALLING_AE_TITLE})",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        help="seconds to wait for the connection and for each answer "
        "(default: connect 10, association and DIMSE 30)",
    )
    parser.add_argument(
        "--max-pdu",
        type=int,
        default=65536,
        help="the largest P-DATA PDU we accept (default 65536, 0 = no limit)",
    )
    tls = parser.add_argument_group("TLS (PS3.15 BCP 195 profile)")
    tls.add_argument("--tls", action="store_true", help="use a TLS connection")
    tls.add_argument("--tls-ca", metavar="FILE", help="CA certificates to verify the peer")
    tls.add_argument("--tls-cert", metavar="FILE", help="our certificate (PEM)")
    tls.add_argument("--tls-key", metavar="FILE", help="our private key (PEM)")
    tls.add_argument(
        "--tls-no-verify",
        action="store_true",
        help="do not verify the peer's certificate (testing only)",
    )


LOG_LEVELS = ("error", "warning", "info", "debug")


def _add_logging_options(parser: argparse.ArgumentParser, suffix: str = "") -> None:
    """-v/-d/--log-level/--log-file, as DCMTK's and pynetdicom's tools take them. They are
    added before the command and after it (``hcs echo -v ...``); ``suffix`` keeps the two
    apart so that ``hcs -v echo -v`` counts twice."""
    group = parser.add_argument_group("logging")
    group.add_argument(
        "-v",
        "--verbose",
        dest="verbose" + suffix,
        action="count",
        default=0,
        help="-v: log each DIMSE operation; -vv: and every PDU",
    )
    group.add_argument(
        "-d",
        "--debug",
        dest="debug" + suffix,
        action="store_true",
        help="debug: every DIMSE operation and every PDU sent and received",
    )
    group.add_argument(
        "--log-level",
        dest="log_level" + suffix,
        type=str.lower,
        choices=LOG_LEVELS,
        help="the lowest level logged (default error; -v is info, -d debug)",
    )
    group.add_argument(
        "--log-file", dest="log_file" + suffix, metavar="FILE", help="log there, not stderr"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hcs", description="DICOM hardcopy server and print SCU")
    parser.add_argument("--version", action="version", version=f"hcs {__version__}")
    _add_logging_options(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    echo = commands.add_parser("echo", help="C-ECHO an SCP (Verification)")
    _add_peer_arguments(echo, DEFAULT_CALLED_AE)
    echo.add_argument("--json", action="store_true", help="print one JSON object")

    status = commands.add_parser("status", help="ask a printer for its status (Printer N-GET)")
    _add_peer_arguments(status, DEFAULT_CALLED_AE)
    status.add_argument("--json", action="store_true", help="print one JSON object")
    commands.add_parser("demo", help="run the main job on loopback against a DCMTK printer")
    add_vprinter_parser(commands)
    add_print_parser(commands)
    add_probe_parser(commands)
    add_server_parsers(commands)
    add_bench_parser(commands, _add_peer_arguments)
    for command in commands.choices.values():
        _add_logging_options(command, "_after")
    return parser


def log_level(args: argparse.Namespace) -> int:
    """The level the options ask for, before or after the command: the most verbose wins."""
    verbose = args.verbose + getattr(args, "verbose_after", 0)
    debug = args.debug or getattr(args, "debug_after", False)
    named = [
        getattr(logging, name.upper())
        for name in (args.log_level, getattr(args, "log_level_after", None))
        if name
    ]
    level = logging.DEBUG if debug or verbose >= 2 else logging.INFO if verbose else logging.ERROR
    return min([level, *named]) if named else level


def configure_logging(args: argparse.Namespace) -> None:
    """One handler on the root logger: stderr, or ``--log-file``. At INFO the DIMSE
    operations show (``dimse.client``); the PDUs (``dul.pdu``) only at DEBUG."""
    level = log_level(args)
    path = getattr(args, "log_file_after", None) or args.log_file
    handler: logging.Handler
    if path:
        try:
            handler = logging.FileHandler(path)
        except OSError as error:
            raise SystemExit(_usage_error(f"--log-file {path}: {error.strerror}")) from None
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)


def _peer(args: argparse.Namespace):
    from hcs.scu import Peer

    if args.timeout is None:
        timeouts = Timeouts()
    else:
        timeouts = Timeouts(
            connect=args.timeout, association=args.timeout, artim=args.timeout, dimse=args.timeout
        )
    if not 0 <= args.max_pdu <= 0xFFFFFFFF:
        raise SystemExit(_usage_error(f"--max-pdu {args.max_pdu} is out of range"))
    tls = None
    if args.tls or args.tls_ca or args.tls_cert:
        from hcs.driver.profile import TLSSettings

        tls = TLSSettings(
            certificate=args.tls_cert,
            private_key=args.tls_key,
            ca_file=args.tls_ca,
            verify_peer=not args.tls_no_verify,
        )
    return Peer(args.host, args.port, args.called_ae, args.calling_ae, timeouts, args.max_pdu, tls)


def _usage_error(text: str) -> int:
    print(f"hcs: {text}", file=sys.stderr)
    return EXIT_USAGE


def _exit_for_status(code: int) -> int:
    category = status_category(code)
    return EXIT_OK if category in (StatusCategory.SUCCESS, StatusCategory.WARNING) else EXIT_PEER


def _run_echo(args: argparse.Namespace) -> int:
    from hcs.scu import echo

    peer = _peer(args)
    result = asyncio.run(echo(peer))
    if args.json:
        print(
            json.dumps(
                {
                    "command": "echo",
                    "host": peer.host,
                    "port": peer.port,
                    "called_ae": peer.called_ae_title,
                    "status": result.as_json(),
                }
            )
        )
    else:
        print(f"C-ECHO to {peer.called_ae_title} at {peer.host}:{peer.port}: {result.description}")
    return _exit_for_status(result.code)


def _run_status(args: argparse.Namespace) -> int:
    from hcs.scu import PRINTER_ATTRIBUTES, printer_status

    peer = _peer(args)
    result = asyncio.run(printer_status(peer))
    if args.json:
        print(
            json.dumps(
                {
                    "command": "status",
                    "host": peer.host,
                    "port": peer.port,
                    "called_ae": peer.called_ae_title,
                    "status": result.status.as_json(),
                    "error_comment": result.error_comment,
                    "printer": result.attributes,
                }
            )
        )
    else:
        for keyword, label in PRINTER_ATTRIBUTES:
            if keyword in result.attributes:
                print(f"{label + ':':26} {result.attributes[keyword]}")
        line = f"N-GET Printer: {result.status.description}"
        if result.error_comment:
            line += f" ({result.error_comment})"
        print(line)
    return _exit_for_status(result.status.code)


def _run_bench(args: argparse.Namespace) -> int:
    from hcs.bench import run

    return run(args, _peer(args))


def _run_demo(args: argparse.Namespace) -> int:
    from hcs.demo import main as demo

    return demo(main)


RUNNERS = {
    "echo": _run_echo,
    "status": _run_status,
    "demo": _run_demo,
    "bench": _run_bench,
    "vprinter": run_vprinter,
    "print": run_print,
    "probe": run_probe,
    **SERVER_RUNNERS,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args)
    try:
        return RUNNERS[args.command](args)
    except AssociationFailed as error:
        print(f"hcs {args.command}: {error}", file=sys.stderr)
        return EXIT_PEER
    except NetworkError as error:
        print(f"hcs {args.command}: {error}", file=sys.stderr)
        return EXIT_NETWORK
    except DIMSEProtocolError as error:
        print(
            f"hcs {args.command}: the peer sent an invalid DIMSE message: {error}", file=sys.stderr
        )
        return EXIT_PEER
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a bug of ours: still one line, the details on request
        from hcs.extras import missing_extra

        if (extra := missing_extra(error)) is not None:  # an optional package: say which
            print(f"hcs {args.command}: {extra}", file=sys.stderr)
            return EXIT_USAGE
        if os.environ.get("HCS_DEBUG"):
            raise
        print(
            f"hcs {args.command}: internal error ({type(error).__name__}: {error}); "
            "set HCS_DEBUG=1 for the traceback",
            file=sys.stderr,
        )
        return EXIT_PEER


if __name__ == "__main__":
    sys.exit(main())
