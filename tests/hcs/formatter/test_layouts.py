"""Every layout of pixel data that pydicom or a caller hands over is formatted, copied only
when the kernels cannot read it where it lies (hcs.formatter.source.kernel_layout)."""

from __future__ import annotations

import numpy as np
import pytest

from hcs.formatter.source import from_array, kernel_layout, kernel_readable, load
from tests.hcs.formatter.color_files import color_test_files

rng = np.random.default_rng(16)
RGB = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
GRAY16 = rng.integers(0, 4096, (41, 29), dtype=np.uint16)


def planar(rgb: np.ndarray) -> np.ndarray:
    """Colour-by-plane (Planar Configuration 1) as pydicom's decoders return it: a view."""
    planes = np.ascontiguousarray(np.moveaxis(rgb, -1, 0))
    return np.moveaxis(planes, 0, -1)


@pytest.mark.parametrize(
    ("name", "view"),
    [
        ("interleaved", RGB),
        ("vertical flip", RGB[::-1]),
        ("crop", RGB[3:30, 5:40]),
        ("frame of a multi-frame array", np.stack([RGB, RGB[::-1]])[1]),
    ],
)
def test_readable_layouts_are_used_in_place(name, view):
    assert kernel_readable(view), name
    assert kernel_layout(view) is view


@pytest.mark.parametrize(
    ("name", "view"),
    [
        ("planar", planar(RGB)),
        ("every other column", RGB[:, ::2]),
        ("horizontal flip", RGB[:, ::-1]),
        ("transposed", RGB.transpose(1, 0, 2)),
        ("big-endian", RGB.astype(">u2")),
    ],
)
def test_other_layouts_are_copied_once_with_the_same_values(name, view):
    assert not kernel_readable(view), name
    out = kernel_layout(view)
    assert kernel_readable(out) and out.dtype.isnative
    assert np.array_equal(out, view)


def test_gray_layouts():
    assert kernel_layout(GRAY16[::-1]) is not None and kernel_readable(GRAY16[::-1])
    big = GRAY16.astype(">u2")
    out = kernel_layout(big)
    assert out.dtype == np.dtype("=u2") and np.array_equal(out, GRAY16)
    assert np.array_equal(kernel_layout(GRAY16.T), GRAY16.T)


@pytest.mark.parametrize(
    "view",
    [planar(RGB), RGB[:, ::-1], RGB[::2, ::3], RGB.transpose(1, 0, 2)],
    ids=["planar", "mirrored", "strided", "transposed"],
)
def test_strided_colour_arrays_format_like_their_contiguous_copy(view):
    from hcs.formatter import magnify

    expected = np.empty((90, 70, 3), np.uint8)
    got = np.empty_like(expected)
    placement = magnify.place(view.shape[0], view.shape[1], 70, 90, "BILINEAR")
    magnify.magnify_into(np.ascontiguousarray(view), expected, placement, "BILINEAR", 0)
    magnify.magnify_into(from_array(view).pixels, got, placement, "BILINEAR", 0)
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("path", color_test_files(), ids=lambda p: p.name)
def test_every_pydicom_colour_file_loads_as_kernel_readable_rgb(path):
    image = load(path)
    assert image.photometric == "RGB" and image.pixels.dtype == np.uint8
    assert kernel_readable(image.pixels)
