"""Film geometry: film sizes, Image Display Formats, and where each image box sits in pixels.

The formatter needs to know, before it touches a pixel, how many printer pixels each
image box holds: that is the size it magnifies the image to (PS3.4 H.2: the SCU may
send an image at the box's size so the printer does not have to scale). That depends on
the film (PS3.3 C.13.8 Film Size ID and Film Orientation), the layout (Image Display
Format) and the printer (its resolution, the border it leaves at the film's edge and
the gap between boxes). Everything here is integer arithmetic on pixels once the film's
pixel size is known, so boxes tile the film exactly and tests can compute them by hand.

Image Box Position numbering (PS3.3 C.13.5.1): STANDARD, ROW, SLIDE and SUPERSLIDE count
row-major (left to right, then top to bottom); COL counts column-major (top to bottom,
then left to right); CUSTOM formats count in the order the printer's configuration lists
their rectangles.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hcs.job.terms import MAX_BOXES

MM_PER_INCH = 25.4

# Film Size ID defined terms (PS3.3 C.13.8) -> (short side, long side) in millimetres.
FILM_SIZES_MM: dict[str, tuple[float, float]] = {
    "8INX10IN": (8 * MM_PER_INCH, 10 * MM_PER_INCH),
    "8_5INX11IN": (8.5 * MM_PER_INCH, 11 * MM_PER_INCH),
    "10INX12IN": (10 * MM_PER_INCH, 12 * MM_PER_INCH),
    "10INX14IN": (10 * MM_PER_INCH, 14 * MM_PER_INCH),
    "11INX14IN": (11 * MM_PER_INCH, 14 * MM_PER_INCH),
    "11INX17IN": (11 * MM_PER_INCH, 17 * MM_PER_INCH),
    "14INX14IN": (14 * MM_PER_INCH, 14 * MM_PER_INCH),
    "14INX17IN": (14 * MM_PER_INCH, 17 * MM_PER_INCH),
    "24CMX24CM": (240.0, 240.0),
    "24CMX30CM": (240.0, 300.0),
    "A4": (210.0, 297.0),
    "A3": (297.0, 420.0),
}
ORIENTATIONS = ("PORTRAIT", "LANDSCAPE")

# The resolution assumed when no printer says otherwise (PrinterProfile's default too):
# 300 dpi, a common dry laser film printer's standard resolution.
DEFAULT_DPI = 300.0

# Slides are mounted in 2-inch frames; the picture is 36 x 24 mm for 35 mm slides and
# 40 x 40 mm for superslides. PS3.3 leaves their number to the printer; here it is how
# many frames fit the printable area, centred (as hcs's virtual printer lays them out).
SLIDE_PITCH_MM = 2 * MM_PER_INCH
SLIDE_PICTURE_MM = {"SLIDE": (36.0, 24.0), "SUPERSLIDE": (40.0, 40.0)}

_COUNT = re.compile(r"[1-9][0-9]*")


class FilmGeometryError(ValueError):
    """A film or display format that cannot be laid out; the message says why."""


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


def parse_display_format(text: str) -> DisplayFormat:
    """Parse ``STANDARD\\C,R``, ``ROW\\R1,R2,...``, ``COL\\C1,...``, ``SLIDE``,
    ``SUPERSLIDE`` or ``CUSTOM\\i``; :class:`FilmGeometryError` says what is wrong."""
    value = str(text).strip(" \0")
    kind, backslash, rest = value.partition("\\")
    if kind in ("SLIDE", "SUPERSLIDE"):
        if backslash:
            raise FilmGeometryError(f"{value!r}: {kind} takes no numbers")
        return DisplayFormat(kind)
    if kind not in ("STANDARD", "ROW", "COL", "CUSTOM"):
        raise FilmGeometryError(
            f"{value!r} is not an Image Display Format: it must start with STANDARD, ROW, "
            "COL, SLIDE, SUPERSLIDE or CUSTOM"
        )
    parts = rest.split(",") if rest else []
    usage = {
        "STANDARD": "STANDARD\\C,R (columns, rows)",
        "ROW": "ROW\\R1,R2,... (boxes in each row)",
        "COL": "COL\\C1,C2,... (boxes in each column)",
        "CUSTOM": "CUSTOM\\i (a format the printer defines)",
    }[kind]
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
    if kind == "STANDARD":
        total = counts[0] * counts[1]
    elif kind in ("ROW", "COL"):
        total = sum(counts)
    else:
        total = 0
    if total > MAX_BOXES:
        raise FilmGeometryError(
            f"{value!r} makes {total} image boxes; a film holds at most {MAX_BOXES}"
        )
    return DisplayFormat(kind, counts)


@dataclass(frozen=True)
class CustomFormat:
    """A printer's CUSTOM\\i layout: rectangles (x, y, width, height) as fractions of the
    printable area, in Image Box Position order (PS3.4 H.3.4: the printer's conformance
    statement defines them)."""

    rectangles: tuple[tuple[float, float, float, float], ...]

    def __post_init__(self) -> None:
        if not self.rectangles:
            raise FilmGeometryError("a CUSTOM format needs at least one rectangle")
        if len(self.rectangles) > MAX_BOXES:
            raise FilmGeometryError(f"a CUSTOM format may have at most {MAX_BOXES} boxes")
        for i, rect in enumerate(self.rectangles, 1):
            if len(rect) != 4:
                raise FilmGeometryError(f"CUSTOM box {i}: needs x, y, width, height")
            x, y, w, h = rect
            if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > 1 + 1e-9 or y + h > 1 + 1e-9:
                raise FilmGeometryError(
                    f"CUSTOM box {i} {tuple(rect)} is not inside the printable area "
                    "(fractions from 0 to 1)"
                )

    @classmethod
    def grid(cls, count: int) -> CustomFormat:
        """What hcs assumes when a printer gives only a box count: near-square rows."""
        if not 1 <= count <= MAX_BOXES:
            raise FilmGeometryError(f"a CUSTOM box count must be 1..{MAX_BOXES}, not {count}")
        columns = math.ceil(math.sqrt(count))
        rows = math.ceil(count / columns)
        rects = []
        for i in range(count):
            r, c = divmod(i, columns)
            in_row = min(columns, count - r * columns)
            rects.append((c / in_row, r / rows, 1 / in_row, 1 / rows))
        return cls(tuple(rects))


@dataclass(frozen=True)
class Resolution:
    """How many printer pixels a film has.

    Give one of: ``dpi`` (dots per inch), ``pixel_spacing_mm`` (Printer Pixel Spacing,
    2010,0376), or ``film_pixels`` (the printer's pixel matrix per Film Size ID, as
    (columns, rows) in PORTRAIT; a conformance statement's "14INX17IN: 4096 x 5120").
    Film sizes missing from ``film_pixels`` fall back to ``dpi``.
    """

    dpi: float | None = None
    pixel_spacing_mm: float | None = None
    film_pixels: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.dpi is not None and not (math.isfinite(self.dpi) and self.dpi > 0):
            raise FilmGeometryError(f"resolution {self.dpi!r} dpi must be a positive number")
        if self.pixel_spacing_mm is not None and not (
            math.isfinite(self.pixel_spacing_mm) and self.pixel_spacing_mm > 0
        ):
            raise FilmGeometryError(
                f"pixel spacing {self.pixel_spacing_mm!r} mm must be a positive number"
            )
        for size, (columns, rows) in self.film_pixels.items():
            if size not in FILM_SIZES_MM:
                raise FilmGeometryError(f"film_pixels: unknown Film Size ID {size!r}")
            if columns < 1 or rows < 1:
                raise FilmGeometryError(f"film_pixels[{size}]: {columns} x {rows} is empty")

    def pixels_per_mm(self) -> float:
        if self.pixel_spacing_mm is not None:
            return 1.0 / self.pixel_spacing_mm
        return (self.dpi if self.dpi is not None else DEFAULT_DPI) / MM_PER_INCH

    def film_size_px(self, film_size_id: str, orientation: str) -> tuple[int, int]:
        """(width, height) in pixels of the film as oriented."""
        short, long = film_size_mm(film_size_id, "PORTRAIT")
        if film_size_id in self.film_pixels:
            columns, rows = self.film_pixels[film_size_id]
        else:
            ppm = self.pixels_per_mm()
            columns, rows = round(short * ppm), round(long * ppm)
        return (rows, columns) if orientation == "LANDSCAPE" else (columns, rows)


@dataclass(frozen=True)
class Rect:
    """A rectangle in film pixels: left, top, width, height."""

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height


@dataclass(frozen=True)
class FilmLayout:
    """One film as laid out: its pixel size and its boxes, ``boxes[i]`` being Image Box
    Position ``i + 1``. ``pixels_per_mm`` is (horizontal, vertical)."""

    display_format: DisplayFormat
    film_size_id: str
    orientation: str
    width: int
    height: int
    pixels_per_mm: tuple[float, float]
    boxes: tuple[Rect, ...]

    def box(self, position: int) -> Rect:
        if not 1 <= position <= len(self.boxes):
            raise FilmGeometryError(
                f"Image Box Position {position} is not on this film (1..{len(self.boxes)})"
            )
        return self.boxes[position - 1]


def film_size_mm(film_size_id: str, orientation: str = "PORTRAIT") -> tuple[float, float]:
    """(width, height) in mm as oriented: PORTRAIT puts the long side vertical."""
    if orientation not in ORIENTATIONS:
        raise FilmGeometryError(f"film orientation {orientation!r} is not PORTRAIT or LANDSCAPE")
    try:
        short, long = FILM_SIZES_MM[film_size_id]
    except KeyError:
        raise FilmGeometryError(
            f"{film_size_id!r} is not a Film Size ID ({', '.join(FILM_SIZES_MM)})"
        ) from None
    return (long, short) if orientation == "LANDSCAPE" else (short, long)


def split(length: int, parts: int, gap: int = 0, start: int = 0) -> list[tuple[int, int]]:
    """Cut ``length`` pixels into ``parts`` spans with ``gap`` pixels between them:
    [(offset, size)], sizes differing by at most one, the spare pixels spread evenly."""
    usable = length - (parts - 1) * gap
    edges = [start + (i * usable) // parts for i in range(parts + 1)]
    return [(edges[i] + i * gap, edges[i + 1] - edges[i]) for i in range(parts)]


def layout(
    display_format: str | DisplayFormat,
    film_size_id: str = "14INX17IN",
    orientation: str = "PORTRAIT",
    resolution: Resolution | None = None,
    *,
    margin_mm: float = 0.0,
    gap_mm: float = 0.0,
    custom_formats: Mapping[int, CustomFormat | int] | None = None,
) -> FilmLayout:
    """Lay a film out: the box rectangles in film pixels, in Image Box Position order.

    ``margin_mm`` is the border the printer leaves at every edge of the film, ``gap_mm``
    the space between neighbouring boxes (both rounded to whole pixels). A CUSTOM
    format is looked up in ``custom_formats`` (rectangles, or just a box count, which is
    laid out as :meth:`CustomFormat.grid`).
    """
    fmt = (
        display_format
        if isinstance(display_format, DisplayFormat)
        else parse_display_format(display_format)
    )
    resolution = resolution or Resolution(dpi=DEFAULT_DPI)
    width_mm, height_mm = film_size_mm(film_size_id, orientation)
    width, height = resolution.film_size_px(film_size_id, orientation)
    ppm = (width / width_mm, height / height_mm)
    if margin_mm < 0 or gap_mm < 0:
        raise FilmGeometryError("margin and gap must not be negative")
    mx, my = round(margin_mm * ppm[0]), round(margin_mm * ppm[1])
    gx, gy = round(gap_mm * ppm[0]), round(gap_mm * ppm[1])
    pw, ph = width - 2 * mx, height - 2 * my
    if pw < 1 or ph < 1:
        raise FilmGeometryError(
            f"a {margin_mm} mm margin leaves nothing of a {width_mm:g} x {height_mm:g} mm film"
        )
    kind, counts = fmt.kind, fmt.counts
    boxes: list[Rect] = []
    if kind == "STANDARD":
        columns, rows = counts
        xs = split(pw, columns, gx, mx)
        for y, h in split(ph, rows, gy, my):
            boxes += [Rect(x, y, w, h) for x, w in xs]
    elif kind == "ROW":
        for (y, h), n in zip(split(ph, len(counts), gy, my), counts, strict=True):
            boxes += [Rect(x, y, w, h) for x, w in split(pw, n, gx, mx)]
    elif kind == "COL":
        for (x, w), n in zip(split(pw, len(counts), gx, mx), counts, strict=True):
            boxes += [Rect(x, y, w, h) for y, h in split(ph, n, gy, my)]
    elif kind in ("SLIDE", "SUPERSLIDE"):
        boxes = _slides(kind, mx, my, pw, ph, ppm)
    else:
        boxes = _custom(counts[0], custom_formats, mx, my, pw, ph, gx, gy)
    if not boxes:
        raise FilmGeometryError(f"{fmt} leaves no image box on a {film_size_id} {orientation} film")
    for position, box in enumerate(boxes, 1):
        if box.width < 1 or box.height < 1:
            raise FilmGeometryError(
                f"{fmt} on {film_size_id} at {ppm[0] * MM_PER_INCH:g} dpi: box {position} "
                f"would be {box.width} x {box.height} pixels; too many boxes for the film"
            )
    return FilmLayout(fmt, film_size_id, orientation, width, height, ppm, tuple(boxes))


def _slides(kind: str, mx: int, my: int, pw: int, ph: int, ppm: tuple[float, float]):
    pitch_x, pitch_y = SLIDE_PITCH_MM * ppm[0], SLIDE_PITCH_MM * ppm[1]
    # (+1e-9: a film exactly n frames wide must give n despite rounding in the pitch)
    columns, rows = math.floor(pw / pitch_x + 1e-9), math.floor(ph / pitch_y + 1e-9)
    if columns < 1 or rows < 1:
        raise FilmGeometryError(f"{kind}: not one 2-inch slide frame fits the film")
    sw, sh = SLIDE_PICTURE_MM[kind]
    ox = mx + (pw - columns * pitch_x) / 2
    oy = my + (ph - rows * pitch_y) / 2
    boxes = []
    for r in range(rows):
        for c in range(columns):
            x0 = ox + c * pitch_x + (pitch_x - sw * ppm[0]) / 2
            y0 = oy + r * pitch_y + (pitch_y - sh * ppm[1]) / 2
            left, top = round(x0), round(y0)
            boxes.append(
                Rect(left, top, round(x0 + sw * ppm[0]) - left, round(y0 + sh * ppm[1]) - top)
            )
    return boxes


def _custom(
    index: int,
    formats: Mapping[int, CustomFormat | int] | None,
    mx: int,
    my: int,
    pw: int,
    ph: int,
    gx: int,
    gy: int,
) -> list[Rect]:
    entry = (formats or {}).get(index)
    if entry is None:
        raise FilmGeometryError(
            f"CUSTOM\\{index} is not defined by this printer's configuration"
            + (f" (it defines {', '.join(str(k) for k in sorted(formats))})" if formats else "")
        )
    custom = CustomFormat.grid(entry) if isinstance(entry, int) else entry
    boxes = []
    for fx, fy, fw, fh in custom.rectangles:
        # Edges are rounded, not sizes, so neighbours meet exactly; half the gap on
        # each inner side keeps the gap between them.
        x0, x1 = mx + round(fx * pw), mx + round((fx + fw) * pw)
        y0, y1 = my + round(fy * ph), my + round((fy + fh) * ph)
        if x0 > mx:
            x0 += gx - gx // 2
        if x1 < mx + pw:
            x1 -= gx // 2
        if y0 > my:
            y0 += gy - gy // 2
        if y1 < my + ph:
            y1 -= gy // 2
        boxes.append(Rect(x0, y0, x1 - x0, y1 - y0))
    return boxes


def custom_formats_from(
    table: Mapping[int | str, Sequence[Sequence[float]] | int],
) -> dict[int, CustomFormat | int]:
    """Read a configuration's CUSTOM formats: index -> rectangles or a box count."""
    result: dict[int, CustomFormat | int] = {}
    for key, value in table.items():
        if not _COUNT.fullmatch(str(key)):
            raise FilmGeometryError(f"CUSTOM index {key!r} is not a positive integer")
        if isinstance(value, int):
            CustomFormat.grid(value)  # checks the count
            result[int(key)] = value
        else:
            result[int(key)] = CustomFormat(tuple(tuple(float(v) for v in r) for r in value))
    return result
