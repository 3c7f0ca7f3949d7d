"""Image viewing transformations: region of interest, rotation, flip and zoom.

What a frame shows is decided here, on the source pixels, before anything is magnified:

1. ``roi`` (column, row, width, height in the source image's pixels) crops the image;
   the frame is then printed as if the image were only that region (its automatic
   window is the region's range too).
2. ``rotate`` turns it clockwise by 0, 90, 180 or 270 degrees.
3. ``flip`` mirrors the turned image: ``HORIZONTAL`` left to right, ``VERTICAL`` top to
   bottom. The order is DICOM's Spatial Transformation Module (PS3.3 C.10.6): Image
   Rotation (0070,0042) is applied "before any Image Horizontal Flip (0070,0041)". A
   vertical flip is what DICOM spells as rotation by 180 plus a horizontal flip.
4. ``zoom`` scales the fitted image: above 1 the middle of the image (or region) is
   shown larger and cut to the box, below 1 the whole image is smaller. Zooming in is a
   further crop to the whole source pixels that stay visible (see
   :func:`~hcs.formatter.magnify.place_zoomed`), so no pixel that falls outside the box
   is ever windowed or magnified.

A :class:`View` says all of it as one source rectangle plus a turn and a flip, and
hands out numpy views (slicing, ``np.rot90``, ``np.flip``): nothing is copied here. The
kernels read a view in place when its rows are contiguous (a crop, a vertical flip);
a turned or mirrored image is copied once, where a kernel needs it (``frame.py``).
Overlay planes and graphics in image coordinates go through the same view, so they
stay on the anatomy; text at the box's corners stays at the corners.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from hcs.errors import HcsError
from hcs.job.terms import FLIPS, MAX_ZOOM, ROTATIONS

__all__ = ["FLIPS", "MAX_ZOOM", "ROTATIONS", "SpatialError", "View"]


class SpatialError(HcsError, ValueError):
    """A rotate, flip, zoom or region of interest that cannot be applied; the message
    starts with the field's name (``roi: ...``)."""


def check_rotate(value: Any) -> int:
    """Degrees clockwise, one of :data:`ROTATIONS` (Image Rotation's enumerated values)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value not in ROTATIONS:
        raise SpatialError(f"rotate: {value!r} is not one of 0, 90, 180, 270 (degrees clockwise)")
    return int(value)


def check_flip(value: Any) -> str | None:
    """``HORIZONTAL``, ``VERTICAL`` (any case), or ``None``/``NONE`` for no flip."""
    if value is None:
        return None
    text = value.strip().upper() if isinstance(value, str) else None
    if text == "NONE":
        return None
    if text not in FLIPS:
        raise SpatialError(f"flip: {value!r} is not horizontal or vertical")
    return text


def check_zoom(value: Any) -> float:
    """A factor relative to fitting the box, above 0 and at most :data:`MAX_ZOOM`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 < value <= MAX_ZOOM
    ):
        raise SpatialError(f"zoom: {value!r} must be a number above 0 and at most {MAX_ZOOM:g}")
    return float(value)


