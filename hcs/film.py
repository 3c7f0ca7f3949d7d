"""Film geometry: film sizes, Image Display Formats, and where each image box sits.

One geometry for both sides of the wire. :func:`layout_mm` gives a film in millimetres
(its size as oriented, the boxes on it with the printer's margin and gaps): the virtual
printer draws and reports it. :func:`layout` gives the pixel view of the same film at a
resolution: the formatter sizes images to it, the driver checks against it, and the
virtual printer decides with it whether an image is larger than its box. Both come from
one arrangement of the boxes (:func:`_arrange`), so the two sides cannot disagree on how
many boxes a format makes or how many pixels a box holds.

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

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hcs.job.terms import (
    FILM_ORIENTATIONS,
    FILM_SIZE_IDS,
    MAX_BOXES,
    DisplayFormat,
    FilmGeometryError,
    parse_display_format,
)

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
assert tuple(FILM_SIZES_MM) == FILM_SIZE_IDS  # one list of Film Size IDs
ORIENTATIONS = FILM_ORIENTATIONS

# The resolution assumed when no printer says otherwise (PrinterProfile's default too):
# 300 dpi, a common dry laser film printer's standard resolution.
DEFAULT_DPI = 300.0

# The border a printer leaves at the film's edge and between boxes when nobody says
# otherwise: none. Both sides use these defaults (PrinterProfile for the SCU, the virtual
# printer's [film] table), so an SCU without a profile formats exactly the boxes the
# virtual printer lays out, and no image comes back "larger than its box" (0xB604).
# A printer that leaves a border says so in its profile (margin_mm, gap_mm).
DEFAULT_MARGIN_MM = 0.0
DEFAULT_GAP_MM = 0.0

# Slides are mounted in 2-inch frames; the picture is 36 x 24 mm for 35 mm slides and
# 40 x 40 mm for superslides. PS3.3 leaves their number to the printer; here it is how
# many frames fit the printable area, centred (as hcs's virtual printer lays them out).
SLIDE_PITCH_MM = 2 * MM_PER_INCH
SLIDE_PICTURE_MM = {"SLIDE": (36.0, 24.0), "SUPERSLIDE": (40.0, 40.0)}

_COUNT = re.compile(r"[1-9][0-9]*")


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
        raise FilmGeometryError(
            f"film orientation {orientation!r} is not PORTRAIT or LANDSCAPE", "FilmOrientation"
        )
    try:
        short, long = FILM_SIZES_MM[film_size_id]
    except KeyError:
        raise FilmGeometryError(
            f"{film_size_id!r} is not a Film Size ID ({', '.join(FILM_SIZES_MM)})", "FilmSizeID"
        ) from None
    return (long, short) if orientation == "LANDSCAPE" else (short, long)


def split(length: int, parts: int, gap: int = 0, start: int = 0) -> list[tuple[int, int]]:
    """Cut ``length`` pixels into ``parts`` spans with ``gap`` pixels between them:
    [(offset, size)], sizes differing by at most one, the spare pixels spread evenly."""
    usable = length - (parts - 1) * gap
    edges = [start + (i * usable) // parts for i in range(parts + 1)]
    return [(edges[i] + i * gap, edges[i + 1] - edges[i]) for i in range(parts)]


def split_mm(length: float, parts: int, gap: float = 0.0, start: float = 0.0):
    """:func:`split` in millimetres: equal spans, no rounding."""
    size = (length - (parts - 1) * gap) / parts
    return [(start + i * (size + gap), size) for i in range(parts)]


CustomFormats = Mapping[int | str, "CustomFormat | int | Sequence[Sequence[float]]"]


def slide_grid(kind: str, printable_mm: tuple[float, float]) -> tuple[int, int]:
    """(columns, rows) of 2-inch slide frames that fit the printable area: the film
    decides how many SLIDE or SUPERSLIDE boxes there are, never the resolution."""
    # (+1e-9: a film exactly n frames wide must give n despite rounding)
    columns = math.floor(printable_mm[0] / SLIDE_PITCH_MM + 1e-9)
    rows = math.floor(printable_mm[1] / SLIDE_PITCH_MM + 1e-9)
    if columns < 1 or rows < 1:
        raise FilmGeometryError(f"{kind}: not one 2-inch slide frame fits the film")
    return columns, rows


def _custom_format(index: int, formats: CustomFormats | None) -> CustomFormat:
    """The printer's CUSTOM\\index: its rectangles (a bare count is laid out as a grid)."""
    table = {int(k): v for k, v in (formats or {}).items()}
    entry = table.get(index)
    if entry is None:
        raise FilmGeometryError(
            f"CUSTOM\\{index} is not defined by this printer's configuration"
            + (f" (it defines {', '.join(str(k) for k in sorted(table))})" if table else "")
        )
    if isinstance(entry, CustomFormat):
        return entry
    if isinstance(entry, int):
        return CustomFormat.grid(entry)
    return CustomFormat(tuple(tuple(float(v) for v in r) for r in entry))


