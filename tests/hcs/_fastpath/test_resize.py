"""resize against the numpy reference, bit for bit, plus the properties that matter."""

from __future__ import annotations

import numpy as np
import pytest
from hcs._fastpath.resize import axis_weights
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hcs._fastpath import resize
from tests.hcs._fastpath import reference as ref

FILTERS = ["REPLICATE", "BILINEAR", "CUBIC"]


def _shape(h: int, w: int, channels: int) -> tuple[int, ...]:
    return (h, w) if channels == 1 else (h, w, 3)


@st.composite
def rows_view(draw, shape):
    """A writable zeroed array: C-contiguous, or rows spaced or reversed inside a bigger one."""
    kind = draw(st.sampled_from(["plain", "spaced", "reversed"]))
    if kind == "plain" or shape[0] == 0:
        return np.zeros(shape, np.uint8)
    extra = draw(st.integers(1, 9))
    big = np.zeros((shape[0], shape[1] + extra, *shape[2:]), np.uint8)
    view = big[:, : shape[1]]
    return view[::-1] if kind == "reversed" else view


sizes = st.integers(1, 70)


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    method=st.sampled_from(FILTERS),
    channels=st.sampled_from([1, 3]),
    hin=sizes,
    win=sizes,
    hout=sizes,
    wout=sizes,
)
def test_resize_matches_reference(data, method, channels, hin, win, hout, wout):
    src_c = data.draw(hnp.arrays(np.uint8, _shape(hin, win, channels)))
    src = data.draw(rows_view(src_c.shape))
    src[...] = src_c
    out = data.draw(rows_view(_shape(hout, wout, channels)))
    assert resize(src, out, method) is out
    np.testing.assert_array_equal(out, ref.resize(src_c, out.shape, method))


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    method=st.sampled_from(FILTERS),
    channels=st.sampled_from([1, 3]),
    factor=st.floats(1.0, 20.0),
    hout=st.integers(1, 40),
    wout=st.integers(1, 40),
)
def test_resize_large_shrink_factors(data, method, channels, factor, hout, wout):
    """Box pre-reduction by 2, 4, 8 and the filters beyond it."""
    hin, win = max(1, int(hout * factor)), max(1, int(wout * factor * 0.9))
    src = data.draw(hnp.arrays(np.uint8, _shape(hin, win, channels)))
    out = np.zeros(_shape(hout, wout, channels), np.uint8)
    resize(src, out, method)
    np.testing.assert_array_equal(out, ref.resize(src, out.shape, method))


@settings(max_examples=60, deadline=None)
@given(
    method=st.sampled_from(FILTERS),
    n_in=st.integers(1, 300),
    n_out=st.integers(1, 300),
)
def test_axis_weights_match_reference(method, n_in, n_out):
    for r in (1, 2, 4, 8):
        if r > ref.reduction(n_in, n_out):
            with pytest.raises(ValueError):
                axis_weights(method, n_in, n_out, r)
            continue
        start, w = axis_weights(method, n_in, n_out, r)
        rstart, rw = ref.axis_weights(method, n_in, n_out, r)
        np.testing.assert_array_equal(start, rstart)
        np.testing.assert_array_equal(w, rw)
        assert (w.sum(axis=1) == 1 << 14).all()
        n_src = -(-n_in // r)
        assert (start >= 0).all() and (start + w.shape[1] <= n_src).all()


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    channels=st.sampled_from([1, 3]),
    hin=sizes,
    win=sizes,
    hout=sizes,
    wout=sizes,
    fill=st.integers(0, 255),
)
def test_none_centres_crops_and_pads(data, channels, hin, win, hout, wout, fill):
    src = data.draw(hnp.arrays(np.uint8, _shape(hin, win, channels)))
    out = data.draw(rows_view(_shape(hout, wout, channels)))
    resize(src, out, "NONE", fill=fill)
    np.testing.assert_array_equal(out, ref.resize(src, out.shape, "NONE", fill=fill))


def test_none_with_colour_fill_and_empty_source():
    out = np.zeros((4, 5, 3), np.uint8)
    resize(np.zeros((0, 0, 3), np.uint8), out, "NONE", fill=(10, 20, 30))
    assert (out == [10, 20, 30]).all()


