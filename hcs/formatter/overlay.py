"""Text and graphics burned into an image box, at print resolution.

Overlays are drawn after magnification, on the pixels that go to the printer, so a
line is one printer pixel sharp and text is set at its size in points on the film
whatever the film size or the image's matrix. Pillow draws (text with its bundled
FreeType font, lines, ellipses); this module only decides where and in what value.

Coordinates: ``units="image"`` are the source image's pixel coordinates (x = column,
y = row, pixel centres at integers), so a graphic follows the anatomy wherever the
image lands; ``units="mm"`` are millimetres on the film from the box's top left
corner. Colours are a gray fraction (0 = black, 1 = white, as P-values: white is the
brightest the film shows) or an RGB triple 0..255 (gray films take its Rec.601 luma).

Each colour is drawn into its own coverage layer (anti-aliased 0..255), then blended
into the box only where the layer is not empty: pixels outside a drawing never change.
"""

from __future__ import annotations

import math
import string
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from pydicom.datadict import tag_for_keyword

from hcs._fastpath.resize import resize
from hcs.errors import HcsError
from hcs.formatter.magnify import Placement
from hcs.formatter.source import Image
from hcs.formatter.spatial import View

if TYPE_CHECKING:  # Pillow is the images extra: imported when an overlay is drawn
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont

Color = float | tuple[int, int, int]
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
UNITS = ("image", "mm")
POINTS_PER_MM = 72.0 / 25.4
INSET_MM = 2.0  # corner text and scale bars keep this far from the box edge


class OverlayError(HcsError, ValueError):
    """An overlay that cannot be drawn (no pixel spacing for a scale bar, bad corner)."""


@dataclass(frozen=True)
class Text:
    """Text at a corner of the box or at a position; ``text`` is a template whose
    ``{Keyword}`` fields come from the image's data set (``{PatientName}``,
    ``{PatientID}``, ``{StudyDate}``, ``{SeriesNumber}``, ``{InstanceNumber}``, any
    DICOM keyword) plus ``{Frame}`` (1-based) and ``{Window}`` (the VOI used)."""

    text: str
    corner: str | None = "top-left"
    at: tuple[float, float] | None = None
    units: str = "image"
    size_pt: float = 10.0
    color: Color = 1.0
    outline: Color | None = 0.0


@dataclass(frozen=True)
class Line:
    points: tuple[tuple[float, float], ...]
    units: str = "image"
    width_pt: float = 1.0
    color: Color = 1.0
    closed: bool = False  # a polyline that returns to its start (a polygon outline)


@dataclass(frozen=True)
class Rectangle:
    corner1: tuple[float, float]
    corner2: tuple[float, float]
    units: str = "image"
    width_pt: float = 1.0
    color: Color = 1.0


@dataclass(frozen=True)
class Ellipse:
    """The ellipse inscribed in the rectangle of two corners."""

    corner1: tuple[float, float]
    corner2: tuple[float, float]
    units: str = "image"
    width_pt: float = 1.0
    color: Color = 1.0


@dataclass(frozen=True)
class Arrow:
    start: tuple[float, float]
    end: tuple[float, float]  # the head is here
    units: str = "image"
    width_pt: float = 1.5
    head_mm: float = 3.0
    color: Color = 1.0


@dataclass(frozen=True)
class ScaleBar:
    """A bar ``length_mm`` long in the patient (from Pixel Spacing), with its label.
    Images without Pixel Spacing (or Imager Pixel Spacing) get no bar."""

    length_mm: float = 50.0
    corner: str = "bottom-right"
    width_pt: float = 2.0
    size_pt: float = 8.0
    color: Color = 1.0


@dataclass(frozen=True)
class OverlayPlanes:
    """The image's own overlay planes (60xx groups), all of them or the ones listed."""

    groups: tuple[int, ...] | None = None
    color: Color = 1.0


Overlay = Text | Line | Rectangle | Ellipse | Arrow | ScaleBar | OverlayPlanes


