"""Film previews: size, where the boxes are, and the densities they show."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from PIL import Image as PILImage
from pydicom.data import get_testdata_file

from hcs.film import Resolution
from hcs.formatter import FilmJob, Formatter, Frame, PrinterSettings
from hcs.job.model import FilmBoxSpec
from hcs.preview import box_png, film_png, render_box, render_film

# 8x10 at 100 dpi (800 x 1000 px) with a 5.08 mm (20 px) margin and gap, so the border
# shows; previews at 400 px wide are exactly half scale.
SETTINGS = PrinterSettings(resolution=Resolution(dpi=100), margin_mm=5.08, gap_mm=5.08)
TEST_IMAGES = [
    get_testdata_file(n)
    for n in ("CT_small.dcm", "MR_small.dcm", "examples_overlay.dcm", "examples_palette.dcm")
]


def flat(level: int) -> Frame:
    return Frame(np.full((64, 64), level, np.uint8))


def format_film(fmt: str, frames, *, settings=SETTINGS, color=False, **box):
    spec = FilmBoxSpec(
        fmt, film_size_id="8INX10IN", border_density="WHITE", empty_image_density="BLACK", **box
    )
    with Formatter(settings, workers=2) as formatter:
        return formatter.format_film(FilmJob(spec, list(frames), color=color))


def centre(preview: np.ndarray, rect, scale: float = 0.5):
    return preview[
        round((rect.y + rect.height / 2) * scale), round((rect.x + rect.width / 2) * scale)
    ]


@pytest.mark.parametrize(
    ("fmt", "boxes"),
    [
        ("STANDARD\\1,1", 1),
        ("STANDARD\\2,2", 4),
        ("ROW\\1,2", 3),
        ("COL\\2,1", 3),
        ("STANDARD\\4,5", 20),
    ],
)
def test_film_preview_size_positions_and_densities(fmt, boxes, tmp_path):
    levels = [40 + 9 * i for i in range(boxes)]
    # Every third box empty (except on a one-box film).
    frames = [None if boxes > 1 and i % 3 == 2 else flat(level) for i, level in enumerate(levels)]
    film = format_film(fmt, frames)
    assert len(film.layout.boxes) == boxes
    preview = render_film(film, 400)
    assert preview.shape == (500, 400) and preview.dtype == np.uint8
    for rect, frame, level in zip(film.layout.boxes, frames, levels, strict=True):
        assert centre(preview, rect) == (0 if frame is None else level)
    # The margin and the gaps are at border density (WHITE).
    assert (preview[:4] == 255).all() and (preview[:, :4] == 255).all()
    first = film.layout.boxes[0]
    if boxes > 1:
        gap_x = round((first.right + 10) * 0.5) if first.right < 780 else None
        gap_y = round((first.bottom + 10) * 0.5) if first.bottom < 980 else None
        if gap_x is not None:
            assert preview[round((first.y + first.height / 2) * 0.5), gap_x] == 255
        if gap_y is not None:
            assert preview[gap_y, round((first.x + first.width / 2) * 0.5)] == 255
    data = film_png(film, 400, tmp_path / "film.png")
    assert (tmp_path / "film.png").read_bytes() == data
    assert len(data) < 20_000  # flat boxes compress to almost nothing
    with PILImage.open(io.BytesIO(data)) as png:
        assert png.size == (400, 500) and png.mode == "L"


@pytest.mark.parametrize(
    "fmt", ["STANDARD\\1,1", "STANDARD\\2,2", "ROW\\1,2", "COL\\2,1", "STANDARD\\4,5"]
)
def test_previews_of_the_test_images_stay_small(fmt, tmp_path):
    count = {"STANDARD\\1,1": 1, "STANDARD\\2,2": 4, "STANDARD\\4,5": 20}.get(fmt, 3)
    frames = [Frame(p) for p in itertools.islice(itertools.cycle(TEST_IMAGES), count)]
    film = format_film(fmt, frames)
    path = tmp_path / "preview.png"
    data = film_png(film, 300, path)
    assert len(data) < 120_000
    with PILImage.open(path) as png:
        assert png.size == (300, 375)
    # Each image box shows an image: its centre region is not all one value.
    preview = render_film(film, 300)
    for rect in film.layout.boxes:
        x0, y0 = round(rect.x * 0.375), round(rect.y * 0.375)
        x1, y1 = round(rect.right * 0.375), round(rect.bottom * 0.375)
        assert preview[y0:y1, x0:x1].std() > 5


def test_polarity_as_printed_and_empty_density():
    spec_frames = [Frame(np.full((8, 8), 60, np.uint8), polarity="REVERSE"), None]
    film = format_film("STANDARD\\2,1", spec_frames)
    preview = render_film(film, 400)
    assert centre(preview, film.layout.boxes[0]) == 195  # 255 - 60
    assert centre(preview, film.layout.boxes[1]) == 0  # empty box: BLACK
    grey = format_film("STANDARD\\2,1", spec_frames)
    grey.empty_pvalue = 128
    assert centre(render_film(grey, 400), grey.layout.boxes[1]) == 128


def test_polarity_sent_to_the_printer_is_not_applied_to_the_pixels_but_previewed():
    """The job option polarity is the Image Box's Polarity (2020,0020): the printer
    inverts, so the pixels go out as they are and the preview shows the film."""
    frames = [Frame(np.full((8, 8), 60, np.uint8), image_box_polarity="REVERSE")]
    film = format_film("STANDARD\\1,1", frames)
    box = film.boxes[0]
    assert box.spec.polarity == "REVERSE"
    assert int(box.pixels[box.pixels.shape[0] // 2, box.pixels.shape[1] // 2]) == 60
    assert centre(render_film(film, 400), film.layout.boxes[0]) == 195


def test_printer_magnifies_preview_fits_the_image_like_the_printer():
    settings = PrinterSettings(resolution=Resolution(dpi=100), scaling="printer")
    film = format_film(
        "STANDARD\\1,1", [Frame(np.full((32, 64), 200, np.uint8))], settings=settings
    )
    assert film.boxes[0].pixels.shape == (32, 64)  # sent at its own size
    preview = render_film(film, 400)
    # 64 x 32 fitted into the 400 x 500 preview box: 400 x 200, centred vertically.
    assert preview[250, 200] == 200 and preview[100, 200] == 0 and preview[400, 200] == 0
    rows = np.nonzero(preview[:, 200] == 200)[0]
    assert rows.min() == 150 and rows.max() == 349


def test_twelve_bit_and_colour_previews():
    twelve = format_film(
        "STANDARD\\1,1",
        [flat(51)],
        settings=PrinterSettings(resolution=Resolution(dpi=100), bits=12),
    )
    assert twelve.boxes[0].pixels.max() == 819  # 51 * 4095 / 255
    assert centre(render_film(twelve, 400), twelve.layout.boxes[0]) == 51
    colour = format_film(
        "STANDARD\\2,1",
        [Frame(get_testdata_file("examples_rgb_color.dcm")), flat(90)],
        settings=PrinterSettings(resolution=Resolution(dpi=100), color=True),
        color=True,
    )
    preview = render_film(colour, 200)
    assert preview.shape == (250, 200, 3)
    assert (centre(preview, colour.layout.boxes[1], 0.25) == [90, 90, 90]).all()


def test_single_box_preview(tmp_path):
    film = format_film("ROW\\1,2", [flat(70), flat(140), None])
    box = render_box(film, 1, 200)
    rect = film.layout.boxes[0]
    assert box.shape == (round(rect.height * 200 / rect.width), 200)
    assert box[box.shape[0] // 2, 100] == 70
    empty = render_box(film, 3, 100)
    assert (empty == 0).all()
    data = box_png(film, 2, 120, tmp_path / "box.png")
    with PILImage.open(tmp_path / "box.png") as png:
        assert png.size[0] == 120 and len(data) < 5_000
    with pytest.raises(ValueError, match="at least 1"):
        render_film(film, 0)