def check_roi(value: Any) -> tuple[int, int, int, int] | None:
    """(column, row, width, height): whole pixels, origin at the top left (0, 0), a width
    and height of at least 1. Whether it fits the image is checked against the image
    (:meth:`View.of`), once the image is read."""
    if value is None:
        return None
    if (
        not isinstance(value, list | tuple)
        or len(value) != 4
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise SpatialError(f"roi: {value!r} must be four whole numbers: column, row, width, height")
    x, y, w, h = (int(v) for v in value)
    if x < 0 or y < 0:
        raise SpatialError(f"roi: column {x} and row {y} must be 0 or more")
    if w < 1 or h < 1:
        raise SpatialError(f"roi: width {w} and height {h} must be at least 1")
    return (x, y, w, h)


@dataclass(frozen=True)
class View:
    """A source rectangle (``x`` column, ``y`` row, ``width``, ``height``), turned
    ``rotate`` degrees clockwise, then flipped (``flip``): what is magnified."""

    x: int
    y: int
    width: int
    height: int
    rotate: int = 0
    flip: str | None = None

    @classmethod
    def of(
        cls,
        rows: int,
        columns: int,
        *,
        roi: tuple[int, int, int, int] | None = None,
        rotate: int = 0,
        flip: str | None = None,
    ) -> View:
        """The view of a ``rows`` x ``columns`` image; a region of interest that does not
        lie inside the image is a :class:`SpatialError` naming ``roi`` and the size."""
        rotate, flip, roi = check_rotate(rotate), check_flip(flip), check_roi(roi)
        if roi is None:
            return cls(0, 0, columns, rows, rotate, flip)
        x, y, w, h = roi
        if x + w > columns or y + h > rows:
            raise SpatialError(
                f"roi: columns {x}..{x + w - 1}, rows {y}..{y + h - 1} do not lie inside "
                f"the image ({columns} columns x {rows} rows)"
            )
        return cls(x, y, w, h, rotate, flip)

    @property
    def turned(self) -> bool:
        """True when rows and columns trade places (a quarter or three-quarter turn)."""
        return self.rotate in (90, 270)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of what is magnified."""
        return (self.width, self.height) if self.turned else (self.height, self.width)

    def is_identity_for(self, rows: int, columns: int) -> bool:
        return (
            (self.x, self.y, self.width, self.height) == (0, 0, columns, rows)
            and self.rotate == 0
            and self.flip is None
        )

    # -- pixels ---------------------------------------------------------------------

    def crop(self, pixels: np.ndarray) -> np.ndarray:
        """The source rectangle of ``pixels`` ([rows, columns, ...]) as a view."""
        return pixels[self.y : self.y + self.height, self.x : self.x + self.width]

    def orient(self, pixels: np.ndarray) -> np.ndarray:
        """Already-cropped ``pixels`` turned and flipped, as a view."""
        if self.rotate:
            pixels = np.rot90(pixels, k=-self.rotate // 90, axes=(0, 1))
        if self.flip == "HORIZONTAL":
            pixels = pixels[:, ::-1]
        elif self.flip == "VERTICAL":
            pixels = pixels[::-1]
        return pixels

    def apply(self, pixels: np.ndarray) -> np.ndarray:
        """Crop, turn and flip ``pixels`` (the source frame, or a plane of its size)."""
        return self.orient(self.crop(pixels))

    # -- coordinates ------------------------------------------------------------------

    def point(self, x: float, y: float) -> tuple[float, float]:
        """A source image point (column ``x``, row ``y``; pixel centres at integers) in
        the view's coordinates, by the same steps as the pixels."""
        c, r = x - self.x, y - self.y
        rows, columns = self.height, self.width
        for _ in range(self.rotate // 90):  # a quarter turn clockwise
            r, c = c, rows - 1 - r
            rows, columns = columns, rows
        if self.flip == "HORIZONTAL":
            c = columns - 1 - c
        elif self.flip == "VERTICAL":
            r = rows - 1 - r
        return c, r

    def source_rect(self, x: int, y: int, width: int, height: int) -> tuple[int, int, int, int]:
        """A rectangle in the view's coordinates as the source rectangle it shows."""
        corners = [
            self._source_point(x, y),
            self._source_point(x + width - 1, y + height - 1),
        ]
        xs = [c for c, _ in corners]
        ys = [r for _, r in corners]
        return min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1

    def _source_point(self, c: int, r: int) -> tuple[int, int]:
        rows, columns = self.shape
        if self.flip == "HORIZONTAL":
            c = columns - 1 - c
        elif self.flip == "VERTICAL":
            r = rows - 1 - r
        for _ in range(self.rotate // 90):  # a quarter turn back (anticlockwise)
            r, c = columns - 1 - c, r
            rows, columns = columns, rows
        return c + self.x, r + self.y

    def narrowed(self, x: int, y: int, width: int, height: int) -> View:
        """This view cut to a rectangle of its own coordinates (zooming in)."""
        if (x, y, width, height) == (0, 0, self.shape[1], self.shape[0]):
            return self
        sx, sy, sw, sh = self.source_rect(x, y, width, height)
        return View(sx, sy, sw, sh, self.rotate, self.flip)

    def pair(self, value: tuple[float, float] | None) -> tuple[float, float] | None:
        """A (row, column) pair such as Pixel Spacing or (vertical, horizontal) Pixel
        Aspect Ratio, for the view: swapped by a quarter turn."""
        if value is None:
            return None
        return (value[1], value[0]) if self.turned else (value[0], value[1])

    def describe(self) -> str:
        parts = []
        if self.rotate:
            parts.append(f"rotated {self.rotate}")
        if self.flip:
            parts.append(f"flipped {self.flip.lower()}")
        return ", ".join(parts)
