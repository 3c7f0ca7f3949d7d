"""Two threads on two images against one thread on one: how well the kernels scale.

A kernel holding the GIL gives about 2.0; one that releases it, close to 1.0 on an idle
machine with two free cores. numpy's multiply (which releases the GIL too) runs beside
as a control, since the figure depends on what else the machine is doing. Prints the
median of several runs; this is a measurement, ``tests/hcs/_fastpath/test_parallel.py``
is the test (it checks the GIL release without a clock).

    .venv/bin/python bench/fastpath_parallel.py
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

import numpy as np

from hcs._fastpath import apply_lut, resize, rgb_to_planes, window_level


def jobs(kind: str) -> list[Callable[[], None]]:
    rng = np.random.default_rng(0)
    made = []
    for _ in range(2):
        if kind == "window_level":
            src = rng.integers(0, 4096, (2048, 2048), dtype=np.uint16)
            out = np.empty(src.shape, np.uint8)
            made.append(lambda src=src, out=out: window_level(src, 2048, 1000, out))
        elif kind == "apply_lut":
            src = rng.integers(0, 65536, (2048, 2048), dtype=np.uint16)
            lut = rng.integers(0, 256, 65536, dtype=np.uint8)
            out = np.empty(src.shape, np.uint8)
            made.append(lambda src=src, lut=lut, out=out: apply_lut(src, lut, out))
        elif kind == "resize":
            src = rng.integers(0, 256, (700, 600), dtype=np.uint8)
            out = np.empty((2100, 1800), np.uint8)
            made.append(lambda src=src, out=out: resize(src, out, "CUBIC"))
        elif kind == "rgb_to_planes":
            src = rng.integers(0, 256, (1500, 1500, 3), dtype=np.uint8)
            out = np.empty((3, 1500, 1500), np.uint8)
            made.append(lambda src=src, out=out: rgb_to_planes(src, out))
        else:
            a = np.ones(4_000_000)
            b = np.empty_like(a)
            made.append(lambda a=a, b=b: np.multiply(a, 3.0, out=b))
    return made


def timed(work: list[Callable[[], None]], repeat: int = 6) -> float:
    barrier = threading.Barrier(len(work) + 1)

    def run(job):
        barrier.wait()
        for _ in range(repeat):
            job()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def main() -> None:
    print(f"{'kernel':14} two threads / one thread (median of 7)")
    for kind in ("window_level", "apply_lut", "resize", "rgb_to_planes", "numpy control"):
        work = jobs(kind)
        for job in work:
            job()
        ratios = [timed(work) / timed(work[:1]) for _ in range(7)]
        print(f"{kind:14} {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
