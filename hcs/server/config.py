"""The server's configuration: the TOML file of DESIGN.md, read and checked as a whole.

A configuration is only ever replaced by another complete, valid one: a reload that
finds a mistake keeps the old one in force. So every error is raised here, before the
running server sees anything, and it says where the mistake is: the line (tomllib's
``TOMLDecodeError`` carries it for syntax; for a wrong value we find the key's line in
the text) and the dotted key, because the person reading it has the file open.

Layout::

    calling_ae = "HCS_PRINT_SCU"
    [timeouts]                 # connect, association, artim, dimse, idle_release (seconds)
    [server]                   # listen, unix_socket, token, tls_cert, tls_key, spool, ...
    [spool]                    # backend = "sqlite" | "postgresql", url, ssl*, instance, lease
    [groups]                   # name = ["printer", ...]: a job may target a group
    [printers.NAME]            # hcs.driver.PrinterProfile.from_table validates these
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dul.net import Timeouts
from hcs.defaults import CALLING_AE_TITLE
from hcs.driver.profile import PrinterProfile, ProfileError, timeouts_from_table
from hcs.errors import ConfigError

DEFAULT_PORT = 8631


@dataclass(frozen=True)
class ServerSettings:
    """The ``[server]`` table."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    unix_socket: str | None = None
    token: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    spool: Path = Path("hcs-spool")
    spool_max_mb: float = 2048.0
    disk_reserve_mb: float = 64.0
    max_upload_mb: float = 256.0
    max_request_mb: float = 1024.0
    allowed_hosts: tuple[str, ...] = ()
    retention_hours: float = 24.0
    allowed_dirs: tuple[Path, ...] = ()
    formatter_threads: int = 2
    status_poll: float = 30.0
    hold_retry: float = 15.0

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls_cert else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"


@dataclass(frozen=True)
class SpoolSettings:
    """The ``[spool]`` table: where the queue's truth lives.

    SQLite (the default) needs nothing: the folder ``server.spool``. PostgreSQL lets
    several servers share one queue: ``url`` names the database (libpq's URL or
    ``key=value`` form), the ``ssl*`` keys are libpq's TLS options, ``instance`` names
    this server in the group (default: host name and listen port), and ``lease`` is how
    long a printer stays with a server that stopped renewing it (seconds). ``timeout``
    (seconds) bounds one statement on the server (``statement_timeout``); a call not
    answered 2 s after it counts as hung (:mod:`hcs.server.database`)."""

    backend: str = "sqlite"
    url: str | None = None
    sslmode: str | None = None
    sslrootcert: str | None = None
    sslcert: str | None = None
    sslkey: str | None = None
    instance: str | None = None
    lease: float = 5.0
    timeout: float = 5.0

    def connect_options(self) -> dict[str, str]:
        names = ("sslmode", "sslrootcert", "sslcert", "sslkey")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


_SPOOL_KEYS = {
    "backend",
    "url",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "instance",
    "lease",
    "timeout",
}
_SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def _spool(table: Any, base: Path) -> SpoolSettings:
    if not isinstance(table, dict):
        raise ConfigError("spool: must be a table")
    unknown = set(table) - _SPOOL_KEYS
    if unknown:
        raise ConfigError(
            f"spool.{sorted(unknown)[0]}: unknown key (known: {', '.join(sorted(_SPOOL_KEYS))})"
        )
    values: dict[str, Any] = {}
    for key in _SPOOL_KEYS - {"lease", "timeout"}:
        if key in table:
            if not isinstance(table[key], str) or not table[key]:
                raise ConfigError(f"spool.{key}: must be a non-empty string")
            values[key] = table[key]
    backend = values.get("backend", "sqlite")
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(f"spool.backend: {backend!r} is not 'sqlite' or 'postgresql'")
    if backend == "postgresql" and "url" not in values:
        raise ConfigError("spool.url: the postgresql backend needs the database's URL")
    if "sslmode" in values and values["sslmode"] not in _SSLMODES:
        raise ConfigError(
            f"spool.sslmode: {values['sslmode']!r} is not one of {', '.join(_SSLMODES)}"
        )
    for key in ("sslrootcert", "sslcert", "sslkey"):
        if key in values:
            values[key] = str(base / values[key])
    if "lease" in table:
        values["lease"] = float(_number("spool.lease", table["lease"], 0.5))
    if "timeout" in table:
        values["timeout"] = float(_number("spool.timeout", table["timeout"], 0.5))
    return SpoolSettings(**values)


