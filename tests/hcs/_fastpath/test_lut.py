"""apply_lut and window_level against the numpy reference, bit for bit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pydicom.dataset import Dataset
from pydicom.pixels.processing import apply_windowing

from hcs._fastpath import (
    SIMD_VARIANTS,
    apply_lut,
    lut,
    needs_inversion,
    set_simd_variant,
    simd_variant,
    window_level,
)
from tests.hcs._fastpath import reference as ref


@pytest.fixture(scope="module", params=SIMD_VARIANTS)
def variant(request):
    """window_level's tests run on each pixel loop this CPU has (portable, and AVX2;
    apply_lut has one loop)."""
    before = simd_variant()
    set_simd_variant(request.param)
    yield request.param
    set_simd_variant(before)


SRC_DTYPES = [np.uint8, np.int8, np.uint16, np.int16]
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=40)


@st.composite
def images(draw, dtypes=SRC_DTYPES, shape=shapes):
    dtype = draw(st.sampled_from(dtypes))
    return draw(hnp.arrays(dtype, draw(shape)))


@st.composite
def maybe_strided(draw, arr):
    """The array itself, or a 2-D view with contiguous but spaced (or reversed) rows."""
    if arr.ndim != 2 or arr.shape[0] < 2 or not draw(st.booleans()):
        return arr
    wider = np.zeros((arr.shape[0], arr.shape[1] + draw(st.integers(1, 5))), arr.dtype)
    wider[:, : arr.shape[1]] = arr
    view = wider[:, : arr.shape[1]]
    if draw(st.booleans()):
        flipped = np.ascontiguousarray(view[::-1])
        wider2 = np.zeros_like(wider)
        wider2[:, : arr.shape[1]] = flipped
        view = wider2[::-1, : arr.shape[1]]
    assert np.array_equal(view, arr)
    return view


# -- apply_lut ---------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(data=st.data(), out_dtype=st.sampled_from([np.uint8, np.uint16]))
def test_apply_lut_matches_reference(data, out_dtype):
    src = data.draw(images())
    src = data.draw(maybe_strided(src))
    lut_dtype = data.draw(st.sampled_from([np.uint8, out_dtype]))
    n = data.draw(st.sampled_from([1, 2, 3, 255, 256, 4095, 4096, 65536]) | st.integers(1, 70000))
    lut = data.draw(hnp.arrays(lut_dtype, n))
    first = data.draw(st.integers(-40000, 70000))
    out = np.empty(src.shape, out_dtype)
    assert apply_lut(src, lut, out, first_mapped=first) is out
    np.testing.assert_array_equal(out, ref.apply_lut(src, lut, out_dtype, first))


def test_apply_lut_signed_first_mapped_as_us_is_twos_complement():
    src = np.array([-2048, -1, 0, 1, 2047], np.int16)
    lut = np.arange(4096, dtype=np.uint16)
    a = apply_lut(src, lut, np.empty(5, np.uint16), first_mapped=-2048)
    b = apply_lut(src, lut, np.empty(5, np.uint16), first_mapped=65536 - 2048)
    assert a.tolist() == b.tolist() == [0, 2047, 2048, 2049, 4095]


def test_apply_lut_clamps_to_the_table():
    src = np.array([0, 5, 10, 15, 65535], np.uint16)
    lut = np.array([7, 8, 9], np.uint8)
    out = apply_lut(src, lut, np.empty(5, np.uint8), first_mapped=9)
    assert out.tolist() == [7, 7, 8, 9, 9]


def test_apply_lut_in_place_and_large_image():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (300, 301), dtype=np.uint8)
    lut = rng.integers(0, 256, 256, dtype=np.uint8)
    expect = lut[img]
    apply_lut(img, lut, img)
    np.testing.assert_array_equal(img, expect)
    big = rng.integers(0, 65536, (257, 263), dtype=np.uint16)
    lut16 = rng.integers(0, 65536, 65536, dtype=np.uint16)
    np.testing.assert_array_equal(apply_lut(big, lut16, np.empty_like(big)), lut16[big])


@pytest.mark.parametrize(
    ("src_dtype", "lut_dtype", "n"),
    [
        (np.uint8, np.uint8, 256),
        (np.uint8, np.uint16, 300),
        (np.uint16, np.uint8, 65536),
        (np.uint16, np.uint16, 65536),
        (np.uint16, np.uint8, 70000),
    ],
)
def test_apply_lut_uses_a_full_lut_directly(src_dtype, lut_dtype, n):
    # first_mapped 0, a LUT covering every value, out of the LUT's type: the
    # kernel looks up in the caller's LUT instead of copying it (same result).
    rng = np.random.default_rng(1)
    top = np.iinfo(src_dtype).max + 1
    src = rng.integers(0, top, (200, 203), dtype=src_dtype)
    lut = rng.integers(0, np.iinfo(lut_dtype).max + 1, n, dtype=lut_dtype)
    out = apply_lut(src, lut, np.empty(src.shape, lut_dtype))
    np.testing.assert_array_equal(out, lut[src])


@pytest.mark.parametrize("offset", [0, 1000, -1000])
def test_apply_lut_lut_overlapping_out(offset):
    # out written over the LUT itself: the result is that of the LUT as it
    # was at the call (the kernel works from a copy then).
    rng = np.random.default_rng(2)
    src = rng.integers(0, 256, (100, 100), dtype=np.uint8)
    buf = rng.integers(0, 256, 20000, dtype=np.uint8)
    lut = buf[5000:5256]
    expect = lut.copy()[src]
    out = buf[5000 + offset : 5000 + offset + src.size].reshape(src.shape)
    apply_lut(src, lut, out)
    np.testing.assert_array_equal(out, expect)


@pytest.mark.parametrize(
    ("src", "lut", "out", "error"),
    [
        (np.zeros(4, np.float32), np.zeros(4, np.uint8), np.zeros(4, np.uint8), TypeError),
        (np.zeros(4, np.uint16), np.zeros(4, np.int16), np.zeros(4, np.uint8), TypeError),
        (np.zeros(4, np.uint16), np.zeros(4, np.uint8), np.zeros(4, np.int32), TypeError),
        (np.zeros(4, np.uint16), np.zeros(0, np.uint8), np.zeros(4, np.uint8), ValueError),
        (np.zeros(4, np.uint16), np.zeros((2, 2), np.uint8), np.zeros(4, np.uint8), ValueError),
        (np.zeros(4, np.uint16), np.zeros(4, np.uint8), np.zeros(5, np.uint8), ValueError),
        (
            np.zeros((4, 4), np.uint16)[:, ::2],
            np.zeros(4, np.uint8),
            np.zeros((4, 2), np.uint8),
            ValueError,
        ),
        (np.zeros(4, np.uint16), np.zeros(4, np.uint8), np.zeros(8, np.uint8)[::2], ValueError),
        (np.zeros(4, ">u2"), np.zeros(4, np.uint8), np.zeros(4, np.uint8), TypeError),
        ([1, 2, 3], np.zeros(4, np.uint8), np.zeros(3, np.uint8), TypeError),
        (np.zeros(4, np.uint16), np.array([0, 256], np.uint16), np.zeros(4, np.uint8), ValueError),
    ],
)
def test_apply_lut_rejects(src, lut, out, error):
    with pytest.raises(error):
        apply_lut(src, lut, out)


def test_apply_lut_rejects_unrepresentable_first_mapped():
    with pytest.raises(ValueError):
        apply_lut(
            np.zeros(4, np.uint16),
            np.zeros(4, np.uint8),
            np.zeros(4, np.uint8),
            first_mapped=10**30,
        )
    with pytest.raises(TypeError):
        apply_lut(
            np.zeros(4, np.uint16), np.zeros(4, np.uint8), np.zeros(4, np.uint8), first_mapped="7"
        )


def test_apply_lut_rejects_overlap_and_read_only():
    buf = np.zeros(20, np.uint16)
    with pytest.raises(ValueError, match="overlaps"):
        apply_lut(buf[:10], np.zeros(3, np.uint16), buf[5:15])
    with pytest.raises(ValueError, match="overlaps"):
        apply_lut(buf[:10], np.zeros(3, np.uint8), buf.view(np.uint8)[:10])
    ro = np.zeros(4, np.uint8)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        apply_lut(np.zeros(4, np.uint8), np.zeros(4, np.uint8), ro)


# -- window_level --------------------------------------------------------------------

centers = st.one_of(
    st.floats(-70000, 70000, allow_nan=False),
    st.integers(-70000, 70000).map(float),
    st.integers(-40, 300).map(lambda v: v + 0.5),
)
widths = st.one_of(
    st.just(1.0),
    st.floats(1.0, 1e9, allow_nan=False),
    st.integers(1, 70000).map(float),
    st.floats(1e-6, 1.0),
)


@pytest.mark.usefixtures("variant")
@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    center=centers,
    width=widths,
    function=st.sampled_from(["LINEAR", "LINEAR_EXACT", "SIGMOID"]),
    invert=st.booleans(),
    bits_out=st.sampled_from([8, 12, 16, 1, 10]),
    rescale=st.sampled_from([(1.0, 0.0), (1.0, -1024.0), (0.5, 3.25), (-2.0, 100.0), (0.0, 7.0)]),
)
def test_window_level_matches_reference(data, center, width, function, invert, bits_out, rescale):
    if function == "LINEAR":
        assume(width >= 1.0)
    src = data.draw(images(shape=hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=40)))
    src = data.draw(maybe_strided(src))
    out_dtype = np.uint8 if bits_out <= 8 and data.draw(st.booleans()) else np.uint16
    slope, intercept = rescale
    out = np.empty(src.shape, out_dtype)
    kwargs = dict(
        function=function, slope=slope, intercept=intercept, invert=invert, bits_out=bits_out
    )
    assert window_level(src, center, width, out, **kwargs) is out
    expect = ref.window_level(src, center, width, **kwargs)
    np.testing.assert_array_equal(out, expect.astype(out_dtype))


@pytest.mark.usefixtures("variant")
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16])
@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
def test_window_level_every_input_value(dtype, function):
    """The whole input domain at once, so the table path is checked entry by entry."""
    info = np.iinfo(dtype)
    src = np.arange(info.min, info.max + 1, dtype=np.int64).astype(dtype)
    for center, width in [(40.0, 400.0), (-600.0, 1500.0), (0.5, 1.0), (127.25, 3.5), (3e4, 9e8)]:
        out = window_level(
            src,
            center,
            width,
            np.empty(src.shape, np.uint16),
            function=function,
            bits_out=12,
            slope=1.0,
            intercept=-7.0,
        )
        expect = ref.window_level(
            src, center, width, function=function, bits_out=12, intercept=-7.0
        )
        np.testing.assert_array_equal(out, expect)


@pytest.mark.usefixtures("variant")
@settings(max_examples=150, deadline=None)
@given(
    center=centers,
    width=widths,
    function=st.sampled_from(["LINEAR", "LINEAR_EXACT"]),
    invert=st.booleans(),
    bits_out=st.sampled_from([8, 8, 1, 10, 12]),
    rescale=st.sampled_from([(1.0, 0.0), (1.0, -1024.0), (0.5, 3.25), (-2.0, 100.0), (0.0, 7.0)]),
    dtype=st.sampled_from([np.uint16, np.int16]),
)
def test_window_level_whole_16_bit_domain(
    center, width, function, invert, bits_out, rescale, dtype
):
    """Every 16-bit value at once: the AVX2 ramp (or the table it falls back to) is
    the reference's staircase, entry by entry."""
    if function == "LINEAR":
        assume(width >= 1.0)
    info = np.iinfo(dtype)
    src = np.arange(info.min, info.max + 1, dtype=np.int64).astype(dtype).reshape(256, 256)
    slope, intercept = rescale
    out = np.empty(src.shape, np.uint8 if bits_out <= 8 else np.uint16)
    kwargs = dict(
        function=function, slope=slope, intercept=intercept, invert=invert, bits_out=bits_out
    )
    window_level(src, center, width, out, **kwargs)
    np.testing.assert_array_equal(out, ref.window_level(src, center, width, **kwargs))