@dataclass
class Canvas:
    """An output buffer and what overlays need to know to draw on it."""

    pixels: np.ndarray  # gray uint8/uint16 [H, W] or RGB uint8 [H, W, 3]
    placement: Placement  # the image's place in ``pixels``
    px_per_mm: tuple[float, float]  # output pixels per mm on the film (x, y)
    white: int  # the largest P-value (255 or 4095)
    image: Image
    fields: dict[str, str] = field(default_factory=dict)
    view: View | None = None  # region, rotation, flip: image coordinates -> placement

    def image_point(self, x: float, y: float) -> tuple[float, float]:
        """A point of the source image (column, row) in output pixel coordinates."""
        if self.view is not None:
            x, y = self.view.point(x, y)
        return self.placement.to_output(x, y)


# -- values -----------------------------------------------------------------------------


def _value(color: Color, canvas: Canvas) -> tuple[int, ...]:
    rgb = canvas.pixels.ndim == 3
    if isinstance(color, tuple | list):
        r, g, b = (min(max(int(c), 0), 255) for c in color)
        if rgb:
            return (r, g, b)
        luma = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16
        return (round(luma * canvas.white / 255),)
    level = min(max(float(color), 0.0), 1.0)
    if rgb:
        return (round(level * 255),) * 3
    return (round(level * canvas.white),)


class _Layers:
    """One coverage layer per colour, blended into the canvas at the end."""

    def __init__(self, canvas: Canvas):
        self.canvas = canvas
        self.size = (canvas.pixels.shape[1], canvas.pixels.shape[0])
        self.layers: dict[tuple[int, ...], PILImage.Image] = {}

    def layer(self, color: Color) -> PILImage.Image:
        key = _value(color, self.canvas)
        if key not in self.layers:
            from PIL import Image as PILImage

            self.layers[key] = PILImage.new("L", self.size, 0)
        return self.layers[key]

    def draw(self, color: Color) -> ImageDraw.ImageDraw:
        from PIL import ImageDraw

        return ImageDraw.Draw(self.layer(color))

    def add_mask(self, color: Color, mask: PILImage.Image, x: int, y: int) -> None:
        """Merge a coverage mask (the brighter of the two wins) with its top left at x, y."""
        from PIL import ImageChops

        layer = self.layer(color)
        box = (x, y, x + mask.width, y + mask.height)
        layer.paste(ImageChops.lighter(layer.crop(box), mask), (x, y))

    def blend(self, order: Iterable[tuple[int, ...]] | None = None) -> None:
        for key in order if order is not None else list(self.layers):
            layer = self.layers.get(key)
            if layer is None:
                continue
            box = layer.getbbox()
            if box is None:
                continue
            x0, y0, x1, y1 = box
            alpha = np.asarray(layer.crop(box), dtype=np.float32) / 255.0
            region = self.canvas.pixels[y0:y1, x0:x1]
            target = np.asarray(key, dtype=np.float32)
            if region.ndim == 3:
                a = alpha[:, :, None]
            else:
                a = alpha
                target = target[0]
            mixed = region.astype(np.float32) * (1.0 - a) + target * a
            covered = alpha > 0
            region[covered] = np.floor(mixed + 0.5).astype(region.dtype)[covered]


# -- geometry ---------------------------------------------------------------------------


def _point(canvas: Canvas, xy: Sequence[float], units: str) -> tuple[float, float]:
    if units == "image":
        return canvas.image_point(float(xy[0]), float(xy[1]))
    if units == "mm":
        return (float(xy[0]) * canvas.px_per_mm[0], float(xy[1]) * canvas.px_per_mm[1])
    raise OverlayError(f"units {units!r} are not 'image' or 'mm'")


def _points_px(canvas: Canvas, pt: float) -> float:
    """A length in points on the film as output pixels."""
    return pt / POINTS_PER_MM * canvas.px_per_mm[0]


def _width(canvas: Canvas, pt: float) -> int:
    return max(1, round(_points_px(canvas, pt)))


_fonts = threading.local()


