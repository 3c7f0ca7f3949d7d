"""``hcs probe``: find out what a printer supports, without printing a sheet.

    hcs probe HOST PORT --called-ae AE [--calling-ae AE] [--write-profile NAME]
              [--config TOML] [--timeout S] [--budget S] [--json]

Exit codes (DESIGN.md): 0 the probe completed, 1 the printer refused the association
or ended the probe before it completed (the report says what was learned), 2 bad usage,
3 network or timeout. With ``--write-profile NAME`` a completed probe puts a
``[printers.NAME]`` table into the configuration (``--config``, else ``$HCS_CONFIG``,
else ``./hcs.toml``); an incomplete one writes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_PEER, EXIT_USAGE, EXIT_NETWORK = 0, 1, 2, 3


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{value:g} must be above 0 and at most 3600 seconds")
    return value


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    from hcs.commandline import ae_title as _ae_title
    from hcs.commandline import port as _port

    p = subparsers.add_parser(
        "probe",
        help="find out what a printer supports (no sheet is printed)",
        description="Negotiate every print SOP class and transfer syntax, ask the printer "
        "for its status and configuration, try each film size, format, magnification, "
        "medium, destination and density with one N-CREATE each (deleted at once, never "
        "printed), and report its quirks; --write-profile saves a [printers.NAME] table.",
    )
    p.add_argument("host", help="the printer's host name or address")
    p.add_argument("port", type=_port, help="the printer's TCP port")
    p.add_argument("--called-ae", type=_ae_title, required=True, help="the printer's AE title")
    p.add_argument("--calling-ae", type=_ae_title, default="HCS_PRINT_SCU", help="our AE title")
    p.add_argument(
        "--write-profile",
        metavar="NAME",
        help="put a [printers.NAME] table for this printer into the configuration",
    )
    p.add_argument(
        "--config",
        metavar="TOML",
        help="the configuration --write-profile writes (default: $HCS_CONFIG, else ./hcs.toml)",
    )
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=10.0,
        help="seconds to wait for the connection and for each answer (default 10)",
    )
    p.add_argument(
        "--budget",
        type=_seconds,
        default=60.0,
        help="seconds for trying values; what is left is reported 'not tried' (default 60)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    tls = p.add_argument_group("TLS (PS3.15 BCP 195 profile; written into the profile's tls table)")
    tls.add_argument("--tls", action="store_true", help="use a TLS connection")
    tls.add_argument("--tls-ca", metavar="FILE", help="CA certificates to verify the printer")
    tls.add_argument("--tls-cert", metavar="FILE", help="our certificate (PEM)")
    tls.add_argument("--tls-key", metavar="FILE", help="our private key (PEM)")
    tls.add_argument(
        "--tls-server-name", metavar="NAME", help="the name the printer's certificate carries"
    )
    tls.add_argument(
        "--tls-no-verify",
        action="store_true",
        help="do not verify the printer's certificate (testing only)",
    )
    return p


def _tls(args: argparse.Namespace):
    """The TLS settings the options ask for, or ``None``."""
    from hcs.driver.profile import TLSSettings

    if not (args.tls or args.tls_ca or args.tls_cert or args.tls_server_name):
        return None
    return TLSSettings(
        certificate=args.tls_cert,
        private_key=args.tls_key,
        ca_file=args.tls_ca,
        verify_peer=not args.tls_no_verify,
        server_hostname=args.tls_server_name,
    )


def _config_path(args: argparse.Namespace) -> Path:
    if args.config:
        return Path(args.config)
    if os.environ.get("HCS_CONFIG"):
        return Path(os.environ["HCS_CONFIG"])
    return Path("hcs.toml")


def run(args: argparse.Namespace) -> int:
    import re

    from hcs.driver.profile import PrinterProfile, ProfileError
    from hcs.probe.prober import ProbeOptions, probe
    from hcs.probe.profile import profile_table, toml_table, write_profile

    name = args.write_profile
    if name is not None and not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        print(
            f"hcs probe: --write-profile {name!r}: use letters, digits, '-' and '_'",
            file=sys.stderr,
        )
        return EXIT_USAGE
    profile = PrinterProfile(
        name=name or "probe",
        host=args.host,
        port=args.port,
        ae_title=args.called_ae,
        calling_ae_title=args.calling_ae,
        tls=_tls(args),
    )
    report = asyncio.run(probe(profile, ProbeOptions(timeout=args.timeout, budget=args.budget)))
    table = profile_table(report)
    written: str | None = None
    write_error: str | None = None
    if name is not None:
        if not report.complete:
            write_error = "the probe did not complete: no profile written"
        else:
            path = _config_path(args)
            comment = (
                f"written by hcs probe {time.strftime('%Y-%m-%d %H:%M')} for "
                f"{args.called_ae} at {args.host}:{args.port}"
            )
            try:
                write_profile(path, name, table, comment)
                written = str(path)
            except (ProfileError, ValueError, OSError) as error:
                write_error = f"cannot write {path}: {error}"
    if report.network_failure:
        code = EXIT_NETWORK
    elif not report.complete:
        code = EXIT_PEER
    elif write_error:
        code = EXIT_USAGE
    else:
        code = EXIT_OK
    if args.json:
        payload = report.as_json()
        payload["profile"] = table
        payload["ok"] = code == EXIT_OK
        payload["profile_name"] = name
        payload["profile_written"] = written
        payload["profile_error"] = write_error
        print(json.dumps(payload))
        return code
    print(report.text())
    print()
    print(f"Profile{' (not written)' if name is None or not written else ''}:")
    print(toml_table(name or "NAME", table), end="")
    if written:
        print(f"\nwrote [printers.{name}] to {written}")
    if write_error:
        print(f"hcs probe: {write_error}", file=sys.stderr)
    return code