@dataclass(frozen=True)
class Config:
    """A complete, checked configuration."""

    calling_ae: str = CALLING_AE_TITLE
    timeouts: Timeouts = field(default_factory=Timeouts)
    server: ServerSettings = field(default_factory=ServerSettings)
    printers: dict[str, PrinterProfile] = field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    path: Path | None = None
    spool: SpoolSettings = field(default_factory=SpoolSettings)

    def targets(self) -> set[str]:
        return set(self.printers) | set(self.groups)

    def printers_for(self, target: str) -> tuple[str, ...]:
        """The printers a job for ``target`` (a printer or a group) may print on."""
        if target in self.groups:
            return self.groups[target]
        return (target,)


_SERVER_KEYS = {
    "listen",
    "unix_socket",
    "token",
    "tls_cert",
    "tls_key",
    "spool",
    "spool_max_mb",
    "disk_reserve_mb",
    "max_upload_mb",
    "max_request_mb",
    "allowed_hosts",
    "retention_hours",
    "allowed_dirs",
    "formatter_threads",
    "status_poll",
    "hold_retry",
}
_TOP_KEYS = {"calling_ae", "timeouts", "server", "spool", "groups", "printers"}


def load(path: str | os.PathLike[str], overrides: dict[str, Any] | None = None) -> Config:
    """Read and check ``path``; :class:`ConfigError` with line and reason on any mistake."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read the file ({error.strerror})", path=name) from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"not UTF-8 text ({error.reason})", path=name) from None
    return parse(text, name, base=Path(path).resolve().parent, overrides=overrides)


def parse(
    text: str,
    name: str = "configuration",
    base: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> Config:
    """Check a configuration given as TOML text; relative paths are relative to ``base``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # Python 3.14 gives lineno/msg; before, the message ends "(at line L, column C)".
        found = re.search(r"\(at line (\d+), column (\d+)\)$", str(error))
        line = getattr(error, "lineno", None) or (int(found.group(1)) if found else None)
        reason = getattr(error, "msg", None) or re.sub(r" \(at (line|end).*\)$", "", str(error))
        if found:
            reason += f" (column {found.group(2)})"
        raise ConfigError(f"not valid TOML: {reason}", line=line, path=name) from None
    for key, value in (overrides or {}).items():
        target = data
        *parents, last = key.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[last] = value
    try:
        config = _build(data, base or Path.cwd())
    except ConfigError as error:
        raise ConfigError(error.reason, line=key_line(text, error.reason), path=name) from None
    except ProfileError as error:
        message = str(error)
        raise ConfigError(message, line=key_line(text, message), path=name) from None
    return Config(
        config.calling_ae,
        config.timeouts,
        config.server,
        config.printers,
        config.groups,
        Path(name) if base else None,
        config.spool,
    )