def font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font at a pixel size; one per thread (FreeType faces are not
    shared between threads)."""
    cache = getattr(_fonts, "cache", None)
    if cache is None:
        cache = _fonts.cache = {}
    size_px = max(4, int(size_px))
    if size_px not in cache:
        from PIL import ImageFont

        cache[size_px] = ImageFont.load_default(size=size_px)
    return cache[size_px]


# -- text -------------------------------------------------------------------------------


class _Fields(string.Formatter):
    def __init__(self, canvas: Canvas):
        self.canvas = canvas

    def get_value(self, key: Any, args: Sequence[Any], kwargs: Any) -> str:
        if key in self.canvas.fields:
            return self.canvas.fields[key]
        ds = self.canvas.image.dataset
        if ds is None or not isinstance(key, str) or tag_for_keyword(key) is None:
            return ""
        if key not in ds:
            return ""
        element = ds[key]
        value = element.value
        if value is None:
            return ""
        if element.VR == "PN":
            parts = [p for p in (value.family_name, value.given_name) if p]
            return ", ".join(parts) if parts else str(value)
        if element.VR == "DA" and len(str(value)) == 8:
            v = str(value)
            return f"{v[:4]}-{v[4:6]}-{v[6:]}"
        if element.VR == "TM" and len(str(value)) >= 6:
            v = str(value)
            return f"{v[:2]}:{v[2:4]}:{v[4:6]}"
        if isinstance(value, list | tuple) or element.VM > 1:
            return "\\".join(str(v) for v in value)
        return str(value)


def expand(template: str, canvas: Canvas) -> str:
    """Fill a text template's ``{Keyword}`` fields; unknown keywords become empty."""
    try:
        return _Fields(canvas).format(template)
    except (ValueError, IndexError) as error:
        raise OverlayError(f"text template {template!r}: {error}") from None


def _corner_origin(canvas: Canvas, corner: str, w: float, h: float) -> tuple[float, float]:
    if corner not in CORNERS:
        raise OverlayError(f"corner {corner!r} is not one of {', '.join(CORNERS)}")
    H, W = canvas.pixels.shape[:2]
    ix, iy = INSET_MM * canvas.px_per_mm[0], INSET_MM * canvas.px_per_mm[1]
    x = ix if corner.endswith("left") else W - ix - w
    y = iy if corner.startswith("top") else H - iy - h
    return x, y


def _draw_text(layers: _Layers, canvas: Canvas, item: Text) -> None:
    text = expand(item.text, canvas)
    if not text.strip():
        return
    f = font(round(_points_px(canvas, item.size_pt)))
    stroke = max(1, round(f.size / 12)) if item.outline is not None else 0
    from PIL import Image as PILImage
    from PIL import ImageDraw

    probe = ImageDraw.Draw(PILImage.new("L", (1, 1)))
    align = "right" if (item.corner or "").endswith("right") and item.at is None else "left"
    left, top, right, bottom = probe.multiline_textbbox(
        (0, 0), text, font=f, align=align, stroke_width=stroke
    )
    if item.at is not None:
        x, y = _point(canvas, item.at, item.units)
    else:
        x, y = _corner_origin(canvas, item.corner or "top-left", right - left, bottom - top)
    origin = (round(x - left), round(y - top))
    if item.outline is not None:
        layers.draw(item.outline).multiline_text(
            origin, text, font=f, fill=255, align=align, stroke_width=stroke, stroke_fill=255
        )
    layers.draw(item.color).multiline_text(origin, text, font=f, fill=255, align=align)


# -- graphics ---------------------------------------------------------------------------


def _draw_line(layers: _Layers, canvas: Canvas, item: Line) -> None:
    pts = [_point(canvas, p, item.units) for p in item.points]
    if len(pts) < 2:
        raise OverlayError("a line needs at least two points")
    if item.closed:
        pts.append(pts[0])
    layers.draw(item.color).line(pts, fill=255, width=_width(canvas, item.width_pt), joint="curve")


def _box(canvas: Canvas, c1, c2, units: str) -> list[float]:
    (x0, y0), (x1, y1) = _point(canvas, c1, units), _point(canvas, c2, units)
    return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]


