"""The virtual printer's view of the film geometry: :mod:`hcs.film`, with its own CUSTOM formats.

The film sizes, the display-format grammar, the boxes in millimetres and their pixels at a
resolution are :mod:`hcs.film`'s, the same the SCU formats with: the printer and hcs's
formatter cannot disagree on how many pixels a box holds. What is the virtual printer's
own is here: the CUSTOM\\i formats it defines when its configuration adds none
(documented in ``docs/vprinter.md``, as PS3.4 H.3.4 requires), and the check of
configured CUSTOM rectangles. How it fits an oversized image is in ``session.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hcs import film
from hcs.film import (
    FILM_SIZES_MM,
    MM_PER_INCH,
    Box,
    DisplayFormat,
    FilmGeometryError,
    Layout,
    film_size_mm,
    parse_display_format,
)
from hcs.film import (
    box_count as _box_count,
)

__all__ = [
    "DEFAULT_CUSTOM_FORMATS",
    "FILM_SIZES_MM",
    "MM_PER_INCH",
    "Box",
    "DisplayFormat",
    "DisplayFormatError",
    "Layout",
    "box_count",
    "film_size_mm",
    "layout",
    "parse_display_format",
    "validate_custom_formats",
]

# One error type for the film geometry; the old name stays for the virtual printer's callers.
DisplayFormatError = FilmGeometryError

# CUSTOM\i formats this printer defines when its configuration adds none: rectangles
# (x, y, width, height) as fractions of the printable area, in Image Box Position order.
DEFAULT_CUSTOM_FORMATS: dict[str, tuple[tuple[float, float, float, float], ...]] = {
    # One large image over two small ones: 1 on top (2/3 of the height), 2 and 3 below.
    "1": ((0.0, 0.0, 1.0, 2 / 3), (0.0, 2 / 3, 0.5, 1 / 3), (0.5, 2 / 3, 0.5, 1 / 3)),
    # A comparison layout: 1 on the left (2/3 of the width), 2 to 4 stacked on the right.
    "2": (
        (0.0, 0.0, 2 / 3, 1.0),
        (2 / 3, 0.0, 1 / 3, 1 / 3),
        (2 / 3, 1 / 3, 1 / 3, 1 / 3),
        (2 / 3, 2 / 3, 1 / 3, 1 / 3),
    ),
}

CustomTable = Mapping[str, Sequence[Sequence[float]]]


def layout(
    display_format: DisplayFormat,
    film_size_id: str,
    orientation: str = "PORTRAIT",
    *,
    margin_mm: float = 0.0,
    gap_mm: float = 0.0,
    custom_formats: CustomTable | None = None,
) -> Layout:
    """:func:`hcs.film.layout_mm` with this printer's CUSTOM formats by default."""
    return film.layout_mm(
        display_format,
        film_size_id,
        orientation,
        margin_mm=margin_mm,
        gap_mm=gap_mm,
        custom_formats=DEFAULT_CUSTOM_FORMATS if custom_formats is None else custom_formats,
    )


def box_count(
    display_format: DisplayFormat,
    film_size_id: str = "14INX17IN",
    orientation: str = "PORTRAIT",
    *,
    margin_mm: float = 0.0,
    custom_formats: CustomTable | None = None,
) -> int:
    """How many Image Boxes a Film Box with this format holds on this printer."""
    return _box_count(
        display_format,
        film_size_id,
        orientation,
        margin_mm=margin_mm,
        custom_formats=DEFAULT_CUSTOM_FORMATS if custom_formats is None else custom_formats,
    )


def validate_custom_formats(formats: CustomTable) -> list[str]:
    """Problems with configured CUSTOM rectangles, one sentence each (empty: fine)."""
    problems = []
    for key, rectangles in formats.items():
        try:
            film.custom_formats_from({key: [list(r) for r in rectangles]})
        except (FilmGeometryError, TypeError, ValueError) as error:
            problems.append(f"CUSTOM\\{key}: {_reason(error)}")
    return problems


def _reason(error: Exception) -> str:
    if isinstance(error, FilmGeometryError):
        return str(error).partition(": ")[2] or str(error)
    return "each box must be [x, y, width, height]"
