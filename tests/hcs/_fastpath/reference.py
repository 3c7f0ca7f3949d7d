"""Plain numpy references for the hcs._fastpath kernels.

Each function computes what a kernel must compute, the slow and obvious way,
from the definitions in docs/kernels.md and PS3.3. The floating-point parts
are written expression for expression like the kernels, so that results can
be compared bit for bit; nothing here calls into hcs._fastpath.
"""

from __future__ import annotations

import numpy as np

# -- LUT and window -------------------------------------------------------------


def apply_lut(src: np.ndarray, lut: np.ndarray, out_dtype, first_mapped: int = 0) -> np.ndarray:
    """PS3.3 C.11.1.1: entry ``v - first_mapped``, clamped to the table."""
    if src.dtype.kind == "i":
        bits = src.dtype.itemsize * 8
        if 1 << (bits - 1) <= first_mapped < 1 << bits:
            first_mapped -= 1 << bits
    index = np.clip(src.astype(np.int64) - first_mapped, 0, len(lut) - 1)
    return lut[index].astype(out_dtype)


def window_level(
    src: np.ndarray,
    center: float,
    width: float,
    *,
    function: str = "LINEAR",
    slope: float = 1.0,
    intercept: float = 0.0,
    invert: bool = False,
    bits_out: int = 8,
) -> np.ndarray:
    """Rescale, VOI function (PS3.3 C.11.2.1.2/C.11.2.1.3), round half up, invert.

    Returns int64; the caller casts to the output dtype.
    """
    ymax = float(2**bits_out - 1)
    ymin = 0.0
    x = src.astype(np.float64) * slope + intercept
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if function == "SIGMOID":
            y = (ymax - ymin) / (1 + np.exp(-4 * (x - center) / width)) + ymin
        elif function == "LINEAR":
            c, w = center - 0.5, width - 1.0
            between = ((x - c) / w + 0.5) * (ymax - ymin) + ymin
            y = np.where(x <= c - w / 2, ymin, np.where(x > c + w / 2, ymax, between))
        elif function == "LINEAR_EXACT":
            c, w = center, width
            between = ((x - c) / w + 0.5) * (ymax - ymin) + ymin
            y = np.where(x <= c - w / 2, ymin, np.where(x > c + w / 2, ymax, between))
        else:
            raise ValueError(function)
    q = np.floor(np.clip(y, ymin, ymax) + 0.5).astype(np.int64)
    return int(ymax) - q if invert else q


# -- resampling -------------------------------------------------------------------

WONE = 1 << 14


def _kind(method: str, n_in: int, n_out: int) -> str:
    if method == "REPLICATE":
        return "NEAREST" if n_out >= n_in else "AREA"
    return {"BILINEAR": "TENT", "CUBIC": "KEYS"}[method]


def _kernel(kind: str, t: np.ndarray) -> np.ndarray:
    t = np.abs(t)
    if kind == "TENT":
        return np.where(t < 1.0, 1.0 - t, 0.0)
    inner = ((1.5 * t - 2.5) * t) * t + 1.0
    outer = ((-0.5 * t + 2.5) * t - 4.0) * t + 2.0
    return np.where(t < 1.0, inner, np.where(t < 2.0, outer, 0.0))


def _quantise(w: np.ndarray) -> np.ndarray:
    """Round the running sum of each row of float weights to units of 2**-14."""
    n, K = w.shape
    total = np.zeros(n)
    for k in range(K):
        total = total + w[:, k]
    q = np.empty((n, K), np.int64)
    cum = np.zeros(n)
    prev = np.zeros(n, np.int64)
    for k in range(K):
        cum = cum + w[:, k]
        if k == K - 1:
            cur = np.full(n, WONE)
        else:
            cur = np.floor(cum / total * WONE + 0.5).astype(np.int64)
        q[:, k] = cur - prev
        prev = cur
    return q


def reduction(n_in: int, n_out: int) -> int:
    """Box pre-reduction factor of a shrinking axis: largest power of two <= min(8, factor)."""
    r = 1
    while r < 8 and n_in >= 2 * r * n_out:
        r *= 2
    return r


