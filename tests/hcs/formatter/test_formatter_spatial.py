"""Rotate, flip, zoom and region of interest, held against a plain numpy reference:
the frame's own P-values cut with slicing, turned with np.rot90, mirrored with np.flip,
then the same magnification, bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydicom.dataset import Dataset

from hcs.formatter import (
    FilmJob,
    FormatError,
    Formatter,
    Frame,
    OverlayPlanes,
    ScaleBar,
    Text,
    magnify,
)
from hcs.formatter.job import PrinterSettings
from hcs.formatter.spatial import SpatialError, View
from hcs.job.model import FilmBoxSpec
from tests.hcs.formatter.helpers import at_own_size, bundled, in_box, numpy_view

ROTATIONS = (0, 90, 180, 270)
FLIPS = (None, "horizontal", "vertical")
RNG = np.random.default_rng(17)
CT = RNG.integers(0, 4096, (37, 53), dtype=np.uint16)  # 12-bit stored values, not square
WINDOW = (2000.0, 3000.0)
RGB = RNG.integers(0, 256, (29, 41, 3), dtype=np.uint8)
ROI = (5, 3, 31, 22)  # column, row, width, height


def magnified(pv, width, height, method="BILINEAR", fill=0, aspect=(1.0, 1.0)):
    p = magnify.place(pv.shape[0], pv.shape[1], width, height, method, aspect)
    out = np.empty((height, width, *pv.shape[2:]), pv.dtype)
    magnify.magnify_into(pv, out, p, method, fill)
    return out


@pytest.mark.parametrize("rotate", ROTATIONS)
@pytest.mark.parametrize("flip", FLIPS)
@pytest.mark.parametrize("roi", [None, ROI], ids=["whole", "roi"])
@pytest.mark.parametrize(
    "bits,photometric", [(8, "MONOCHROME2"), (12, "MONOCHROME2"), (8, "MONOCHROME1")]
)
def test_gray_frames_turn_and_flip_as_numpy_does(rotate, flip, roi, bits, photometric):
    kind = {"window": WINDOW, "photometric": photometric}
    pv = at_own_size(CT, bits=bits, **kind)  # the frame's P-values, untouched
    expected = numpy_view(pv, rotate, flip, roi)
    # At its own size (the printer magnifies): exactly the numpy view.
    sent = at_own_size(CT, bits=bits, rotate=rotate, flip=flip, roi=roi, **kind)
    assert sent.dtype == expected.dtype and np.array_equal(sent, expected)
    # Magnified into a box by the host: the numpy view, magnified the same way.
    for method in ("BILINEAR", "CUBIC", "REPLICATE"):
        box = in_box(
            CT, 90, 70, bits=bits, method=method, fill=7, rotate=rotate, flip=flip, roi=roi, **kind
        )
        assert np.array_equal(box.pixels, magnified(expected, 90, 70, method, 7)), method


@pytest.mark.parametrize("rotate", ROTATIONS)
@pytest.mark.parametrize("flip", FLIPS)
@pytest.mark.parametrize("layout", ["interleaved", "planar"])
def test_colour_frames_turn_and_flip_as_numpy_does(rotate, flip, layout):
    # Planar colour (a sample plane apart, as pydicom hands back Planar Configuration 1).
    rgb = (
        RGB
        if layout == "interleaved"
        else np.moveaxis(np.ascontiguousarray(np.moveaxis(RGB, 2, 0)), 0, 2)
    )
    expected = numpy_view(RGB, rotate, flip, (*ROI[:2], 20, 17))
    roi = (*ROI[:2], 20, 17)
    assert np.array_equal(at_own_size(rgb, color=True, rotate=rotate, flip=flip, roi=roi), expected)
    box = in_box(rgb, 64, 48, color=True, rotate=rotate, flip=flip, roi=roi)
    assert np.array_equal(box.pixels, magnified(expected, 64, 48))
    # On a gray film: Rec.601 luma of the same view.
    luma = at_own_size(RGB)
    box = in_box(rgb, 64, 48, rotate=rotate, flip=flip, roi=roi)
    assert np.array_equal(box.pixels, magnified(numpy_view(luma, rotate, flip, roi), 64, 48))


def test_rotation_comes_before_the_flip():
    # DICOM's Spatial Transformation Module (PS3.3 C.10.6): Image Rotation is applied
    # before any Image Horizontal Flip. Turned then mirrored is the transpose.
    a = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert np.array_equal(at_own_size(a, rotate=90, flip="horizontal"), a.T)
    assert np.array_equal(at_own_size(a, rotate=270, flip="horizontal"), a[::-1, ::-1].T)
    # A vertical flip is a horizontal one turned by 180 (why DICOM has no vertical flip).
    for rotate in ROTATIONS:
        assert np.array_equal(
            at_own_size(a, rotate=rotate, flip="vertical"),
            at_own_size(a, rotate=(rotate + 180) % 360, flip="horizontal"),
        )


def test_zoom_in_shows_the_middle_larger_cut_to_the_box():
    pv = at_own_size(CT, window=WINDOW)
    for rotate, flip, roi, zoom in [(0, None, None, 2.0), (90, "horizontal", ROI, 1.7)]:
        view = numpy_view(pv, rotate, flip, roi)
        rows, columns = view.shape
        fit = magnify.place(rows, columns, 80, 80)
        # Each axis: what does not fit the box at the zoomed size is cut, the middle kept.
        keep = []
        for n, fitted in ((rows, fit.height), (columns, fit.width)):
            zoomed = fitted * zoom
            keep.append(n if zoomed <= 80 else min(n, math.floor(n * 80 / zoomed + 0.5)))
        r0, c0 = (rows - keep[0]) // 2, (columns - keep[1]) // 2
        middle = np.ascontiguousarray(view[r0 : r0 + keep[0], c0 : c0 + keep[1]])
        out = np.full((80, 80), 3, np.uint8)
        p = magnify.place_zoomed(rows, columns, 80, 80, "BILINEAR", (1.0, 1.0), zoom)[1]
        magnify.magnify_into(middle, out, p, "BILINEAR", 3)
        box = in_box(
            CT, 80, 80, fill=3, window=WINDOW, rotate=rotate, flip=flip, roi=roi, zoom=zoom
        )
        assert np.array_equal(box.pixels, out)
        # The zoomed image is larger than the fitted one, by the factor (to a pixel).
        assert box.placement.scale_x == pytest.approx(fit.scale_x * zoom, rel=1 / keep[1])


def test_zoom_in_equals_magnifying_the_whole_image_and_cutting_inside_the_edges():
    # Where the cut is whole pixels of a whole scale (64 -> 32 shown, 4 x), the zoomed
    # box is the middle of the image magnified twice over, except at the cut edges
    # (where the filter takes the edge pixel, as at the image's own edges).
    a = RNG.integers(0, 256, (64, 64), dtype=np.uint8)
    box = in_box(a, 128, 128, zoom=2.0).pixels
    whole = magnified(a, 256, 256)[64:192, 64:192]
    assert np.array_equal(box[4:-4, 4:-4], whole[4:-4, 4:-4])


def test_zoom_out_is_smaller_and_centred():
    box = in_box(CT, 100, 100, fill=9, window=WINDOW, zoom=0.5)
    fit = magnify.place(37, 53, 100, 100)
    p = box.placement
    assert (p.width, p.height) == (round(fit.width * 0.5), round(fit.height * 0.5))
    assert (p.x, p.y) == ((100 - p.width) // 2, (100 - p.height) // 2)
    pv = at_own_size(CT, window=WINDOW)
    out = np.full((100, 100), 9, np.uint8)
    magnify.magnify_into(pv, out, p, "BILINEAR", 9)
    assert np.array_equal(box.pixels, out)


def test_zoom_with_printer_scaling_sends_the_part_shown_or_pads():
    pv = at_own_size(CT, window=WINDOW)
    target = {"window": WINDOW}
    # Zooming in sends the middle (the printer fits it into the box: larger).
    sent = at_own_size(CT, zoom=2.0, **target)
    rows, columns = sent.shape
    assert rows < 37 and columns < 53
    r0, c0 = (37 - rows) // 2, (53 - columns) // 2
    assert np.array_equal(sent, pv[r0 : r0 + rows, c0 : c0 + columns])
    # Zooming out pads with the empty density (the printer fits the padded image).
    sent = at_own_size(CT, zoom=0.5, **target)
    assert sent.shape == (74, 106)
    assert np.array_equal(sent[18:55, 26:79], pv)
    assert (sent[:18] == 0).all() and (sent[55:] == 0).all()


def test_the_region_of_interest_prints_as_if_it_were_the_image():
    # No window: the automatic one is the region's own range, so it spans black to white.
    a = np.zeros((40, 40), np.uint16)
    a[10:20, 10:30] = np.arange(200, dtype=np.uint16).reshape(10, 20) + 1000
    sent = at_own_size(a, roi=(10, 10, 20, 10))
    assert sent.shape == (10, 20) and sent.min() == 0 and sent.max() == 255
    # The region's window (1000..1199), also when a zoom shows only its middle.
    assert in_box(a, 20, 10, roi=(10, 10, 20, 10)).voi.startswith("C 1099.5 W 199 ")
    assert in_box(a, 20, 10, roi=(10, 10, 20, 10), zoom=3).voi.startswith("C 1099.5 W 199 ")


def test_a_quarter_turn_swaps_the_pixel_spacing():
    # Rows 0.5 mm apart, columns 1 mm: the image is twice as wide on film as its matrix.
    ds = _dataset(np.zeros((40, 40), np.uint16), PixelSpacing=[0.5, 1.0])
    plain = in_box(ds, 200, 200).placement
    turned = in_box(ds, 200, 200, rotate=90).placement
    assert (plain.width, plain.height) == (200, 100)
    assert (turned.width, turned.height) == (100, 200)
    # A scale bar measures along the turned image's columns (the source's rows).
    bars = []
    for rotate in (0, 90):
        drawn = in_box(ds, 400, 400, rotate=rotate, overlays=(ScaleBar(10, width_pt=2),)).pixels
        cols = np.nonzero((drawn > 128).any(axis=0))[0]
        bars.append(cols.max() - cols.min())
    # 10 mm is 10 columns unturned (1 mm each) and 20 after the turn (0.5 mm each), on
    # boxes of 400 and 200 film pixels across: the same length on film.
    assert abs(bars[0] - bars[1]) <= 3


@pytest.mark.parametrize("rotate", ROTATIONS)
@pytest.mark.parametrize("flip", FLIPS)
def test_overlay_planes_turn_flip_and_crop_with_the_image(rotate, flip):
    ds = bundled("examples_overlay.dcm")
    plane = ds.overlay_array(0x6000).astype(bool)
    roi = (30, 20, 400, 270)  # cuts through two of its marks
    plain = at_own_size(ds, rotate=rotate, flip=flip, roi=roi)
    burned = at_own_size(ds, rotate=rotate, flip=flip, roi=roi, overlays=(OverlayPlanes(),))
    moved = numpy_view(plane, rotate, flip, roi)
    assert moved.any()
    assert (burned[moved] == 255).all()
    assert np.array_equal(burned[~moved], plain[~moved])


def test_graphics_follow_the_image_and_corner_text_stays_at_the_corner():
    a = np.zeros((40, 60), np.uint8)
    point = Text("+", corner=None, at=(50, 5), size_pt=6, outline=None)
    corner = Text("L", corner="top-left", size_pt=6, outline=None)
    box = in_box(a, 120, 120, ppm=4.0, rotate=90, overlays=(point, corner))
    lit = box.pixels > 0
    # (column 50, row 5) turned clockwise in a 40-row image: column 34, row 50; the
    # turned image is 60 x 40, twice as large in the box and 20 px from its left.
    assert View(0, 0, 60, 40, rotate=90).point(50, 5) == (34, 50)
    x, y = box.placement.to_output(34, 50)
    assert (round(x), round(y)) == (88, 100)
    assert lit[int(y) - 2 : int(y) + 12, int(x) - 2 : int(x) + 12].any()
    assert not lit[25:45, 95:115].any()  # where the point is on the unturned image
    inset = round(2.0 * 4.0)  # INSET_MM at 4 px/mm: the corner text, whatever the turn
    assert lit[inset : inset + 12, inset : inset + 12].any()


def test_bad_values_name_their_field():
    for frame, match in [
        ({"rotate": 45}, "rotate: 45 is not one of"),
        ({"flip": "diagonal"}, "flip: 'diagonal' is not horizontal or vertical"),
        ({"zoom": 0}, "zoom: 0 must be a number above 0"),
        ({"zoom": float("nan")}, "zoom: nan"),
        ({"roi": (0, 0, 0, 5)}, "roi: width 0"),
        ({"roi": (1, 2, 3)}, "roi: .* four whole numbers"),
        (
            {"roi": (50, 0, 10, 10)},
            r"roi: columns 50..59, rows 0..9 do not lie inside the image \(53 columns x 37 rows\)",
        ),
    ]:
        with pytest.raises(SpatialError, match=match):
            in_box(CT, 50, 50, **frame)
    with pytest.raises(SpatialError, match="zoom: zoom 2 needs a Magnification Type that scales"):
        in_box(CT, 50, 50, method="NONE", zoom=2)
    # Through the Formatter: the film fails naming the box and the field.
    with Formatter(PrinterSettings()) as formatter:
        film = FilmJob(
            FilmBoxSpec(image_display_format="STANDARD\\1,2"),
            [Frame(CT), Frame(CT, roi=(0, 30, 10, 10))],
        )
        with pytest.raises(FormatError, match=r"image box 2 \(array .*\): roi: "):
            formatter.format_film(film)


def test_the_formatted_box_says_what_it_shows():
    box = in_box(CT, 50, 50, rotate=90, flip="horizontal", roi=ROI)
    assert box.as_json()["shown"] == list(ROI)
    assert (box.as_json()["rotate"], box.as_json()["flip"]) == (90, "HORIZONTAL")
    assert "shown" not in in_box(CT, 50, 50).as_json()


def _dataset(pixels: np.ndarray, **attributes) -> Dataset:
    ds = Dataset()
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.astype("<u2").tobytes()
    for key, value in attributes.items():
        setattr(ds, key, value)
    from pydicom.dataset import FileMetaDataset

    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    return ds
