"""Magnification into the box: aspect kept, centred, empty density around the image."""

from __future__ import annotations

import numpy as np
import pytest
from hcs._fastpath.resize import resize

from hcs.formatter.magnify import Placement, magnify_into, place
from tests.hcs.formatter.helpers import bundled, in_box


def test_placement_by_hand():
    # 128 x 128 into 400 x 500: 400 x 400, 50 rows above and below.
    assert place(128, 128, 400, 500) == Placement(0, 50, 400, 400, 400 / 128, 400 / 128)
    # 300 rows x 484 columns into 400 x 500: 400 wide, 300 * 400 / 484 = 247.93 -> 248 high.
    p = place(300, 484, 400, 500)
    assert (p.x, p.y, p.width, p.height) == (0, 126, 400, 248)
    # Pixels twice as high as wide (Pixel Aspect Ratio 2\1): 100 x 100 stands 200 mm
    # high for 100 mm wide, so it fills the height of a 400 x 400 box, half the width.
    p = place(100, 100, 400, 400, pixel_aspect=(2.0, 1.0))
    assert (p.x, p.y, p.width, p.height) == (100, 0, 200, 400)
    # NONE: 1:1, centred; cropped when larger (offsets as the kernel centres).
    assert place(10, 20, 30, 40, "NONE") == Placement(5, 15, 20, 10, 1.0, 1.0)
    assert place(50, 60, 30, 40, "NONE") == Placement(-15, -5, 60, 50, 1.0, 1.0)


def test_box_around_the_image_is_empty_density():
    ds = bundled("MR_small.dcm")
    box = in_box(ds, 120, 200, fill=17)
    p = box.placement
    assert (p.x, p.y, p.width, p.height) == (0, 40, 120, 120)
    px = box.pixels
    assert px.shape == (200, 120)
    assert (px[:40] == 17).all() and (px[160:] == 17).all()
    assert not (px[40:160] == 17).all()


def test_same_size_is_the_identity():
    ds = bundled("MR_small.dcm")
    own = in_box(ds, 64, 64, method="BILINEAR")
    from tests.hcs.formatter.helpers import at_own_size

    assert np.array_equal(own.pixels, at_own_size(ds))


@pytest.mark.parametrize("method", ["REPLICATE", "BILINEAR", "CUBIC"])
def test_twelve_bit_magnification_agrees_with_eight_bit(method):
    rng = np.random.default_rng(5)
    small = rng.integers(0, 256, (30, 40)).astype(np.uint8)
    p = place(30, 40, 100, 70, method)
    eight = np.zeros((70, 100), np.uint8)
    magnify_into(small, eight, p, method, 0)
    twelve = np.zeros((70, 100), np.uint16)
    magnify_into((small.astype(np.uint16) * 16), twelve, p, method, 0)
    # The same filter at 16 times the scale: equal after scaling back, within rounding.
    difference = np.abs(np.floor(twelve / 16 + 0.5) - eight)
    assert difference.max() <= 1


def test_none_magnification_crops_and_pads():
    image = np.arange(60, dtype=np.uint8).reshape(6, 10)
    out = np.empty((4, 14), np.uint8)
    magnify_into(image, out, place(6, 10, 14, 4, "NONE"), "NONE", 255)
    assert (out[:, :2] == 255).all() and (out[:, 12:] == 255).all()
    assert np.array_equal(out[:, 2:12], image[1:5])
    wide = np.empty((4, 14), np.uint16)
    magnify_into(image.astype(np.uint16), wide, place(6, 10, 14, 4, "NONE"), "NONE", 4095)
    assert np.array_equal(wide, np.where(out == 255, 4095, out.astype(np.uint16)))


def test_host_scaling_uses_the_kernel_into_the_box():
    image = (np.arange(64 * 64) % 251).astype(np.uint8).reshape(64, 64)
    box = in_box(image, 128, 160).pixels
    expected = np.empty((128, 128), np.uint8)
    resize(image, expected, "BILINEAR")
    assert np.array_equal(box[16:144], expected)
