"""A printed film as a PNG: the layout a printer would produce, at a preview resolution.

The film is drawn at ``png_dpi`` (50 by default: a 14x17 inch film is 700 x 850
pixels) while every decision is taken at the printer's own resolution, as a printer
would: how large an image box is in printer pixels, whether an image is smaller
(magnified by the Magnification Type: REPLICATE by a whole factor, BILINEAR/CUBIC to
fill the box, NONE not at all) or larger (demagnified, decimated or cropped, as the
N-SET decided), where Requested Image Size makes it narrower. The printed rectangle
is then scaled to the preview and the pixels resampled once into it.

Grey levels follow PS3.4 H.2.1.2: Photometric Interpretation and Polarity first
(MONOCHROME1 and REVERSE invert), then the Presentation LUT (an explicit LUT is applied;
IDENTITY and LIN OD leave the P-values as they are), then 12-bit P-values become 8-bit
grey. Border and empty-image densities map BLACK to black, WHITE to white and a number
(hundredths of optical density) linearly between the film's Min and Max Density.
Smoothing Type is recorded, not simulated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hcs.vprinter.geometry import MM_PER_INCH
from hcs.vprinter.instances import BoxToPrint, FilmToPrint

_RESAMPLE = {
    "REPLICATE": Image.Resampling.NEAREST,
    "NONE": Image.Resampling.NEAREST,
    "BILINEAR": Image.Resampling.BILINEAR,
    "CUBIC": Image.Resampling.BICUBIC,
}


@dataclass(frozen=True)
class PlacedBox:
    """Where a box's image landed on the preview, for the film's JSON record."""

    position: int
    box_px: tuple[int, int, int, int]  # x, y, width, height on the PNG
    image_px: tuple[int, int, int, int] | None
    printer_size: tuple[int, int] | None  # columns x rows printed, in printer pixels
    magnification: str
    fit: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "box_px": list(self.box_px),
            "image_px": list(self.image_px) if self.image_px else None,
            "printed_pixels": list(self.printer_size) if self.printer_size else None,
            "magnification": self.magnification,
            "fit": self.fit,
        }


def density_to_gray(value: Any, min_density: int, max_density: int) -> int:
    """An 8-bit grey for BLACK, WHITE or hundredths of optical density."""
    text = str(value)
    if text == "BLACK":
        return 0
    if text == "WHITE":
        return 255
    try:
        density = int(text)
    except ValueError:
        return 0
    low, high = min(min_density, max_density), max(min_density, max_density)
    density = min(max(density, low), high)
    if high == low:
        return 0
    return round(255 * (high - density) / (high - low))


def display_values(box: BoxToPrint) -> np.ndarray:
    """The box's pixels as 8-bit grey (or RGB) after polarity and Presentation LUT."""
    pixels = box.pixels
    array = pixels.array
    if array.ndim == 3:  # RGB
        out = array.astype(np.uint8, copy=False)
        return 255 - out if box.polarity == "REVERSE" else out
    maximum = (1 << pixels.bits_stored) - 1
    values = array.astype(np.int32)
    invert = (pixels.photometric == "MONOCHROME1") != (box.polarity == "REVERSE")
    if invert:
        values = maximum - values
    if box.lut is not None and box.lut[1] is not None:
        table, bits = box.lut[1]
        index = values if len(table) == maximum + 1 else values * (len(table) - 1) // maximum
        values = table[np.clip(index, 0, len(table) - 1)].astype(np.int32)
        return (values >> max(0, bits - 8)).clip(0, 255).astype(np.uint8)
    if pixels.bits_stored > 8:
        values = values >> (pixels.bits_stored - 8)
    return values.clip(0, 255).astype(np.uint8)


