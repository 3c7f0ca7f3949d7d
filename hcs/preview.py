"""Film previews: the whole film, or one box, as it would look on a light box.

The preview is drawn from what was formatted, so it shows what the printer gets: the
border at its density, empty boxes at the empty-image density, every image with its
polarity and overlays as printed. P-values are shown as screen gray levels: both are
perceptually spaced (P-values by PS3.14's display function, screen levels by sRGB's
gamma), so equal steps on film look like equal steps on screen. When the printer
magnifies, the preview magnifies the image into its box the way the printer will.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from hcs._fastpath.lut import apply_lut
from hcs._fastpath.resize import resize
from hcs.film import Rect
from hcs.formatter.job import FormattedBox, FormattedFilm
from hcs.formatter.magnify import place

_TO_8 = np.floor(np.arange(4096) * (255 / 4095) + 0.5).astype(np.uint8)


def to_8bit(pixels: np.ndarray) -> np.ndarray:
    """12-bit P-values (uint16) to 8 bits, rounded; 8-bit arrays unchanged."""
    if pixels.dtype == np.uint8:
        return pixels
    return apply_lut(np.ascontiguousarray(pixels), _TO_8, np.empty(pixels.shape, np.uint8))


def _level8(pvalue: int, bits: int) -> int:
    return pvalue if bits == 8 else round(pvalue * 255 / (2**bits - 1))


def _scaled(rect: Rect, sx: float, sy: float) -> tuple[int, int, int, int]:
    x0, y0 = round(rect.x * sx), round(rect.y * sy)
    return x0, y0, round(rect.right * sx), round(rect.bottom * sy)


def _draw_box(
    canvas: np.ndarray, box: FormattedBox, film: FormattedFilm, area: tuple[int, int, int, int]
) -> None:
    """Draw one formatted box into ``canvas[area]`` (already at empty density)."""
    x0, y0, x1, y1 = area
    w, h = x1 - x0, y1 - y0
    if w < 1 or h < 1:
        return
    pixels = to_8bit(box.pixels)
    if film.scaling == "printer":
        rows, columns = pixels.shape[:2]
        method = "NONE" if box.spec.magnification_type == "NONE" else "BILINEAR"
        if method == "NONE":
            # 1:1 on film: shrink by the preview's own scale, centred, cropped.
            rect = film.rect(box.position)
            sx = w / rect.width
            p = place(max(1, round(rows * sx)), max(1, round(columns * sx)), w, h, "NONE")
        else:
            p = place(rows, columns, w, h, "BILINEAR")
        x0, y0 = x0 + max(p.x, 0), y0 + max(p.y, 0)
        w, h = min(p.width, w), min(p.height, h)
    target = canvas[y0 : y0 + h, x0 : x0 + w]
    if pixels.ndim == target.ndim:
        resize(np.ascontiguousarray(pixels), target, "BILINEAR")
    else:  # a gray box on a colour canvas
        gray = np.empty((h, w), np.uint8)
        resize(np.ascontiguousarray(pixels), gray, "BILINEAR")
        target[...] = gray[:, :, None]
    if box.spec.polarity == "REVERSE":  # sent as Polarity: the printer inverts the box
        np.subtract(255, target, out=target)


def render_film(film: FormattedFilm, width: int = 800) -> np.ndarray:
    """The whole film at ``width`` pixels wide: uint8 gray, or RGB for a colour film."""
    if width < 1:
        raise ValueError(f"preview width {width} must be at least 1")
    geometry = film.layout
    sx = width / geometry.width
    height = max(1, round(geometry.height * sx))
    sy = height / geometry.height
    shape = (height, width, 3) if film.color else (height, width)
    canvas = np.full(shape, _level8(film.border_pvalue, film.bits), np.uint8)
    empty = _level8(film.empty_pvalue, film.bits)
    for position, rect in enumerate(geometry.boxes, 1):
        x0, y0, x1, y1 = _scaled(rect, sx, sy)
        canvas[y0:y1, x0:x1] = empty
        box = film.boxes[position - 1]
        if box is not None:
            _draw_box(canvas, box, film, (x0, y0, x1, y1))
    return canvas


def render_box(film: FormattedFilm, position: int, width: int = 400) -> np.ndarray:
    """One image box at ``width`` pixels wide, its own aspect, as on the film."""
    rect = film.rect(position)
    height = max(1, round(rect.height * width / rect.width))
    shape = (height, width, 3) if film.color else (height, width)
    canvas = np.full(shape, _level8(film.empty_pvalue, film.bits), np.uint8)
    box = film.boxes[position - 1]
    if box is not None:
        _draw_box(canvas, box, film, (0, 0, width, height))
    return canvas


def png_bytes(pixels: np.ndarray) -> bytes:
    """Encode a gray or RGB uint8 array as PNG (maximum compression: previews stay small)."""
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, "PNG", compress_level=9)
    return buffer.getvalue()


def film_png(film: FormattedFilm, width: int = 800, path: str | Path | None = None) -> bytes:
    data = png_bytes(render_film(film, width))
    if path is not None:
        Path(path).write_bytes(data)
    return data


def box_png(
    film: FormattedFilm, position: int, width: int = 400, path: str | Path | None = None
) -> bytes:
    data = png_bytes(render_box(film, position, width))
    if path is not None:
        Path(path).write_bytes(data)
    return data