@pytest.mark.usefixtures("variant")
@pytest.mark.parametrize("dtype", [np.uint16, np.int16])
def test_window_level_ramp_is_taken_and_exact(variant, dtype):
    """The benchmark's window goes through the AVX2 ramp, with odd row lengths and
    strided rows (the scalar tail), and gives the table's result."""
    rng = np.random.default_rng(7)
    info = np.iinfo(dtype)
    wide = rng.integers(info.min, info.max + 1, (300, 1111), dtype=dtype)
    src = wide[::-1, 3:1100]  # reversed rows, 1097 pixels each
    for center, width, invert, slope in [(2048.0, 1500.0, False, 1.0), (300.0, 1500.0, True, -1.0)]:
        out = np.empty(src.shape, np.uint8)
        window_level(src, center, width, out, invert=invert, slope=slope)
        expect = ref.window_level(src, center, width, invert=invert, slope=slope)
        np.testing.assert_array_equal(out, expect)
        assert lut._window_path() == ("ramp" if variant == "avx2" else "table")


def test_simd_variant_can_be_chosen():
    assert "portable" in SIMD_VARIANTS
    assert simd_variant() in SIMD_VARIANTS
    with pytest.raises(ValueError, match="not available"):
        set_simd_variant("avx512")


@pytest.mark.usefixtures("variant")
def test_window_level_width_one_is_a_threshold():
    src = np.arange(0, 10, dtype=np.uint16)
    out = window_level(src, 5.0, 1.0, np.empty(10, np.uint8))
    # LINEAR with w = 1: x <= c - 0.5 -> 0, else 255
    assert out.tolist() == [0] * 5 + [255] * 5


