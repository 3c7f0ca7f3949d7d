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