def axis_weights(method: str, n_in: int, n_out: int, r: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(start, weights) of one axis, as documented in docs/kernels.md.

    With r > 1 the taps index the pixels of the axis box-reduced by r.
    """
    kind = _kind(method, n_in, n_out)
    n_src = -(-n_in // r)
    unit = r * n_out
    o = np.arange(n_out, dtype=np.int64)
    if kind == "NEAREST":
        return (2 * o + 1) * n_in // (2 * n_out), np.full((n_out, 1), WONE, np.int64)
    if kind == "AREA":
        K = min((n_in + unit - 1) // unit + 1, n_src)
        start = np.empty(n_out, np.int64)
        q = np.zeros((n_out, K), np.int64)
        for j in range(n_out):
            lo, hi = j * n_in, (j + 1) * n_in  # in units of 1/unit reduced pixel
            first = lo // unit
            s0 = first if first + K <= n_src else n_src - K
            cum = prev = 0
            i = first
            while i * unit < hi:
                cum += min(hi, (i + 1) * unit) - max(lo, i * unit)
                cur = (cum * 2 * WONE + n_in) // (2 * n_in)
                q[j, i - s0] = cur - prev
                prev = cur
                i += 1
            start[j] = s0
        return start, q
    support = 1 if kind == "TENT" else 2
    num = (2 * o + 1) * n_in - unit  # centre of output o is num / den reduced pixels
    den = 2 * unit
    div = den if n_out >= n_in else 2 * n_in
    K0 = 2 * support if n_out >= n_in else (2 * support * n_in + unit - 1) // unit
    K = min(K0, n_src)
    left = (num - support * div) // den + 1
    start = np.clip(left, 0, n_src - K)
    folded = np.zeros((n_out, K))
    for k in range(K0):
        raw = _kernel(kind, ((left + k) * den - num).astype(np.float64) / float(div))
        column = np.clip(left + k, 0, n_src - 1) - start
        folded[o, column] = folded[o, column] + raw
    return start, _quantise(folded)


def box_reduce(src: np.ndarray, ry: int, rx: int) -> np.ndarray:
    """Sums of ry x rx blocks (edge pixels repeated to fill the last blocks), as value * 128."""
    h, w = src.shape[:2]
    hp, wp = -(-h // ry) * ry, -(-w // rx) * rx
    rows = np.minimum(np.arange(hp), h - 1)
    cols = np.minimum(np.arange(wp), w - 1)
    a = src.astype(np.int64)[rows][:, cols]
    a = a.reshape((hp // ry, ry, wp // rx, rx, *src.shape[2:])).sum(axis=(1, 3))
    b = (rx * ry).bit_length() - 1
    return a << (7 - b)


def _taps(a: np.ndarray, axis: int, start: np.ndarray, w: np.ndarray) -> np.ndarray:
    """sum_k a[start + k] * w[:, k] along ``axis`` (int64)."""
    acc = 0
    for k in range(w.shape[1]):
        picked = np.take(a, start + k, axis=axis)
        shape = [1] * a.ndim
        shape[axis] = -1
        acc = acc + picked * w[:, k].reshape(shape)
    return acc


def resize(src: np.ndarray, out_shape: tuple[int, ...], method: str, fill=0) -> np.ndarray:
    """Separable fixed-point resampling, or NONE's centre crop/pad."""
    hin, win = src.shape[:2]
    hout, wout = out_shape[:2]
    if method == "NONE":
        out = np.empty(out_shape, np.uint8)
        out[...] = fill
        sy, dy, h = ((hin - hout) // 2, 0, hout) if hin >= hout else (0, (hout - hin) // 2, hin)
        sx, dx, w = ((win - wout) // 2, 0, wout) if win >= wout else (0, (wout - win) // 2, win)
        out[dy : dy + h, dx : dx + w] = src[sy : sy + h, sx : sx + w]
        return out
    a = src.astype(np.int64)
    if hout >= hin:  # horizontal first; the vertical pass truncates each product
        sx, wx = axis_weights(method, win, wout)
        sy, wy = axis_weights(method, hin, hout)
        mid = np.clip((_taps(a, 1, sx, wx) + 128) >> 8, -32768, 32767)
        acc = 8
        for k in range(wy.shape[1]):
            shape = (-1,) + (1,) * (mid.ndim - 1)
            acc = acc + ((mid[sy + k] * wy[:, k].reshape(shape)) >> 16)
        out = acc >> 4
    else:  # vertical first, from box-reduced rows when shrinking by 2 or more
        rx = reduction(win, wout) if wout < win else 1
        ry = reduction(hin, hout)
        sx, wx = axis_weights(method, win, wout, rx)
        sy, wy = axis_weights(method, hin, hout, ry)
        if rx > 1 or ry > 1:  # value * 128, then each product truncated: value * 32
            box = box_reduce(src, ry, rx)
            acc = 0
            for k in range(wy.shape[1]):
                shape = (-1,) + (1,) * (box.ndim - 1)
                acc = acc + ((box[sy + k] * wy[:, k].reshape(shape)) >> 16)
            mid = np.clip(acc, -32768, 32767)
            out = (_taps(mid, 1, sx, wx) + (1 << 18)) >> 19
        else:
            mid = np.clip((_taps(a, 0, sy, wy) + 128) >> 8, -32768, 32767)
            out = (_taps(mid, 1, sx, wx) + (1 << 19)) >> 20
    return np.clip(out, 0, 255).astype(np.uint8)
