"""pytest-benchmark cases for the formatter.

    .venv/bin/pytest bench/test_bench_formatter.py --benchmark-enable

Without ``--benchmark-enable`` (pyproject's default is ``--benchmark-disable``) each case
runs once, as a plain test that the work is done and gives the same picture. The
side-by-side figures (hcs against pydicom + Pillow + numpy, and two printers at once)
come from ``bench/formatter_compare.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from formatter_compare import (
    film_job,
    make_image,
    settings,
    user_route,
)
from hcs._fastpath.lut import window_level
from hcs._fastpath.resize import resize

from hcs.formatter import Formatter
from hcs.formatter.source import from_dataset


@pytest.fixture(scope="module")
def images():
    return [make_image(seed) for seed in range(4)]


@pytest.fixture(scope="module")
def formatter():
    with Formatter(settings(), workers=1) as f:
        yield f


def test_format_4up_14x17_at_320dpi_one_worker(benchmark, images, formatter):
    film = benchmark(formatter.format_film, film_job(images))
    assert [b.pixels.shape for b in film.boxes] == [(2720, 2240)] * 4


def test_format_4up_14x17_at_320dpi_two_workers(benchmark, images):
    with Formatter(settings(), workers=2) as two:
        film = benchmark(two.format_film, film_job(images))
    assert film.boxes[3].pixels.dtype == np.uint8


def test_user_route_pydicom_pillow_numpy(benchmark, images, formatter):
    canvas = benchmark.pedantic(user_route, args=(images,), rounds=1, iterations=1)
    ours = formatter.format_film(film_job(images))
    rect = ours.layout.boxes[0]
    region = canvas[rect.y : rect.bottom, rect.x : rect.right].astype(np.int16)
    assert np.abs(ours.boxes[0].pixels.astype(np.int16) - region).mean() < 1.0


def test_window_level_one_frame(benchmark, images):
    image = from_dataset(images[0])
    out = np.empty(image.pixels.shape, np.uint8)
    benchmark(window_level, image.pixels, 2000.0, 2600.0, out)
    assert out.max() == 255


def test_resize_one_frame_into_its_box(benchmark):
    src = (np.arange(2500 * 2048) % 251).astype(np.uint8).reshape(2500, 2048)
    box = np.empty((2720, 2240), np.uint8)
    benchmark(resize, src, box[:, 6:2234], "BILINEAR")
