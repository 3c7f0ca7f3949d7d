"""The grayscale pipeline up to P-values (PS3.4 H.2.1.2, PS3.3 C.11).

stored value -> Modality LUT (Rescale Slope/Intercept, or a Modality LUT Sequence)
-> VOI (a window, LINEAR / LINEAR_EXACT / SIGMOID, or a VOI LUT Sequence)
-> polarity and MONOCHROME1 (each an inversion)
-> Presentation LUT (the shape IDENTITY / INVERSE, or a Presentation LUT Sequence)
-> P-values, 8 or 12 bits.

Every stage is a function of the stored value alone, so the whole chain is one table
indexed by the stored value (256 or 65536 entries). The common case (rescale + window
+ shape) is the ``window_level`` kernel, which builds that table itself from the same
formulas; every other case builds the table here in numpy (65536 entries cost well under
a millisecond) and maps the pixels through it with the ``apply_lut`` kernel. Either
way the per-pixel work runs in C without the GIL.

Rounding: the VOI output y (0..ymax as a real number) becomes floor(y + 0.5) (round
half up), once, at the end; inversions are ymax - value on the rounded integer, so
inverting twice is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hcs._fastpath.lut import apply_lut, needs_inversion, window_level
from hcs.errors import HcsError
from hcs.formatter.source import Image, Lut, SourceError

FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")
SHAPES = ("IDENTITY", "INVERSE")


class VoiError(HcsError, ValueError):
    """A VOI request that does not fit the image (no such window, bad width)."""


@dataclass(frozen=True)
class Voi:
    """The VOI transform chosen for one frame.

    ``kind``: ``window`` (center, width, function), ``lut`` (a VOI LUT), ``range`` (no
    VOI in the request or the image: the frame's own min..max, LINEAR_EXACT) or
    ``identity`` (8-bit unsigned data with no VOI and no rescale: values as they are).
    """

    kind: str
    center: float = 0.0
    width: float = 1.0
    function: str = "LINEAR"
    lut: Lut | None = None
    explanation: str = ""

    def describe(self) -> str:
        if self.kind == "lut":
            return f"VOI LUT {self.explanation!r}" if self.explanation else "VOI LUT"
        if self.kind == "identity":
            return "no VOI (8-bit values as stored)"
        text = f"C {self.center:g} W {self.width:g}"
        if self.function != "LINEAR":
            text += f" {self.function}"
        if self.kind == "range":
            text += " (image min..max)"
        elif self.explanation:
            text += f" ({self.explanation})"
        return text


@dataclass(frozen=True)
class VoiRequest:
    """What the job asks for: an explicit window, or which of the image's VOIs to use."""

    window: tuple[float, float] | None = None
    function: str | None = None
    index: int | None = None
    explanation: str | None = None
    prefer_lut: bool = True


def _modality_range(image: Image) -> tuple[float, float]:
    """The frame's own min..max after the Modality LUT (for images with no VOI)."""
    px = image.pixels
    lo, hi = int(px.min()), int(px.max())
    if image.modality_lut is not None:
        lut = image.modality_lut
        index = np.clip(np.arange(lo, hi + 1) - lut.first_mapped, 0, len(lut.data) - 1)
        values = lut.data[index]
        return float(values.min()), float(values.max())
    a, b = lo * image.slope + image.intercept, hi * image.slope + image.intercept
    return min(a, b), max(a, b)


def choose_voi(image: Image, request: VoiRequest | None = None) -> Voi:
    """Pick the VOI: the request's window, else the image's chosen window or VOI LUT
    (by index or by explanation), else the image's range."""
    request = request or VoiRequest()
    function = (request.function or image.voi_function or "LINEAR").upper()
    if function not in FUNCTIONS:
        raise VoiError(f"VOI LUT Function {function!r} is not LINEAR, LINEAR_EXACT or SIGMOID")
    if request.window is not None:
        center, width = request.window
        return _checked(Voi("window", float(center), float(width), function))
    if request.explanation is not None:
        wanted = request.explanation.strip().upper()
        for window in image.windows:
            if window.explanation.strip().upper() == wanted:
                return _checked(
                    Voi(
                        "window",
                        window.center,
                        window.width,
                        function,
                        explanation=window.explanation,
                    )
                )
        for lut in image.voi_luts:
            if lut.explanation.strip().upper() == wanted:
                return Voi("lut", lut=lut, explanation=lut.explanation)
        known = [w.explanation for w in image.windows] + [lut.explanation for lut in image.voi_luts]
        raise VoiError(
            f"{image.description}: no window or VOI LUT is called {request.explanation!r}"
            + (f" (it has {', '.join(repr(k) for k in known if k)})" if any(known) else "")
        )
    use_lut = bool(image.voi_luts) and (request.prefer_lut or not image.windows)
    if use_lut:
        index = request.index or 0
        if not 0 <= index < len(image.voi_luts):
            raise VoiError(
                f"{image.description}: VOI LUT {index} does not exist "
                f"(it has {len(image.voi_luts)})"
            )
        lut = image.voi_luts[index]
        return Voi("lut", lut=lut, explanation=lut.explanation)
    if image.windows:
        index = request.index or 0
        if not 0 <= index < len(image.windows):
            raise VoiError(
                f"{image.description}: window {index} does not exist (it has {len(image.windows)})"
            )
        window = image.windows[index]
        return _checked(
            Voi("window", window.center, window.width, function, explanation=window.explanation)
        )
    if request.index:
        raise VoiError(f"{image.description}: has no windows or VOI LUTs to choose from")
    if (
        image.pixels.dtype == np.uint8
        and image.modality_lut is None
        and image.slope == 1.0
        and image.intercept == 0.0
    ):
        return Voi("identity", 127.5, 255.0, "LINEAR_EXACT")
    lo, hi = _modality_range(image)
    width = max(hi - lo, 1.0)
    return Voi("range", lo + width / 2 if hi > lo else lo, width, "LINEAR_EXACT")


def _checked(voi: Voi) -> Voi:
    if voi.function == "LINEAR" and not voi.width >= 1:
        raise VoiError(f"a LINEAR window needs a width of at least 1, not {voi.width:g}")
    if voi.function != "LINEAR" and not voi.width > 0:
        raise VoiError(f"a {voi.function} window needs a width above 0, not {voi.width:g}")
    return voi


def inversion(image: Image, polarity: str = "NORMAL", shape: str | None = None) -> bool:
    """Whether the frame is inverted: MONOCHROME1, REVERSE and INVERSE each flip once."""
    polarity = (polarity or "NORMAL").upper()
    if polarity not in ("NORMAL", "REVERSE"):
        raise VoiError(f"Polarity {polarity!r} is not NORMAL or REVERSE")
    shape = (shape or image.presentation_shape or "IDENTITY").upper()
    if shape not in SHAPES:
        raise VoiError(f"Presentation LUT Shape {shape!r} is not IDENTITY or INVERSE")
    return bool(needs_inversion(image.photometric, polarity, shape))


# -- the table route (numpy, for everything the window kernel does not cover) ---------


def _domain(dtype: np.dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.arange(info.min, info.max + 1, dtype=np.int64)


def _lookup(lut: Lut, values: np.ndarray) -> np.ndarray:
    index = np.clip(np.floor(values).astype(np.int64) - lut.first_mapped, 0, len(lut.data) - 1)
    return lut.data[index].astype(np.float64)


def _window_curve(x: np.ndarray, voi: Voi, ymax: float) -> np.ndarray:
    """The VOI function of PS3.3 C.11.2.1.2/C.11.2.1.3, output 0..ymax (not rounded)."""
    c, w = voi.center, voi.width
    if voi.function == "SIGMOID":
        with np.errstate(over="ignore"):
            return ymax / (1.0 + np.exp(-4.0 * (x - c) / w))
    if voi.function == "LINEAR":
        c, w = c - 0.5, w - 1.0
    if w == 0:  # LINEAR with width 1: a step at the centre
        return np.where(x <= c, 0.0, ymax)
    y = ((x - c) / w + 0.5) * ymax
    return np.where(x <= c - w / 2, 0.0, np.where(x > c + w / 2, ymax, y))


def pvalue_curve(
    image: Image,
    voi: Voi,
    values: np.ndarray,
    *,
    invert: bool,
    bits_out: int,
    presentation_lut: Lut | None = None,
) -> np.ndarray:
    """P-values (int64, 0..2**bits_out-1) for stored ``values``: the whole chain."""
    ymax = float(2**bits_out - 1)
    if image.modality_lut is not None:
        x = _lookup(image.modality_lut, values)
    else:
        x = values.astype(np.float64) * image.slope + image.intercept
    if voi.kind == "lut":
        assert voi.lut is not None
        top = float(2**voi.lut.bits - 1)
        y = _lookup(voi.lut, x) * (ymax / top)
    else:
        y = _window_curve(x, voi, ymax)
    y = np.clip(y, 0.0, ymax)
    if presentation_lut is not None:
        # The VOI output range is scaled to the P-LUT's input range (its entries), and
        # the P-LUT's output (its bit depth) to the printer's P-value range.
        lut = presentation_lut
        n = len(lut.data)
        index = np.floor(y * ((n - 1) / ymax) + 0.5).astype(np.int64)
        if invert:
            index = (n - 1) - index
            invert = False
        y = lut.data[index].astype(np.float64) * (ymax / float(2**lut.bits - 1))
    q = np.floor(y + 0.5).astype(np.int64)
    return int(ymax) - q if invert else q


# -- the entry point ------------------------------------------------------------------


def to_pvalues(
    image: Image,
    voi: Voi,
    out: np.ndarray,
    *,
    polarity: str = "NORMAL",
    shape: str | None = None,
    bits_out: int = 8,
) -> np.ndarray:
    """Map a gray frame's stored values to P-values in ``out`` (uint8, or uint16 for
    12 bits), same shape as the frame. Runs the kernels; call from a worker thread."""
    px = image.pixels
    invert = inversion(image, polarity, shape)
    plut = image.presentation_lut if shape is None else None
    if px.dtype.itemsize > 2:
        # 32-bit data (rare: RT dose, some NM): evaluate the chain per pixel in numpy.
        out[...] = pvalue_curve(
            image, voi, px, invert=invert, bits_out=bits_out, presentation_lut=plut
        )
        return out
    if voi.kind in ("window", "range", "identity") and image.modality_lut is None and plut is None:
        return window_level(
            px,
            voi.center,
            voi.width,
            out,
            function=voi.function,
            slope=image.slope,
            intercept=image.intercept,
            invert=invert,
            bits_out=bits_out,
        )
    domain = _domain(px.dtype)
    table = pvalue_curve(
        image, voi, domain, invert=invert, bits_out=bits_out, presentation_lut=plut
    )
    table = table.astype(np.uint8 if bits_out <= 8 else np.uint16)
    return apply_lut(px, table, out, first_mapped=int(domain[0]))


def check_gray(image: Image) -> None:
    if image.is_color:
        raise SourceError(f"{image.description}: is RGB, not gray")
