"""Shared helpers of the kernels: per-thread scratch memory and layout checks.

Scratch memory. A kernel needs a little working memory (an expanded 64K-entry
LUT, filter weights, a few resampled rows) and must not allocate it per call:
a fresh buffer costs page faults every time. A module-level buffer would be
shared by two threads running kernels at once (the kernels release the GIL),
so each thread keeps its own buffers in a ``threading.local`` and grows them
when a call needs more. Slots let different kernels keep their own size.
The pointer is taken with the GIL held and used after it is released; that is
safe because the buffer belongs to the calling thread, which stays inside the
kernel until it is done with it.

Layout. The kernels read and write rows of contiguous bytes. ``Rows`` describes
an array as such rows: a C-contiguous array of any shape is one long row; a
2-D or 3-D array whose rows are contiguous (a crop, a flipped view, a box
inside a film buffer) is ``nrows`` rows ``stride`` bytes apart. Anything else
is rejected with a ``ValueError`` rather than copied behind the caller's back.
"""

import threading

cimport numpy as cnp
from cpython.bytearray cimport PyByteArray_AS_STRING

cnp.import_array()

cdef enum:
    _NSLOTS = 4
    _ALIGN = 64

_local = threading.local()


cdef char* scratch(Py_ssize_t nbytes, int slot) except NULL:
    """Return at least ``nbytes`` of 64-byte aligned memory owned by this thread."""
    cdef list bufs
    cdef object buf
    cdef size_t addr
    if slot < 0 or slot >= _NSLOTS:
        raise ValueError(f"scratch slot {slot} out of range")
    try:
        bufs = _local.bufs
    except AttributeError:
        bufs = [None] * _NSLOTS
        _local.bufs = bufs
    buf = bufs[slot]
    if buf is None or len(buf) < nbytes + _ALIGN:
        # Grow geometrically so slowly growing requests do not reallocate
        # every time.
        size = max(nbytes + _ALIGN, 2 * (len(buf) if buf is not None else 0), 4096)
        buf = bytearray(size)
        bufs[slot] = buf
    addr = <size_t>PyByteArray_AS_STRING(buf)
    addr = (addr + _ALIGN - 1) & ~(<size_t>(_ALIGN - 1))
    return <char*>addr


cdef cnp.ndarray as_array(object obj, str name):
    if not isinstance(obj, cnp.ndarray):
        raise TypeError(f"{name} must be a numpy array, not {type(obj).__name__}")
    arr = <cnp.ndarray>obj
    if not cnp.PyArray_ISNOTSWAPPED(arr):
        raise TypeError(f"{name} must be in native byte order, not {arr.dtype.str}")
    return arr


cdef int check_writeable(cnp.ndarray arr, str name) except -1:
    if not cnp.PyArray_ISWRITEABLE(arr):
        raise ValueError(f"{name} is read-only")
    return 0


cdef int flat_or_rows(cnp.ndarray arr, str name, Rows* rows) except -1:
    """Describe ``arr`` as rows: C-contiguous (any shape) or 2-D with contiguous rows."""
    cdef Py_ssize_t item = cnp.PyArray_ITEMSIZE(arr)
    cdef int nd = cnp.PyArray_NDIM(arr)
    rows.data = <char*>cnp.PyArray_DATA(arr)
    if cnp.PyArray_IS_C_CONTIGUOUS(arr):
        rows.nrows = 1
        rows.rowbytes = cnp.PyArray_NBYTES(arr)
        rows.stride = rows.rowbytes
        return 0
    if nd == 2 and cnp.PyArray_STRIDES(arr)[1] == item:
        rows.nrows = cnp.PyArray_DIMS(arr)[0]
        rows.rowbytes = cnp.PyArray_DIMS(arr)[1] * item
        rows.stride = cnp.PyArray_STRIDES(arr)[0]
        return 0
    raise ValueError(
        f"{name} must be C-contiguous, or 2-D with contiguous rows; "
        f"got shape {(<object>arr).shape} and strides {(<object>arr).strides} (use np.ascontiguousarray)"
    )


cdef int image_rows(cnp.ndarray arr, str name, Py_ssize_t pixbytes, Rows* rows) except -1:
    """Describe a [H, W] or [H, W, C] image as rows of ``W * pixbytes`` contiguous bytes."""
    cdef int nd = cnp.PyArray_NDIM(arr)
    cdef Py_ssize_t item = cnp.PyArray_ITEMSIZE(arr)
    cdef cnp.npy_intp* st = cnp.PyArray_STRIDES(arr)
    cdef cnp.npy_intp* dims = cnp.PyArray_DIMS(arr)
    cdef bint ok
    if cnp.PyArray_SIZE(arr) == 0:
        ok = True
    elif nd == 2:
        ok = st[1] == item or dims[1] <= 1
    else:
        ok = (st[2] == item or dims[2] <= 1) and (st[1] == dims[2] * item or dims[1] <= 1)
    if not ok:
        raise ValueError(
            f"{name} must have contiguous rows (pixels and samples adjacent); "
            f"got shape {(<object>arr).shape} and strides {(<object>arr).strides} (use np.ascontiguousarray)"
        )
    rows.data = <char*>cnp.PyArray_DATA(arr)
    rows.nrows = dims[0]
    rows.rowbytes = dims[1] * pixbytes
    rows.stride = st[0]
    return 0


cdef int uint8_image(object arr, str name, Rows* rows, Py_ssize_t* h, Py_ssize_t* w) except -1:
    """Validate a uint8 [H, W] gray or [H, W, 3] RGB image (resize, fill, paste share
    this); fill its rows and size, and return its channel count."""
    cdef cnp.ndarray a = as_array(arr, name)
    cdef int nd = cnp.PyArray_NDIM(a)
    cdef int C
    if cnp.PyArray_TYPE(a) != cnp.NPY_UINT8:
        raise TypeError(f"{name} must be uint8, not {a.dtype}")
    if nd == 2:
        C = 1
    elif nd == 3 and cnp.PyArray_DIMS(a)[2] == 3:
        C = 3
    else:
        raise ValueError(
            f"{name} must be [H, W] gray or [H, W, 3] RGB, not shape {(<object>a).shape}"
        )
    image_rows(a, name, C, rows)
    h[0] = cnp.PyArray_DIMS(a)[0]
    w[0] = cnp.PyArray_DIMS(a)[1]
    return C


cdef bint rows_overlap(Rows* a, Rows* b) noexcept:
    """True if the bytes ``a`` and ``b`` address can overlap (bounding ranges meet)."""
    cdef char* alo
    cdef char* ahi
    cdef char* blo
    cdef char* bhi
    if a.nrows == 0 or a.rowbytes == 0 or b.nrows == 0 or b.rowbytes == 0:
        return False
    alo = a.data + min(0, (a.nrows - 1) * a.stride)
    ahi = a.data + max(0, (a.nrows - 1) * a.stride) + a.rowbytes
    blo = b.data + min(0, (b.nrows - 1) * b.stride)
    bhi = b.data + max(0, (b.nrows - 1) * b.stride) + b.rowbytes
    return alo < bhi and blo < ahi
