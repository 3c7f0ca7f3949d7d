"""Overlays, judged by the pixels they change."""

from __future__ import annotations

import numpy as np
import pytest

from hcs.film import Resolution, layout
from hcs.formatter import Arrow, Ellipse, Line, OverlayPlanes, Rectangle, ScaleBar, Text
from hcs.formatter.overlay import INSET_MM, OverlayError
from tests.hcs.formatter.helpers import at_own_size, bundled, in_box

FLAT = np.full((64, 64), 100, np.uint8)  # 8-bit, no VOI: printed as 100 everywhere


def changed(source, overlays, **kwargs):
    """(formatted box, boolean mask of the pixels the overlays changed)."""
    plain = in_box(source, **kwargs).pixels
    drawn = in_box(source, overlays=tuple(overlays), **kwargs)
    diff = drawn.pixels != plain
    if diff.ndim == 3:
        diff = diff.any(axis=2)
    return drawn, diff


def bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(mask)
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


@pytest.mark.parametrize("corner", ["top-left", "top-right", "bottom-left", "bottom-right"])
def test_text_changes_pixels_only_in_its_corner_box(corner):
    ppm = 100 / 25.4  # 100 dpi
    _box, mask = changed(
        FLAT, [Text("Hg 12", corner=corner, size_pt=12)], width=400, height=500, ppm=ppm
    )
    x0, y0, x1, y1 = bbox(mask)
    inset = INSET_MM * ppm  # 7.9 px
    size = 12 / 72 * 100  # 12 pt at 100 dpi: 16.7 px
    # One line: cap height to descender (about 0.9 em) plus the outline.
    assert 0.7 * size <= y1 - y0 <= 1.6 * size
    assert 1.5 * size <= x1 - x0 <= 4 * size  # five characters
    # Within the glyphs' side bearings (a few pixels) of the 2 mm inset.
    if corner.endswith("left"):
        assert abs(x0 - inset) <= 4
    else:
        assert abs(400 - x1 - inset) <= 4
    if corner.startswith("top"):
        assert abs(y0 - inset) <= 4
    else:
        assert abs(500 - y1 - inset) <= 4
    # Nothing changes outside the text's own box.
    outside = mask.copy()
    outside[y0:y1, x0:x1] = False
    assert not outside.any()


def test_text_size_is_points_on_film():
    heights = []
    for dpi in (100, 200):
        ppm = dpi / 25.4
        _box, mask = changed(
            FLAT, [Text("HHH", size_pt=20, outline=None)], width=4 * dpi, height=5 * dpi, ppm=ppm
        )
        _x0, y0, _x1, y1 = bbox(mask)
        heights.append(y1 - y0)
    assert abs(heights[1] - 2 * heights[0]) <= 2  # twice the dpi, twice the pixels
    # ... and the same size on films of different sizes at one dpi.
    _b, small = changed(
        FLAT, [Text("HHH", size_pt=20, outline=None)], width=400, height=500, ppm=100 / 25.4
    )
    _b, large = changed(
        FLAT, [Text("HHH", size_pt=20, outline=None)], width=1400, height=1700, ppm=100 / 25.4
    )
    assert bbox(small)[3] - bbox(small)[1] == bbox(large)[3] - bbox(large)[1]


def test_text_fields_from_the_image():
    ds = bundled("MR_small.dcm")
    from hcs.formatter.overlay import Canvas, expand
    from hcs.formatter.source import from_dataset

    canvas = Canvas(
        np.zeros((4, 4), np.uint8), None, (1.0, 1.0), 255, from_dataset(ds), fields={"Frame": "1"}
    )
    text = expand(
        "{PatientName} | {PatientID} | {StudyDate} | {SeriesNumber}/{InstanceNumber}"
        " | {Frame} | {NoSuchKeyword}",
        canvas,
    )
    assert text == (
        f"CompressedSamples, MR1 | {ds.PatientID} | 2004-08-26 | "
        f"{ds.SeriesNumber}/{ds.InstanceNumber} | 1 | "
    )
    with pytest.raises(OverlayError, match="text template"):
        expand("{unclosed", canvas)


@pytest.mark.parametrize(
    ("width", "height", "ppm"), [(400, 500, 100 / 25.4), (1400, 1700, 100 / 25.4)]
)
def test_a_line_lands_where_its_image_coordinates_say(width, height, ppm):
    line = Line(((10, 20), (50, 20)), width_pt=2.0, color=1.0)
    box, mask = changed(FLAT, [line], width=width, height=height, ppm=ppm)
    p = box.placement
    rows, cols = np.nonzero(mask)
    expected_row = p.y + (20 + 0.5) * p.scale_y - 0.5
    assert abs(rows.mean() - expected_row) <= 1.0
    thickness = 2.0 / 72 * 25.4 * ppm
    assert rows.max() - rows.min() + 1 <= thickness + 2
    assert abs(cols.min() - (p.x + 10.5 * p.scale_x - 0.5)) <= thickness
    assert abs(cols.max() - (p.x + 50.5 * p.scale_x - 0.5)) <= thickness
    assert (box.pixels[mask] > 100).all()  # white on the gray image


def test_mm_units_are_millimetres_on_film():
    ppm = 100 / 25.4
    line = Line(((5, 10), (30, 10)), units="mm", width_pt=1)
    _box, mask = changed(FLAT, [line], width=400, height=500, ppm=ppm)
    rows, cols = np.nonzero(mask)
    assert abs(rows.mean() - 10 * ppm) <= 1
    assert abs(cols.min() - 5 * ppm) <= 2 and abs(cols.max() - 30 * ppm) <= 2


