"""From a probe report to a ``[printers.NAME]`` profile, and into the configuration file.

The table uses only the profile vocabulary of :mod:`hcs.driver.profile` (README,
"Printer profiles"), and is checked by the same loader ``hcs print --printer`` and
``hcs serve`` use before the file is replaced. A printer's own value lists are written
only when it refused some standard value: a list narrows what a job may ask for, so
a printer that took every value we tried keeps the standard's lists.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import Any

from hcs.driver.profile import OMITTABLE, PrinterProfile
from hcs.probe.report import ABORTED, ACCEPTED, REFUSED, UNSUPPORTED, ProbeReport

DEFAULT_CALLING_AE = "HCS_PRINT_SCU"
PROFILE_KEYS = frozenset(f.name for f in fields(PrinterProfile))
DEFAULT_MAX_PDU = 65536

# Profile list key <- the attribute whose trials fill it.
LIST_KEYS = {
    "film_sizes": "FilmSizeID",
    "display_formats": "ImageDisplayFormat",
    "medium_types": "MediumType",
    "film_destinations": "FilmDestination",
    "magnification_types": "MagnificationType",
}


def _list_for(report: ProbeReport, attribute: str) -> list[str] | None:
    """The accepted values, when the printer refused at least one we tried."""
    tried = report.tried(attribute)
    if not tried or len(tried) < len([t for t in report.trials if t.attribute == attribute]):
        return None  # some values were not tried (time budget): the printer's list is unknown
    accepted = [t.value for t in tried if t.verdict == ACCEPTED]
    refused = [t for t in tried if t.verdict in (REFUSED, ABORTED)]
    if not accepted or not refused:
        return None
    if attribute == "ImageDisplayFormat":
        accepted = [v for v in accepted if not v.startswith("CUSTOM\\")] + [
            f"CUSTOM\\{n}" for n in sorted(report.custom_formats)
        ]
    return accepted


def omitted(report: ProbeReport) -> list[str]:
    """Attributes the printer does not know (every value tried unsupported)."""
    names = []
    attributes = dict.fromkeys(t.attribute for t in report.trials)
    for attribute in attributes:
        tried = report.tried(attribute)
        if tried and attribute in OMITTABLE and all(t.verdict == UNSUPPORTED for t in tried):
            names.append(attribute)
    return sorted(names)


def profile_table(report: ProbeReport) -> dict[str, Any]:
    """The ``[printers.NAME]`` keys for what the report found."""
    table: dict[str, Any] = {
        "host": report.host,
        "port": report.port,
        "ae_title": report.called_ae,
    }
    if report.calling_ae != DEFAULT_CALLING_AE:
        table["calling_ae_title"] = report.calling_ae
    if report.peer_max_pdu and 4096 <= report.peer_max_pdu < DEFAULT_MAX_PDU:
        table["max_pdu"] = report.peer_max_pdu  # announce no more than it does
    # Implicit VR whenever the printer takes it (the driver's default, conformance 3.4):
    # explicit VR gains nothing on a print association and some printers misread it.
    gray = report.accepted("grayscale")
    table["transfer_syntaxes"] = ["implicit"] if "implicit" in gray or not gray else ["explicit"]
    table["color"] = bool(report.accepted("color")) and report.supports.get("color") is not False
    no_plut = bool(report.supports.get("plut_blocks_images"))
    if report.supports.get("bits12_without_plut" if no_plut else "bits12"):
        table["bits"] = 12
    for key, attribute in LIST_KEYS.items():
        values = _list_for(report, attribute)
        if values:
            table[key] = values
    omit = omitted(report)
    if omit:
        table["omit"] = omit
    on_box = report.supports.get("presentation_lut")
    in_session = report.supports.get("presentation_lut_in_session")
    table["presentation_lut"] = bool(on_box or in_session) and not no_plut
    if not on_box and in_session and not no_plut:
        table["presentation_lut_in_session"] = True
    table["annotation"] = bool(report.supports.get("annotation"))
    table["print_job"] = bool(report.accepted("print_job"))
    if report.supports.get("printer_status") is False and "printer_status" in PROFILE_KEYS:
        table["printer_status"] = False  # the driver asks for the printer's status otherwise
    table["printer_configuration"] = bool(report.supports.get("printer_configuration"))
    if report.supports.get("assign_uids") and "assign_uids" in PROFILE_KEYS:
        table["assign_uids"] = True  # it answers N-CREATE without the instance UID
    slow = report.slowest_answer
    if slow > 10 or report.no_answer:
        # a slow printer: the driver's DIMSE timeout (30 s by default) with room to spare
        table["timeouts"] = {"dimse": max(60, math.ceil(3 * slow))}
    if report.tls is not None:
        table["tls"] = dict(report.tls)
    if report.custom_formats:
        table["custom_formats"] = {str(k): v for k, v in sorted(report.custom_formats.items())}
    return table


def check_table(name: str, table: dict[str, Any]) -> PrinterProfile:
    """The profile the table makes; ``ProfileError`` naming the key if it is wrong."""
    return PrinterProfile.from_table(name, table)


# --------------------------------------------------------------------------- TOML text


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    raise TypeError(f"cannot write {value!r} as TOML")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)


def toml_table(name: str, table: dict[str, Any], comment: str | None = None) -> str:
    lines = []
    if comment:
        lines += [f"# {line}" for line in comment.splitlines()]
    lines.append(f"[printers.{_toml_key(name)}]")
    lines += [f"{_toml_key(key)} = {_toml_value(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _without_table(text: str, name: str) -> str:
    """``text`` less an existing ``[printers.NAME]`` table and its sub-tables (and the
    comment lines right above it that a previous probe wrote)."""
    own = {f"printers.{name}", f'printers."{name}"'}
    kept: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        match = _HEADER.match(line)
        if match:
            header = match.group(1).replace(" ", "")
            skipping = header in own or any(header.startswith(h + ".") for h in own)
            if skipping:
                while kept and kept[-1].startswith("# written by hcs probe"):
                    kept.pop()
        if not skipping:
            kept.append(line)
    return "".join(kept)


def write_profile(path: Path, name: str, table: dict[str, Any], comment: str | None) -> None:
    """Put ``[printers.NAME]`` into the configuration at ``path`` (replacing the table of
    that name, keeping everything else), after the whole file has passed the loader."""
    from hcs.server.config import load

    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ValueError(f"printer name {name!r}: use letters, digits, '-' and '_'")
    check_table(name, table)
    old = path.read_text() if path.exists() else ""
    base = _without_table(old, name).rstrip("\n")
    new = (base + "\n\n" if base else "") + toml_table(name, table, comment)
    directory = path.resolve().parent
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".hcs-probe-", suffix=".toml", dir=directory)
    try:
        with os.fdopen(handle, "w") as file:
            file.write(new)
        load(Path(temporary))  # the loader hcs print and hcs serve use: refuse a bad file
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
