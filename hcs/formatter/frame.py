"""One frame into one image box: the whole pipeline, run in a worker thread.

source -> (gray) Modality LUT -> VOI -> polarity / MONOCHROME1 -> Presentation LUT
       -> P-values at the image's size (8 or 12 bits)
       -> magnification into the box (aspect kept, centred, empty density around it)
       -> overlays at print resolution
       -> 8/12-bit gray, or RGB for colour films.

Colour images on a gray film become Rec.601 luma; gray images on a colour film are
replicated into R, G and B after magnification (a third of the resampling work).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hcs._fastpath.lut import apply_lut
from hcs.formatter import gray, magnify, overlay, scratch
from hcs.formatter.job import FormattedBox, Frame
from hcs.formatter.source import Image, SourceError, load
from hcs.job.model import ImageBoxSpec


@dataclass(frozen=True)
class BoxTarget:
    """Where a frame goes: the box size in film pixels and how to fill it."""

    position: int
    width: int
    height: int
    px_per_mm: tuple[float, float]
    bits: int
    color: bool
    scaling: str  # host or printer
    magnification: str
    fill: int  # empty-image density as a P-value (bits)


def _luma(rgb: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Rec.601 luma, Y = 0.299 R + 0.587 G + 0.114 B, rounded (16-bit fixed point)."""
    acc = scratch.buffer("luma", rgb.shape[:2], np.uint32)
    np.multiply(rgb[:, :, 0], np.uint32(19595), out=acc, dtype=np.uint32)
    acc += rgb[:, :, 1] * np.uint32(38470)
    acc += rgb[:, :, 2] * np.uint32(7471)
    acc += np.uint32(32768)
    acc >>= 16
    np.copyto(out, acc, casting="unsafe")
    return out


_TO_12 = np.floor(np.arange(256) * (4095 / 255) + 0.5).astype(np.uint16)
_INVERT8 = np.arange(255, -1, -1, dtype=np.uint8)


def _pvalues(image: Image, frame: Frame, target: BoxTarget) -> tuple[np.ndarray, str]:
    """The frame at its own size as P-values: gray (target bits) or RGB uint8."""
    reverse = (frame.polarity or "NORMAL").upper()
    if reverse not in ("NORMAL", "REVERSE"):
        raise gray.VoiError(f"Polarity {frame.polarity!r} is not NORMAL or REVERSE")
    if image.is_color:
        rgb = image.pixels
        if reverse == "REVERSE":
            inverted = scratch.buffer("rgb", rgb.shape, np.uint8)
            rgb = apply_lut(np.ascontiguousarray(rgb), _INVERT8, inverted)
        if target.color:
            return rgb, "colour as stored"
        y8 = _luma(rgb, scratch.buffer("gray8", rgb.shape[:2], np.uint8))
        if target.bits == 8:
            return y8, "Rec.601 luma"
        return apply_lut(y8, _TO_12, scratch.buffer("gray16", y8.shape, np.uint16)), "Rec.601 luma"
    voi = gray.choose_voi(
        image,
        gray.VoiRequest(frame.window, frame.voi_function, frame.voi_index, frame.voi_explanation),
    )
    bits = 8 if target.color else target.bits
    dtype = np.uint8 if bits == 8 else np.uint16
    out = scratch.buffer(f"gray{bits}", image.pixels.shape, dtype)
    gray.to_pvalues(
        image, voi, out, polarity=reverse, shape=frame.presentation_shape, bits_out=bits
    )
    return out, voi.describe()


def format_frame(frame: Frame, target: BoxTarget) -> FormattedBox:
    """Format one frame for one box; returns pixels the driver can send as they are."""
    source = frame.source
    image = (
        source
        if isinstance(source, Image)
        else load(
            source, frame.frame, photometric=frame.photometric, pixel_spacing=frame.pixel_spacing
        )
    )
    if frame.pixel_spacing is not None and image.pixel_spacing is None:
        image.pixel_spacing = frame.pixel_spacing
    method = (frame.magnification or target.magnification).upper()
    if method not in magnify.METHODS:
        raise SourceError(
            f"Magnification Type {method!r} is not one of {', '.join(magnify.METHODS)}"
        )
    pv, voi_text = _pvalues(image, frame, target)
    rows, columns = image.rows, image.columns
    fit = magnify.place(rows, columns, target.width, target.height, method, image.pixel_aspect)
    film_ppm = target.px_per_mm

    if target.scaling == "printer":
        # The printer magnifies: send the image at its own size; overlays are sized for
        # the scale the printer will apply, so points on film stay points on film.
        if rows > 65535 or columns > 65535:
            raise SourceError(f"{image.description}: {rows} x {columns} is too large to send")
        placement = magnify.Placement(0, 0, columns, rows, 1.0, 1.0)
        scale = fit.scale_x if method != "NONE" else 1.0
        canvas_ppm = (film_ppm[0] / scale, film_ppm[1] / scale)
        shape = (rows, columns, 3) if target.color else (rows, columns)
        pixels = np.empty(shape, pv.dtype if not target.color else np.uint8)
        if target.color and pv.ndim == 2:
            pixels[...] = pv[:, :, None]
        else:
            pixels[...] = pv
        spec_magnification = method
    else:
        placement = fit
        scale = fit.scale_x
        canvas_ppm = film_ppm
        spec_magnification = None
        pixels = _magnified(pv, target, placement, method)

    if frame.overlays:
        white = 4095 if pixels.dtype == np.uint16 else 255
        canvas = overlay.Canvas(
            pixels,
            placement,
            canvas_ppm,
            white,
            image,
            fields={"Frame": str(image.frame_index + 1), "Window": voi_text},
        )
        overlay.draw(canvas, frame.overlays)

    spec = ImageBoxSpec(
        pixels=pixels,
        magnification_type=spec_magnification,
        requested_image_size=frame.requested_image_size,
        polarity=frame.image_box_polarity,
    )
    return FormattedBox(
        position=target.position,
        spec=spec,
        placement=placement,
        scale=scale,
        source=image.description or frame.describe(),
        voi=voi_text,
        image_size=(rows, columns),
    )


def _magnified(pv: np.ndarray, target: BoxTarget, p: magnify.Placement, method: str) -> np.ndarray:
    """The box buffer: ``pv`` magnified into it, empty density around."""
    h, w = target.height, target.width
    if target.color:
        out = np.empty((h, w, 3), np.uint8)
        fill8 = target.fill if target.bits == 8 else round(target.fill * 255 / 4095)
        if pv.ndim == 3:
            magnify.magnify_into(pv, out, p, method, fill8)
            return out
        gray_box = scratch.buffer("box8", (h, w), np.uint8)
        magnify.magnify_into(pv, gray_box, p, method, fill8)
        out[...] = gray_box[:, :, None]
        return out
    out = np.empty((h, w), np.uint8 if target.bits == 8 else np.uint16)
    magnify.magnify_into(pv, out, p, method, target.fill)
    return out
