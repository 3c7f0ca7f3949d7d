"""One frame into one image box: the whole pipeline, run in a worker thread.

source -> region of interest (a view; zooming in cuts it to what shows)
       -> (gray) Modality LUT -> VOI -> polarity / MONOCHROME1 -> Presentation LUT
       -> P-values at the image's size (8 or 12 bits)
       -> rotation, then flip (views; copied once where rows are not adjacent pixels)
       -> magnification into the box (aspect kept, centred, empty density around it)
       -> overlays at print resolution
       -> 8/12-bit gray, or RGB for colour films.

Colour images on a gray film become Rec.601 luma; gray images on a colour film are
replicated into R, G and B after magnification (a third of the resampling work).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from hcs._fastpath.lut import apply_lut
from hcs._fastpath.orient import copy_oriented
from hcs.formatter import gray, magnify, overlay, scratch, spatial
from hcs.formatter.job import FormattedBox, Frame
from hcs.formatter.source import Image, SourceError, kernel_readable, load
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


def _pvalues(
    image: Image, frame: Frame, target: BoxTarget, voi_from: Image | None = None
) -> tuple[np.ndarray, str]:
    """The frame at its own size as P-values: gray (target bits) or RGB uint8. The VOI
    is chosen on ``voi_from`` (the region of interest) when the pixels are a part of it."""
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
        voi_from or image,
        gray.VoiRequest(frame.window, frame.voi_function, frame.voi_index, frame.voi_explanation),
    )
    bits = 8 if target.color else target.bits
    dtype = np.uint8 if bits == 8 else np.uint16
    out = scratch.buffer(f"gray{bits}", image.pixels.shape, dtype)
    gray.to_pvalues(
        image, voi, out, polarity=reverse, shape=frame.presentation_shape, bits_out=bits
    )
    return out, voi.describe()


def _part(image: Image, view: spatial.View) -> Image:
    """The image cut to the view's source rectangle (a view of its pixels, no copy)."""
    if (view.x, view.y, view.width, view.height) == (0, 0, image.columns, image.rows):
        return image
    return replace(image, pixels=view.crop(image.pixels))


def _copy(src: np.ndarray, out: np.ndarray) -> None:
    """``out[...] = src``: a turned view (its rows a pixel apart in memory) by the
    ``copy_oriented`` kernel (cache-sized tiles, no GIL), three times faster than numpy's
    copy of a transposed view; anything else, a mirror too, by numpy (docs/kernels.md)."""
    if src.ndim >= 2 and abs(src.strides[0]) < abs(src.strides[1]):
        copy_oriented(src, out)
    else:
        np.copyto(out, src)


def _readable(pixels: np.ndarray) -> np.ndarray:
    """A turned or mirrored view copied once into a reused buffer, where its rows are not
    adjacent pixels (a crop and a vertical flip are read as they are): the 8-bit kernel
    needs such rows, and the 12-bit resampling reads rows much faster."""
    if kernel_readable(pixels):
        return pixels
    out = scratch.buffer("oriented", pixels.shape, pixels.dtype)
    _copy(pixels, out)
    return out


def _spatial_of(frame: Frame, image: Image) -> tuple[spatial.View, float]:
    """The frame's region of interest, rotation and flip as a view of the image, and its
    zoom; a value that does not fit names its field (``roi: ...``)."""
    view = spatial.View.of(
        image.rows, image.columns, roi=frame.roi, rotate=frame.rotate, flip=frame.flip
    )
    return view, spatial.check_zoom(frame.zoom)


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
    view, zoom = _spatial_of(frame, image)
    rows, columns = view.shape  # of the region of interest, turned
    aspect = view.pair(image.pixel_aspect) or (1.0, 1.0)
    try:
        shown, fit = magnify.place_zoomed(
            rows, columns, target.width, target.height, method, aspect, zoom
        )
    except ValueError as error:
        raise spatial.SpatialError(f"zoom: {error}") from None
    region = _part(image, view)  # the region of interest: its VOI, as if it were the image
    view = view.narrowed(*shown)  # what shows in the box once zoomed in
    visible = _part(image, view)
    pv, voi_text = _pvalues(visible, frame, target, region if visible is not region else None)
    pv = view.orient(pv)
    rows, columns = pv.shape[:2]
    film_ppm = target.px_per_mm

    if target.scaling == "printer":
        # The printer magnifies: send the image at its own size (turned, cut to its
        # region and to what a zoom shows; a zoom out pads it with the empty density);
        # overlays are sized for the scale the printer will apply, so points on film
        # stay points on film.
        out_rows, out_columns = rows, columns
        if zoom < 1.0:
            out_rows = max(rows, math.floor(rows / zoom + 0.5))
            out_columns = max(columns, math.floor(columns / zoom + 0.5))
        if out_rows > 65535 or out_columns > 65535:
            raise SourceError(
                f"{image.description}: {out_rows} x {out_columns} is too large to send"
            )
        placement = magnify.Placement(
            (out_columns - columns) // 2, (out_rows - rows) // 2, columns, rows, 1.0, 1.0
        )
        scale = (
            magnify.place(
                out_rows, out_columns, target.width, target.height, method, aspect
            ).scale_x
            if method != "NONE"
            else 1.0
        )
        canvas_ppm = (film_ppm[0] / scale, film_ppm[1] / scale)
        shape = (out_rows, out_columns, 3) if target.color else (out_rows, out_columns)
        pixels = np.empty(shape, pv.dtype if not target.color else np.uint8)
        if (out_rows, out_columns) != (rows, columns):
            eight = pixels.dtype == np.uint8 and target.bits != 8  # a colour film
            pixels[...] = round(target.fill * 255 / 4095) if eight else target.fill
        inner = pixels[placement.y : placement.y + rows, placement.x : placement.x + columns]
        if target.color and pv.ndim == 2:
            inner[...] = _readable(pv)[:, :, None]
        else:
            _copy(pv, inner)
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
            view=view,
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
        image_size=(image.rows, image.columns),
        view=view,
    )


def _magnified(pv: np.ndarray, target: BoxTarget, p: magnify.Placement, method: str) -> np.ndarray:
    """The box buffer: ``pv`` magnified into it, empty density around."""
    h, w = target.height, target.width
    pv = _readable(pv)  # a turn or a mirror: copied once, rows adjacent
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
