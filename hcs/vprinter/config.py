"""The virtual printer's configuration: a TOML file, command-line overrides, validation.

A printer is defined by what it accepts (film sizes, display formats, media, SOP
classes, transfer syntaxes) and by how strict it is (what it answers to unsupported
attributes and unsupported values, PS3.4 H.2.4). Everything has a default, so an empty
file is a permissive, standard printer. Every error names the key it is about, e.g.
``film.sizes[2]: unknown film size 'FOO'``, because the person reading it has the file
open, not the code.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hcs.errors import ConfigError
from hcs.film import DEFAULT_GAP_MM, DEFAULT_MARGIN_MM
from hcs.job import terms
from hcs.vprinter import geometry, personality
from hcs.vprinter.faults import FaultSpec, FaultSpecError, parse_fault_table

SOP_CLASS_NAMES = tuple(terms.SOP_CLASSES)
"""Names of the SOP classes a printer may support (``[classes]`` keys, ``--classes``)."""


@dataclass
class FilmCapabilities:
    """What the printer accepts for film sessions, film boxes and image boxes."""

    sizes: list[str] = field(default_factory=lambda: list(geometry.FILM_SIZES_MM))
    display_formats: list[str] = field(
        default_factory=lambda: ["STANDARD", "ROW", "COL", "SLIDE", "SUPERSLIDE", "CUSTOM"]
    )
    max_boxes: int = 100
    orientations: list[str] = field(default_factory=lambda: ["PORTRAIT", "LANDSCAPE"])
    magnification_types: list[str] = field(default_factory=lambda: list(terms.MAGNIFICATION_TYPES))
    default_magnification: str = "BILINEAR"
    smoothing_types: list[str] = field(
        default_factory=lambda: ["NONE", "SHARP", "MEDIUM", "SMOOTH"]
    )
    default_smoothing: str = "NONE"
    medium_types: list[str] = field(
        default_factory=lambda: [
            "BLUE FILM",
            "CLEAR FILM",
            "PAPER",
            "MAMMO CLEAR FILM",
            "MAMMO BLUE FILM",
        ]
    )
    destinations: list[str] = field(default_factory=lambda: ["MAGAZINE", "PROCESSOR", "BIN_1"])
    resolution_dpi: float = 300.0
    resolutions: list[str] = field(default_factory=lambda: ["STANDARD", "HIGH"])
    min_density: int = 20
    max_density: int = 320
    border_density: str = "BLACK"
    empty_image_density: str = "BLACK"
    margin_mm: float = DEFAULT_MARGIN_MM
    gap_mm: float = DEFAULT_GAP_MM
    max_copies: int = 99
    max_image_rows: int = 8192
    max_image_columns: int = 8192
    supports_12bit: bool = True
    oversize: str = "DEMAGNIFY"
    session_print: bool = True
    collation: bool = True
    annotation_formats: dict[str, int] = field(default_factory=lambda: {"1": 1, "2": 2, "4": 4})
    default_annotation_format: str = "1"
    annotation_max_chars: int = 64
    configuration_information: list[str] = field(default_factory=list)
    unsupported_attributes: list[str] = field(default_factory=list)
    unsupported: str = "fail"
    invalid_value: str = "fail"
    memory_allocation: bool = False


@dataclass
class PrinterIdentity:
    """What the Printer SOP instance answers to N-GET (PS3.4 Table H.4-17)."""

    name: str = "VPRINTER"
    manufacturer: str = "hcs"
    model: str = "hcs virtual printer"
    serial_number: str = "VP-0001"
    software_versions: str = "hcs vprinter 0.1"
    status: str = "NORMAL"
    status_info: str = "NORMAL"
    calibration_date: str = "20240101"
    calibration_time: str = "120000"


@dataclass
class VirtualPrinterConfig:
    """Everything about one virtual printer. Build it with :func:`load_config`."""

    ae_title: str = "VPRINTER"
    host: str = "127.0.0.1"
    port: int = 11112
    out: Path | None = None
    max_pdu: int = 65536
    implicit_only: bool = False
    max_associations: int = 64
    max_message_bytes: int | None = None  # None: sized from the largest image (message_limit)
    receive_budget_bytes: int | None = None  # None: twice the message limit, 256 MiB at least
    idle_timeout: float = 120.0  # 0: none
    pdu_read_timeout: float = 30.0  # 0: none
    print_time: float = 0.0
    store_dicom: bool = False
    png: bool = True
    png_dpi: float = 50.0
    artim: float = 30.0
    dimse_timeout: float = 30.0
    classes: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(SOP_CLASS_NAMES, True))
    printer: PrinterIdentity = field(default_factory=PrinterIdentity)
    film: FilmCapabilities = field(default_factory=FilmCapabilities)
    custom_formats: dict[str, list[list[float]]] = field(
        default_factory=lambda: {
            k: [list(r) for r in v] for k, v in geometry.DEFAULT_CUSTOM_FORMATS.items()
        }
    )
    faults: list[FaultSpec] = field(default_factory=list)
    fault_seed: int | None = None
    # Printer personalities (hcs.vprinter.personality): how a kind of real printer bends
    # the standard; ``personality_delay`` is the ``slow`` one's seconds per N-SET.
    personalities: list[str] = field(default_factory=list)
    personality_delay: float = 2.0

    def supports(self, name: str) -> bool:
        return self.classes.get(name, False)

    def display_format_allowed(self, value: geometry.DisplayFormat) -> bool:
        """Whether the Image Display Format is in the configured list.

        Entries are exact formats (``STANDARD\\2,3``) or a bare kind (``STANDARD``,
        ``ROW``, ``COL``, ``CUSTOM``) that admits every format of that kind.
        """
        allowed = self.film.display_formats
        if str(value) in allowed or value.kind in allowed:
            return value.kind != "CUSTOM" or str(value.counts[0]) in self.custom_formats
        return False


# --------------------------------------------------------------------------- loading

_AE_TITLE = re.compile(r"[\x20-\x5b\x5d-\x7e]{1,16}")


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None):
    """Read a TOML file (optional), apply ``overrides`` (dotted keys, e.g.
    ``{"film.sizes": [...], "port": 0}``) and validate; :class:`ConfigError` on trouble."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except OSError as error:
            raise ConfigError(f"{path}: cannot read ({error.strerror})") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML ({error})") from None
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        target = data
        *parents, last = key.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[last] = value
    return build_config(data)


