"""The values print attributes may take, and checks that name the attribute when one is wrong.

Defined and enumerated terms are PS3.3's (C.13.1 Film Session, C.13.3 Film Box, C.13.5
Image Box, C.13.4 Annotation) as PS3.4 Annex H uses them; the 1996 seed statement's
value tables are a subset. A printer profile narrows these lists to what one printer
takes (``hcs.driver.profile``); nothing is sent that was not checked here first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dimse import uids
from hcs.errors import HcsError

PRINT_PRIORITIES = ("HIGH", "MED", "LOW")
MEDIUM_TYPES = ("PAPER", "CLEAR FILM", "BLUE FILM", "MAMMO CLEAR FILM", "MAMMO BLUE FILM")
FILM_ORIENTATIONS = ("PORTRAIT", "LANDSCAPE")
FILM_SIZE_IDS = (
    "8INX10IN",
    "8_5INX11IN",
    "10INX12IN",
    "10INX14IN",
    "11INX14IN",
    "11INX17IN",
    "14INX14IN",
    "14INX17IN",
    "24CMX24CM",
    "24CMX30CM",
    "A4",
    "A3",
)
MAGNIFICATION_TYPES = ("REPLICATE", "BILINEAR", "CUBIC", "NONE")
POLARITIES = ("NORMAL", "REVERSE")
TRIM_VALUES = ("YES", "NO")
RESOLUTION_IDS = ("STANDARD", "HIGH")
DECIMATE_CROP = ("DECIMATE", "CROP", "FAIL")
PRESENTATION_LUT_SHAPES = ("IDENTITY", "LIN OD")
# Image viewing transformations the formatter applies (hcs.formatter.spatial): Image
# Rotation's values (0070,0042), degrees clockwise; the flips, applied after the rotation
# (PS3.3 C.10.6 orders Image Rotation before Image Horizontal Flip); the largest zoom.
ROTATIONS = (0, 90, 180, 270)
FLIPS = ("HORIZONTAL", "VERTICAL")
MAX_ZOOM = 16.0

# N-EVENT-REPORT Event Type IDs (PS3.4 H.4.9.1.2 Printer, H.4.10.1.2 Print Job): the
# printer's status and a Print Job's execution status, by the number on the wire.
PRINTER_EVENTS = {1: "NORMAL", 2: "WARNING", 3: "FAILURE"}
PRINT_JOB_EVENTS = {1: "PENDING", 2: "PRINTING", 3: "DONE", 4: "FAILURE"}
PRINTER_EVENT_IDS = {name: number for number, name in PRINTER_EVENTS.items()}
PRINT_JOB_EVENT_IDS = {name: number for number, name in PRINT_JOB_EVENTS.items()}

# The SOP classes of print management by the short names configurations and command
# lines use (the virtual printer's [classes] and --classes, fault selectors).
SOP_CLASSES = {
    "verification": uids.VERIFICATION,
    "grayscale": uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META,
    "color": uids.BASIC_COLOR_PRINT_MANAGEMENT_META,
    "presentation_lut": uids.PRESENTATION_LUT,
    "annotation": uids.BASIC_ANNOTATION_BOX,
    "print_job": uids.PRINT_JOB,
    "printer": uids.PRINTER,
    "printer_configuration": uids.PRINTER_CONFIGURATION_RETRIEVAL,
}

# Border Density, Empty Image Density (PS3.3 C.13.3): BLACK, WHITE or hundredths of
# optical density, as sent. What a density looks like is the reader's model: the formatter
# turns it into a P-value (perceptual, hcs.formatter.density), the virtual printer into
# a linear grey for its PNG (hcs.vprinter.render).
DENSITY = re.compile(r"BLACK|WHITE|[0-9]+")
_DESTINATION = re.compile(r"^(MAGAZINE|PROCESSOR|BIN_[1-9][0-9]*)$")
MAX_BOXES = 256


class InvalidAttribute(HcsError, ValueError):
    """A value that may not be sent; ``attribute`` is the DICOM keyword."""

    def __init__(self, attribute: str, message: str):
        super().__init__(f"{attribute}: {message}")
        self.attribute = attribute


def one_of(attribute: str, value: str, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise InvalidAttribute(attribute, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def film_destination(value: str, allowed: Iterable[str] | None = None) -> str:
    if not _DESTINATION.match(value):
        raise InvalidAttribute(
            "FilmDestination", f"{value!r} is not MAGAZINE, PROCESSOR or BIN_i (i from 1)"
        )
    if allowed is not None:
        one_of("FilmDestination", value, allowed)
    return value


def density(attribute: str, value: str | int) -> str:
    """Border and Empty Image Density: BLACK, WHITE, or hundredths of optical density."""
    text = str(value).strip()
    if not DENSITY.fullmatch(text) or (text.isdigit() and int(text) > 65535):
        raise InvalidAttribute(
            attribute, f"{value!r} is not BLACK, WHITE or a density in hundredths of OD"
        )
    return text if text in ("BLACK", "WHITE") else str(int(text))


def unsigned(attribute: str, value: int, low: int = 0, high: int = 65535) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidAttribute(attribute, f"{value!r} is not an integer from {low} to {high}")
    return value


def text(attribute: str, value: str, max_length: int) -> str:
    if not isinstance(value, str) or len(value) > max_length or "\\" in value:
        raise InvalidAttribute(
            attribute, f"{value!r} must be text of at most {max_length} characters, no backslash"
        )
    if any(ord(c) < 0x20 for c in value):
        raise InvalidAttribute(attribute, f"{value!r} contains control characters")
    return ascii_only(attribute, value)


def ascii_only(attribute: str, value: str) -> str:
    """hcs sends no Specific Character Set (docs/conformance.md 7): text is the default
    repertoire, and anything else is refused rather than sent as Latin-1 or as '?'."""
    outside = sorted({c for c in value if ord(c) > 0x7E})
    if outside:
        raise InvalidAttribute(
            attribute,
            f"{value!r} has characters outside the default repertoire "
            f"({''.join(outside)}): hcs sends no Specific Character Set",
        )
    return value


class FilmGeometryError(InvalidAttribute):
    """A display format, film or layout that cannot be made; ``attribute`` names the DICOM
    keyword at fault (ImageDisplayFormat unless the film size or orientation is)."""

    def __init__(self, message: str, attribute: str = "ImageDisplayFormat"):
        super().__init__(attribute, message)


# -- The Image Display Format grammar (PS3.3 C.13.3, Image Display Format (2010,0010)) ------
#
# STANDARD\C,R (C columns, R rows) · ROW\R1,R2,... (row i holds Ri boxes) · COL\C1,C2,...
# (column i holds Ci boxes) · SLIDE (35 mm slides) · SUPERSLIDE (40 mm slides) · CUSTOM\i
# (the printer's conformance statement defines it). The standard leaves the number of
# SLIDE and SUPERSLIDE boxes to the printer: here it is what the film geometry fits
# (``hcs.film``), so it depends on the film size and margin, never a fixed number.
#
# Padding: the value is ST (Short Text). PS3.5 6.2 makes trailing spaces of ST
# insignificant (an odd-length value is padded with one to even length on the wire) and
# leading spaces significant. So ``"STANDARD\\2,2 "`` is STANDARD\\2,2 and is taken
# everywhere, while ``" STANDARD\\2,2"`` is not a defined term and is refused; a trailing
# NUL, which some implementations pad with, is taken as padding too.

DISPLAY_FORMAT_KINDS = ("STANDARD", "ROW", "COL", "SLIDE", "SUPERSLIDE", "CUSTOM")
DISPLAY_FORMAT_USAGE = {
    "STANDARD": "STANDARD\\C,R (columns, rows)",
    "ROW": "ROW\\R1,R2,... (boxes in each row)",
    "COL": "COL\\C1,C2,... (boxes in each column)",
    "CUSTOM": "CUSTOM\\i (a format the printer defines)",
}
_COUNT = re.compile(r"[1-9][0-9]*")


@dataclass(frozen=True)
class DisplayFormat:
    """A parsed Image Display Format (2010,0010).

    ``counts``: (C, R) for STANDARD, one count per row (ROW) or column (COL), the
    index for CUSTOM, empty for SLIDE and SUPERSLIDE.
    """

    kind: str
    counts: tuple[int, ...] = ()

    def __str__(self) -> str:
        if not self.counts:
            return self.kind
        return f"{self.kind}\\{','.join(str(c) for c in self.counts)}"

    @property
    def grid_boxes(self) -> int | None:
        """The box count the format alone fixes (STANDARD, ROW, COL); ``None`` when the
        film (SLIDE, SUPERSLIDE) or the printer (CUSTOM) decides it."""
        if self.kind == "STANDARD":
            return self.counts[0] * self.counts[1]
        if self.kind in ("ROW", "COL"):
            return sum(self.counts)
        return None


def parse_display_format(text: str) -> DisplayFormat:
    """Parse ``STANDARD\\C,R``, ``ROW\\R1,R2,...``, ``COL\\C1,...``, ``SLIDE``,
    ``SUPERSLIDE`` or ``CUSTOM\\i``; :class:`FilmGeometryError` says what is wrong.

    The one parser of the grammar: the formatter, the driver's checks, the server and
    the virtual printer all call it, so they agree on every value.
    """
    value = str(text).rstrip(" \0")
    kind, backslash, rest = value.partition("\\")
    if kind in ("SLIDE", "SUPERSLIDE"):
        if backslash:
            raise FilmGeometryError(f"{value!r}: {kind} takes no numbers")
        return DisplayFormat(kind)
    if kind not in DISPLAY_FORMAT_USAGE:
        raise FilmGeometryError(
            f"{value!r} is not an Image Display Format: it must start with STANDARD, ROW, "
            "COL, SLIDE, SUPERSLIDE or CUSTOM"
        )
    parts = rest.split(",") if rest else []
    usage = DISPLAY_FORMAT_USAGE[kind]
    if not parts:
        raise FilmGeometryError(f"{value!r}: no numbers after {kind}; write {usage}")
    for part in parts:
        if not _COUNT.fullmatch(part):
            raise FilmGeometryError(
                f"{value!r}: {part!r} is not a positive whole number (no zero, sign or "
                f"leading zero); write {usage}"
            )
    counts = tuple(int(p) for p in parts)
    if kind == "STANDARD" and len(counts) != 2:
        raise FilmGeometryError(f"{value!r}: STANDARD takes exactly two numbers, {usage}")
    if kind == "CUSTOM" and len(counts) != 1:
        raise FilmGeometryError(f"{value!r}: CUSTOM takes one number, {usage}")
    parsed = DisplayFormat(kind, counts)
    total = parsed.grid_boxes or 0
    if total > MAX_BOXES:
        raise FilmGeometryError(
            f"{value!r} makes {total} image boxes; a film holds at most {MAX_BOXES}"
        )
    return parsed
