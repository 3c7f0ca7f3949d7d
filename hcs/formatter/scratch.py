"""Per-thread working buffers, reused from frame to frame.

A 2048x2500 frame windowed to 8 bits is 5 MB; allocating that per frame costs page
faults every time (the kernels' own scratch works the same way for their tables).
Each worker thread keeps one growing buffer per purpose and hands out views of it.
Only intermediates live here; what goes to the driver is always a fresh array.
"""

from __future__ import annotations

import threading

import numpy as np

_local = threading.local()


def buffer(purpose: str, shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
    """A C-contiguous array of ``shape`` owned by this thread, valid until the next call
    with the same ``purpose`` on this thread. Contents are undefined."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    raw = pool.get(purpose)
    if raw is None or raw.nbytes < nbytes:
        raw = np.empty(max(nbytes, 1), np.uint8)
        pool[purpose] = raw
    return raw[:nbytes].view(dtype).reshape(shape)


def release() -> None:
    """Drop this thread's buffers (a worker that will idle for long)."""
    _local.pool = {}
