"""Film geometry against rectangles computed by hand, and the rules every layout keeps."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hcs.film import (
    FILM_SIZES_MM,
    CustomFormat,
    FilmGeometryError,
    Rect,
    Resolution,
    box_count,
    layout,
    parse_display_format,
    split,
)
from hcs.job import terms

R100 = Resolution(dpi=100)


def rects(*boxes: tuple[int, int, int, int]) -> tuple[Rect, ...]:
    return tuple(Rect(*b) for b in boxes)


# -- film sizes ------------------------------------------------------------------------

# Film Size ID -> (columns, rows) at 100 dpi, PORTRAIT: mm / 25.4 * 100, rounded by hand.
PORTRAIT_100DPI = {
    "8INX10IN": (800, 1000),
    "8_5INX11IN": (850, 1100),
    "10INX12IN": (1000, 1200),
    "10INX14IN": (1000, 1400),
    "11INX14IN": (1100, 1400),
    "11INX17IN": (1100, 1700),
    "14INX14IN": (1400, 1400),
    "14INX17IN": (1400, 1700),
    "24CMX24CM": (945, 945),  # 240 mm = 944.88
    "24CMX30CM": (945, 1181),  # 300 mm = 1181.10
    "A4": (827, 1169),  # 210 mm = 826.77, 297 mm = 1169.29
    "A3": (1169, 1654),  # 420 mm = 1653.54
}


def test_every_film_size_id_of_ps33_is_known():
    assert set(FILM_SIZES_MM) == set(terms.FILM_SIZE_IDS) == set(PORTRAIT_100DPI)


@pytest.mark.parametrize("size", sorted(PORTRAIT_100DPI))
@pytest.mark.parametrize("orientation", ["PORTRAIT", "LANDSCAPE"])
def test_film_pixels_both_orientations(size, orientation):
    columns, rows = PORTRAIT_100DPI[size]
    film = layout("STANDARD\\1,1", size, orientation, R100)
    expected = (columns, rows) if orientation == "PORTRAIT" else (rows, columns)
    assert (film.width, film.height) == expected
    assert film.boxes == rects((0, 0, *expected))


def test_resolution_by_pixel_spacing_and_by_pixels_per_film():
    film = layout("STANDARD\\1,1", "14INX17IN", resolution=Resolution(pixel_spacing_mm=0.1))
    assert (film.width, film.height) == (3556, 4318)
    matrix = Resolution(dpi=100, film_pixels={"14INX17IN": (4096, 5120)})
    assert (layout("STANDARD\\1,1", "14INX17IN", "PORTRAIT", matrix).width) == 4096
    landscape = layout("STANDARD\\1,1", "14INX17IN", "LANDSCAPE", matrix)
    assert (landscape.width, landscape.height) == (5120, 4096)
    # Sizes the matrix does not list fall back to dpi.
    assert layout("STANDARD\\1,1", "8INX10IN", "PORTRAIT", matrix).width == 800


def test_default_resolution_is_300_dpi():
    film = layout("STANDARD\\1,1", "14INX17IN")
    assert (film.width, film.height) == (4200, 5100)


# -- display formats, by hand ------------------------------------------------------------


def test_standard_counts_columns_first_and_numbers_row_major():
    film = layout("STANDARD\\2,3", "8INX10IN", "PORTRAIT", R100)
    # 2 columns of 400; 3 rows of 1000 px: edges 0, 333, 666, 1000.
    assert film.boxes == rects(
        (0, 0, 400, 333),
        (400, 0, 400, 333),
        (0, 333, 400, 333),
        (400, 333, 400, 333),
        (0, 666, 400, 334),
        (400, 666, 400, 334),
    )


def test_standard_landscape():
    film = layout("STANDARD\\3,1", "8INX10IN", "LANDSCAPE", R100)
    # 1000 x 800: three columns, edges 0, 333, 666, 1000.
    assert film.boxes == rects((0, 0, 333, 800), (333, 0, 333, 800), (666, 0, 334, 800))


def test_standard_4_5_on_14x17_landscape():
    film = layout("STANDARD\\4,5", "14INX17IN", "LANDSCAPE", Resolution(dpi=50))
    assert (film.width, film.height) == (850, 700)
    xs = [(0, 212), (212, 213), (425, 212), (637, 213)]
    expected = [Rect(x, r * 140, w, 140) for r in range(5) for x, w in xs]
    assert film.boxes == tuple(expected)


def test_margin_and_gap():
    # 2.54 mm = 10 px and 5.08 mm = 20 px at 100 dpi.
    film = layout("STANDARD\\2,2", "8INX10IN", "PORTRAIT", R100, margin_mm=2.54, gap_mm=5.08)
    assert film.boxes == rects(
        (10, 10, 380, 480), (410, 10, 380, 480), (10, 510, 380, 480), (410, 510, 380, 480)
    )


def test_row_format():
    film = layout("ROW\\1,2", "8INX10IN", "PORTRAIT", R100)
    assert film.boxes == rects((0, 0, 800, 500), (0, 500, 400, 500), (400, 500, 400, 500))
    landscape = layout("ROW\\1,2", "8INX10IN", "LANDSCAPE", R100)
    assert landscape.boxes == rects((0, 0, 1000, 400), (0, 400, 500, 400), (500, 400, 500, 400))


def test_col_format_numbers_column_major():
    film = layout("COL\\2,1", "8INX10IN", "PORTRAIT", R100)
    assert film.boxes == rects((0, 0, 400, 500), (0, 500, 400, 500), (400, 0, 400, 1000))
    landscape = layout("COL\\2,1", "8INX10IN", "LANDSCAPE", R100, gap_mm=2.54)
    # 1000 x 800 with a 10 px gap: columns 495 wide at 0 and 505; rows 395 at 0 and 405.
    assert landscape.boxes == rects((0, 0, 495, 395), (0, 405, 495, 395), (505, 0, 495, 800))


def test_slides_fill_the_film_with_2_inch_frames():
    film = layout("SLIDE", "8INX10IN", "PORTRAIT", R100)
    # 200 px frames: 4 x 5. A 36 x 24 mm picture is 141.73 x 94.49 px, centred in its
    # frame: left 29.13 -> 29, right 170.87 -> 171, top 52.76 -> 53, bottom 147.24 -> 147.
    assert len(film.boxes) == 20
    assert film.boxes[0] == Rect(29, 53, 142, 94)
    assert film.boxes[1] == Rect(229, 53, 142, 94)
    assert film.boxes[4] == Rect(29, 253, 142, 94)  # row-major: box 5 starts row 2
    superslide = layout("SUPERSLIDE", "8INX10IN", "PORTRAIT", R100)
    # 40 mm = 157.48 px: left 21.26 -> 21, right 178.74 -> 179.
    assert superslide.boxes[0] == Rect(21, 21, 158, 158)
    assert len(layout("SLIDE", "14INX17IN", "PORTRAIT", R100).boxes) == 7 * 8


def test_custom_formats_from_rectangles_and_from_a_count():
    big_over_two = CustomFormat(((0, 0, 1, 0.5), (0, 0.5, 0.5, 0.5), (0.5, 0.5, 0.5, 0.5)))
    film = layout("CUSTOM\\1", "8INX10IN", "PORTRAIT", R100, custom_formats={1: big_over_two})
    assert film.boxes == rects((0, 0, 800, 500), (0, 500, 400, 500), (400, 500, 400, 500))
    gapped = layout(
        "CUSTOM\\1", "8INX10IN", "PORTRAIT", R100, gap_mm=2.54, custom_formats={1: big_over_two}
    )
    assert gapped.boxes == rects((0, 0, 800, 495), (0, 505, 395, 495), (405, 505, 395, 495))
    # Only a box count (what PrinterProfile.custom_formats holds): near-square rows.
    counted = layout("CUSTOM\\7", "8INX10IN", "PORTRAIT", R100, custom_formats={7: 3})
    assert counted.boxes == rects((0, 0, 400, 500), (400, 0, 400, 500), (0, 500, 800, 500))


# -- malformed formats ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("STANDARD\\0,2", "'0' is not a positive whole number"),
        ("STANDARD\\2", "STANDARD takes exactly two numbers"),
        ("STANDARD\\2,2,2", "STANDARD takes exactly two numbers"),
        ("STANDARD\\-1,2", "not a positive whole number"),
        ("STANDARD\\02,2", "leading zero"),
        ("ROW\\", "no numbers after ROW"),
        ("ROW\\1,,2", "'' is not a positive whole number"),
        ("COL", "no numbers after COL"),
        ("CUSTOM\\1,2", "CUSTOM takes one number"),
        ("SLIDE\\2", "SLIDE takes no numbers"),
        ("GRID\\2,2", "is not an Image Display Format"),
        ("STANDARD\\40,25", "makes 1000 image boxes; a film holds at most 256"),
        ("ROW\\500,500", "makes 1000 image boxes"),
    ],
)
def test_malformed_formats_say_why(text, reason):
    with pytest.raises(FilmGeometryError, match=None) as raised:
        layout(text, "8INX10IN", "PORTRAIT", R100)
    assert reason in str(raised.value)


def test_layout_errors_name_the_problem():
    with pytest.raises(FilmGeometryError, match="CUSTOM\\\\3 is not defined"):
        layout("CUSTOM\\3", "8INX10IN", "PORTRAIT", R100, custom_formats={1: 2})
    with pytest.raises(FilmGeometryError, match="is not a Film Size ID"):
        layout("STANDARD\\1,1", "9INX12IN")
    with pytest.raises(FilmGeometryError, match="PORTRAIT or LANDSCAPE"):
        layout("STANDARD\\1,1", "8INX10IN", "SIDEWAYS")
    with pytest.raises(FilmGeometryError, match="box 1 would be 0 x 50 pixels"):
        layout("STANDARD\\256,1", "8INX10IN", "PORTRAIT", Resolution(dpi=5))
    with pytest.raises(FilmGeometryError, match="leaves nothing"):
        layout("STANDARD\\1,1", "8INX10IN", "PORTRAIT", R100, margin_mm=200)
    with pytest.raises(FilmGeometryError, match="not inside the printable area"):
        CustomFormat(((0.5, 0, 0.6, 1),))
    with pytest.raises(FilmGeometryError, match="Image Box Position 5"):
        layout("STANDARD\\2,2", "8INX10IN", "PORTRAIT", R100).box(5)


def test_parse_round_trips():
    for text in ("STANDARD\\2,3", "ROW\\1,2,3", "COL\\4", "SLIDE", "SUPERSLIDE", "CUSTOM\\2"):
        assert str(parse_display_format(text)) == text


# -- properties ----------------------------------------------------------------------------


def test_split_spreads_spare_pixels():
    assert split(10, 3) == [(0, 3), (3, 3), (6, 4)]
    assert split(100, 2, gap=10, start=5) == [(5, 45), (60, 45)]


formats = st.one_of(
    st.tuples(st.integers(1, 8), st.integers(1, 8)).map(lambda t: f"STANDARD\\{t[0]},{t[1]}"),
    st.lists(st.integers(1, 6), min_size=1, max_size=6).map(
        lambda c: "ROW\\" + ",".join(map(str, c))
    ),
    st.lists(st.integers(1, 6), min_size=1, max_size=6).map(
        lambda c: "COL\\" + ",".join(map(str, c))
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    fmt=formats,
    size=st.sampled_from(sorted(FILM_SIZES_MM)),
    orientation=st.sampled_from(["PORTRAIT", "LANDSCAPE"]),
    dpi=st.floats(20, 400),
    gap=st.sampled_from([0.0, 1.0, 3.0]),
)
def test_boxes_tile_the_film_without_overlap(fmt, size, orientation, dpi, gap):
    film = layout(fmt, size, orientation, Resolution(dpi=dpi), gap_mm=gap)
    boxes = film.boxes
    assert len(boxes) == box_count(fmt, size, orientation)
    for a in boxes:
        assert a.x >= 0 and a.right <= film.width and a.y >= 0 and a.bottom <= film.height
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a.right <= b.x or b.right <= a.x or a.bottom <= b.y or b.bottom <= a.y
    if gap == 0:
        assert sum(b.width * b.height for b in boxes) == film.width * film.height
    # Numbering: row-major for STANDARD and ROW, column-major for COL.
    keys = [(b.x, b.y) if fmt.startswith("COL") else (b.y, b.x) for b in boxes]
    assert keys == sorted(keys)