def printed_size(box: BoxToPrint, dpi: float) -> tuple[tuple[int, int], np.ndarray | None]:
    """(columns, rows) the image covers in printer pixels, and the crop window if cropped."""
    box_columns, box_rows = box.box.pixels(dpi)
    if box.requested_size_mm is not None:
        box_columns = max(1, min(box_columns, int(box.requested_size_mm / MM_PER_INCH * dpi)))
    rows, columns = box.pixels.rows, box.pixels.columns
    if columns <= box_columns and rows <= box_rows:
        if box.magnification == "NONE":
            factor = 1.0
        elif box.magnification == "REPLICATE":
            factor = float(max(1, min(box_columns // columns, box_rows // rows)))
        else:
            factor = min(box_columns / columns, box_rows / rows)
        return (max(1, round(columns * factor)), max(1, round(rows * factor))), None
    if box.fit == "CROP":
        keep_c, keep_r = min(columns, box_columns), min(rows, box_rows)
        window = np.array(
            [(columns - keep_c) // 2, (rows - keep_r) // 2, keep_c, keep_r], dtype=np.int64
        )
        return (keep_c, keep_r), window
    factor = min(box_columns / columns, box_rows / rows)
    return (max(1, math.floor(columns * factor)), max(1, math.floor(rows * factor))), None


def render_film(film: FilmToPrint, png_dpi: float, annotation_max_chars: int = 64):
    """Draw ``film``; returns the Pillow image and where each box went."""
    attrs = film.attrs
    scale = png_dpi / MM_PER_INCH  # preview pixels per mm
    width = max(1, round(film.layout.width * scale))
    height = max(1, round(film.layout.height * scale))
    min_density, max_density = int(attrs["MinDensity"]), int(attrs["MaxDensity"])
    border = density_to_gray(attrs["BorderDensity"], min_density, max_density)
    empty = density_to_gray(attrs["EmptyImageDensity"], min_density, max_density)
    mode = "RGB" if film.color else "L"
    canvas = Image.new(mode, (width, height), (border,) * 3 if film.color else border)
    draw = ImageDraw.Draw(canvas)
    placed = []
    for box in film.boxes:
        x0, y0 = round(box.box.x * scale), round(box.box.y * scale)
        x1 = round((box.box.x + box.box.width) * scale)
        y1 = round((box.box.y + box.box.height) * scale)
        bw, bh = max(1, x1 - x0), max(1, y1 - y0)
        if box.pixels is None:
            draw.rectangle(
                [x0, y0, x0 + bw - 1, y0 + bh - 1], fill=(empty,) * 3 if film.color else empty
            )
            placed.append(
                PlacedBox(box.position, (x0, y0, bw, bh), None, None, box.magnification, None)
            )
            continue
        (pc, pr), window = printed_size(box, film.dpi)
        values = display_values(box)
        if window is not None:
            cx, cy, cw, ch = (int(v) for v in window)
            values = values[cy : cy + ch, cx : cx + cw]
        image = Image.fromarray(np.ascontiguousarray(values))
        if film.color and image.mode != "RGB":
            image = image.convert("RGB")
        if not film.color and image.mode != "L":
            image = image.convert("L")
        iw = max(1, min(bw, round(pc / film.dpi * MM_PER_INCH * scale)))
        ih = max(1, min(bh, round(pr / film.dpi * MM_PER_INCH * scale)))
        shrinking = iw < image.width or ih < image.height
        method = (
            Image.Resampling.BOX
            if shrinking
            else _RESAMPLE.get(box.magnification, Image.Resampling.BILINEAR)
        )
        image = image.resize((iw, ih), method)
        ix, iy = x0 + (bw - iw) // 2, y0 + (bh - ih) // 2
        canvas.paste(image, (ix, iy))
        placed.append(
            PlacedBox(
                box.position,
                (x0, y0, bw, bh),
                (ix, iy, iw, ih),
                (pc, pr),
                box.magnification,
                box.fit,
            )
        )
    if attrs.get("Trim") == "YES":
        line = 255 - border
        for box in placed:
            x, y, w, h = box.box_px
            draw.rectangle(
                [x - 1, y - 1, x + w, y + h], outline=(line,) * 3 if film.color else line
            )
    _annotate(draw, film, width, height, scale, border, annotation_max_chars)
    return canvas, placed


def _annotate(draw, film: FilmToPrint, width, height, scale, border, max_chars) -> None:
    if not film.annotations:
        return
    count = film.annotation_count
    margin = max(8, round(film.layout.margin * scale))
    font = ImageFont.load_default(size=max(8, int(margin * 0.6)))
    colour = 255 if border < 128 else 0
    fill = (colour,) * 3 if film.color else colour
    for position, text in film.annotations:
        text = text[:max_chars]
        top = position <= max(1, count // 2) if count > 1 else False
        left = count >= 4 and position % 2 == 1
        y = (margin - font.size) // 2 if top else height - margin + (margin - font.size) // 2
        length = draw.textlength(text, font=font)
        if count >= 4:
            x = margin if left else width - margin - length
        else:
            x = (width - length) / 2
        draw.text((max(0, x), max(0, y)), text, fill=fill, font=font)
