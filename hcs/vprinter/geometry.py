"""Where the image boxes of a film are: display formats, film sizes, box rectangles.

The virtual printer needs this twice: to know how many Image Boxes a Film Box has
(PS3.4 H.4.2.2.1) and to lay the film out when it "prints". Everything here is pure
arithmetic on millimetres, so the SCU-side geometry (``hcs/film.py``, written
separately) can be compared with it box by box, or replace it later: the only types
crossing the boundary are :class:`DisplayFormat`, :class:`Box` and :class:`Layout`.

Image Box Position numbering follows PS3.3 C.13.5.1: STANDARD, ROW, SLIDE and
SUPERSLIDE count row-major (left to right, then top to bottom); COL counts column-major
(top to bottom, then left to right); CUSTOM formats count in the order their
rectangles are defined (documented in ``docs/vprinter.md``, as PS3.4 H.3.4 requires).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# The physical film sizes are the SCU formatter's table: one table of PS3.3's Film Size IDs.
from hcs.film import FILM_SIZES_MM, MM_PER_INCH

# Slides are mounted in 2-inch frames; the picture area is 36 x 24 mm for 35 mm slides
# and 40 x 40 mm for superslides (PS3.3 C.13.8 leaves the count to the configuration:
# here it is how many frames fit on the printable area of the film).
SLIDE_FRAME_MM = 2 * MM_PER_INCH
SLIDE_PICTURE_MM = {"SLIDE": (36.0, 24.0), "SUPERSLIDE": (40.0, 40.0)}

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

_COUNT = re.compile(r"[1-9][0-9]*")


class DisplayFormatError(ValueError):
    """An Image Display Format this printer cannot lay out, with the reason."""


@dataclass(frozen=True)
class DisplayFormat:
    """A parsed Image Display Format (2010,0010).

    ``kind`` is STANDARD, ROW, COL, SLIDE, SUPERSLIDE or CUSTOM; ``counts`` holds
    (C, R) for STANDARD, the per-row or per-column counts for ROW and COL, and the
    custom index for CUSTOM.
    """

    kind: str
    counts: tuple[int, ...] = ()

    def __str__(self) -> str:
        if self.kind in ("SLIDE", "SUPERSLIDE"):
            return self.kind
        return f"{self.kind}\\{','.join(str(c) for c in self.counts)}"


def parse_display_format(text: str) -> DisplayFormat:
    """Parse ``STANDARD\\C,R``, ``ROW\\R1,R2,...``, ``COL\\C1,...``, ``SLIDE``,
    ``SUPERSLIDE`` or ``CUSTOM\\i``; :class:`DisplayFormatError` names what is wrong."""
    value = text.strip(" \0")
    kind, _, rest = value.partition("\\")
    if kind in ("SLIDE", "SUPERSLIDE"):
        if rest:
            raise DisplayFormatError(f"{kind} takes no parameters, got {value!r}")
        return DisplayFormat(kind)
    if kind not in ("STANDARD", "ROW", "COL", "CUSTOM"):
        raise DisplayFormatError(
            f"unknown display format {value!r}: not STANDARD, ROW, COL, SLIDE, SUPERSLIDE or CUSTOM"
        )
    parts = rest.split(",") if rest else []
    if not parts or not all(_COUNT.fullmatch(p) for p in parts):
        raise DisplayFormatError(
            f"{value!r}: {kind} needs positive integers without leading zeros after the backslash"
        )
    counts = tuple(int(p) for p in parts)
    if kind == "STANDARD" and len(counts) != 2:
        raise DisplayFormatError(f"{value!r}: STANDARD takes exactly two numbers, C,R")
    if kind == "CUSTOM" and len(counts) != 1:
        raise DisplayFormatError(f"{value!r}: CUSTOM takes one number")
    return DisplayFormat(kind, counts)


@dataclass(frozen=True)
class Box:
    """One image box: its Image Box Position and its rectangle on the film, in mm."""

    position: int
    x: float
    y: float
    width: float
    height: float

    def pixels(self, dpi: float) -> tuple[int, int]:
        """(columns, rows) of printer pixels the box holds at ``dpi``."""
        return (
            max(1, math.floor(self.width / MM_PER_INCH * dpi + 1e-6)),
            max(1, math.floor(self.height / MM_PER_INCH * dpi + 1e-6)),
        )


@dataclass(frozen=True)
class Layout:
    """A film as the printer lays it out: its size in mm (as oriented) and its boxes."""

    width: float
    height: float
    boxes: tuple[Box, ...]
    margin: float

    def box(self, position: int) -> Box:
        return self.boxes[position - 1]


def film_size_mm(film_size_id: str, orientation: str = "PORTRAIT") -> tuple[float, float]:
    """(width, height) in mm of a film as oriented; PORTRAIT puts the long side vertical."""
    try:
        short, long = FILM_SIZES_MM[film_size_id]
    except KeyError:
        raise DisplayFormatError(f"unknown film size {film_size_id!r}") from None
    return (long, short) if orientation == "LANDSCAPE" else (short, long)


def box_count(
    display_format: DisplayFormat,
    film_size_id: str = "14INX17IN",
    orientation: str = "PORTRAIT",
    *,
    margin_mm: float = 0.0,
    custom_formats: Mapping[str, Sequence[Sequence[float]]] | None = None,
) -> int:
    """How many Image Boxes a Film Box with this format holds."""
    return len(
        layout(
            display_format,
            film_size_id,
            orientation,
            margin_mm=margin_mm,
            custom_formats=custom_formats,
        ).boxes
    )


def layout(
    display_format: DisplayFormat,
    film_size_id: str,
    orientation: str = "PORTRAIT",
    *,
    margin_mm: float = 0.0,
    gap_mm: float = 0.0,
    custom_formats: Mapping[str, Sequence[Sequence[float]]] | None = None,
) -> Layout:
    """Lay out a film: the boxes share the printable area (the film less ``margin_mm``
    on every side) with ``gap_mm`` between neighbours."""
    width, height = film_size_mm(film_size_id, orientation)
    px, py = margin_mm, margin_mm
    pw, ph = width - 2 * margin_mm, height - 2 * margin_mm
    if pw <= 0 or ph <= 0:
        raise DisplayFormatError(f"a {margin_mm} mm margin leaves nothing of a {film_size_id} film")
    kind, counts = display_format.kind, display_format.counts
    boxes: list[Box] = []
    if kind == "STANDARD":
        columns, rows = counts
        for r in range(rows):
            boxes += _row(px, py, pw, ph, gap_mm, r, rows, columns, len(boxes))
    elif kind == "ROW":
        for r, columns in enumerate(counts):
            boxes += _row(px, py, pw, ph, gap_mm, r, len(counts), columns, len(boxes))
    elif kind == "COL":
        cw = (pw - (len(counts) - 1) * gap_mm) / len(counts)
        for c, rows in enumerate(counts):
            bh = (ph - (rows - 1) * gap_mm) / rows
            for r in range(rows):
                boxes.append(
                    Box(len(boxes) + 1, px + c * (cw + gap_mm), py + r * (bh + gap_mm), cw, bh)
                )
    elif kind in ("SLIDE", "SUPERSLIDE"):
        boxes = _slides(kind, px, py, pw, ph)
    elif kind == "CUSTOM":
        key = str(counts[0])
        table = DEFAULT_CUSTOM_FORMATS if custom_formats is None else custom_formats
        if key not in table:
            raise DisplayFormatError(f"CUSTOM\\{key} is not defined by this printer")
        half = gap_mm / 2
        for fx, fy, fw, fh in table[key]:
            boxes.append(
                Box(
                    len(boxes) + 1,
                    px + fx * pw + half,
                    py + fy * ph + half,
                    max(fw * pw - gap_mm, 0.1),
                    max(fh * ph - gap_mm, 0.1),
                )
            )
    if not boxes:
        raise DisplayFormatError(f"{display_format} leaves no image box on a {film_size_id} film")
    return Layout(width, height, tuple(boxes), margin_mm)


def _row(px, py, pw, ph, gap, r, rows, columns, first) -> list[Box]:
    bh = (ph - (rows - 1) * gap) / rows
    bw = (pw - (columns - 1) * gap) / columns
    y = py + r * (bh + gap)
    return [Box(first + c + 1, px + c * (bw + gap), y, bw, bh) for c in range(columns)]


def _slides(kind: str, px: float, py: float, pw: float, ph: float) -> list[Box]:
    columns = int(pw / SLIDE_FRAME_MM + 1e-9)
    rows = int(ph / SLIDE_FRAME_MM + 1e-9)
    sw, sh = SLIDE_PICTURE_MM[kind]
    ox = px + (pw - columns * SLIDE_FRAME_MM) / 2
    oy = py + (ph - rows * SLIDE_FRAME_MM) / 2
    boxes = []
    for r in range(rows):
        for c in range(columns):
            x = ox + c * SLIDE_FRAME_MM + (SLIDE_FRAME_MM - sw) / 2
            y = oy + r * SLIDE_FRAME_MM + (SLIDE_FRAME_MM - sh) / 2
            boxes.append(Box(len(boxes) + 1, x, y, sw, sh))
    return boxes


def validate_custom_formats(formats: Mapping[str, Sequence[Sequence[float]]]) -> list[str]:
    """Problems with configured CUSTOM rectangles, one sentence each (empty: fine)."""
    problems = []
    for key, rectangles in formats.items():
        if not _COUNT.fullmatch(str(key)):
            problems.append(f"CUSTOM index {key!r} is not a positive integer")
        if not rectangles:
            problems.append(f"CUSTOM\\{key} has no rectangles")
        for i, rect in enumerate(rectangles, 1):
            if len(rect) != 4 or not all(isinstance(v, int | float) for v in rect):
                problems.append(f"CUSTOM\\{key} box {i} must be [x, y, width, height]")
                continue
            x, y, w, h = rect
            if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > 1.0001 or y + h > 1.0001:
                problems.append(
                    f"CUSTOM\\{key} box {i} {list(rect)} is not inside the printable area"
                    " (fractions from 0 to 1)"
                )
    return problems