@pytest.mark.usefixtures("variant")
def test_window_level_inversion_is_folded_in():
    rng = np.random.default_rng(1)
    src = rng.integers(0, 4096, (64, 64), dtype=np.uint16)
    a = window_level(src, 2000, 1000, np.empty(src.shape, np.uint8))
    b = window_level(src, 2000, 1000, np.empty(src.shape, np.uint8), invert=True)
    np.testing.assert_array_equal(a.astype(int) + b, 255)


@pytest.mark.usefixtures("variant")
@settings(max_examples=100, deadline=None)
@given(
    data=st.data(),
    center=centers,
    width=widths,
    function=st.sampled_from(["LINEAR", "LINEAR_EXACT", "SIGMOID"]),
    bits_out=st.sampled_from([8, 12]),
)
def test_window_level_within_half_lsb_of_pydicom(data, center, width, function, bits_out):
    """pydicom's apply_windowing returns the unrounded float y; we round it half up.

    With the rescale applied beforehand and BitsStored = bits_out (pydicom takes
    the output range from the data set), every output is within 0.5 of pydicom's
    value, hence within 1 LSB of any integer conversion of it.
    """
    if function == "LINEAR":
        assume(width >= 1.0)
    src = data.draw(hnp.arrays(np.int16, hnp.array_shapes(min_dims=2, max_dims=2, max_side=20)))
    ds = Dataset()
    with warnings.catch_warnings():  # long DS strings: pydicom keeps the float anyway
        warnings.simplefilter("ignore")
        ds.WindowCenter = center
        ds.WindowWidth = width
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsStored = bits_out
    ds.PixelRepresentation = 0
    ds.VOILUTFunction = function
    with np.errstate(over="ignore"):
        theirs = apply_windowing(src.astype(np.float64) * 1.0 + 0.0, ds)
    ours = window_level(
        src, center, width, np.empty(src.shape, np.uint16), function=function, bits_out=bits_out
    )
    assert np.all(np.abs(ours - theirs) <= 0.5 + 1e-9)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        (dict(center=0.0, width=0.5), ValueError),  # LINEAR needs >= 1
        (dict(center=0.0, width=0.0, function="SIGMOID"), ValueError),
        (dict(center=0.0, width=-1.0, function="LINEAR_EXACT"), ValueError),
        (dict(center=float("nan"), width=10.0), ValueError),
        (dict(center=0.0, width=float("inf")), ValueError),
        (dict(center=0.0, width=10.0, slope=float("nan")), ValueError),
        (dict(center=0.0, width=10.0, function="GAMMA"), ValueError),
        (dict(center=0.0, width=10.0, bits_out=0), ValueError),
        (dict(center=0.0, width=10.0, bits_out=17), ValueError),
        (dict(center=0.0, width=10.0, bits_out=12), TypeError),  # uint8 out
    ],
)
def test_window_level_rejects(kwargs, error):
    center = kwargs.pop("center")
    width = kwargs.pop("width")
    with pytest.raises(error):
        window_level(np.zeros(4, np.uint16), center, width, np.zeros(4, np.uint8), **kwargs)