def test_rectangle_ellipse_arrow():
    ppm = 100 / 25.4
    box, mask = changed(
        FLAT, [Rectangle((8, 8), (40, 24), width_pt=0.5)], width=256, height=256, ppm=ppm
    )
    p = box.placement  # 64 -> 256: scale 4
    x0, y0, x1, y1 = bbox(mask)
    assert abs(x0 - (p.x + 8.5 * 4 - 0.5)) <= 1 and abs(x1 - 1 - (p.x + 40.5 * 4 - 0.5)) <= 1
    assert abs(y0 - (8.5 * 4 - 0.5)) <= 1 and abs(y1 - 1 - (24.5 * 4 - 0.5)) <= 1
    assert not mask[y0 + 5 : y1 - 5, x0 + 5 : x1 - 5].any()  # an outline, hollow
    _box, ellipse = changed(FLAT, [Ellipse((8, 8), (40, 24))], width=256, height=256, ppm=ppm)
    ex0, _ey0, _ex1, ey1 = bbox(ellipse)
    assert abs(ex0 - x0) <= 2 and abs(ey1 - y1) <= 2
    assert not ellipse[y0, x0] and not ellipse[y0, x1 - 1]  # the corners stay untouched
    _box, arrow = changed(
        FLAT, [Arrow((10, 50), (50, 50), head_mm=5)], width=256, height=256, ppm=ppm
    )
    rows, cols = np.nonzero(arrow)
    head_px = 5 * ppm
    shaft = cols < cols.min() + 10
    base = (cols > cols.max() - head_px) & (cols < cols.max() - head_px / 2)
    assert rows[shaft].max() - rows[shaft].min() <= 3  # 1.5 pt
    assert rows[base].max() - rows[base].min() >= 0.6 * head_px  # the head is wide


def test_colour_overlays_on_a_colour_film_and_luma_on_gray():
    red = Line(((0, 32), (63, 32)), width_pt=3, color=(255, 0, 0))
    box, mask = changed(FLAT, [red], width=64, height=64, color=True)
    assert (box.pixels[mask] == [255, 0, 0]).all()  # lines are not anti-aliased
    gray_box, gray_mask = changed(FLAT, [red], width=64, height=64)
    assert gray_box.pixels[gray_mask].min() < 100  # red is darker than 100 in luma (76)


def test_scale_bar_length_follows_pixel_spacing():
    ds = bundled("MR_small.dcm")  # 0.3125 mm pixels: 64 px = 20 mm
    box, mask = changed(
        ds, [ScaleBar(10, width_pt=2, size_pt=6)], width=320, height=320, ppm=100 / 25.4
    )
    p = box.placement  # scale 5: 10 mm = 32 image px = 160 box px
    x0, _y0, x1, _y1 = bbox(mask)
    assert abs((x1 - x0) - 10 / 0.3125 * p.scale_x) <= 3
    # An image without Pixel Spacing gets no bar (nothing to measure with).
    _box, none = changed(FLAT, [ScaleBar(10)], width=64, height=64)
    assert not none.any()


def test_the_image_overlay_plane_is_burned_in_exactly():
    ds = bundled("examples_overlay.dcm")
    plane = ds.overlay_array(0x6000).astype(bool)
    plain = at_own_size(ds)
    burned = at_own_size(ds, overlays=(OverlayPlanes(),))
    assert (burned[plane] == 255).all()
    assert np.array_equal(burned[~plane], plain[~plane])
    # Magnified into a box, it stays on the same anatomy.
    box = in_box(ds, 968, 600, overlays=(OverlayPlanes(),))
    p = box.placement
    assert p.scale_x == 2.0 and p.scale_y == 2.0
    rows, cols = np.nonzero(plane)
    ours = box.pixels[p.y + rows * 2, p.x + cols * 2]
    assert (ours >= 128).mean() > 0.9


def test_overlays_are_drawn_after_magnification_at_print_resolution():
    # A 1 pt line on a 64 x 64 image magnified 8 times is still about 1 pt thick.
    ppm = 300 / 25.4
    _box, mask = changed(
        FLAT, [Line(((0, 32), (63, 32)), width_pt=1)], width=512, height=512, ppm=ppm
    )
    rows = np.nonzero(mask)[0]
    assert rows.max() - rows.min() + 1 <= round(1 / 72 * 300) + 1  # ~4 px, not 8 x 4


def test_bad_overlays_are_errors():
    with pytest.raises(OverlayError, match="corner 'middle'"):
        in_box(FLAT, 64, 64, overlays=(Text("x", corner="middle"),))
    with pytest.raises(OverlayError, match="units 'inch'"):
        in_box(FLAT, 64, 64, overlays=(Line(((0, 0), (1, 1)), units="inch"),))
    with pytest.raises(OverlayError, match="at least two points"):
        in_box(FLAT, 64, 64, overlays=(Line(((0, 0),)),))


def test_layout_and_overlays_agree_across_film_sizes():
    # The same image and line on 8x10 and 14x17 films: the line is at the same place
    # relative to the image on both.
    fractions = []
    for size in ("8INX10IN", "14INX17IN"):
        rect = layout("STANDARD\\1,1", size, "PORTRAIT", Resolution(dpi=50)).boxes[0]
        box, mask = changed(
            FLAT, [Line(((0, 16), (63, 16)))], width=rect.width, height=rect.height, ppm=50 / 25.4
        )
        rows = np.nonzero(mask)[0]
        fractions.append((rows.mean() - box.placement.y) / box.placement.height)
    assert abs(fractions[0] - fractions[1]) < 0.01
    assert abs(fractions[0] - 16.5 / 64) < 0.02