def key_line(text: str, message: str) -> int | None:
    """The line of the dotted key a message starts with (``printers.a.port: ...``).

    Best effort, for people: find the table header, then the key below it.
    """
    match = re.match(r"([A-Za-z0-9_.\-]+)(?:\[\d+\])?:", message)
    if not match:
        return None
    parts = match.group(1).split(".")
    unknown = re.search(r"unknown key\(s\) ([A-Za-z0-9_\-]+)", message)
    if unknown:
        parts.append(unknown.group(1))
    lines = text.splitlines()
    for cut in range(len(parts), 0, -1):
        table, key = parts[: cut - 1], parts[cut - 1]
        start = 0
        if table:
            header = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, table)) + r"\s*\]")
            found = [i for i, line in enumerate(lines) if header.match(line)]
            if not found:
                continue
            start = found[0] + 1
        pattern = re.compile(
            r"^\s*("
            + re.escape(key)
            + r"|\[\s*"
            + r"\s*\.\s*".join(map(re.escape, [*table, key]))
            + r"\s*\])\s*(=|$)"
        )
        for i in range(start, len(lines)):
            if (
                i > start
                and table
                and lines[i].lstrip().startswith("[")
                and not pattern.match(lines[i])
            ):
                break
            if pattern.match(lines[i]):
                return i + 1
        if table:
            return start  # the table's header line
    return None


def _build(data: dict[str, Any], base: Path) -> Config:
    unknown = set(data) - _TOP_KEYS
    if unknown:
        first = sorted(unknown)[0]
        raise ConfigError(f"{first}: unknown key (known: {', '.join(sorted(_TOP_KEYS))})")
    calling_ae = data.get("calling_ae", CALLING_AE_TITLE)
    if (
        not isinstance(calling_ae, str)
        or not 0 < len(calling_ae.strip()) <= 16
        or "\\" in calling_ae
    ):
        raise ConfigError(f"calling_ae: {calling_ae!r} is not an AE title (1-16 characters)")
    timeouts_table = data.get("timeouts", {})
    if not isinstance(timeouts_table, dict):
        raise ConfigError("timeouts: must be a table")
    try:
        timeouts = timeouts_from_table("timeouts", timeouts_table, Timeouts())
    except ProfileError as error:
        raise ConfigError(str(error)) from None
    server = _server(data.get("server", {}), base)
    spool = _spool(data.get("spool", {}), base)
    printers_table = data.get("printers", {})
    if not isinstance(printers_table, dict):
        raise ConfigError("printers: must be a table of [printers.NAME] tables")
    printers = {}
    for printer, table in printers_table.items():
        if not isinstance(table, dict):
            raise ConfigError(f"printers.{printer}: must be a table")
        _check_name(f"printers.{printer}", printer)
        printers[printer] = PrinterProfile.from_table(printer, table, timeouts, calling_ae)
        check_defaults(printers[printer])
    groups = {}
    groups_table = data.get("groups", {})
    if not isinstance(groups_table, dict):
        raise ConfigError("groups: must be a table of name = [printers]")
    for group, members in groups_table.items():
        where = f"groups.{group}"
        _check_name(where, group)
        if group in printers:
            raise ConfigError(f"{where}: a printer has this name already")
        if (
            not isinstance(members, list)
            or not members
            or not all(isinstance(m, str) for m in members)
        ):
            raise ConfigError(f"{where}: must be a non-empty list of printer names")
        missing = [m for m in members if m not in printers]
        if missing:
            raise ConfigError(f"{where}: no printer named {', '.join(missing)}")
        groups[group] = tuple(members)
    return Config(calling_ae.strip(), timeouts, server, printers, groups, spool=spool)


def _check_name(where: str, name: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}", name):
        raise ConfigError(f"{where}: a name is 1-64 letters, digits, '.', '_' or '-'")


def _number(where: str, value: Any, low: float = 0.0, integer: bool = False) -> float:
    kinds = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < low:
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"{where}: {value!r} must be {kind} of at least {low:g}")
    return value