def test_window_level_rejects_float_input_and_shape_mismatch():
    with pytest.raises(TypeError):
        window_level(np.zeros(4, np.float64), 0, 10, np.zeros(4, np.uint8))
    with pytest.raises(TypeError):
        window_level(np.zeros(4, np.uint16), "40", 10, np.zeros(4, np.uint8))
    with pytest.raises(ValueError):
        window_level(np.zeros((2, 2), np.uint16), 0, 10, np.zeros(4, np.uint8))


@pytest.mark.usefixtures("variant")
def test_empty_and_one_pixel():
    for shape in [(0,), (0, 5), (1, 1), (1,)]:
        src = np.full(shape, 300, np.uint16)
        out = window_level(src, 300, 100, np.zeros(shape, np.uint8))
        assert out.shape == shape
        np.testing.assert_array_equal(out, ref.window_level(src, 300, 100).astype(np.uint8))
        out = apply_lut(src, np.arange(400, dtype=np.uint16), np.zeros(shape, np.uint16))
        assert out.size == 0 or out.item(0) == 300


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (("MONOCHROME2", "NORMAL", "IDENTITY"), False),
        (("MONOCHROME1", "NORMAL", "IDENTITY"), True),
        (("MONOCHROME2", "REVERSE", "IDENTITY"), True),
        (("MONOCHROME1", "REVERSE", "IDENTITY"), False),
        (("MONOCHROME1", "REVERSE", "INVERSE"), True),
        (("monochrome2", "normal", "inverse"), True),
    ],
)
def test_needs_inversion(args, expect):
    assert needs_inversion(*args) is expect
