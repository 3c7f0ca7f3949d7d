"""Display formats -> image boxes: counts, rectangles and PS3.3 C.13.5.1 numbering."""

import pytest

from hcs.vprinter.geometry import (
    DisplayFormat,
    DisplayFormatError,
    box_count,
    film_size_mm,
    layout,
    parse_display_format,
    validate_custom_formats,
)


def centres(text, size="14INX17IN", orientation="PORTRAIT"):
    film = layout(parse_display_format(text), size, orientation)
    return [(b.x + b.width / 2, b.y + b.height / 2) for b in film.boxes]


def test_standard_is_columns_then_rows_numbered_row_major():
    # STANDARD\3,2: three columns, two rows; position 2 is right of 1, position 4 below 1.
    c = centres("STANDARD\\3,2")
    assert len(c) == 6
    assert c[0][1] == c[1][1] == c[2][1] < c[3][1]
    assert c[0][0] < c[1][0] < c[2][0]
    assert c[3][0] == pytest.approx(c[0][0])


def test_row_format_gives_each_row_its_own_count():
    c = centres("ROW\\1,3")
    assert len(c) == 4
    assert c[0][0] == pytest.approx(355.6 / 2)  # one box, centred
    assert c[1][1] == c[2][1] == c[3][1] > c[0][1]


def test_col_format_is_numbered_column_major():
    c = centres("COL\\2,1")
    assert len(c) == 3
    assert c[0][0] == pytest.approx(c[1][0])  # 1 and 2 share the first column
    assert c[1][0] < c[2][0]
    assert c[0][1] < c[1][1]  # 1 above 2


def test_slide_counts_depend_on_the_film_size():
    assert box_count(parse_display_format("SLIDE"), "14INX17IN") == 7 * 8
    assert box_count(parse_display_format("SLIDE"), "8INX10IN") == 4 * 5
    assert box_count(parse_display_format("SUPERSLIDE"), "8INX10IN") == 20
    film = layout(parse_display_format("SLIDE"), "8INX10IN")
    assert (film.boxes[0].width, film.boxes[0].height) == (36.0, 24.0)


def test_custom_formats_follow_their_definition_order():
    c = centres("CUSTOM\\1")
    assert len(c) == 3 and c[0][1] < c[1][1] == c[2][1] and c[1][0] < c[2][0]
    assert box_count(parse_display_format("CUSTOM\\2")) == 4
    with pytest.raises(DisplayFormatError):
        layout(parse_display_format("CUSTOM\\9"), "14INX17IN")


def test_landscape_swaps_the_film_sides_and_boxes_follow():
    assert film_size_mm("14INX17IN", "LANDSCAPE") == pytest.approx((431.8, 355.6))
    portrait = layout(parse_display_format("STANDARD\\2,1"), "14INX17IN", "PORTRAIT")
    landscape = layout(parse_display_format("STANDARD\\2,1"), "14INX17IN", "LANDSCAPE")
    assert landscape.boxes[0].width > portrait.boxes[0].width


def test_margins_and_gaps_shrink_the_boxes_and_pixels_follow_the_resolution():
    film = layout(parse_display_format("STANDARD\\2,2"), "8INX10IN", margin_mm=10, gap_mm=4)
    box = film.boxes[0]
    assert (box.x, box.y) == (10, 10)
    assert box.width == pytest.approx((203.2 - 20 - 4) / 2)
    assert box.pixels(254) == (int(box.width * 10), int(box.height * 10))


@pytest.mark.parametrize(
    "text",
    [
        "STANDARD\\2",
        "STANDARD\\0,1",
        "STANDARD\\a,b",
        "ROW\\",
        "ROW\\01",
        "SLIDE\\2",
        "FOO\\1",
        "CUSTOM\\1,2",
    ],
)
def test_malformed_formats_are_refused(text):
    with pytest.raises(DisplayFormatError):
        parse_display_format(text)


def test_formats_print_back_as_sent():
    assert str(parse_display_format("STANDARD\\2,3 ")) == "STANDARD\\2,3"
    assert parse_display_format("SLIDE") == DisplayFormat("SLIDE")


def test_custom_format_validation_names_the_problem():
    assert validate_custom_formats({"1": [[0, 0, 1, 1]]}) == []
    assert "not inside" in validate_custom_formats({"1": [[0.5, 0, 0.6, 1]]})[0]
    assert "positive integer" in validate_custom_formats({"x": [[0, 0, 1, 1]]})[0]
