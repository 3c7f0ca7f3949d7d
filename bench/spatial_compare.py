"""What rotate, flip, zoom and a region of interest cost when a film is formatted.

One 2048 x 2048 12-bit frame (stored values 0..4095, an explicit window) on a 1x1
14INX17IN film, formatted by one worker (``Formatter(workers=1).format_film``), the
frame already loaded (reading and decoding are not the question). Cases, interleaved
round by round so that the machine's load falls on all of them alike:

* ``none``: no transformation (the baseline);
* ``rotate 90``: a quarter turn (the P-values' view is read transposed);
* ``rotate 180``, ``flip horizontal``: a half turn, a mirror;
* ``roi 1024``: the middle 1024 x 1024 region (less to window, the same box to fill);
* ``zoom 2``: the middle quarter shown twice as large.

For 12-bit boxes (uint16) the magnification is numpy float (``magnify._magnify16``),
which reads a turned view directly; ``--bits 8`` measures the 8-bit kernel path, where a
turned view is first copied once into a per-thread buffer.

    .venv/bin/python bench/spatial_compare.py [--rounds 9] [--bits 12] [--dpi 300]

Prints per case the median and quartiles in ms and the ratio of medians to ``none``,
with the load average before and after. For a figure the load does not move, count
instructions under callgrind: ``--only CASE --films N`` formats one film without a
transformation (the warm-up), then N films of CASE and nothing else; the difference
between ``--films 2`` and ``--films 0``, halved, is one film::

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python \
        bench/spatial_compare.py --only "rotate 90" --films 2

``--copies`` times only the copy of a 2048 x 2048 turned (and mirrored) view into rows of
adjacent pixels: numpy's ``copyto``, numpy in 128 x 128 tiles, the ``copy_oriented``
kernel, and a plain contiguous copy for scale.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hcs.film import Resolution  # noqa: E402
from hcs.formatter import FilmJob, Formatter, Frame, PrinterSettings  # noqa: E402
from hcs.formatter.source import from_array  # noqa: E402
from hcs.job.model import FilmBoxSpec  # noqa: E402

CASES = {
    "none": {},
    "rotate 90": {"rotate": 90},
    "rotate 180": {"rotate": 180},
    "flip horizontal": {"flip": "horizontal"},
    "roi 1024": {"roi": (512, 512, 1024, 1024)},
    "zoom 2": {"zoom": 2.0},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--bits", type=int, choices=(8, 12), default=12)
    parser.add_argument("--dpi", type=float, default=300.0)
    parser.add_argument("--only", choices=list(CASES), help="format only this case")
    parser.add_argument("--films", type=int, default=2, help="with --only: films formatted")
    parser.add_argument("--copies", action="store_true", help="time the view copies only")
    args = parser.parse_args(argv)
    if args.copies:
        return copies(args.rounds)

    rng = np.random.default_rng(13)
    pixels = rng.integers(0, 4096, (2048, 2048), dtype=np.uint16)
    image = from_array(pixels, bits_stored=12)
    settings = PrinterSettings(resolution=Resolution(dpi=args.dpi), bits=args.bits)
    box = FilmBoxSpec(image_display_format="STANDARD\\1,1", film_size_id="14INX17IN")
    times: dict[str, list[float]] = {name: [] for name in CASES}
    load_before = os.getloadavg()
    with Formatter(settings, workers=1) as formatter:
        film = formatter.format_film(FilmJob(box, [Frame(image, window=(2048, 4096))]))
        print(
            f"film {film.layout.width} x {film.layout.height} px at {args.dpi:g} dpi, "
            f"box {film.boxes[0].pixels.shape[1]} x {film.boxes[0].pixels.shape[0]}, "
            f"{args.bits}-bit"
        )
        if args.only:
            job = FilmJob(box, [Frame(image, window=(2048, 4096), **CASES[args.only])])
            for _ in range(args.films):
                formatter.format_film(job)
            return 0
        for values in CASES.values():  # warm up every case (scratch buffers, caches)
            formatter.format_film(FilmJob(box, [Frame(image, window=(2048, 4096), **values)]))
        for _ in range(args.rounds):
            for name, values in CASES.items():
                job = FilmJob(box, [Frame(image, window=(2048, 4096), **values)])
                started = time.perf_counter()
                formatter.format_film(job)
                times[name].append((time.perf_counter() - started) * 1000)
    load_after = os.getloadavg()
    base = statistics.median(times["none"])
    print(f"{'case':16} {'median ms':>10} {'q1':>8} {'q3':>8} {'x none':>7}")
    for name, values in times.items():
        q1, median, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
        print(f"{name:16} {median:10.1f} {q1:8.1f} {q3:8.1f} {median / base:7.2f}")
    print(
        f"load average before {load_before[0]:.2f} {load_before[1]:.2f}, "
        f"after {load_after[0]:.2f} {load_after[1]:.2f}; {args.rounds} rounds, "
        f"{os.cpu_count()} cores"
    )
    return 0


def copies(rounds: int) -> int:
    from hcs._fastpath import copy_oriented

    def tiled(src: np.ndarray, out: np.ndarray, tile: int = 128) -> None:
        for y in range(0, src.shape[0], tile):
            for x in range(0, src.shape[1], tile):
                out[y : y + tile, x : x + tile] = src[y : y + tile, x : x + tile]

    load_before = os.getloadavg()
    times: dict[tuple[str, str, str], list[float]] = {}
    rng = np.random.default_rng(5)
    for dtype in (np.uint8, np.uint16):
        a = rng.integers(0, 256, (2048, 2048)).astype(dtype)
        out = np.empty_like(a)
        views = {"rotate 90": np.rot90(a, -1), "mirror": a[:, ::-1], "as stored": a}
        ways = {
            "numpy copyto": lambda v, o=out: np.copyto(o, v),
            "numpy tiles": lambda v, o=out: tiled(v, o),
            "copy_oriented": lambda v, o=out: copy_oriented(v, o),
        }
        for _ in range(rounds):
            for vname, view in views.items():
                for way, copy in ways.items():
                    if vname == "as stored" and way != "numpy copyto":
                        continue
                    started = time.perf_counter()
                    copy(view)
                    key = (np.dtype(dtype).name, vname, way)
                    times.setdefault(key, []).append((time.perf_counter() - started) * 1000)
    for (dtype, vname, way), values in times.items():
        print(f"{dtype:7} {vname:10} {way:14} {statistics.median(values):7.2f} ms")
    load_after = os.getloadavg()
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}; {rounds} rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
