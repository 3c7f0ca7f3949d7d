"""Magnification into an image box: keep the aspect, centre, fill the rest.

The host-scaling mode sends every image at its box's pixel size, so the printer does
not scale at all. The image is scaled by one factor (its physical aspect kept, pixel
aspect ratio or spacing included) to the largest size that fits the box, centred, and
the rest of the box is the empty-image density. NONE places the image 1:1, centred,
cropped where it is larger than the box.

8-bit gray and RGB go through the ``resize`` kernel, straight into a view of the box
buffer. 12-bit gray (uint16) is resampled in numpy float with the kernel's own taps
and weights (``axis_weights``), rounded once: the same filter at 16 times the precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hcs._fastpath.place import fit_size
from hcs._fastpath.resize import axis_weights, resize
from hcs.job import terms

METHODS = terms.MAGNIFICATION_TYPES


@dataclass(frozen=True)
class Placement:
    """Where the image lands in its output buffer: the rectangle (may extend past the
    buffer for NONE) and the scale in output pixels per image pixel (x, y)."""

    x: int
    y: int
    width: int
    height: int
    scale_x: float
    scale_y: float

    def to_output(self, x: float, y: float) -> tuple[float, float]:
        """Image pixel coordinates (pixel centres at integers) to output coordinates."""
        return (self.x + (x + 0.5) * self.scale_x - 0.5, self.y + (y + 0.5) * self.scale_y - 0.5)


def _centre(inner: int, outer: int) -> int:
    # As the NONE kernel centres: floor of half the difference, cropped or padded.
    return (outer - inner) // 2 if inner <= outer else -((inner - outer) // 2)


def place(
    rows: int,
    columns: int,
    box_width: int,
    box_height: int,
    method: str = "BILINEAR",
    pixel_aspect: tuple[float, float] = (1.0, 1.0),
) -> Placement:
    """Fit a rows x columns image into a box: one scale, aspect kept, centred."""
    if method == "NONE":
        return Placement(
            _centre(columns, box_width), _centre(rows, box_height), columns, rows, 1.0, 1.0
        )
    # The kernel module's exact (rational) fit: the limiting side fills the box, the
    # other is rounded half up.
    height, width = fit_size(rows, columns, box_height, box_width, pixel_aspect=pixel_aspect)
    return Placement(
        (box_width - width) // 2,
        (box_height - height) // 2,
        width,
        height,
        width / columns,
        height / rows,
    )


def place_zoomed(
    rows: int,
    columns: int,
    box_width: int,
    box_height: int,
    method: str,
    pixel_aspect: tuple[float, float],
    zoom: float,
) -> tuple[tuple[int, int, int, int], Placement]:
    """Fit a rows x columns image into a box, ``zoom`` times the fitted size, centred.

    Returns the part of the image that shows (column, row, width, height) and where it
    lands. Each axis on its own: when the zoomed image is no larger than the box along
    it, all of it shows at ``round(fitted * zoom)`` pixels; when it is larger, the middle
    ``round(n * box / (fitted * zoom))`` source pixels show and fill the box. Cutting to
    whole source pixels keeps the scale within one source pixel of the factor, and what
    falls outside the box is never resampled. NONE does not scale, so it cannot zoom.
    """
    if zoom == 1.0:
        return (0, 0, columns, rows), place(
            rows, columns, box_width, box_height, method, pixel_aspect
        )
    if method == "NONE":
        raise ValueError(
            f"zoom {zoom:g} needs a Magnification Type that scales "
            "(REPLICATE, BILINEAR or CUBIC), not NONE"
        )
    fit = place(rows, columns, box_width, box_height, method, pixel_aspect)

    def axis(n: int, fitted: int, box: int) -> tuple[int, int, int]:
        zoomed = fitted * zoom
        if zoomed <= box:
            return 0, n, max(1, math.floor(zoomed + 0.5))
        keep = min(n, max(1, math.floor(n * box / zoomed + 0.5)))
        return (n - keep) // 2, keep, box

    x, width, out_w = axis(columns, fit.width, box_width)
    y, height, out_h = axis(rows, fit.height, box_height)
    placement = Placement(
        (box_width - out_w) // 2,
        (box_height - out_h) // 2,
        out_w,
        out_h,
        out_w / width,
        out_h / height,
    )
    return (x, y, width, height), placement


def printer_scale(
    rows: int,
    columns: int,
    box_width: int,
    box_height: int,
    pixel_aspect: tuple[float, float] = (1.0, 1.0),
) -> float:
    """How much the printer will magnify an image sent at its own size (for sizing text
    in points when the printer magnifies): the horizontal scale of :func:`place`."""
    return place(rows, columns, box_width, box_height, "BILINEAR", pixel_aspect).scale_x


def fill_around(out: np.ndarray, p: Placement, value) -> None:
    """Set everything of ``out`` outside the placement rectangle to ``value``."""
    h, w = out.shape[:2]
    x0, y0 = max(p.x, 0), max(p.y, 0)
    x1, y1 = min(p.x + p.width, w), min(p.y + p.height, h)
    out[:y0] = value
    out[y1:] = value
    out[y0:y1, :x0] = value
    out[y0:y1, x1:] = value


def magnify_into(src: np.ndarray, out: np.ndarray, p: Placement, method: str, fill: int) -> None:
    """Resample ``src`` into ``out`` at placement ``p``; the rest of ``out`` is ``fill``."""
    if method not in METHODS:
        raise ValueError(f"Magnification Type {method!r} is not one of {', '.join(METHODS)}")
    if src.dtype == np.uint8:
        if method == "NONE":
            resize(src, out, "NONE", fill=fill)
            return
        fill_around(out, p, fill)
        resize(src, out[p.y : p.y + p.height, p.x : p.x + p.width], method)
        return
    _magnify16(src, out, p, method, fill)


def _resample_rows(src: np.ndarray, n_out: int, method: str) -> np.ndarray:
    """Resample a float32 array along its first axis with the kernel's own filter."""
    start, weights = axis_weights(method, src.shape[0], n_out)
    scale = np.float32(1.0 / 16384)  # the kernel's weights are in units of 2**-14
    acc = np.zeros((n_out, *src.shape[1:]), np.float32)
    for k in range(weights.shape[1]):
        acc += (weights[:, k].astype(np.float32) * scale)[:, None] * src[start + k]
    return acc


def _magnify16(src: np.ndarray, out: np.ndarray, p: Placement, method: str, fill: int) -> None:
    fill_around(out, p, fill)
    h, w = out.shape[:2]
    if method == "NONE":
        sx0, sy0 = max(-p.x, 0), max(-p.y, 0)
        x0, y0 = max(p.x, 0), max(p.y, 0)
        cw, ch = min(p.width - sx0, w - x0), min(p.height - sy0, h - y0)
        out[y0 : y0 + ch, x0 : x0 + cw] = src[sy0 : sy0 + ch, sx0 : sx0 + cw]
        return
    # The same taps and weights as the 8-bit kernel (its axis_weights), in float, one
    # rounding at the end: 12-bit boxes are the 8-bit ones at 16 times the precision.
    rows = _resample_rows(np.asarray(src, dtype=np.float32), p.height, method)
    both = _resample_rows(np.ascontiguousarray(rows.T), p.width, method).T
    region = out[p.y : p.y + p.height, p.x : p.x + p.width]
    np.copyto(region, np.clip(np.floor(both + 0.5), 0, 4095), casting="unsafe")