def _arrange(
    fmt: DisplayFormat,
    printable: tuple[float, float, float, float],
    gaps: tuple[float, float],
    cut,
    slides,
    custom: CustomFormats | None,
    place,
) -> list[tuple[float, float, float, float]]:
    """Where the boxes go, in Image Box Position order: the one arrangement both views use.

    ``printable`` is (left, top, width, height) in the view's unit, ``cut`` the view's
    :func:`split`, ``slides`` the view's slide frames, ``place`` turns the fractions of a
    CUSTOM rectangle into the view's unit. PS3.3 C.13.5.1 numbering: STANDARD, ROW,
    SLIDE and SUPERSLIDE row-major; COL column-major; CUSTOM in its definition order.
    """
    mx, my, pw, ph = printable
    gx, gy = gaps
    kind, counts = fmt.kind, fmt.counts
    boxes: list[tuple[float, float, float, float]] = []
    if kind == "STANDARD":
        columns, rows = counts
        xs = cut(pw, columns, gx, mx)
        for y, h in cut(ph, rows, gy, my):
            boxes += [(x, y, w, h) for x, w in xs]
    elif kind == "ROW":
        for (y, h), n in zip(cut(ph, len(counts), gy, my), counts, strict=True):
            boxes += [(x, y, w, h) for x, w in cut(pw, n, gx, mx)]
    elif kind == "COL":
        for (x, w), n in zip(cut(pw, len(counts), gx, mx), counts, strict=True):
            boxes += [(x, y, w, h) for y, h in cut(ph, n, gy, my)]
    elif kind in ("SLIDE", "SUPERSLIDE"):
        boxes = slides(kind)
    else:
        boxes = [
            place(rect, printable, gaps) for rect in _custom_format(counts[0], custom).rectangles
        ]
    return boxes


def _inner_gaps(x0, y0, x1, y1, printable, lead: tuple, trail: tuple):
    """Shrink a CUSTOM rectangle where it touches a neighbour (not the printable area's
    edge): ``lead`` on its left/top, ``trail`` on its right/bottom, which add up to the
    gap, so neighbours keep the whole gap between them."""
    mx, my, pw, ph = printable
    if x0 > mx:
        x0 += lead[0]
    if x1 < mx + pw:
        x1 -= trail[0]
    if y0 > my:
        y0 += lead[1]
    if y1 < my + ph:
        y1 -= trail[1]
    return x0, y0, x1 - x0, y1 - y0