def _draw_arrow(layers: _Layers, canvas: Canvas, item: Arrow) -> None:
    x0, y0 = _point(canvas, item.start, item.units)
    x1, y1 = _point(canvas, item.end, item.units)
    length = math.hypot(x1 - x0, y1 - y0)
    if length == 0:
        raise OverlayError("an arrow needs two different points")
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    head = item.head_mm * canvas.px_per_mm[0]
    bx, by = x1 - ux * head, y1 - uy * head  # base of the head
    half = head * 0.45
    draw = layers.draw(item.color)
    draw.line([(x0, y0), (bx, by)], fill=255, width=_width(canvas, item.width_pt))
    draw.polygon(
        [(x1, y1), (bx - uy * half, by + ux * half), (bx + uy * half, by - ux * half)], fill=255
    )


def _draw_scale_bar(layers: _Layers, canvas: Canvas, item: ScaleBar) -> None:
    spacing = canvas.image.pixel_spacing
    if canvas.view is not None:
        spacing = canvas.view.pair(spacing)  # a quarter turn swaps row and column spacing
    if spacing is None:
        return  # nothing to measure with: an image without Pixel Spacing gets no bar
    length = item.length_mm / spacing[1] * canvas.placement.scale_x  # output pixels
    thick = _width(canvas, item.width_pt)
    tick = 1.5 * INSET_MM * canvas.px_per_mm[1]
    label = f"{item.length_mm:g} mm"
    f = font(round(_points_px(canvas, item.size_pt)))
    lx0, ly0, lx1, ly1 = f.getbbox(label)
    total_h = tick + (ly1 - ly0) + thick
    p = canvas.placement
    H, W = canvas.pixels.shape[:2]
    ix, iy = INSET_MM * canvas.px_per_mm[0], INSET_MM * canvas.px_per_mm[1]
    right = min(p.x + p.width, W) - ix
    left_edge = max(p.x, 0) + ix
    x = left_edge if item.corner.endswith("left") else right - length
    if item.corner not in CORNERS:
        raise OverlayError(f"corner {item.corner!r} is not one of {', '.join(CORNERS)}")
    top = max(p.y, 0) + iy
    bottom = min(p.y + p.height, H) - iy
    y = bottom - thick / 2 if item.corner.startswith("bottom") else top + total_h - thick / 2
    draw = layers.draw(item.color)
    draw.line([(x, y), (x + length, y)], fill=255, width=thick)
    for end in (x, x + length):
        draw.line([(end, y - tick), (end, y)], fill=255, width=thick)
    draw.text(
        (round(x + length / 2 - (lx1 - lx0) / 2 - lx0), round(y - tick - (ly1 - ly0) - ly0)),
        label,
        font=f,
        fill=255,
    )


def _draw_planes(layers: _Layers, canvas: Canvas, item: OverlayPlanes) -> None:
    ds = canvas.image.dataset
    if ds is None:
        return
    groups = item.groups
    if groups is None:
        groups = tuple(g for g in range(0x6000, 0x6020, 2) if (g << 16 | 0x3000) in ds)
    p = canvas.placement
    rows, columns = canvas.image.rows, canvas.image.columns
    for group in groups:
        if (group << 16 | 0x3000) not in ds:
            continue
        bits = np.asarray(ds.overlay_array(group))
        if bits.ndim == 3:  # a multi-frame overlay: the plane for this frame
            first = int(ds.get((group, 0x0051), 1) or 1)
            index = canvas.image.frame_index - (first - 1)
            if not 0 <= index < bits.shape[0]:
                continue
            bits = bits[index]
        origin = ds.get((group, 0x0050))
        r0, c0 = (int(v) - 1 for v in origin.value) if origin is not None else (0, 0)
        mask = np.zeros((rows, columns), np.uint8)
        src_r0, src_c0 = max(-r0, 0), max(-c0, 0)
        dst_r0, dst_c0 = max(r0, 0), max(c0, 0)
        h = min(bits.shape[0] - src_r0, rows - dst_r0)
        w = min(bits.shape[1] - src_c0, columns - dst_c0)
        if h <= 0 or w <= 0:
            continue
        mask[dst_r0 : dst_r0 + h, dst_c0 : dst_c0 + w] = (
            bits[src_r0 : src_r0 + h, src_c0 : src_c0 + w] != 0
        ) * np.uint8(255)
        if canvas.view is not None:  # the plane is in image coordinates: it goes with them
            mask = np.ascontiguousarray(canvas.view.apply(mask))
        scaled = np.empty((p.height, p.width), np.uint8)
        if (p.height, p.width) == mask.shape:
            scaled[...] = mask
        else:
            resize(mask, scaled, "BILINEAR")
        from PIL import Image as PILImage

        layers.add_mask(item.color, PILImage.fromarray(scaled, "L"), p.x, p.y)