def _server(table: Any, base: Path) -> ServerSettings:
    if not isinstance(table, dict):
        raise ConfigError("server: must be a table")
    unknown = set(table) - _SERVER_KEYS
    if unknown:
        raise ConfigError(
            f"server.{sorted(unknown)[0]}: unknown key (known: {', '.join(sorted(_SERVER_KEYS))})"
        )
    values: dict[str, Any] = {}
    if "listen" in table:
        listen = table["listen"]
        match = re.fullmatch(r"\[?([^\]]*?)\]?:(\d+)", listen) if isinstance(listen, str) else None
        if not match or not 0 <= int(match.group(2)) <= 65535 or not match.group(1):
            raise ConfigError(f"server.listen: {listen!r} must be 'HOST:PORT'")
        values["host"], values["port"] = match.group(1), int(match.group(2))
    for key in ("unix_socket", "token", "tls_cert", "tls_key"):
        if key in table:
            if not isinstance(table[key], str) or not table[key]:
                raise ConfigError(f"server.{key}: must be a non-empty string")
            values[key] = table[key]
    for key in ("tls_cert", "tls_key", "unix_socket"):
        if key in values:
            values[key] = str(base / values[key])
    if "token" in values and len(values["token"]) < 16:
        raise ConfigError("server.token: must be at least 16 characters")
    if ("tls_cert" in values) != ("tls_key" in values):
        raise ConfigError("server.tls_cert: tls_cert and tls_key go together")
    if "spool" in table:
        if not isinstance(table["spool"], str) or not table["spool"]:
            raise ConfigError("server.spool: must be a directory path")
        values["spool"] = base / table["spool"]
    else:
        values["spool"] = base / "hcs-spool"
    for key in ("spool_max_mb", "disk_reserve_mb", "retention_hours", "status_poll", "hold_retry"):
        if key in table:
            values[key] = float(_number(f"server.{key}", table[key]))
    if "max_upload_mb" in table:
        values["max_upload_mb"] = float(
            _number("server.max_upload_mb", table["max_upload_mb"], 0.001)
        )
    if "max_request_mb" in table:
        values["max_request_mb"] = float(
            _number("server.max_request_mb", table["max_request_mb"], 0.001)
        )
    if "allowed_hosts" in table:
        hosts = table["allowed_hosts"]
        if not isinstance(hosts, list) or not all(
            isinstance(h, str) and re.fullmatch(r"[A-Za-z0-9.\-:]+", h) for h in hosts
        ):
            raise ConfigError("server.allowed_hosts: must be a list of host names or addresses")
        values["allowed_hosts"] = tuple(h.lower() for h in hosts)
    if "formatter_threads" in table:
        values["formatter_threads"] = int(
            _number("server.formatter_threads", table["formatter_threads"], 1, integer=True)
        )
    if "allowed_dirs" in table:
        dirs = table["allowed_dirs"]
        if not isinstance(dirs, list) or not all(isinstance(d, str) and d for d in dirs):
            raise ConfigError("server.allowed_dirs: must be a list of directory paths")
        values["allowed_dirs"] = tuple((base / d).resolve() for d in dirs)
    settings = ServerSettings(**values)
    if not settings.is_loopback and not settings.token:
        raise ConfigError(
            f"server.listen: {settings.host} is not a loopback address; "
            "listening there needs server.token (clients send it)"
        )
    return settings


def check_defaults(profile: PrinterProfile) -> None:
    """A printer's ``defaults`` against the printer's own lists (``film_sizes``,
    ``medium_types``, ...), with the driver's checks: a default the printer would refuse
    is a configuration error naming the printer and key, not a failed job later."""
    if not profile.defaults:
        return
    from hcs.driver.datasets import film_box_dataset, film_session_dataset
    from hcs.formatter.request import JobOptions
    from hcs.job import fields as job_fields
    from hcs.job import terms

    where = f"printers.{profile.name}.defaults"
    options = JobOptions().with_printer_defaults(profile)
    of_attribute = {f.keyword: f.name for f in job_fields.FIELDS if f.keyword}
    try:
        film_session_dataset(profile, options.session(), None)
        film_box_dataset(profile, options.film_box(), "1.2.3.4", None)
    except terms.InvalidAttribute as error:
        key = of_attribute.get(error.attribute)
        if key in profile.defaults:
            reason = str(error).split(": ", 1)[-1]
            raise ConfigError(f"{where}.{key}: {reason}") from None
    if profile.defaults.get("color") and not profile.color:
        raise ConfigError(f"{where}.color: the printer prints grayscale only (color = false)")