def _place_px(rect, printable, gaps):
    # Edges are rounded, not sizes, so neighbours meet exactly.
    fx, fy, fw, fh = rect
    mx, my, pw, ph = printable
    gx, gy = gaps
    x0, x1 = mx + round(fx * pw), mx + round((fx + fw) * pw)
    y0, y1 = my + round(fy * ph), my + round((fy + fh) * ph)
    return _inner_gaps(x0, y0, x1, y1, printable, (gx - gx // 2, gy - gy // 2), (gx // 2, gy // 2))


def _place_mm(rect, printable, gaps):
    fx, fy, fw, fh = rect
    mx, my, pw, ph = printable
    half = (gaps[0] / 2, gaps[1] / 2)
    x0, x1 = mx + fx * pw, mx + (fx + fw) * pw
    y0, y1 = my + fy * ph, my + (fy + fh) * ph
    return _inner_gaps(x0, y0, x1, y1, printable, half, half)


@dataclass(frozen=True)
class Box:
    """One image box on the film in millimetres: its Image Box Position and rectangle."""

    position: int
    x: float
    y: float
    width: float
    height: float
    film: _FilmKey | None = field(default=None, compare=False, repr=False)

    def pixels(self, dpi: float) -> tuple[int, int]:
        """(columns, rows) of printer pixels the box holds at ``dpi``: the pixel view's
        box, so it is exactly what an SCU formatting with :func:`layout` sends."""
        if self.film is None:
            return (
                max(1, math.floor(self.width / MM_PER_INCH * dpi + 1e-6)),
                max(1, math.floor(self.height / MM_PER_INCH * dpi + 1e-6)),
            )
        rect = _pixel_view(self.film, float(dpi)).boxes[self.position - 1]
        return rect.width, rect.height


@dataclass(frozen=True)
class Layout:
    """A film in millimetres: its size as oriented, its boxes, the printer's margin."""

    width: float
    height: float
    boxes: tuple[Box, ...]
    margin: float

    def box(self, position: int) -> Box:
        if not 1 <= position <= len(self.boxes):
            raise FilmGeometryError(
                f"Image Box Position {position} is not on this film (1..{len(self.boxes)})"
            )
        return self.boxes[position - 1]


@dataclass(frozen=True)
class _FilmKey:
    """What fixes a film's layout, hashable, so a box can find its pixel view."""

    display_format: DisplayFormat
    film_size_id: str
    orientation: str
    margin_mm: float
    gap_mm: float
    custom: tuple[tuple[int, CustomFormat], ...]


@functools.lru_cache(maxsize=256)
def _pixel_view(key: _FilmKey, dpi: float) -> FilmLayout:
    return layout(
        key.display_format,
        key.film_size_id,
        key.orientation,
        Resolution(dpi=dpi),
        margin_mm=key.margin_mm,
        gap_mm=key.gap_mm,
        custom_formats=dict(key.custom),
    )


def _display_format(display_format: str | DisplayFormat) -> DisplayFormat:
    if isinstance(display_format, DisplayFormat):
        return display_format
    return parse_display_format(display_format)


def _check_spacing(margin_mm: float, gap_mm: float) -> None:
    if margin_mm < 0 or gap_mm < 0:
        raise FilmGeometryError("margin and gap must not be negative")


def layout_mm(
    display_format: str | DisplayFormat,
    film_size_id: str = "14INX17IN",
    orientation: str = "PORTRAIT",
    *,
    margin_mm: float = 0.0,
    gap_mm: float = 0.0,
    custom_formats: CustomFormats | None = None,
) -> Layout:
    """Lay a film out in millimetres: the boxes share the printable area (the film less
    ``margin_mm`` on every side) with ``gap_mm`` between neighbours."""
    fmt = _display_format(display_format)
    _check_spacing(margin_mm, gap_mm)
    width, height = film_size_mm(film_size_id, orientation)
    pw, ph = width - 2 * margin_mm, height - 2 * margin_mm
    if pw <= 0 or ph <= 0:
        raise FilmGeometryError(
            f"a {margin_mm} mm margin leaves nothing of a {width:g} x {height:g} mm film"
        )
    printable = (margin_mm, margin_mm, pw, ph)
    rects = _arrange(
        fmt,
        printable,
        (gap_mm, gap_mm),
        split_mm,
        lambda kind: _slides_mm(kind, printable),
        custom_formats,
        _place_mm,
    )
    if not rects:
        raise FilmGeometryError(f"{fmt} leaves no image box on a {film_size_id} film")
    custom = ()
    if fmt.kind == "CUSTOM":
        custom = ((fmt.counts[0], _custom_format(fmt.counts[0], custom_formats)),)
    key = _FilmKey(fmt, film_size_id, orientation, margin_mm, gap_mm, custom)
    boxes = tuple(Box(i, *rect, film=key) for i, rect in enumerate(rects, 1))
    return Layout(width, height, boxes, margin_mm)


def box_count(
    display_format: str | DisplayFormat,
    film_size_id: str = "14INX17IN",
    orientation: str = "PORTRAIT",
    *,
    margin_mm: float = 0.0,
    custom_formats: CustomFormats | None = None,
) -> int:
    """How many Image Boxes a Film Box with this format holds on this film."""
    fmt = _display_format(display_format)
    if fmt.grid_boxes is not None:
        return fmt.grid_boxes
    return len(
        layout_mm(
            fmt, film_size_id, orientation, margin_mm=margin_mm, custom_formats=custom_formats
        ).boxes
    )


def layout(
    display_format: str | DisplayFormat,
    film_size_id: str = "14INX17IN",
    orientation: str = "PORTRAIT",
    resolution: Resolution | None = None,
    *,
    margin_mm: float = 0.0,
    gap_mm: float = 0.0,
    custom_formats: CustomFormats | None = None,
) -> FilmLayout:
    """The pixel view of a film: the box rectangles in film pixels at ``resolution``, in
    Image Box Position order.

    ``margin_mm`` is the border the printer leaves at every edge of the film, ``gap_mm``
    the space between neighbouring boxes (both rounded to whole pixels). A CUSTOM
    format is looked up in ``custom_formats`` (rectangles, or just a box count, which is
    laid out as :meth:`CustomFormat.grid`).
    """
    fmt = _display_format(display_format)
    resolution = resolution or Resolution(dpi=DEFAULT_DPI)
    width_mm, height_mm = film_size_mm(film_size_id, orientation)
    width, height = resolution.film_size_px(film_size_id, orientation)
    ppm = (width / width_mm, height / height_mm)
    _check_spacing(margin_mm, gap_mm)
    mx, my = round(margin_mm * ppm[0]), round(margin_mm * ppm[1])
    gx, gy = round(gap_mm * ppm[0]), round(gap_mm * ppm[1])
    pw, ph = width - 2 * mx, height - 2 * my
    if pw < 1 or ph < 1:
        raise FilmGeometryError(
            f"a {margin_mm} mm margin leaves nothing of a {width_mm:g} x {height_mm:g} mm film"
        )
    printable_mm = (width_mm - 2 * margin_mm, height_mm - 2 * margin_mm)
    rects = _arrange(
        fmt,
        (mx, my, pw, ph),
        (gx, gy),
        split,
        lambda kind: _slides_px(kind, printable_mm, mx, my, pw, ph, ppm),
        custom_formats,
        _place_px,
    )
    boxes = [Rect(*rect) for rect in rects]
    if not boxes:
        raise FilmGeometryError(f"{fmt} leaves no image box on a {film_size_id} {orientation} film")
    for position, box in enumerate(boxes, 1):
        if box.width < 1 or box.height < 1:
            raise FilmGeometryError(
                f"{fmt} on {film_size_id} at {ppm[0] * MM_PER_INCH:g} dpi: box {position} "
                f"would be {box.width} x {box.height} pixels; too many boxes for the film"
            )
    return FilmLayout(fmt, film_size_id, orientation, width, height, ppm, tuple(boxes))


def _slides_mm(kind: str, printable: tuple[float, float, float, float]):
    px, py, pw, ph = printable
    columns, rows = slide_grid(kind, (pw, ph))
    sw, sh = SLIDE_PICTURE_MM[kind]
    ox = px + (pw - columns * SLIDE_PITCH_MM) / 2
    oy = py + (ph - rows * SLIDE_PITCH_MM) / 2
    return [
        (
            ox + c * SLIDE_PITCH_MM + (SLIDE_PITCH_MM - sw) / 2,
            oy + r * SLIDE_PITCH_MM + (SLIDE_PITCH_MM - sh) / 2,
            sw,
            sh,
        )
        for r in range(rows)
        for c in range(columns)
    ]


def _slides_px(kind, printable_mm, mx, my, pw, ph, ppm):
    columns, rows = slide_grid(kind, printable_mm)
    pitch_x, pitch_y = SLIDE_PITCH_MM * ppm[0], SLIDE_PITCH_MM * ppm[1]
    sw, sh = SLIDE_PICTURE_MM[kind]
    ox = mx + (pw - columns * pitch_x) / 2
    oy = my + (ph - rows * pitch_y) / 2
    boxes = []
    for r in range(rows):
        for c in range(columns):
            x0 = ox + c * pitch_x + (pitch_x - sw * ppm[0]) / 2
            y0 = oy + r * pitch_y + (pitch_y - sh * ppm[1]) / 2
            left, top = round(x0), round(y0)
            boxes.append((left, top, round(x0 + sw * ppm[0]) - left, round(y0 + sh * ppm[1]) - top))
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
