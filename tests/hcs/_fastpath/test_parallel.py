"""The kernels release the GIL, so two printers format in parallel.

Checked without a clock: a probe thread waits for a signal and then needs the GIL for
one bytecode. The switch interval is made so long that the caller is never asked to
give the GIL up, so the probe can only run when the caller releases it by itself. The
caller signals the probe and calls the kernel, again and again; after each call it
looks (without releasing the GIL) whether the probe ran. A kernel that releases the
GIL lets the probe run on the first call after the probe was scheduled; one that holds
it never does — the control, a builtin that holds the GIL, shows the probe stays put.

How much faster two threads are than one is a measurement, not a test:
``bench/fastpath_parallel.py``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

import numpy as np
import pytest

from hcs._fastpath import apply_lut, copy_oriented, resize, rgb_to_planes, window_level

KINDS = ["window_level", "apply_lut", "resize", "rgb_to_planes", "copy_oriented"]
CALLS = 200  # a released GIL is taken on the first call after the probe is scheduled


def kernel_call(kind: str) -> Callable[[], None]:
    """One kernel call on a large enough input that it spends its time without the GIL."""
    rng = np.random.default_rng(1)
    if kind in ("window_level", "apply_lut"):
        src = rng.integers(0, 4096, (1024, 1024), dtype=np.uint16)
        out = np.empty(src.shape, np.uint8)
        lut = rng.integers(0, 256, 4096, dtype=np.uint8)
        if kind == "window_level":
            return lambda: window_level(src, 2048, 1000, out)
        return lambda: apply_lut(src, lut, out)
    if kind == "resize":
        src = rng.integers(0, 256, (256, 256), dtype=np.uint8)
        out = np.empty((1024, 1024), np.uint8)
        return lambda: resize(src, out, "CUBIC")
    if kind == "copy_oriented":
        turned = np.rot90(rng.integers(0, 4096, (1024, 1024), dtype=np.uint16))
        into = np.empty(turned.shape, np.uint16)
        return lambda: copy_oriented(turned, into)
    src = rng.integers(0, 256, (1000, 1000, 3), dtype=np.uint8)
    out = np.empty((3, 1000, 1000), np.uint8)
    return lambda: rgb_to_planes(src, out)


def probe_ran_during(call: Callable[[], None]) -> bool:
    """Whether a thread waiting for the GIL got it while ``call`` ran (see the module)."""
    go, ran = threading.Event(), threading.Event()

    def probe() -> None:
        go.wait()  # blocked without the GIL until signalled
        ran.set()  # needs the GIL

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)  # never force the caller to hand the GIL over
    thread = threading.Thread(target=probe, daemon=True)
    try:
        thread.start()  # the probe runs until go.wait() blocks
        go.set()
        for _ in range(CALLS):
            call()
            if ran.is_set():
                return True
        return False
    finally:
        sys.setswitchinterval(interval)
        go.set()
        thread.join(60)


def test_the_probe_does_not_run_while_a_builtin_holds_the_gil():
    numbers = list(range(20_000))
    assert not probe_ran_during(lambda: sorted(numbers, reverse=True))


@pytest.mark.parametrize("kind", KINDS)
def test_another_thread_runs_during_a_kernel_call(kind):
    call = kernel_call(kind)
    call()  # warm up: scratch buffers, page faults of the output
    assert probe_ran_during(call), f"{kind} kept the GIL for {CALLS} calls"
