"""Placing images on a film: fit into a box, fill with a density, paste.

The formatter builds a film as one buffer and resamples each image straight
into its box inside it (``resize`` accepts any output view with contiguous
rows), so a film costs no intermediate images. These helpers do the
geometry and the plain byte work, without the GIL.
"""

from fractions import Fraction

cimport numpy as cnp
from libc.stdint cimport uint8_t
from libc.string cimport memcpy, memset

from hcs._fastpath._common cimport Rows, check_writeable, rows_overlap, uint8_image

from hcs._fastpath.resize import resize

cnp.import_array()


def fit_size(rows, cols, box_rows, box_cols, *, pixel_aspect=(1, 1)):
    """The largest (rows, cols) inside the box that keeps the image's shape.

    The shape is the displayed one: ``pixel_aspect`` is the DICOM Pixel
    Aspect Ratio (0028,0034), vertical then horizontal pixel size, so an
    image of 100 x 100 pixels with aspect (2, 1) is twice as tall as wide.
    The limiting side fills the box exactly; the other is rounded half up
    and kept within 1..box.
    """
    for name, v in (("rows", rows), ("cols", cols), ("box_rows", box_rows),
                    ("box_cols", box_cols)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name} must be a positive integer, not {v!r}")
    pv, ph = (Fraction(x) for x in pixel_aspect)
    if pv <= 0 or ph <= 0:
        raise ValueError(f"pixel_aspect must be positive, not {pixel_aspect!r}")
    height = rows * pv          # displayed size, in arbitrary units
    width = cols * ph
    if box_rows * width <= box_cols * height:     # height-limited
        out_rows = box_rows
        out_cols = _round_half_up(box_rows * width / height)
    else:
        out_cols = box_cols
        out_rows = _round_half_up(box_cols * height / width)
    return int(min(max(out_rows, 1), box_rows)), int(min(max(out_cols, 1), box_cols))


cdef object _round_half_up(object q):
    return (2 * q.numerator + q.denominator) // (2 * q.denominator)


cdef int _pixel(object value, int C, uint8_t* pixel) except -1:
    cdef int c
    values = (value,) * C if not isinstance(value, (tuple, list)) else tuple(value)
    if len(values) != C:
        raise ValueError(f"value must be one number or {C} numbers, not {value!r}")
    for c in range(C):
        if int(values[c]) != values[c] or not 0 <= values[c] <= 255:
            raise ValueError(f"values must be integers 0..255, not {value!r}")
        pixel[c] = <uint8_t>values[c]
    return 0


def fill(region, value):
    """Set every pixel of ``region`` (uint8 [H, W] or [H, W, 3], e.g. a view of
    a box in a film) to ``value``: a density for gray, one number or an RGB
    triple for colour. Returns ``region``."""
    cdef Rows r
    cdef Py_ssize_t h, w, y, done, n
    cdef uint8_t pixel[3]
    cdef int C = uint8_image(region, "region", &r, &h, &w)
    cdef char* row
    check_writeable(<cnp.ndarray>region, "region")
    _pixel(value, C, pixel)
    n = w * C
    if h == 0 or n == 0:
        return region
    with nogil:
        for y in range(h):
            row = r.data + y * r.stride
            if C == 1 or (pixel[0] == pixel[1] and pixel[1] == pixel[2]):
                memset(row, pixel[0], n)
            elif y > 0:
                memcpy(row, row - r.stride, n)
            else:
                memcpy(row, pixel, 3)
                done = 3
                while done < n:
                    memcpy(row + done, row, min(done, n - done))
                    done += min(done, n - done)
    return region


def paste(tile, film, top, left):
    """Copy ``tile`` into ``film`` with its top-left pixel at (top, left).

    Both uint8, both gray or both RGB, rows contiguous; the tile must lie
    inside the film (``ValueError`` otherwise, nothing is clipped silently).
    Returns ``film``.
    """
    cdef Rows t, f, dst
    cdef Py_ssize_t th, tw, fh, fw, y, y0 = top, x0 = left
    cdef int C = uint8_image(tile, "tile", &t, &th, &tw)
    if uint8_image(film, "film", &f, &fh, &fw) != C:
        raise ValueError("tile and film must both be gray or both be RGB")
    check_writeable(<cnp.ndarray>film, "film")
    if y0 < 0 or x0 < 0 or y0 + th > fh or x0 + tw > fw:
        raise ValueError(f"a {th} x {tw} tile at ({top}, {left}) does not fit a {fh} x {fw} film")
    dst.data = f.data + y0 * f.stride + x0 * C
    dst.nrows = th
    dst.rowbytes = tw * C
    dst.stride = f.stride
    if rows_overlap(&t, &dst):
        raise ValueError("tile overlaps its destination")
    with nogil:
        for y in range(th):
            memcpy(dst.data + y * dst.stride, t.data + y * t.stride, tw * C)
    return film


def place(src, film, box, method="BILINEAR", *, fill_value=0, pixel_aspect=(1, 1)):
    """Magnify ``src`` into the box ``(top, left, rows, cols)`` of ``film``.

    The image keeps its displayed shape (``fit_size``) and is centred in the
    box; the rest of the box gets ``fill_value`` (the Empty Image Density, or
    a colour). With method NONE the image is not scaled but centred, cropped
    or padded. The resampling writes straight into the film. Returns the
    image's rectangle ``(top, left, rows, cols)`` on the film.
    """
    top, left, rows, cols = (int(v) for v in box)
    fh, fw = film.shape[:2]
    if rows < 1 or cols < 1 or top < 0 or left < 0 or top + rows > fh or left + cols > fw:
        raise ValueError(f"box {tuple(box)} is not inside a {fh} x {fw} film")
    view = film[top:top + rows, left:left + cols]
    sh, sw = src.shape[:2]
    if str(method).upper() == "NONE":
        resize(src, view, "NONE", fill=fill_value)
        h, w = min(sh, rows), min(sw, cols)
        return top + (rows - h) // 2, left + (cols - w) // 2, h, w
    h, w = fit_size(sh, sw, rows, cols, pixel_aspect=pixel_aspect)
    y0, x0 = (rows - h) // 2, (cols - w) // 2
    fill(view[:y0], fill_value)
    fill(view[y0 + h:], fill_value)
    fill(view[y0:y0 + h, :x0], fill_value)
    fill(view[y0:y0 + h, x0 + w:], fill_value)
    resize(src, view[y0:y0 + h, x0:x0 + w], method)
    return top + y0, left + x0, h, w
