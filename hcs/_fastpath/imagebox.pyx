"""The Image Box N-SET data set, encoded without copying the pixels.

``encode_image_box`` returns the Basic Grayscale or Basic Color Image Box
data set (PS3.4 H.4.3.1/H.4.3.2, PS3.3 C.13.5) in implicit VR little endian
as a list of pieces: the header bytes (every attribute up to and including
the tag and length of Pixel Data), a byte memoryview of the caller's pixel
array itself, and, only when needed, a last bytes piece with the pad byte of
odd-length pixel data and whatever follows the pixels. Their concatenation
equals, byte for byte, pydicom's ``write_dataset`` of the same Dataset in
implicit VR little endian: attributes in ascending tag order, sequences and
items with defined lengths (pydicom's choice for a Dataset built in memory),
odd values padded to even length (UI with NUL, text with space, pixel data
with NUL). The list is what the DIMSE layer hands to the Upper Layer for
gather I/O, so the pixels go from the formatter's buffer to the socket.

The header is ~150 bytes built in C: a call costs about a microsecond.
``rgb_to_planes`` converts interleaved RGB into the colour-by-plane layout
the Basic Color Image Sequence requires (Planar Configuration 1).
"""

import sys

cimport numpy as cnp
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stdint cimport uint8_t, uint16_t, uint32_t
from libc.string cimport memcpy

from hcs._fastpath._common cimport Rows, as_array, check_writeable, image_rows

