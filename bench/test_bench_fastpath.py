"""pytest-benchmark cases for the hcs._fastpath kernels.

    .venv/bin/pytest bench/test_bench_fastpath.py --benchmark-enable

Without ``--benchmark-enable`` (pyproject's default is ``--benchmark-disable``) each
case runs once, as a plain test that the call works on a full-size image. Outputs are
allocated once per case, outside the timed call, as a caller of the kernels does.
The side-by-side comparison with numpy, OpenCV, Pillow, scipy and pydicom is
bench/fastpath_compare.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from hcs._fastpath import (
    apply_lut,
    encode_image_box,
    place,
    resize,
    rgb_to_planes,
    window_level,
)

RNG = np.random.default_rng(0)
CT = RNG.integers(0, 4096, (2048, 2048), dtype=np.uint16)  # 12-bit data in 16 bits
LUT = RNG.integers(0, 256, 4096, dtype=np.uint8)


@pytest.fixture(scope="module")
def out8() -> np.ndarray:
    return np.empty((2048, 2048), np.uint8)


def test_apply_lut_2048_u16_to_u8(benchmark, out8):
    benchmark(apply_lut, CT, LUT, out8)
    assert out8[0, 0] == LUT[CT[0, 0]]


def test_apply_lut_2048_u16_to_u8_full_16bit(benchmark, out8):
    src = RNG.integers(0, 65536, (2048, 2048), dtype=np.uint16)
    lut = RNG.integers(0, 256, 65536, dtype=np.uint8)
    benchmark(apply_lut, src, lut, out8)


@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
def test_window_level_2048_u16_to_u8(benchmark, out8, function):
    benchmark(window_level, CT, 2048.0, 1500.0, out8, function=function)


def test_window_level_2048_i16_to_u16_12bit_inverted(benchmark):
    src = (CT.astype(np.int32) - 1024).astype(np.int16)
    out = np.empty(src.shape, np.uint16)
    benchmark(
        window_level, src, 40.0, 400.0, out, slope=1.0, intercept=-1024.0, invert=True, bits_out=12
    )


RESIZES = [(512, 2048), (1024, 2560), (2048, 1000), (3000, 1000)]


@pytest.mark.parametrize("method", ["REPLICATE", "BILINEAR", "CUBIC", "NONE"])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize(("n_in", "n_out"), RESIZES, ids=[f"{a}to{b}" for a, b in RESIZES])
def test_resize(benchmark, method, channels, n_in, n_out):
    shape = (n_in, n_in) if channels == 1 else (n_in, n_in, 3)
    src = RNG.integers(0, 256, shape, dtype=np.uint8)
    out = np.empty((n_out, n_out, *shape[2:]), np.uint8)
    benchmark(resize, src, out, method)


def test_place_into_film_14x17_at_320dpi(benchmark):
    """A chest image (3000 x 2500) fitted into one box of a 2x2 film."""
    src = RNG.integers(0, 256, (3000, 2500), dtype=np.uint8)
    film = np.empty((5440, 4480), np.uint8)
    benchmark(place, src, film, (0, 0, 2720, 2240), "CUBIC", fill_value=0)


def test_rgb_to_planes_2048(benchmark):
    src = RNG.integers(0, 256, (2048, 2048, 3), dtype=np.uint8)
    out = np.empty((3, 2048, 2048), np.uint8)
    benchmark(rgb_to_planes, src, out)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_encode_image_box_4mib(benchmark, dtype):
    pixels = np.zeros((2048, 2048) if dtype == np.uint8 else (2048, 1024), dtype)
    pieces = benchmark(
        encode_image_box,
        pixels,
        1,
        polarity="NORMAL",
        magnification="NONE",
        requested_size=350.0,
        min_density=20,
        max_density=300,
    )
    assert np.shares_memory(np.frombuffer(pieces[1], np.uint8), pixels)
