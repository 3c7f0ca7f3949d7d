"""A printer profile: where a printer is and the quirks it needs (DESIGN.md, REFERENCE.md 1.3).

Real printers differ in what they accept: maximum PDU, implicit VR only, 8 or 12 bits,
optional attributes they refuse, the Presentation LUT on the session (pre-CP-173),
Configuration Information strings, colour. A profile is read from a ``[printers.NAME]``
TOML table; every key is checked, and a wrong one is an error naming the key.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from dimse import uids
from dul.net import Timeouts
from hcs.defaults import CALLING_AE_TITLE, DEFAULT_CALLED_AE
from hcs.errors import ConfigError
from hcs.film import DEFAULT_DPI, DEFAULT_GAP_MM, DEFAULT_MARGIN_MM
from hcs.job import fields as job_fields
from hcs.job import terms

TRANSFER_SYNTAX_NAMES = {
    "explicit": uids.EXPLICIT_VR_LITTLE_ENDIAN,
    "implicit": uids.IMPLICIT_VR_LITTLE_ENDIAN,
}

# Attributes a profile may leave out because a printer refuses them (DCMTK's
# SupportsImageSize / SupportsDecimateCrop / SupportsTrim, and the like).
OMITTABLE = frozenset(
    {
        "RequestedImageSize",
        "RequestedDecimateCropBehavior",
        "Trim",
        "BorderDensity",
        "EmptyImageDensity",
        "MinDensity",
        "MaxDensity",
        "SmoothingType",
        "MagnificationType",
        "ConfigurationInformation",
        "RequestedResolutionID",
        "Illumination",
        "ReflectedAmbientLight",
        "Polarity",
        "FilmSessionLabel",
        "MemoryAllocation",
        "OwnerID",
        "PrintPriority",
        "MediumType",
        "FilmDestination",
        "NumberOfCopies",
        "FilmOrientation",
        "FilmSizeID",
        "PixelAspectRatio",
    }
)


class ProfileError(ConfigError):
    """A printer profile key with a wrong value; the message names the key."""


@dataclass(frozen=True)
class TLSSettings:
    certificate: str | None = None
    private_key: str | None = None
    ca_file: str | None = None
    verify_peer: bool = True
    server_hostname: str | None = None

    def context(self) -> ssl.SSLContext:
        """A client context per PS3.15's BCP 195 profile: TLS 1.2 or newer, verified."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ca_file)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if not self.verify_peer:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.certificate:
            context.load_cert_chain(self.certificate, self.private_key)
        return context


