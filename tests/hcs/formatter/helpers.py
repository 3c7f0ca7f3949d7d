"""Shared test helpers: pydicom's bundled images, and formatting one frame the short way."""

from __future__ import annotations

import copy

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset

from hcs.formatter.frame import BoxTarget, format_frame
from hcs.formatter.job import Frame


def bundled(name: str) -> Dataset:
    """One of pydicom's bundled test files (they ship with pydicom; no download)."""
    path = get_testdata_file(name)
    assert path is not None, f"{name} is not bundled with this pydicom"
    return pydicom.dcmread(path)


def fresh(name: str) -> Dataset:
    return copy.deepcopy(bundled(name))


def at_own_size(source, *, bits: int = 8, color: bool = False, **frame) -> np.ndarray:
    """The formatted pixels of one frame sent at its own size (the printer magnifies),
    so every pixel can be held against a reference computed at the image's size."""
    target = BoxTarget(1, 10_000, 10_000, (4.0, 4.0), bits, color, "printer", "BILINEAR", 0)
    return format_frame(Frame(source, **frame), target).pixels


def in_box(
    source,
    width: int,
    height: int,
    *,
    bits: int = 8,
    color: bool = False,
    ppm: float = 4.0,
    fill: int = 0,
    method: str = "BILINEAR",
    **frame,
):
    """Format one frame into a box of ``width`` x ``height`` film pixels (host scaling)."""
    target = BoxTarget(1, width, height, (ppm, ppm), bits, color, "host", method, fill)
    return format_frame(Frame(source, **frame), target)


def numpy_view(pixels, rotate=0, flip=None, roi=None):
    """What the formatter should show of ``pixels`` for a rotate/flip/region of interest,
    said with plain numpy: slice, np.rot90 (clockwise), then np.flip."""
    if roi is not None:
        x, y, w, h = roi
        pixels = pixels[y : y + h, x : x + w]
    pixels = np.rot90(pixels, k=-(rotate // 90))
    if flip is not None and flip.lower() == "horizontal":
        pixels = np.flip(pixels, axis=1)
    elif flip is not None and flip.lower() == "vertical":
        pixels = np.flip(pixels, axis=0)
    return np.ascontiguousarray(pixels)


def sent_at_own_size(pixels, rotate=0, flip=None, roi=None, zoom=1.0):
    """(the numpy view, where it lies in what is sent, the shape sent) when the printer
    magnifies: zoomed out, the view is padded to ``size / zoom`` (zoom <= 1 only)."""
    view = numpy_view(pixels, rotate, flip, roi)
    rows, columns = view.shape[:2]
    out_rows = max(rows, int(np.floor(rows / zoom + 0.5)))
    out_columns = max(columns, int(np.floor(columns / zoom + 0.5)))
    y, x = (out_rows - rows) // 2, (out_columns - columns) // 2
    return view, (slice(y, y + rows), slice(x, x + columns)), (out_rows, out_columns)
