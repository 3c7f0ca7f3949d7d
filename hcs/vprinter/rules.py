"""PS3.4 Annex H as data: which attributes each operation carries, their usage, their values.

Each table lists the attributes of one N-CREATE or N-SET, in the order of the
standard's table, with the usage SCU/SCP (H.2.4):

* ``M/M``: the SCU must send it; missing -> 0120, empty -> 0121, a value the printer
  does not accept -> 0106;
* ``U/M``: optional for the SCU, the SCP must support it; a value the printer does not
  accept -> 0106, or warning 0116 and the printer's default (``film.invalid_value``);
* ``U/U``: optional for both; one the printer does not support -> 0105, or warning 0107
  and the attribute is ignored (``film.unsupported``); a supported one with a bad
  value is treated like U/M.

Anything not in the table is "not supported" in the U/U sense. Value checks take the
printer configuration, because the allowed values are the printer's lists.

Sources: PS3.4 Tables H.4-2 (Film Session N-CREATE), H.4-6 and H.4-7 (Film Box
N-CREATE/N-SET), H.4-10 and H.4-11 (Image Box N-SET), H.4-13 (Annotation), H.4-23
(Presentation LUT); PS3.3 C.13.1, C.13.5 and Table C.13-5 for defined terms and pixel
constraints (see ``../shared/REFERENCE.md`` 2.4).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from dimse.status import StatusCode
from hcs.job import terms

if TYPE_CHECKING:
    from hcs.vprinter.config import VirtualPrinterConfig

Check = Callable[[Any, "VirtualPrinterConfig"], str | None]


@dataclass(frozen=True)
class Rule:
    """One attribute of one operation: keyword, usage and the check of its value."""

    keyword: str
    usage: str
    check: Check | None = None
    density: bool = False  # min/max density: out of the printer's range is warning B605
    empty_ok: bool = False  # a zero-length value means something (erase the image)

    @property
    def tag(self) -> int:
        return int(Tag(self.keyword))


# ---------------------------------------------------------------------- value checks


def _one_of(*values: str) -> Check:
    def check(value: Any, config) -> str | None:
        return None if str(value) in values else f"must be one of {', '.join(values)}"

    return check


def _in_config(name: str) -> Check:
    def check(value: Any, config) -> str | None:
        allowed = getattr(config.film, name)
        if name == "configuration_information" and not allowed:
            return None
        if str(value) in allowed:
            return None
        return f"{value!r} is not supported (this printer: {', '.join(allowed)})"

    return check


def _copies(value: Any, config) -> str | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return f"{value!r} is not a number"
    if not 1 <= number <= config.film.max_copies:
        return f"{number} copies is outside 1..{config.film.max_copies}"
    return None


def _destination(value: Any, config) -> str | None:
    text = str(value)
    if re.fullmatch(r"BIN_0[0-9]*", text):
        return f"{text!r}: BIN_i has no leading zeros"
    if text in config.film.destinations:
        return None
    return f"{text!r} is not supported (this printer: {', '.join(config.film.destinations)})"


def _density_text(value: Any, config) -> str | None:
    text = str(value)
    if not terms.DENSITY.fullmatch(text):
        return f"{text!r} is not BLACK, WHITE or hundredths of optical density"
    return None


def _display_format(value: Any, config) -> str | None:
    from hcs.vprinter import geometry

    try:
        parsed = geometry.parse_display_format(str(value))
    except geometry.DisplayFormatError as error:
        return str(error)
    if not config.display_format_allowed(parsed):
        return f"{parsed} is not a display format of this printer"
    return None


def _unsigned(value: Any, config) -> str | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return f"{value!r} is not a number"
    return None if number >= 0 else "must not be negative"


def _image_size(value: Any, config) -> str | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return f"{value!r} is not a width in mm"
    return None if number > 0 else "must be a positive width in mm"


def _any(value: Any, config) -> str | None:
    return None


# --------------------------------------------------------------------------- tables

FILM_SESSION = (
    Rule("SpecificCharacterSet", "U/U", _any),
    Rule("NumberOfCopies", "U/M", _copies),
    Rule("PrintPriority", "U/M", _one_of("HIGH", "MED", "LOW")),
    Rule("MediumType", "U/M", _in_config("medium_types")),
    Rule("FilmDestination", "U/M", _destination),
    Rule("FilmSessionLabel", "U/U", _any),
    Rule("MemoryAllocation", "U/U", _unsigned),
    Rule("OwnerID", "U/U", _any),
)
"""Table H.4-2; the N-SET (H.4-3) has the same attributes."""

_FILM_BOX_COMMON = (
    Rule("MagnificationType", "U/M", _in_config("magnification_types")),
    Rule("SmoothingType", "U/U", _in_config("smoothing_types")),
    Rule("BorderDensity", "U/U", _density_text),
    Rule("EmptyImageDensity", "U/U", _density_text),
    Rule("MinDensity", "U/U", _unsigned, density=True),
    Rule("MaxDensity", "U/M", _unsigned, density=True),
    Rule("Trim", "U/U", _one_of("YES", "NO")),
    Rule("ConfigurationInformation", "U/M", _in_config("configuration_information")),
    Rule("ReferencedPresentationLUTSequence", "U/MC"),
    Rule("Illumination", "U/MC", _unsigned),
    Rule("ReflectedAmbientLight", "U/MC", _unsigned),
)

FILM_BOX_CREATE = (
    Rule("ImageDisplayFormat", "M/M", _display_format),
    Rule("ReferencedFilmSessionSequence", "M/M"),
    Rule("AnnotationDisplayFormatID", "U/U", _in_config("annotation_formats")),
    Rule("FilmOrientation", "U/M", _in_config("orientations")),
    Rule("FilmSizeID", "U/M", _in_config("sizes")),
    *_FILM_BOX_COMMON,
    Rule("RequestedResolutionID", "U/U", _in_config("resolutions")),
    Rule("ICCProfile", "U/U", _any),
)
"""Table H.4-6 (ICC Profile only on the colour meta class)."""

FILM_BOX_SET = _FILM_BOX_COMMON
"""Table H.4-7."""

GRAYSCALE_IMAGE_BOX = (
    Rule("ImageBoxPosition", "M/M", _unsigned),
    Rule("BasicGrayscaleImageSequence", "M/M", empty_ok=True),
    Rule("Polarity", "U/M", _one_of("NORMAL", "REVERSE")),
    Rule("MagnificationType", "U/U", _in_config("magnification_types")),
    Rule("SmoothingType", "U/U", _in_config("smoothing_types")),
    Rule("MinDensity", "U/U", _unsigned, density=True),
    Rule("MaxDensity", "U/U", _unsigned, density=True),
    Rule("ConfigurationInformation", "U/U", _in_config("configuration_information")),
    Rule("RequestedImageSize", "U/U", _image_size),
    Rule("RequestedDecimateCropBehavior", "U/U", _one_of("DECIMATE", "CROP", "FAIL")),
    Rule("ReferencedPresentationLUTSequence", "U/U"),
)
"""Table H.4-10."""

COLOR_IMAGE_BOX = (
    Rule("ImageBoxPosition", "M/M", _unsigned),
    Rule("BasicColorImageSequence", "M/M", empty_ok=True),
    Rule("Polarity", "U/M", _one_of("NORMAL", "REVERSE")),
    Rule("MagnificationType", "U/U", _in_config("magnification_types")),
    Rule("SmoothingType", "U/U", _in_config("smoothing_types")),
    Rule("ConfigurationInformation", "U/U", _in_config("configuration_information")),
    Rule("RequestedImageSize", "U/U", _image_size),
    Rule("RequestedDecimateCropBehavior", "U/U", _one_of("DECIMATE", "CROP", "FAIL")),
)
"""Table H.4-11: no densities and no Presentation LUT for colour."""

ANNOTATION_BOX = (
    Rule("AnnotationPosition", "M/M", _unsigned),
    Rule("TextString", "U/M", _any),
)
"""Table H.4-13."""

PRESENTATION_LUT = (
    Rule("PresentationLUTSequence", "U/M"),
    Rule("PresentationLUTShape", "U/M", _one_of("IDENTITY", "LIN OD")),
)
"""Table H.4-23: exactly one of the two."""

PIXEL_ITEM_GRAYSCALE = (
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "Rows",
    "Columns",
    "BitsAllocated",
    "BitsStored",
    "HighBit",
    "PixelRepresentation",
    "PixelData",
)
"""The M/M attributes of a Basic Grayscale Image Sequence item (PS3.3 Table C.13-5)."""

PIXEL_ITEM_COLOR = (*PIXEL_ITEM_GRAYSCALE[:2], "PlanarConfiguration", *PIXEL_ITEM_GRAYSCALE[2:])
"""The colour item adds Planar Configuration (M/M), whose only value is 1."""

PRINTER_ATTRIBUTES = (
    "PrinterStatus",
    "PrinterStatusInfo",
    "PrinterName",
    "Manufacturer",
    "ManufacturerModelName",
    "DeviceSerialNumber",
    "SoftwareVersions",
    "DateOfLastCalibration",
    "TimeOfLastCalibration",
)
"""Printer N-GET (Table H.4-17)."""

PRINT_JOB_ATTRIBUTES = (
    "ExecutionStatus",
    "ExecutionStatusInfo",
    "PrintPriority",
    "CreationDate",
    "CreationTime",
    "PrinterName",
    "Originator",
)
"""Print Job N-GET (Table H.4-15)."""

ALL_KEYWORDS = frozenset(
    rule.keyword
    for table in (
        FILM_SESSION,
        FILM_BOX_CREATE,
        GRAYSCALE_IMAGE_BOX,
        COLOR_IMAGE_BOX,
        ANNOTATION_BOX,
        PRESENTATION_LUT,
    )
    for rule in table
)


# ------------------------------------------------------------------------ checking


@dataclass
class Problem:
    """One thing wrong with a request: the status it earns, the tag, a short sentence."""

    code: int
    tag: int | None
    text: str

    @property
    def is_failure(self) -> bool:
        return self.code not in WARNINGS


WARNINGS = frozenset(
    {
        StatusCode.ATTRIBUTE_LIST_ERROR,
        StatusCode.ATTRIBUTE_VALUE_OUT_OF_RANGE,
        StatusCode.MEMORY_ALLOCATION_NOT_SUPPORTED,
        StatusCode.DENSITY_OUTSIDE_PRINTER_RANGE,
        StatusCode.IMAGE_DEMAGNIFIED,
        StatusCode.IMAGE_CROPPED,
        StatusCode.IMAGE_DECIMATED,
        StatusCode.FILM_SESSION_PRINTING_NOT_SUPPORTED,
        StatusCode.FILM_SESSION_EMPTY_PAGE,
        StatusCode.FILM_BOX_EMPTY_PAGE,
    }
)


def is_empty(element_value: Any) -> bool:
    """Zero length: pydicom gives ``None``, ``""`` or an empty sequence."""
    if element_value is None:
        return True
    if isinstance(element_value, str | bytes | list):
        return len(element_value) == 0
    try:
        return len(element_value) == 0
    except TypeError:
        return False


def check_attributes(
    dataset: Dataset | None,
    table: tuple[Rule, ...],
    config: VirtualPrinterConfig,
    *,
    unsupported: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], list[Problem]]:
    """Check a data set against one table.

    Returns the accepted values (keyword -> value; empty values and rejected ones are
    left out, so the caller's default applies) and the problems found, in table order
    and then in data set order. ``unsupported`` adds keywords this association cannot
    take (e.g. the Presentation LUT reference when that class was not negotiated).
    """
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    dataset = dataset if dataset is not None else Dataset()
    film = config.film
    not_supported = set(film.unsupported_attributes) | set(unsupported)
    fail_unsupported = film.unsupported == "fail"
    fail_invalid = film.invalid_value == "fail"
    known = {rule.keyword for rule in table}
    for rule in table:
        element = dataset.get(rule.keyword)
        if rule.usage == "M/M":
            if element is None:
                problems.append(
                    Problem(StatusCode.MISSING_ATTRIBUTE, rule.tag, f"{rule.keyword} missing")
                )
                continue
            if is_empty(element) and rule.empty_ok:
                values[rule.keyword] = element
                continue
            if is_empty(element):
                problems.append(
                    Problem(StatusCode.MISSING_ATTRIBUTE_VALUE, rule.tag, f"{rule.keyword} empty")
                )
                continue
        if element is None:
            continue
        if rule.usage.startswith("U") and rule.keyword in not_supported:
            code = (
                StatusCode.NO_SUCH_ATTRIBUTE
                if fail_unsupported
                else StatusCode.ATTRIBUTE_LIST_ERROR
            )
            problems.append(Problem(code, rule.tag, f"{rule.keyword} not supported"))
            continue
        if is_empty(element):
            continue  # zero length: "use the default"
        error = rule.check(element, config) if rule.check else None
        if error is not None:
            if rule.usage == "M/M" or fail_invalid:
                code = StatusCode.INVALID_ATTRIBUTE_VALUE
            else:
                code = StatusCode.ATTRIBUTE_VALUE_OUT_OF_RANGE
            problems.append(Problem(code, rule.tag, f"{rule.keyword} {error}"))
            continue
        if rule.density and not film.min_density <= int(element) <= film.max_density:
            problems.append(
                Problem(
                    StatusCode.DENSITY_OUTSIDE_PRINTER_RANGE,
                    rule.tag,
                    f"{rule.keyword} {element} outside {film.min_density}..{film.max_density}",
                )
            )
            continue
        values[rule.keyword] = element
    for element in dataset:
        keyword = element.keyword or f"({element.tag.group:04X},{element.tag.element:04X})"
        if keyword in known:
            continue
        code = StatusCode.NO_SUCH_ATTRIBUTE if fail_unsupported else StatusCode.ATTRIBUTE_LIST_ERROR
        problems.append(Problem(code, int(element.tag), f"{keyword} not supported here"))
    return values, problems


# ---------------------------------------------------------------------- pixel module


@dataclass
class Pixels:
    """An accepted image: the array (rows x columns, or rows x columns x 3 for RGB),
    its photometric interpretation and bits stored."""

    array: np.ndarray
    photometric: str
    bits_stored: int

    @property
    def rows(self) -> int:
        return int(self.array.shape[0])

    @property
    def columns(self) -> int:
        return int(self.array.shape[1])


def check_pixel_item(
    item: Dataset, color: bool, config: VirtualPrinterConfig
) -> tuple[Pixels | None, list[Problem]]:
    """Check one Basic Grayscale/Color Image Sequence item against PS3.3 Table C.13-5.

    Missing -> 0120, empty -> 0121, a value outside the table or the printer's limits
    -> 0106. Returns the pixels when there is no problem.
    """
    required = PIXEL_ITEM_COLOR if color else PIXEL_ITEM_GRAYSCALE
    problems: list[Problem] = []
    for keyword in required:
        element = item.get(keyword)
        if element is None:
            problems.append(
                Problem(StatusCode.MISSING_ATTRIBUTE, int(Tag(keyword)), f"{keyword} missing")
            )
        elif is_empty(element):
            problems.append(
                Problem(StatusCode.MISSING_ATTRIBUTE_VALUE, int(Tag(keyword)), f"{keyword} empty")
            )
    if problems:
        return None, problems

    def bad(keyword: str, text: str) -> None:
        problems.append(Problem(StatusCode.INVALID_ATTRIBUTE_VALUE, int(Tag(keyword)), text))

    samples, photometric = int(item.SamplesPerPixel), str(item.PhotometricInterpretation)
    rows, columns = int(item.Rows), int(item.Columns)
    allocated, stored, high = int(item.BitsAllocated), int(item.BitsStored), int(item.HighBit)
    if color:
        if samples != 3:
            bad("SamplesPerPixel", f"Samples per Pixel {samples}, colour needs 3")
        if photometric != "RGB":
            bad("PhotometricInterpretation", f"{photometric!r}, colour needs RGB")
        if int(item.PlanarConfiguration) != 1:
            bad("PlanarConfiguration", "Planar Configuration must be 1 (frame interleave)")
        if (allocated, stored, high) != (8, 8, 7):
            bad("BitsStored", f"bits {allocated}/{stored}/{high}, colour needs 8/8/7")
    else:
        if samples != 1:
            bad("SamplesPerPixel", f"Samples per Pixel {samples}, grayscale needs 1")
        if photometric not in ("MONOCHROME1", "MONOCHROME2"):
            bad("PhotometricInterpretation", f"{photometric!r} is not MONOCHROME1/2")
        if (allocated, stored) not in ((8, 8), (16, 12)):
            bad("BitsStored", f"Bits Allocated/Stored {allocated}/{stored}: only 8/8 or 16/12")
        elif stored == 12 and not config.film.supports_12bit:
            bad("BitsStored", "this printer takes 8-bit images only")
        if high != stored - 1:
            bad("HighBit", f"High Bit {high} must be Bits Stored - 1")
    if int(item.PixelRepresentation) != 0:
        bad("PixelRepresentation", "Pixel Representation must be 0 (unsigned)")
    if rows < 1 or columns < 1:
        bad("Rows", "Rows and Columns must be positive")
    elif rows > config.film.max_image_rows or columns > config.film.max_image_columns:
        bad(
            "Rows",
            f"{columns}x{rows} exceeds the printer's maximum"
            f" {config.film.max_image_columns}x{config.film.max_image_rows}",
        )
    if problems:
        return None, problems
    data = item.PixelData
    expected = rows * columns * samples * allocated // 8
    if len(data) not in (expected, expected + 1):  # an odd length is padded to even
        bad("PixelData", f"Pixel Data has {len(data)} bytes, {expected} expected")
        return None, problems
    if allocated == 16:
        array = np.frombuffer(data, dtype="<u2", count=rows * columns)
        array = (array & 0x0FFF).reshape(rows, columns)
    elif color:
        array = np.frombuffer(data, dtype=np.uint8, count=expected)
        array = array.reshape(3, rows, columns).transpose(1, 2, 0)
    else:
        array = np.frombuffer(data, dtype=np.uint8, count=expected).reshape(rows, columns)
    return Pixels(array, photometric, stored), problems


def check_presentation_lut(dataset: Dataset | None, config) -> tuple[dict[str, Any], list[Problem]]:
    """Presentation LUT N-CREATE (Table H.4-23): exactly one of the sequence and the shape;
    the LUT Descriptor is 256 or 4096 entries, first mapped value 0, 10 to 16 bits."""
    values, problems = check_attributes(dataset, PRESENTATION_LUT, config)
    if any(p.is_failure for p in problems):
        return values, problems
    has_sequence = "PresentationLUTSequence" in values
    has_shape = "PresentationLUTShape" in values
    seq_tag, shape_tag = int(Tag("PresentationLUTSequence")), int(Tag("PresentationLUTShape"))
    if has_sequence and has_shape:
        problems.append(
            Problem(
                StatusCode.INVALID_ATTRIBUTE_VALUE, shape_tag, "send the LUT or the shape, not both"
            )
        )
        return values, problems
    if not (has_sequence or has_shape):
        problems.append(
            Problem(
                StatusCode.MISSING_ATTRIBUTE,
                shape_tag,
                "Presentation LUT Shape or Sequence missing",
            )
        )
        return values, problems
    if has_sequence:
        items = values["PresentationLUTSequence"]
        if len(items) != 1:
            problems.append(
                Problem(StatusCode.INVALID_ATTRIBUTE_VALUE, seq_tag, "one LUT item expected")
            )
            return values, problems
        item = items[0]
        descriptor = item.get("LUTDescriptor")
        data = item.get("LUTData")
        if descriptor is None or data is None:
            problems.append(
                Problem(StatusCode.MISSING_ATTRIBUTE, seq_tag, "LUT Descriptor or LUT Data missing")
            )
            return values, problems
        entries, first, bits = (int(v) for v in descriptor)
        if entries not in (256, 4096) or first != 0 or not 10 <= bits <= 16:
            problems.append(
                Problem(
                    StatusCode.INVALID_ATTRIBUTE_VALUE,
                    seq_tag,
                    f"LUT Descriptor {entries}\\{first}\\{bits}: need 256|4096, 0, 10..16",
                )
            )
            return values, problems
        table = _lut_values(data)
        if len(table) != entries:
            problems.append(
                Problem(
                    StatusCode.INVALID_ATTRIBUTE_VALUE,
                    seq_tag,
                    f"LUT Data has {len(table)} entries, not {entries}",
                )
            )
            return values, problems
        values["lut"] = (table, bits)
    return values, problems


def _lut_values(data: Any) -> np.ndarray:
    if isinstance(data, bytes | bytearray):
        return np.frombuffer(bytes(data), dtype="<u2")
    if isinstance(data, int):
        return np.array([data], dtype=np.uint16)
    return np.asarray(list(data), dtype=np.uint16)


def worst(problems: list[Problem]) -> tuple[int, list[int], str] | None:
    """The status for a list of problems: the first failure, else the first warning;
    with every tag that earned that code and the first sentence."""
    if not problems:
        return None
    chosen = next((p for p in problems if p.is_failure), problems[0])
    tags = [p.tag for p in problems if p.code == chosen.code and p.tag is not None]
    return chosen.code, tags, chosen.text