@dataclass(frozen=True)
class PrinterProfile:
    name: str
    host: str
    port: int
    ae_title: str = DEFAULT_CALLED_AE
    calling_ae_title: str = CALLING_AE_TITLE
    max_pdu: int = 65536
    # Implicit VR only unless the profile allows explicit: every DICOM implementation
    # must take it (PS3.5 10.1), and some printers accept explicit VR and then parse
    # implicit (DCMTK's ImplicitOnly key; docs/conformance.md 3.4).
    transfer_syntaxes: tuple[str, ...] = ("implicit",)
    bits: int = 8
    color: bool = False
    resolution_dpi: float = DEFAULT_DPI
    # Film geometry for the formatter (hcs.formatter.PrinterSettings.from_profile):
    pixel_spacing_mm: float | None = None  # Printer Pixel Spacing (2010,0376), over dpi
    film_pixels: dict[str, tuple[int, int]] = field(default_factory=dict)  # size: (cols, rows)
    scaling: str = "host"  # host: we scale to the box; printer: the printer magnifies
    margin_mm: float = DEFAULT_MARGIN_MM  # border the printer leaves at the film's edge
    gap_mm: float = DEFAULT_GAP_MM  # and between boxes
    film_sizes: tuple[str, ...] | None = None
    display_formats: tuple[str, ...] | None = None
    medium_types: tuple[str, ...] | None = None
    film_destinations: tuple[str, ...] | None = None
    magnification_types: tuple[str, ...] | None = None
    smoothing_types: tuple[str, ...] | None = None
    omit: frozenset[str] = frozenset()
    presentation_lut: bool = True
    presentation_lut_in_session: bool = False
    annotation: bool = True
    annotation_max_chars: int = 64  # some printers print only the first N (Drystar: 32)
    print_job: bool = True
    printer_status: bool = True  # N-GET Printer before each session
    assign_uids: bool = False  # we choose the SOP Instance UIDs of our N-CREATEs
    printer_configuration: bool = True
    session_print: bool = False
    configuration_information: str | None = None
    custom_formats: dict[int, int] = field(default_factory=dict)
    timeouts: Timeouts = field(default_factory=Timeouts)
    retries: int = 2
    retry_backoff: float = 1.0
    print_job_timeout: float = 120.0
    tls: TLSSettings | None = None
    # Job options for jobs on this printer that do not name them ([printers.NAME.defaults]:
    # keys are hcs.job.fields names, values checked as a job's are).
    defaults: dict[str, Any] = field(default_factory=dict)

    def job_defaults(self) -> dict[str, Any]:
        """The job options this printer gives a job that names none: its ``defaults``,
        and its first film size (a printer that lists ``film_sizes`` prints on the
        first when neither the job nor ``defaults`` names one)."""
        values: dict[str, Any] = {}
        if self.film_sizes:
            values["film_size"] = self.film_sizes[0]
        values.update(self.defaults)
        return values

    @property
    def transfer_syntax_uids(self) -> tuple[str, ...]:
        return tuple(TRANSFER_SYNTAX_NAMES[name] for name in self.transfer_syntaxes)

    def check_value(self, attribute: str, value: str, allowed: tuple[str, ...] | None) -> str:
        """A value the printer's own list allows (``None`` allows the standard's list)."""
        if allowed is not None and value not in allowed:
            raise terms.InvalidAttribute(
                attribute, f"{value!r} is not taken by printer {self.name} ({', '.join(allowed)})"
            )
        return value

    @classmethod
    def from_table(
        cls,
        name: str,
        table: dict[str, Any],
        timeouts: Timeouts | None = None,
        calling_ae_title: str | None = None,
    ) -> PrinterProfile:
        """Build from a ``[printers.NAME]`` table; unknown keys and bad values are errors."""
        known = {f.name for f in fields(cls)} - {"name", "timeouts", "tls"}
        extra = set(table) - known - {"tls", "timeouts"}
        if extra:
            raise ProfileError(f"printers.{name}: unknown key(s) {', '.join(sorted(extra))}")
        values: dict[str, Any] = {"name": name}
        for key, value in table.items():
            if key in ("tls", "timeouts"):
                continue
            values[key] = _convert(name, key, value)
        for required in ("host", "port"):
            if required not in values:
                raise ProfileError(f"printers.{name}: {required} is required")
        if calling_ae_title and "calling_ae_title" not in values:
            values["calling_ae_title"] = calling_ae_title
        base = timeouts or Timeouts()
        own = table.get("timeouts", {})
        if not isinstance(own, dict):
            raise ProfileError(f"printers.{name}.timeouts: must be a table")
        values["timeouts"] = timeouts_from_table(f"printers.{name}.timeouts", own, base)
        if "tls" in table:
            tls = table["tls"]
            if not isinstance(tls, dict):
                raise ProfileError(f"printers.{name}.tls: must be a table")
            unknown = set(tls) - {f.name for f in fields(TLSSettings)}
            if unknown:
                raise ProfileError(f"printers.{name}.tls: unknown key(s) {', '.join(unknown)}")
            values["tls"] = TLSSettings(**tls)
        return cls(**values)


def timeouts_from_table(where: str, table: dict, base: Timeouts) -> Timeouts:
    """A ``[timeouts]`` table (connect, association, artim, dimse, idle_release, in seconds)
    over ``base``; ``where`` names the table in error messages."""
    mapping = {
        "connect": "connect",
        "association": "association",
        "artim": "artim",
        "dimse": "dimse",
        "idle_release": "idle",
        "idle": "idle",
    }
    values = {}
    for key, value in table.items():
        if key not in mapping:
            raise ProfileError(f"{where}: unknown key {key}")
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise ProfileError(f"{where}.{key}: {value!r} must be a positive number of seconds")
        values[mapping[key]] = float(value)
    return Timeouts(**{**base.__dict__, **values})


# -- the keys of a [printers.NAME] table: one validator each ------------------------------
#
# A validator takes where the value is (``printers.NAME.KEY``, for the message) and the
# value read from TOML, and returns the value the profile keeps or raises ProfileError.

Validator = Callable[[str, Any], Any]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ProfileError(f"{where}: must be a non-empty string")
    return value


def _ae_title(where: str, value: Any) -> str:
    _text(where, value)
    if len(value) > 16 or "\\" in value:
        raise ProfileError(f"{where}: {value!r} is not an AE title (1-16 characters)")
    return value


def _port(where: str, value: Any) -> int:
    if not isinstance(value, int) or not 1 <= value <= 65535:
        raise ProfileError(f"{where}: {value!r} is not a TCP port")
    return value


def _max_pdu(where: str, value: Any) -> int:
    if not isinstance(value, int) or not (value == 0 or 4096 <= value <= 0xFFFFFFFF):
        raise ProfileError(f"{where}: {value!r} must be 0 (no limit) or at least 4096")
    return value