cnp.import_array()

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    #if defined(__SSE2__) && !defined(HCS_NO_SIMD)
    #include <emmintrin.h>
    #define HCS_SSE2 1
    #else
    #define HCS_SSE2 0
    #endif

    /* Interleaved RGB row -> three planes. SSE2: four rounds of the same
       byte permutation (unpack the first vector with the high half of the
       second, and so on) take 48 interleaved bytes to 16 R, 16 G, 16 B. */
    #if HCS_SSE2
    static inline void hcs_round3(__m128i *a, __m128i *b, __m128i *c) {
        __m128i x = _mm_unpacklo_epi8(*a, _mm_unpackhi_epi64(*b, *b));
        __m128i y = _mm_unpackhi_epi8(*a, _mm_unpacklo_epi64(*c, *c));
        __m128i z = _mm_unpacklo_epi8(*b, _mm_unpackhi_epi64(*c, *c));
        *a = x; *b = y; *c = z;
    }
    #endif
    static void hcs_rgb_row(const uint8_t *src, uint8_t *r, uint8_t *g, uint8_t *b,
                            Py_ssize_t n) {
        Py_ssize_t x = 0;
    #if HCS_SSE2
        for (; x + 16 <= n; x += 16) {
            __m128i p = _mm_loadu_si128((const __m128i *)(src + 3 * x));
            __m128i q = _mm_loadu_si128((const __m128i *)(src + 3 * x + 16));
            __m128i s = _mm_loadu_si128((const __m128i *)(src + 3 * x + 32));
            hcs_round3(&p, &q, &s); hcs_round3(&p, &q, &s);
            hcs_round3(&p, &q, &s); hcs_round3(&p, &q, &s);
            _mm_storeu_si128((__m128i *)(r + x), p);
            _mm_storeu_si128((__m128i *)(g + x), q);
            _mm_storeu_si128((__m128i *)(b + x), s);
        }
    #endif
        for (; x < n; x++) {
            r[x] = src[3 * x];
            g[x] = src[3 * x + 1];
            b[x] = src[3 * x + 2];
        }
    }
    """
    void hcs_rgb_row(const uint8_t* src, uint8_t* r, uint8_t* g, uint8_t* b,
                     Py_ssize_t n) nogil

cdef bint _LITTLE = sys.byteorder == "little"

# Attribute tags (group << 16 | element), in the order they are written.
cdef enum:
    MAGNIFICATION_TYPE = 0x20100060
    SMOOTHING_TYPE = 0x20100080
    MIN_DENSITY = 0x20100120
    MAX_DENSITY = 0x20100130
    CONFIGURATION_INFORMATION = 0x20100150
    IMAGE_BOX_POSITION = 0x20200010
    POLARITY = 0x20200020
    REQUESTED_IMAGE_SIZE = 0x20200030
    REQUESTED_DECIMATE_CROP = 0x20200040
    GRAYSCALE_SEQUENCE = 0x20200110
    COLOR_SEQUENCE = 0x20200111
    PRESENTATION_LUT_SEQUENCE = 0x20500500
    SAMPLES_PER_PIXEL = 0x00280002
    PHOTOMETRIC = 0x00280004
    PLANAR_CONFIGURATION = 0x00280006
    ROWS = 0x00280010
    COLUMNS = 0x00280011
    PIXEL_ASPECT_RATIO = 0x00280034
    BITS_ALLOCATED = 0x00280100
    BITS_STORED = 0x00280101
    HIGH_BIT = 0x00280102
    PIXEL_REPRESENTATION = 0x00280103
    PIXEL_DATA = 0x7FE00010
    REFERENCED_SOP_CLASS = 0x00081150
    REFERENCED_SOP_INSTANCE = 0x00081155

cdef uint32_t ITEM = 0xFFFEE000u   # above INT_MAX, so not in the enum

PRESENTATION_LUT_SOP_CLASS = "1.2.840.10008.5.1.1.23"

# Enumerated values, already encoded: a dict lookup is the fast path of a call.
_POLARITY = {v: v.encode() for v in ("NORMAL", "REVERSE")}
_MAGNIFICATION = {v: v.encode() for v in ("REPLICATE", "BILINEAR", "CUBIC", "NONE")}
_DECIMATE_CROP = {v: v.encode() for v in ("DECIMATE", "CROP", "FAIL")}
_GRAY_PHOTOMETRIC = {v: v.encode() for v in ("MONOCHROME1", "MONOCHROME2")}
_COLOR_PHOTOMETRIC = {"RGB": b"RGB"}
_CACHE = {}   # free-form values already checked and encoded (bounded, see _cached)
_CS_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _")
_DS_CHARS = frozenset("0123456789+-.eE ")
_UI_CHARS = frozenset("0123456789.")


# -- a tiny implicit VR little endian writer ---------------------------------------

cdef struct Out:
    char* p     # next byte to write
    char* end


cdef inline int _raw(Out* o, const char* s, Py_ssize_t n) except -1:
    if o.p + n > o.end:
        raise ValueError("Image Box header larger than expected")
    memcpy(o.p, s, n)
    o.p += n
    return 0


cdef inline void _u16(char* p, uint16_t v) noexcept:
    p[0] = <char>(v & 0xFF)
    p[1] = <char>(v >> 8)


cdef inline void _u32(char* p, uint32_t v) noexcept:
    p[0] = <char>(v & 0xFF)
    p[1] = <char>((v >> 8) & 0xFF)
    p[2] = <char>((v >> 16) & 0xFF)
    p[3] = <char>(v >> 24)


cdef inline int _head(Out* o, uint32_t tag, uint32_t length) except -1:
    """Tag and 32-bit length (implicit VR: no VR on the wire)."""
    cdef char b[8]
    _u16(b, <uint16_t>(tag >> 16))
    _u16(b + 2, <uint16_t>(tag & 0xFFFF))
    _u32(b + 4, length)
    return _raw(o, b, 8)


cdef inline int _us(Out* o, uint32_t tag, uint16_t v) except -1:
    cdef char b[2]
    _head(o, tag, 2)
    _u16(b, v)
    return _raw(o, b, 2)


cdef inline int _text(Out* o, uint32_t tag, bytes value, char pad) except -1:
    """A string value padded to even length with ``pad``."""
    cdef Py_ssize_t n = len(value)
    cdef char padc = pad
    _head(o, tag, <uint32_t>(n + (n & 1)))
    _raw(o, PyBytes_AS_STRING(value), n)
    if n & 1:
        _raw(o, &padc, 1)
    return 0


cdef inline Py_ssize_t _text_len(bytes value) noexcept:
    return 8 + len(value) + (len(value) & 1)


# -- value checks ---------------------------------------------------------------

cdef bytes _cs(object value, str name, dict allowed=None):
    """A Code String: upper-case letters, digits, space, underscore; 16 at most."""
    if allowed is not None:
        try:
            return allowed[value]
        except (KeyError, TypeError):
            pass
        s = str(value).upper()
        if s not in allowed:
            raise ValueError(f"{name} must be one of {sorted(allowed)}, not {value!r}")
        return allowed[s]
    s = str(value)
    if len(s) > 16 or not set(s) <= _CS_CHARS:
        raise ValueError(f"{name} {value!r} is not a DICOM code string (A-Z 0-9 _ space, <= 16)")
    return s.encode("ascii")


cdef bytes _cached(str kind, object value, str name):
    """Check and encode a free-form value once; later calls are a dict lookup."""
    cdef object key = (kind, type(value), value)
    try:
        return _CACHE[key]
    except KeyError:
        pass
    except TypeError:      # unhashable: check every time
        key = None
    if kind == "CS":
        b = _cs(value, name)
    elif kind == "ST":
        b = _st(value, name)
    elif kind == "DS":
        b = _ds(value, name)
    else:
        b = _ui(value, name)
    if key is not None:
        if len(_CACHE) > 1024:
            _CACHE.clear()
        _CACHE[key] = b
    return b


cdef bytes _st(object value, str name):
    """Short Text: default repertoire (no Specific Character Set in an N-SET), <= 1024."""
    s = str(value)
    try:
        b = s.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError(f"{name} must be ASCII text") from None
    if len(b) > 1024 or "\\" in s:
        raise ValueError(f"{name} must be at most 1024 characters, without backslash")
    return b


cdef bytes _ds(object value, str name):
    """Decimal String for one number: as given if a string, else the shortest repr."""
    if isinstance(value, str):
        s = value.strip()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        f = float(value)
        if f != f or f in (float("inf"), float("-inf")):
            raise ValueError(f"{name} must be finite, not {value!r}")
        s = repr(f)
        if len(s) > 16:
            for digits in range(15, 0, -1):
                s = f"{f:.{digits}g}"
                if len(s) <= 16:
                    break
    else:
        raise TypeError(f"{name} must be a number or a decimal string, not {value!r}")
    if not s or len(s) > 16 or not set(s) <= _DS_CHARS:
        raise ValueError(f"{name} {value!r} is not a DICOM decimal string (<= 16 characters)")
    try:
        float(s)
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a DICOM decimal string") from None
    return s.encode("ascii")


cdef int _u16_value(object value, str name) except -1:
    v = int(value)
    if v != value or not 0 <= v <= 65535:
        raise ValueError(f"{name} must be an integer 0..65535, not {value!r}")
    return v


cdef bytes _ui(object value, str name):
    s = str(value)
    if not s or len(s) > 64 or not set(s) <= _UI_CHARS:
        raise ValueError(f"{name} {value!r} is not a UID (digits and dots, <= 64)")
    return s.encode("ascii")


# -- the encoder -------------------------------------------------------------------

def encode_image_box(pixels, position, *, photometric=None, color=False, polarity=None,
                     magnification=None, smoothing=None, min_density=None,
                     max_density=None, configuration=None, requested_size=None,
                     decimate_crop=None, bits_stored=None, pixel_aspect=None,
                     presentation_lut=None):
    """Encode an Image Box N-SET data set: ``[header, pixels(, trailer)]``.

    ``pixels``: the image box pixels, not copied:
      * gray: a 2-D C-contiguous uint8 array (Bits Allocated/Stored 8), or
        uint16 (Bits Allocated 16, ``bits_stored`` 12 by default, or 8);
      * colour: a C-contiguous uint8 array of shape (3, rows, cols), already
        colour-by-plane (``rgb_to_planes``); Planar Configuration 1, RGB;
      * ``None``: an empty image sequence, which asks the printer to erase the
        box (PS3.4 H.4.3.1.2.1); ``color`` then picks the sequence.
    ``position``: Image Box Position (1-based). ``photometric``: MONOCHROME2
    (default) or MONOCHROME1 for gray; RGB for colour. The other arguments are
    the optional attributes, written only when given: ``polarity`` (NORMAL,
    REVERSE), ``magnification`` (REPLICATE, BILINEAR, CUBIC, NONE),
    ``smoothing`` (printer-defined code string), ``min_density`` and
    ``max_density`` (hundredths of OD, gray only), ``configuration`` (ST),
    ``requested_size`` (width in mm, a number or a decimal string),
    ``decimate_crop`` (DECIMATE, CROP, FAIL), ``pixel_aspect`` (vertical,
    horizontal) and ``presentation_lut`` (the SOP Instance UID of a
    Presentation LUT to reference, gray only).

    Values in a uint16 array above ``2**bits_stored - 1`` are not checked
    (that would cost a pass over the pixels): ``window_level(...,
    bits_out=12)`` produces valid ones.
    """
    cdef cnp.ndarray a
    cdef Py_ssize_t rows = 0, cols = 0, samples, nbytes = 0, item_len, seq_len, need
    cdef int nd, t, balloc = 8, bstored = 8
    cdef bint colour = bool(color)
    cdef Out o
    cdef bytes header, trailer = b""
    cdef bytes b_mag = None, b_smooth = None, b_conf = None, b_pol = None, b_size = None
    cdef bytes b_dec = None, b_photo, b_aspect = None, b_plut = None, b_class
    cdef int pos, mind = -1, maxd = -1
    pos = _u16_value(position, "position")
    if pos < 1:
        raise ValueError("position must be >= 1")
    if pixels is not None:
        a = as_array(pixels, "pixels")
        nd = cnp.PyArray_NDIM(a)
        t = cnp.PyArray_TYPE(a)
        if not cnp.PyArray_IS_C_CONTIGUOUS(a):
            raise ValueError("pixels must be C-contiguous (the encoder does not copy them)")
        if nd == 3:
            if t != cnp.NPY_UINT8:
                raise TypeError(f"colour pixels must be uint8, not {a.dtype}")
            if cnp.PyArray_DIMS(a)[0] != 3:
                raise ValueError(
                    f"colour pixels must be planes of shape (3, rows, cols), not "
                    f"{(<object>a).shape}; convert interleaved RGB with rgb_to_planes"
                )
            colour = True
            rows = cnp.PyArray_DIMS(a)[1]
            cols = cnp.PyArray_DIMS(a)[2]
        elif nd == 2:
            if color:
                raise ValueError("color=True needs pixels of shape (3, rows, cols)")
            colour = False
            rows = cnp.PyArray_DIMS(a)[0]
            cols = cnp.PyArray_DIMS(a)[1]
            if t == cnp.NPY_UINT16:
                if not _LITTLE:
                    raise TypeError("16-bit pixels need a little-endian machine")
                balloc = 16
                bstored = 12 if bits_stored is None else bits_stored
            elif t != cnp.NPY_UINT8:
                raise TypeError(f"gray pixels must be uint8 or uint16, not {a.dtype}")
        else:
            raise ValueError(f"pixels must be 2-D (gray) or (3, rows, cols) (colour), "
                             f"not {nd}-D")
        if bits_stored is not None and bits_stored != bstored:
            raise ValueError(f"bits_stored must be 8 for uint8 pixels, 12 or 8 for uint16")
        if bstored not in (8, 12) or (balloc == 8 and bstored != 8):
            raise ValueError(f"bits_stored must be 8 or 12, not {bits_stored!r}")
        if not (1 <= rows <= 65535 and 1 <= cols <= 65535):
            raise ValueError(f"rows and columns must be 1..65535, not {rows} x {cols}")
        nbytes = cnp.PyArray_NBYTES(a)
        if nbytes >= 0xFFFFFFFE:
            raise ValueError("pixel data too large for a 32-bit length")
    samples = 3 if colour else 1
    if photometric is None:
        b_photo = b"RGB" if colour else b"MONOCHROME2"
    else:
        b_photo = _cs(photometric, "photometric",
                      _COLOR_PHOTOMETRIC if colour else _GRAY_PHOTOMETRIC)
    if polarity is not None:
        b_pol = _cs(polarity, "polarity", _POLARITY)
    if magnification is not None:
        b_mag = _cs(magnification, "magnification", _MAGNIFICATION)
    if smoothing is not None:
        b_smooth = _cached("CS", smoothing, "smoothing")
    if decimate_crop is not None:
        b_dec = _cs(decimate_crop, "decimate_crop", _DECIMATE_CROP)
    if configuration is not None:
        b_conf = _cached("ST", configuration, "configuration")
    if requested_size is not None:
        b_size = _cached("DS", requested_size, "requested_size")
    if min_density is not None:
        mind = _u16_value(min_density, "min_density")
    if max_density is not None:
        maxd = _u16_value(max_density, "max_density")
    if colour and (mind >= 0 or maxd >= 0 or presentation_lut is not None):
        raise ValueError("a Basic Color Image Box has no densities or presentation LUT")
    if pixel_aspect is not None:
        v, h = pixel_aspect
        if int(v) != v or int(h) != h or not (0 < v < 10**11 and 0 < h < 10**11):
            raise ValueError(f"pixel_aspect must be two positive integers, not {pixel_aspect!r}")
        b_aspect = f"{int(v)}\\{int(h)}".encode("ascii")
    if presentation_lut is not None:
        b_plut = _cached("UI", presentation_lut, "presentation_lut")

    # Lengths: item = its elements + Pixel Data; sequence = item header + item.
    if pixels is not None:
        item_len = (7 * 10 + _text_len(b_photo) + (10 if colour else 0)
                    + (_text_len(b_aspect) if b_aspect is not None else 0)
                    + 8 + nbytes + (nbytes & 1))
        seq_len = 8 + item_len
    else:
        item_len = seq_len = 0
    need = 512 + (len(b_conf) if b_conf is not None else 0)
    header = PyBytes_FromStringAndSize(NULL, need)
    o.p = PyBytes_AS_STRING(header)
    o.end = o.p + need
    if b_mag is not None:
        _text(&o, MAGNIFICATION_TYPE, b_mag, b" ")
    if b_smooth is not None:
        _text(&o, SMOOTHING_TYPE, b_smooth, b" ")
    if mind >= 0:
        _us(&o, MIN_DENSITY, <uint16_t>mind)
    if maxd >= 0:
        _us(&o, MAX_DENSITY, <uint16_t>maxd)
    if b_conf is not None:
        _text(&o, CONFIGURATION_INFORMATION, b_conf, b" ")
    _us(&o, IMAGE_BOX_POSITION, <uint16_t>pos)
    if b_pol is not None:
        _text(&o, POLARITY, b_pol, b" ")
    if b_size is not None:
        _text(&o, REQUESTED_IMAGE_SIZE, b_size, b" ")
    if b_dec is not None:
        _text(&o, REQUESTED_DECIMATE_CROP, b_dec, b" ")
    _head(&o, COLOR_SEQUENCE if colour else GRAYSCALE_SEQUENCE, <uint32_t>seq_len)
    if pixels is not None:
        _head(&o, ITEM, <uint32_t>item_len)
        _us(&o, SAMPLES_PER_PIXEL, <uint16_t>samples)
        _text(&o, PHOTOMETRIC, b_photo, b" ")
        if colour:
            _us(&o, PLANAR_CONFIGURATION, 1)
        _us(&o, ROWS, <uint16_t>rows)
        _us(&o, COLUMNS, <uint16_t>cols)
        if b_aspect is not None:
            _text(&o, PIXEL_ASPECT_RATIO, b_aspect, b" ")
        _us(&o, BITS_ALLOCATED, <uint16_t>balloc)
        _us(&o, BITS_STORED, <uint16_t>bstored)
        _us(&o, HIGH_BIT, <uint16_t>(bstored - 1))
        _us(&o, PIXEL_REPRESENTATION, 0)
        _head(&o, PIXEL_DATA, <uint32_t>(nbytes + (nbytes & 1)))
    if b_plut is not None:
        trailer = _presentation_lut(b_plut)
    if nbytes & 1:
        trailer = b"\0" + trailer
    # Shrink the header to what was written (a fresh bytes of the used part).
    header = header[:o.p - PyBytes_AS_STRING(header)]
    if pixels is None:
        return [header + trailer] if trailer else [header]
    view = memoryview(pixels).cast("B")
    if trailer:
        return [header, view, trailer]
    return [header, view]


cdef bytes _presentation_lut(bytes uid):
    """Referenced Presentation LUT Sequence (2050,0500) with one item."""
    cdef bytes cls = PRESENTATION_LUT_SOP_CLASS.encode("ascii")
    cdef Py_ssize_t item_len = _text_len(cls) + _text_len(uid)
    cdef Out o
    cdef bytes buf = PyBytes_FromStringAndSize(NULL, 16 + item_len)
    o.p = PyBytes_AS_STRING(buf)
    o.end = o.p + 16 + item_len
    _head(&o, PRESENTATION_LUT_SEQUENCE, <uint32_t>(8 + item_len))
    _head(&o, ITEM, <uint32_t>item_len)
    _text(&o, REFERENCED_SOP_CLASS, cls, b"\0")
    _text(&o, REFERENCED_SOP_INSTANCE, uid, b"\0")
    return buf


def rgb_to_planes(src, out):
    """Interleaved RGB [H, W, 3] uint8 -> colour-by-plane [3, H, W] uint8 ``out``.

    ``src`` needs contiguous rows (any row stride); ``out`` must be C-contiguous
    and must not overlap ``src``. Runs without the GIL. Returns ``out``.
    """
    cdef Rows s
    cdef cnp.ndarray a = as_array(src, "src")
    cdef cnp.ndarray b = as_array(out, "out")
    cdef Py_ssize_t h, w, y
    cdef uint8_t* base
    cdef const uint8_t* row
    if cnp.PyArray_TYPE(a) != cnp.NPY_UINT8 or cnp.PyArray_TYPE(b) != cnp.NPY_UINT8:
        raise TypeError("src and out must be uint8")
    if cnp.PyArray_NDIM(a) != 3 or cnp.PyArray_DIMS(a)[2] != 3:
        raise ValueError(f"src must be [H, W, 3], not {(<object>a).shape}")
    h = cnp.PyArray_DIMS(a)[0]
    w = cnp.PyArray_DIMS(a)[1]
    if (<object>b).shape != (3, h, w):
        raise ValueError(f"out must have shape {(3, h, w)}, not {(<object>b).shape}")
    if not cnp.PyArray_IS_C_CONTIGUOUS(b):
        raise ValueError("out must be C-contiguous")
    check_writeable(b, "out")
    image_rows(a, "src", 3, &s)
    base = <uint8_t*>cnp.PyArray_DATA(b)
    if h and w:
        lo = min(<size_t>s.data, <size_t>(s.data + (h - 1) * s.stride))
        hi = max(<size_t>s.data, <size_t>(s.data + (h - 1) * s.stride)) + 3 * w
        if lo < <size_t>base + 3 * h * w and <size_t>base < hi:
            raise ValueError("out overlaps src")
    with nogil:
        for y in range(h):
            row = <const uint8_t*>(s.data + y * s.stride)
            hcs_rgb_row(row, base + y * w, base + (h + y) * w, base + (2 * h + y) * w, w)
    return out