@pytest.mark.parametrize("k", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("channels", [1, 3])
def test_replicate_integer_factor_repeats_pixels(k, channels):
    rng = np.random.default_rng(k)
    src = rng.integers(0, 256, _shape(13, 11, channels), dtype=np.uint8)
    out = np.empty(_shape(13 * k, 11 * k, channels), np.uint8)
    resize(src, out, "REPLICATE")
    np.testing.assert_array_equal(out, src.repeat(k, axis=0).repeat(k, axis=1))


@pytest.mark.parametrize("method", FILTERS)
@pytest.mark.parametrize("channels", [1, 3])
def test_identity_and_constant_images(method, channels):
    rng = np.random.default_rng(3)
    src = rng.integers(0, 256, _shape(37, 53, channels), dtype=np.uint8)
    out = np.empty_like(src)
    np.testing.assert_array_equal(resize(src, out, method), src)
    flat = np.full(_shape(40, 30, channels), 137, np.uint8)
    for shape in [(97, 13), (5, 200), (1, 1), (40, 30)]:
        out = np.empty(_shape(*shape, channels), np.uint8)
        assert (resize(flat, out, method) == 137).all()


@pytest.mark.parametrize("method", FILTERS)
def test_area_shrink_by_integer_factors_is_the_block_mean(method):
    """REPLICATE shrinking averages areas; by 2, 4 and 8 that is the exact block mean."""
    rng = np.random.default_rng(4)
    src = rng.integers(0, 256, (64, 96), dtype=np.uint8)
    for k in (2, 4, 8):
        out = np.empty((64 // k, 96 // k), np.uint8)
        resize(src, out, "REPLICATE")
        mean = src.reshape(64 // k, k, 96 // k, k).mean(axis=(1, 3))
        assert np.abs(out - mean).max() <= 0.5 + 1e-9


BOARD = ((np.indices((2048, 2048)).sum(axis=0) % 2) * 255).astype(np.uint8)
STRIPES = np.ascontiguousarray(
    np.broadcast_to((np.arange(2048) % 2 * 255).astype(np.uint8), (2048, 2048))
)


@pytest.mark.parametrize("method", FILTERS)
@pytest.mark.parametrize("size", [(1000, 1000), (997, 1003), (683, 1024), (2048, 1000)])
@pytest.mark.parametrize("pattern", ["board", "stripes"])
def test_shrinking_by_two_or_more_does_not_alias(method, size, pattern):
    """One-pixel checkerboard or stripes (the highest frequency) must come out flat.

    Decimation (OpenCV's INTER_NEAREST, or INTER_LINEAR when shrinking) turns
    them into black and white patterns instead.
    """
    out = np.empty(size, np.uint8)
    resize(BOARD if pattern == "board" else STRIPES, out, method)
    assert abs(out.mean() - 127.5) < 1
    assert out.std() < 3


@pytest.mark.parametrize("method", FILTERS)
def test_shrinking_by_less_than_two_filters(method):
    """Below 2x the filters still damp the highest frequency well below decimation's 127."""
    out = np.empty((1400, 1500), np.uint8)
    resize(STRIPES, out, method)
    assert abs(out.mean() - 127.5) < 2
    assert out.std() < 64


def test_bilinear_magnify_interpolates():
    src = np.array([[0, 255]], np.uint8)
    out = np.empty((1, 8), np.uint8)
    resize(src, out, "BILINEAR")
    # centres at -0.375, -0.125, 0.125, ..., 1.375 (clamped at the edges)
    assert out.tolist() == [[0, 0, 32, 96, 159, 223, 255, 255]]


def test_cubic_overshoot_is_clamped():
    src = np.array([[0, 0, 255, 255]], np.uint8)
    out = np.empty((1, 16), np.uint8)
    resize(src, out, "CUBIC")
    assert out.min() == 0 and out.max() == 255
    np.testing.assert_array_equal(out, ref.resize(src, out.shape, "CUBIC"))


def test_resize_into_a_box_of_a_film():
    rng = np.random.default_rng(5)
    src = rng.integers(0, 256, (50, 40, 3), dtype=np.uint8)
    film = np.full((300, 200, 3), 7, np.uint8)
    resize(src, film[20:220, 30:190], "BILINEAR")
    np.testing.assert_array_equal(film[20:220, 30:190], ref.resize(src, (200, 160, 3), "BILINEAR"))
    assert (film[:20] == 7).all() and (film[:, :30] == 7).all() and (film[220:] == 7).all()


@pytest.mark.parametrize(
    ("src", "out", "kwargs", "error"),
    [
        (np.zeros((4, 4), np.uint16), np.zeros((8, 8), np.uint8), {}, TypeError),
        (np.zeros((4, 4)), np.zeros((8, 8), np.uint8), {}, TypeError),
        (np.zeros((4, 4), np.uint8), np.zeros((8, 8, 3), np.uint8), {}, ValueError),
        (np.zeros((4, 4, 4), np.uint8), np.zeros((8, 8, 4), np.uint8), {}, ValueError),
        (np.zeros(16, np.uint8), np.zeros(8, np.uint8), {}, ValueError),
        (np.zeros((4, 8), np.uint8)[:, ::2], np.zeros((8, 8), np.uint8), {}, ValueError),
        (np.zeros((4, 4), np.uint8), np.zeros((8, 16), np.uint8)[:, ::2], {}, ValueError),
        (np.zeros((4, 4, 3), np.uint8)[:, :, ::-1], np.zeros((8, 8, 3), np.uint8), {}, ValueError),
        (np.zeros((4, 4), np.uint8), np.zeros((8, 8), np.uint8), {"method": "LANCZOS"}, ValueError),
        (np.zeros((0, 4), np.uint8), np.zeros((8, 8), np.uint8), {"method": "CUBIC"}, ValueError),
        (np.zeros((4, 4), np.uint8), np.zeros((8, 8), np.uint8), {"fill": 256}, ValueError),
        (np.zeros((4, 4, 3), np.uint8), np.zeros((8, 8, 3), np.uint8), {"fill": (1,)}, ValueError),
        ([[1, 2]], np.zeros((8, 8), np.uint8), {}, TypeError),
    ],
)
def test_resize_rejects(src, out, kwargs, error):
    with pytest.raises(error):
        resize(src, out, **kwargs)


def test_resize_rejects_overlap_and_read_only():
    buf = np.zeros((100, 100), np.uint8)
    with pytest.raises(ValueError, match="overlaps"):
        resize(buf[:50], buf[40:], "BILINEAR")
    ro = np.zeros((8, 8), np.uint8)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        resize(np.zeros((4, 4), np.uint8), ro)


def test_empty_output_is_a_no_op():
    resize(np.zeros((4, 4), np.uint8), np.zeros((0, 7), np.uint8), "CUBIC")
    resize(np.zeros((4, 4, 3), np.uint8), np.zeros((3, 0, 3), np.uint8), "BILINEAR")