def _flag(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ProfileError(f"{where}: must be true or false")
    return value


def _one_of(*allowed: Any) -> Validator:
    words = " or ".join(repr(a) for a in allowed)

    def check(where: str, value: Any) -> Any:
        if value not in allowed:
            raise ProfileError(f"{where}: {value!r} must be {words}")
        return value

    return check


def _millimetres(where: str, value: Any) -> float:
    if not _is_number(value) or value < 0:
        raise ProfileError(f"{where}: {value!r} must be a number of millimetres >= 0")
    return float(value)


def _positive(where: str, value: Any) -> float:
    if not _is_number(value) or value <= 0:
        raise ProfileError(f"{where}: {value!r} must be a positive number")
    return float(value)


def _integer(low: int, high: int) -> Validator:
    def check(where: str, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ProfileError(f"{where}: {value!r} must be an integer from {low} to {high}")
        return value

    return check


def _strings(allowed: tuple[str, ...] | None = None) -> Validator:
    def check(where: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ProfileError(f"{where}: must be a list of strings")
        if allowed is not None:
            for item in value:
                if item not in allowed:
                    raise ProfileError(f"{where}: {item!r} is not one of {', '.join(allowed)}")
        return tuple(value)

    return check


def _each(check_item: Callable[[str], Any]) -> Validator:
    """A list of strings, each checked by a term check that raises InvalidAttribute."""

    def check(where: str, value: Any) -> tuple[str, ...]:
        names = _strings()(where, value)
        for item in names:
            try:
                check_item(item)
            except terms.InvalidAttribute as error:
                raise ProfileError(f"{where}: {error}") from None
        return names

    return check


def _transfer_syntaxes(where: str, value: Any) -> tuple[str, ...]:
    names = _strings(tuple(TRANSFER_SYNTAX_NAMES))(where, value)
    if not names:
        raise ProfileError(f"{where}: must name at least one transfer syntax")
    return names


def _display_format(item: str) -> None:
    if not item.startswith("CUSTOM\\"):  # CUSTOM\i: the printer's own, any index
        terms.parse_display_format(item)


def _film_pixels(where: str, value: Any) -> dict[str, tuple[int, int]]:
    if not isinstance(value, dict):
        raise ProfileError(f"{where}: must be a table of FILMSIZE = [columns, rows]")
    result = {}
    for size, matrix in value.items():
        if size not in terms.FILM_SIZE_IDS:
            raise ProfileError(f"{where}.{size}: not a Film Size ID")
        if (
            not isinstance(matrix, list)
            or len(matrix) != 2
            or not all(isinstance(n, int) and n > 0 for n in matrix)
        ):
            raise ProfileError(f"{where}.{size}: must be [columns, rows] in pixels")
        result[size] = (matrix[0], matrix[1])
    return result


def _custom_formats(where: str, value: Any) -> dict[int, int]:
    if not isinstance(value, dict):
        raise ProfileError(f"{where}: must be a table of CUSTOM number = box count")
    result = {}
    for number, count in value.items():
        if not str(number).isdigit() or not isinstance(count, int) or count < 1:
            raise ProfileError(f"{where}.{number}: must be a positive box count")
        result[int(number)] = count
    return result


def _job_defaults(where: str, value: Any) -> dict[str, Any]:
    """``[printers.NAME.defaults]``: job option = value, each checked as a job's is."""
    if not isinstance(value, dict):
        raise ProfileError(f"{where}: must be a table of job option = value")
    values = {}
    for key, item in value.items():
        job_field = job_fields.BY_NAME.get(key)
        if job_field is None:
            raise ProfileError(
                f"{where}.{key}: not a job option (they are: {', '.join(job_fields.BY_NAME)})"
            )
        try:
            values[key] = job_field.convert(item)
        except job_fields.FieldError as error:
            raise ProfileError(f"{where}.{key}: {error.reason}") from None
    return values


VALIDATORS: dict[str, Validator] = {
    "host": _text,
    "ae_title": _ae_title,
    "calling_ae_title": _ae_title,
    "configuration_information": _text,
    "port": _port,
    "max_pdu": _max_pdu,
    "bits": _one_of(8, 12),
    **dict.fromkeys(
        (
            "color",
            "presentation_lut",
            "presentation_lut_in_session",
            "annotation",
            "print_job",
            "printer_status",
            "assign_uids",
            "printer_configuration",
            "session_print",
        ),
        _flag,
    ),
    "scaling": _one_of("host", "printer"),
    "margin_mm": _millimetres,
    "gap_mm": _millimetres,
    "film_pixels": _film_pixels,
    **dict.fromkeys(
        ("resolution_dpi", "retry_backoff", "print_job_timeout", "pixel_spacing_mm"), _positive
    ),
    "annotation_max_chars": _integer(1, 64),
    "retries": _integer(0, 100),
    "transfer_syntaxes": _transfer_syntaxes,
    "film_sizes": _strings(terms.FILM_SIZE_IDS),
    "medium_types": _strings(terms.MEDIUM_TYPES),
    "magnification_types": _strings(terms.MAGNIFICATION_TYPES),
    "film_destinations": _each(terms.film_destination),
    "display_formats": _each(_display_format),
    "smoothing_types": _strings(),
    "omit": lambda where, value: frozenset(_strings(tuple(sorted(OMITTABLE)))(where, value)),
    "custom_formats": _custom_formats,
    "defaults": _job_defaults,
}


def _convert(name: str, key: str, value: Any) -> Any:
    where = f"printers.{name}.{key}"
    validator = VALIDATORS.get(key)
    if validator is None:  # pragma: no cover - unknown keys are refused before
        raise ProfileError(f"{where}: unknown key")
    return validator(where, value)
