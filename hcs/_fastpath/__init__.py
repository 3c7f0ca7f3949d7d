"""Cython kernels on the pixel path: every printed pixel goes through them.

    apply_lut(src, lut, out, *, first_mapped=0)
    window_level(src, center, width, out, *, function="LINEAR", slope=1.0,
                 intercept=0.0, invert=False, bits_out=8)
    needs_inversion(photometric, polarity, presentation_shape)
    resize(src, out, method="BILINEAR", *, fill=0)
    fit_size(rows, cols, box_rows, box_cols, *, pixel_aspect=(1, 1))
    fill(region, value) / paste(tile, film, top, left)
    place(src, film, box, method="BILINEAR", *, fill_value=0, pixel_aspect=(1, 1))
    encode_image_box(pixels, position, *, ...) -> [header, pixels(, trailer)]
    rgb_to_planes(src, out)
    copy_oriented(src, out)   a turned or flipped view into rows of adjacent pixels
    simd_variant() / set_simd_variant(name) / SIMD_VARIANTS

window_level's pixel loop has an AVX2 (x86-64-v3) variant next to the portable
one, chosen at import from what the CPU reports (``HCS_NO_AVX2=1`` starts with
the portable one); both give the same result bit for bit.

Why the shape of the API: every array kernel writes into a caller-provided
buffer and allocates nothing per call (a fresh 4 MiB buffer costs ~3.6 ms of
page faults here, more than the kernels themselves); every kernel validates
its arguments first (``TypeError``/``ValueError``, never a crash) and then
runs without the GIL, so two printers format in parallel on two cores. The
Image Box encoder returns the pixels as a memoryview of the caller's array,
for gather I/O down to the socket. docs/kernels.md gives the exact rounding
and filtering of each kernel and the measured speed.
"""

from hcs._fastpath.imagebox import encode_image_box, rgb_to_planes
from hcs._fastpath.lut import (
    SIMD_VARIANTS,
    apply_lut,
    needs_inversion,
    set_simd_variant,
    simd_variant,
    window_level,
)
from hcs._fastpath.orient import copy_oriented
from hcs._fastpath.place import fill, fit_size, paste, place
from hcs._fastpath.resize import METHODS, SIMD, resize

__all__ = [
    "METHODS",
    "SIMD",
    "SIMD_VARIANTS",
    "apply_lut",
    "copy_oriented",
    "encode_image_box",
    "fill",
    "fit_size",
    "needs_inversion",
    "paste",
    "place",
    "resize",
    "rgb_to_planes",
    "set_simd_variant",
    "simd_variant",
    "window_level",
]