# -- from a job's JSON ------------------------------------------------------------------


def _pt(value: Sequence[float]) -> tuple[float, float]:
    return (float(value[0]), float(value[1]))


def _colour(value: Any) -> Color:
    return tuple(value) if isinstance(value, list | tuple) else float(value)  # type: ignore[return-value]


def from_json(item: dict[str, Any]) -> Overlay:
    """A drawing as a job gives it (checked by :mod:`hcs.job.graphics`) -> an overlay."""
    kind = item["type"]
    common: dict[str, Any] = {"units": item.get("units", "image")}
    if "color" in item:
        common["color"] = _colour(item["color"])
    if "width_pt" in item:
        common["width_pt"] = float(item["width_pt"])
    if kind == "line":
        points = tuple(_pt(p) for p in item["points"])
        return Line(points, closed=bool(item.get("closed", False)), **common)
    if kind in ("rectangle", "ellipse"):
        shape = Rectangle if kind == "rectangle" else Ellipse
        return shape(_pt(item["corner1"]), _pt(item["corner2"]), **common)
    if kind == "arrow":
        if "head_mm" in item:
            common["head_mm"] = float(item["head_mm"])
        return Arrow(_pt(item["start"]), _pt(item["end"]), **common)
    if kind == "text":
        common.pop("width_pt", None)
        if "size_pt" in item:
            common["size_pt"] = float(item["size_pt"])
        if "outline" in item:
            common["outline"] = None if item["outline"] is None else _colour(item["outline"])
        return Text(item["text"], corner=None, at=_pt(item["at"]), **common)
    raise OverlayError(f"{kind!r} is not a drawing")


# -- entry point ------------------------------------------------------------------------


def draw(canvas: Canvas, overlays: Sequence[Overlay]) -> None:
    """Burn ``overlays`` into ``canvas.pixels`` in place (outlines under their text)."""
    if not overlays:
        return
    layers = _Layers(canvas)
    outlines: list[tuple[int, ...]] = []
    for item in overlays:
        if isinstance(item, Text):
            if item.outline is not None:
                outlines.append(_value(item.outline, canvas))
            _draw_text(layers, canvas, item)
        elif isinstance(item, Line):
            _draw_line(layers, canvas, item)
        elif isinstance(item, Rectangle):
            layers.draw(item.color).rectangle(
                _box(canvas, item.corner1, item.corner2, item.units),
                outline=255,
                width=_width(canvas, item.width_pt),
            )
        elif isinstance(item, Ellipse):
            layers.draw(item.color).ellipse(
                _box(canvas, item.corner1, item.corner2, item.units),
                outline=255,
                width=_width(canvas, item.width_pt),
            )
        elif isinstance(item, Arrow):
            _draw_arrow(layers, canvas, item)
        elif isinstance(item, ScaleBar):
            _draw_scale_bar(layers, canvas, item)
        elif isinstance(item, OverlayPlanes):
            _draw_planes(layers, canvas, item)
        else:
            raise OverlayError(f"{type(item).__name__} is not an overlay")
    order = list(dict.fromkeys(outlines)) + [k for k in layers.layers if k not in outlines]
    layers.blend(order)