def build_config(data: dict[str, Any]) -> VirtualPrinterConfig:
    """Turn parsed TOML (a dict) into a validated :class:`VirtualPrinterConfig`."""
    config = VirtualPrinterConfig()
    data = dict(data)
    sections = {
        "printer": config.printer,
        "film": config.film,
    }
    for name, target in sections.items():
        table = data.pop(name, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{name}: must be a table")
        _assign(target, table, name)
    classes = data.pop("classes", {})
    if not isinstance(classes, dict):
        raise ConfigError("classes: must be a table of SOP class name = true/false")
    for key, value in classes.items():
        if key not in SOP_CLASS_NAMES:
            raise ConfigError(
                f"classes.{key}: unknown SOP class (known: {', '.join(SOP_CLASS_NAMES)})"
            )
        if not isinstance(value, bool):
            raise ConfigError(f"classes.{key}: must be true or false")
        config.classes[key] = value
    custom = data.pop("custom_formats", None)
    if custom is not None:
        if not isinstance(custom, dict):
            raise ConfigError("custom_formats: must be a table of index = [[x, y, w, h], ...]")
        problems = geometry.validate_custom_formats(custom)
        if problems:
            raise ConfigError(f"custom_formats: {problems[0]}")
        config.custom_formats.update({str(k): [list(r) for r in v] for k, v in custom.items()})
    faults = data.pop("faults", [])
    try:
        config.faults = parse_fault_table(faults)
    except FaultSpecError as error:
        raise ConfigError(str(error)) from None
    if "out" in data and data["out"] is not None:
        data["out"] = Path(data["out"])
    _assign(config, data, "")
    try:
        config.personalities = personality.parse_names(config.personalities)
    except personality.PersonalityError as error:
        raise ConfigError(str(error)) from None
    if not 0 <= config.personality_delay <= 3600:
        raise ConfigError("personality_delay: must be 0 to 3600 seconds")
    personality.apply_to_config(config)
    _validate(config)
    return config


def _assign(target: Any, table: dict[str, Any], prefix: str) -> None:
    fields = {f.name: f for f in dataclasses.fields(target)}
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if key not in fields or key in ("printer", "film", "classes", "faults", "custom_formats"):
            known = ", ".join(k for k in fields if k not in ("printer", "film"))
            raise ConfigError(f"{name}: unknown key (known: {known})")
        current = getattr(target, key)
        setattr(target, key, _coerce(name, value, current))


def _coerce(name: str, value: Any, current: Any) -> Any:
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{name}: must be true or false, not {value!r}")
        return value
    if isinstance(current, int) and not isinstance(current, bool):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name}: must be an integer, not {value!r}")
        return value
    if isinstance(current, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{name}: must be a number, not {value!r}")
        return float(value)
    if isinstance(current, str):
        if not isinstance(value, str):
            raise ConfigError(f"{name}: must be a string, not {value!r}")
        return value
    if isinstance(current, list):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{name}: must be a list of strings")
        return list(value)
    if isinstance(current, dict):
        if not isinstance(value, dict):
            raise ConfigError(f"{name}: must be a table")
        return dict(value)
    return value


_MESSAGE_OVERHEAD = 1024 * 1024  # command, attributes, LUTs, ICC profile besides the pixels


def message_limit(config: VirtualPrinterConfig) -> int:
    """The most one DIMSE message may bring: ``max_message_bytes``, or by default the
    largest image the printer accepts (``film.max_image_rows`` x ``max_image_columns``
    pixels of RGB if colour is supported, else 16-bit or 8-bit grey) and 1 MiB more."""
    if config.max_message_bytes is not None:
        return config.max_message_bytes
    film = config.film
    sample_bytes = 3 if config.supports("color") else (2 if film.supports_12bit else 1)
    return film.max_image_rows * film.max_image_columns * sample_bytes + _MESSAGE_OVERHEAD


def receive_budget(config: VirtualPrinterConfig) -> int:
    """The most all associations together may hold in messages being received."""
    if config.receive_budget_bytes is not None:
        return config.receive_budget_bytes
    return max(2 * message_limit(config), 256 * 1024 * 1024)


def _validate(config: VirtualPrinterConfig) -> None:
    film = config.film
    if not _AE_TITLE.fullmatch(config.ae_title.strip() or "-") or not config.ae_title.strip():
        raise ConfigError(
            f"ae_title: {config.ae_title!r} must be 1 to 16 printable ASCII characters"
            " without backslash"
        )
    config.ae_title = config.ae_title.strip()
    if not 0 <= config.port <= 65535:
        raise ConfigError(f"port: {config.port} is not between 0 and 65535")
    if not (config.max_pdu == 0 or 64 <= config.max_pdu <= 0xFFFFFFFF):
        raise ConfigError(f"max_pdu: {config.max_pdu} must be 0 (no limit) or at least 64")
    _positive(config, ("max_associations", "png_dpi", "artim", "dimse_timeout"))
    for name in ("max_message_bytes", "receive_budget_bytes"):
        value = getattr(config, name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value <= 0
        ):
            raise ConfigError(f"{name}: must be a positive number of bytes")
    for name in ("idle_timeout", "pdu_read_timeout"):
        if getattr(config, name) < 0:
            raise ConfigError(f"{name}: must not be negative (0 turns it off)")
    if config.print_time < 0:
        raise ConfigError("print_time: must not be negative")
    for index, size in enumerate(film.sizes):
        if size not in geometry.FILM_SIZES_MM:
            raise ConfigError(
                f"film.sizes[{index}]: unknown film size {size!r}"
                f" (known: {', '.join(geometry.FILM_SIZES_MM)})"
            )
    if not film.sizes:
        raise ConfigError("film.sizes: the printer needs at least one film size")
    if not film.display_formats:
        raise ConfigError("film.display_formats: the printer needs at least one display format")
    for index, entry in enumerate(film.display_formats):
        if entry in ("STANDARD", "ROW", "COL", "CUSTOM", "SLIDE", "SUPERSLIDE"):
            continue
        try:
            parsed = geometry.parse_display_format(entry)
        except geometry.DisplayFormatError as error:
            raise ConfigError(f"film.display_formats[{index}]: {error}") from None
        if parsed.kind == "CUSTOM" and str(parsed.counts[0]) not in config.custom_formats:
            raise ConfigError(
                f"film.display_formats[{index}]: {entry} is not defined in [custom_formats]"
            )
    _subset("film.orientations", film.orientations, ("PORTRAIT", "LANDSCAPE"))
    _subset(
        "film.magnification_types",
        film.magnification_types,
        terms.MAGNIFICATION_TYPES,
    )
    _subset("film.resolutions", film.resolutions, terms.RESOLUTION_IDS)
    _member("film.default_magnification", film.default_magnification, film.magnification_types)
    _member("film.default_smoothing", film.default_smoothing, film.smoothing_types)
    _member("film.oversize", film.oversize, ("DEMAGNIFY", "DECIMATE", "CROP", "FAIL"))
    _member("film.unsupported", film.unsupported, ("fail", "warn"))
    _member("film.invalid_value", film.invalid_value, ("fail", "warn"))
    _member(
        "film.default_annotation_format", film.default_annotation_format, film.annotation_formats
    )
    for key, count in film.annotation_formats.items():
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 16:
            raise ConfigError(f"film.annotation_formats.{key}: must be a count from 1 to 16")
    for key in ("border_density", "empty_image_density"):
        if not terms.DENSITY.fullmatch(getattr(film, key)):
            raise ConfigError(f"film.{key}: must be BLACK, WHITE or hundredths of optical density")
    if not 0 <= film.min_density < film.max_density <= 0xFFFF:
        raise ConfigError("film.min_density, film.max_density: need 0 <= min < max")
    for name in (
        "resolution_dpi",
        "max_boxes",
        "max_copies",
        "max_image_rows",
        "max_image_columns",
        "annotation_max_chars",
    ):
        if getattr(film, name) <= 0:
            raise ConfigError(f"film.{name}: must be positive")
    if film.margin_mm < 0 or film.gap_mm < 0:
        raise ConfigError("film.margin_mm, film.gap_mm: must not be negative")
    from hcs.vprinter.rules import ALL_KEYWORDS

    for index, keyword in enumerate(film.unsupported_attributes):
        if keyword not in ALL_KEYWORDS:
            raise ConfigError(
                f"film.unsupported_attributes[{index}]: {keyword!r} is not an attribute of"
                " the print management SOP classes"
            )
    _member("printer.status", config.printer.status, ("NORMAL", "WARNING", "FAILURE"))
    if not 0 < len(config.printer.status_info) <= 16:
        raise ConfigError("printer.status_info: a CS of 1 to 16 characters (e.g. FILM JAM)")
    if not any(config.classes.values()):
        raise ConfigError("classes: the printer supports no SOP class at all")


def _positive(config: Any, names: tuple[str, ...]) -> None:
    for name in names:
        if getattr(config, name) <= 0:
            raise ConfigError(f"{name}: must be positive")


def _subset(name: str, values: list[str], allowed: tuple[str, ...]) -> None:
    for index, value in enumerate(values):
        if value not in allowed:
            raise ConfigError(f"{name}[{index}]: {value!r} is not one of {', '.join(allowed)}")
    if not values:
        raise ConfigError(f"{name}: must not be empty")


def _member(name: str, value: str, allowed) -> None:
    if value not in allowed:
        raise ConfigError(f"{name}: {value!r} is not one of {', '.join(allowed)}")


def with_faults(config: VirtualPrinterConfig, faults: list[FaultSpec]) -> VirtualPrinterConfig:
    """A copy of ``config`` with more faults (tests add faults to a base printer)."""
    return dataclasses.replace(config, faults=[*config.faults, *faults])
