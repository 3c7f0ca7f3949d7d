"""The values print attributes may take, and checks that name the attribute when one is wrong.

Defined and enumerated terms are PS3.3's (C.13.1 Film Session, C.13.3 Film Box, C.13.5
Image Box, C.13.4 Annotation) as PS3.4 Annex H uses them; the 1996 seed statement's
value tables are a subset. A printer profile narrows these lists to what one printer
takes (``hcs.driver.profile``); nothing is sent that was not checked here first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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

_DESTINATION = re.compile(r"^(MAGAZINE|PROCESSOR|BIN_[1-9][0-9]*)$")
_STANDARD = re.compile(r"^STANDARD\\([1-9][0-9]*),([1-9][0-9]*)$")
_ROW_COL = re.compile(r"^(ROW|COL)\\([1-9][0-9]*(,[1-9][0-9]*)*)$")
_CUSTOM = re.compile(r"^CUSTOM\\([1-9][0-9]*)$")
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
    if text in ("BLACK", "WHITE"):
        return text
    if not text.isdigit() or int(text) > 65535:
        raise InvalidAttribute(
            attribute, f"{value!r} is not BLACK, WHITE or a density in hundredths of OD"
        )
    return str(int(text))


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
    return value


def box_count(display_format: str, custom_boxes: dict[int, int] | None = None) -> int:
    """How many image boxes a display format makes (PS3.3 C.13.8, Image Display Format)."""
    match = _STANDARD.match(display_format)
    if match:
        count = int(match.group(1)) * int(match.group(2))
    elif (match := _ROW_COL.match(display_format)) is not None:
        count = sum(int(n) for n in match.group(2).split(","))
    elif display_format in ("SLIDE", "SUPERSLIDE"):
        count = {"SLIDE": 35, "SUPERSLIDE": 40}[display_format]  # printer-defined; typical
    elif (match := _CUSTOM.match(display_format)) is not None:
        number = int(match.group(1))
        if custom_boxes is None or number not in custom_boxes:
            raise InvalidAttribute(
                "ImageDisplayFormat", f"{display_format!r} is not defined for this printer"
            )
        count = custom_boxes[number]
    else:
        raise InvalidAttribute(
            "ImageDisplayFormat",
            f"{display_format!r} is not STANDARD\\C,R, ROW\\R1,R2,..., COL\\C1,C2,..., "
            "SLIDE, SUPERSLIDE or CUSTOM\\i",
        )
    if count > MAX_BOXES:
        raise InvalidAttribute(
            "ImageDisplayFormat", f"{display_format!r} makes {count} boxes, more than {MAX_BOXES}"
        )
    return count
