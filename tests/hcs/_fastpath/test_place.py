"""Placement helpers: fit_size, fill, paste, place."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hcs._fastpath import fill, fit_size, paste, place, resize
from tests.hcs._fastpath import reference as ref


@settings(max_examples=200, deadline=None)
@given(
    rows=st.integers(1, 5000),
    cols=st.integers(1, 5000),
    box_rows=st.integers(1, 5000),
    box_cols=st.integers(1, 5000),
    aspect=st.tuples(st.integers(1, 5), st.integers(1, 5)),
)
def test_fit_size_fills_one_side_and_keeps_the_shape(rows, cols, box_rows, box_cols, aspect):
    r, c = fit_size(rows, cols, box_rows, box_cols, pixel_aspect=aspect)
    assert 1 <= r <= box_rows and 1 <= c <= box_cols
    assert r == box_rows or c == box_cols
    # the displayed shape is kept to within the rounding of one pixel
    shape = Fraction(rows * aspect[0], cols * aspect[1])
    if r == box_rows and c < box_cols and c > 1:
        assert abs(Fraction(r, c) - shape) <= abs(Fraction(r, c) - Fraction(r, c + 1))
    if c == box_cols and r < box_rows and r > 1:
        assert abs(Fraction(r, c) - shape) <= abs(Fraction(r, c) - Fraction(r + 1, c))


@pytest.mark.parametrize(
    ("args", "kwargs", "expect"),
    [
        ((3000, 2000, 1000, 1000), {}, (1000, 667)),
        ((2000, 3000, 1000, 1000), {}, (667, 1000)),
        ((512, 512, 2048, 4096), {}, (2048, 2048)),
        ((100, 100, 50, 80), {"pixel_aspect": (2, 1)}, (50, 25)),
        ((10, 10, 10, 10), {}, (10, 10)),
        ((1, 10000, 100, 100), {}, (1, 100)),
    ],
)
def test_fit_size_examples(args, kwargs, expect):
    assert fit_size(*args, **kwargs) == expect


@pytest.mark.parametrize("bad", [(0, 1, 1, 1), (1, 1, 1, -5), (1.5, 1, 1, 1)])
def test_fit_size_rejects(bad):
    with pytest.raises(ValueError):
        fit_size(*bad)
    with pytest.raises(ValueError):
        fit_size(1, 1, 1, 1, pixel_aspect=(0, 1))


def test_fill_gray_and_colour_views():
    film = np.zeros((50, 60), np.uint8)
    fill(film[10:20, 5:55], 99)
    assert (film[10:20, 5:55] == 99).all() and film.sum() == 99 * 10 * 50
    rgb = np.zeros((8, 9, 3), np.uint8)
    fill(rgb[1:7, 2:8], (1, 2, 3))
    assert (rgb[1:7, 2:8] == [1, 2, 3]).all() and rgb[0].sum() == 0 and rgb[:, 8].sum() == 0
    fill(rgb[:0], 5)  # empty: nothing to do
    with pytest.raises(ValueError):
        fill(rgb, (1, 2))
    with pytest.raises(ValueError):
        fill(film, 300)


def test_paste():
    film = np.zeros((20, 30, 3), np.uint8)
    tile = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    paste(tile, film, 3, 7)
    np.testing.assert_array_equal(film[3:7, 7:12], tile)
    assert film.sum() == tile.sum()
    with pytest.raises(ValueError):
        paste(tile, film, 17, 0)
    with pytest.raises(ValueError):
        paste(tile, film, -1, 0)
    with pytest.raises(ValueError):
        paste(tile[:, :, 0].copy(), film, 0, 0)
    with pytest.raises(ValueError, match="overlaps"):
        paste(film[0:4, 0:5], film, 2, 2)


@pytest.mark.parametrize("method", ["REPLICATE", "BILINEAR", "CUBIC"])
@pytest.mark.parametrize("channels", [1, 3])
def test_place_centres_the_fitted_image(method, channels):
    rng = np.random.default_rng(7)
    shape = (120, 80) if channels == 1 else (120, 80, 3)
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    film = np.full((500, 400, *shape[2:]), 1, np.uint8)
    top, left, rows, cols = place(img, film, (50, 30, 300, 300), method, fill_value=9)
    assert (rows, cols) == (300, 200) and (top, left) == (50, 80)
    np.testing.assert_array_equal(
        film[top : top + rows, left : left + cols],
        ref.resize(img, (rows, cols, *shape[2:]), method),
    )
    assert (film[50:350, 30:80] == 9).all() and (film[50:350, 280:330] == 9).all()
    assert (film[:50] == 1).all() and (film[350:] == 1).all() and (film[:, :30] == 1).all()


def test_place_none_crops_and_pads():
    img = np.arange(100, dtype=np.uint8).reshape(10, 10)
    film = np.zeros((20, 20), np.uint8)
    assert place(img, film, (0, 0, 6, 14), "NONE", fill_value=200) == (0, 2, 6, 10)
    expect = np.full((6, 14), 200, np.uint8)
    expect[:, 2:12] = img[2:8]
    np.testing.assert_array_equal(film[:6, :14], expect)
    with pytest.raises(ValueError):
        place(img, film, (15, 15, 10, 10))


def test_place_equals_resize_into_the_view():
    rng = np.random.default_rng(8)
    img = rng.integers(0, 256, (300, 200), dtype=np.uint8)
    film = np.zeros((1000, 1000), np.uint8)
    t, left, r, c = place(img, film, (0, 0, 1000, 1000), "CUBIC")
    np.testing.assert_array_equal(
        film[t : t + r, left : left + c], resize(img, np.empty((r, c), np.uint8), "CUBIC")
    )
