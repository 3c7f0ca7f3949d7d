"""What every ``hcs`` command shares: the exit codes and the argument types.

Exit codes are the command line's contract (DESIGN.md): 0 success, 1 the peer refused or
failed (a DICOM status, a reject, an abort), 2 bad usage or bad input, 3 network or
timeout. :func:`exit_code_for` maps the transport's exceptions onto them, so ``dul``
knows nothing of a command line. The argument types turn a word of the command line into
a value or an ``argparse`` error that says what is wrong; ``hcs print``, ``hcs submit``,
``hcs echo``/``status`` and ``hcs vprinter`` use the same ones.
"""

from __future__ import annotations

import argparse
from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    PEER = 1  # the peer refused or failed: DICOM status, reject, abort
    USAGE = 2  # bad usage or bad input
    NETWORK = 3  # network or timeout


EXIT_OK, EXIT_PEER, EXIT_USAGE, EXIT_NETWORK = (int(code) for code in Exit)


def exit_code_for(error: BaseException) -> int | None:
    """The exit code for a transport or protocol exception, ``None`` if it is not one."""
    from dimse.errors import DIMSEProtocolError
    from dul.net import AssociationFailed, NetworkError

    if isinstance(error, NetworkError):
        return EXIT_NETWORK
    if isinstance(error, AssociationFailed | DIMSEProtocolError):
        return EXIT_PEER
    return None


def _number(text: str, kind: type, not_a: str, ok, out_of_range: str):
    """``text`` as an int or float that ``ok`` accepts; else an argparse error."""
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(not_a.format(text=text)) from None
    if not ok(value):
        raise argparse.ArgumentTypeError(out_of_range.format(value=value))
    return value


def port(text: str) -> int:
    return _number(
        text,
        int,
        "port {text!r} is not a number",
        lambda v: 1 <= v <= 65535,
        "port {value} is not between 1 and 65535",
    )


def ae_title(text: str) -> str:
    value = text.strip()
    if (
        not value
        or len(value) > 16
        or "\\" in value
        or not value.isascii()
        or any(ord(c) < 0x20 for c in value)
    ):
        raise argparse.ArgumentTypeError(
            f"AE title {text!r} must be 1 to 16 printable ASCII characters without backslash"
        )
    return value


def seconds(text: str) -> float:
    return _number(
        text,
        float,
        "{text!r} is not a number of seconds",
        lambda v: 0 < v <= 86400,
        "timeout {value} must be above 0 and at most 86400 s",
    )


def window(text: str) -> tuple[float, float]:
    """``CENTER,WIDTH``: a VOI window, the width positive."""
    try:
        center, width = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"window {text!r} must be CENTER,WIDTH (two numbers)"
        ) from None
    if width <= 0:
        raise argparse.ArgumentTypeError(f"window width {width:g} must be positive")
    return center, width


def positive_int(text: str) -> int:
    return _number(
        text, int, "{text!r} is not a whole number", lambda v: v >= 1, "{value} must be at least 1"
    )


def positive_float(text: str) -> float:
    return _number(
        text, float, "{text!r} is not a number", lambda v: v > 0, "{value:g} must be positive"
    )
