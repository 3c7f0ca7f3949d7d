# distutils: extra_compile_args = -ffp-contract=off
"""Lookup tables and window/level: the grayscale pipeline up to the P-values.

Both kernels work the same way: build a table that maps every possible input
value (256 entries for 8-bit input, 65536 for 16-bit) to its output, then
index it once per pixel. A 16-bit table costs about 65536 evaluations of the
formula, which is nothing next to the 4 million pixels of a 2048x2048 image,
and the per-pixel loop is then one load from a table that sits in L2. For
images smaller than the table, the formula is evaluated per pixel instead;
the result is the same bit for bit because both use one function.

The table lives in per-thread scratch memory (see ``_common``), so a call
allocates nothing, and both the table and the pixel loop run without the GIL.

``-ffp-contract=off`` (above) keeps the compiler from fusing ``a * b + c``
into one FMA instruction in a ``-march=native`` build: a fused result can
differ in the last bit from numpy's, and that would move a value that sits
on a rounding boundary. With it, the default and the native builds are
bit-exact against the numpy reference.
"""

import os
import sys

cimport numpy as cnp
from libc.math cimport exp, isfinite
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy

from hcs._fastpath._common cimport (
    Rows,
    as_array,
    check_writeable,
    flat_or_rows,
    rows_overlap,
    scratch,
)

cnp.import_array()

cdef extern from *:
    """
    /* The AVX2 (x86-64-v3) variant of window/level's pixel loop, next to the
       portable table lookup. It is compiled into every x86-64 build with a
       per-function target attribute and only called when the CPU says it has
       AVX2, so one wheel runs anywhere. HCS_NO_SIMD leaves it out. */
    #include <stdint.h>
    #include <stddef.h>
    #if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) \
        && !defined(HCS_NO_SIMD)
    #include <immintrin.h>
    #define HCS_HAVE_AVX2_VARIANT 1
    #else
    #define HCS_HAVE_AVX2_VARIANT 0
    #endif

    /* out = base + sign * ((clamp(k - v0, 0, r) * a + b) >> shift), k = v ^ bias:
       the ramp that window/level's table was found equal to (see lut.pyx). */
    typedef struct {
        int32_t v0, r;
        uint32_t a, b;
        int shift;
        int32_t base, sign;
        uint16_t bias;
    } hcs_ramp;

    static inline uint32_t hcs_ramp_at(const hcs_ramp *p, uint16_t v) {
        int32_t d = (int32_t)(uint16_t)(v ^ p->bias) - p->v0;
        d = d < 0 ? 0 : (d > p->r ? p->r : d);
        uint32_t q = ((uint32_t)d * p->a + p->b) >> p->shift;
        return (uint32_t)(p->base + p->sign * (int32_t)q);
    }

    static int hcs_cpu_has_avx2(void) {
    #if HCS_HAVE_AVX2_VARIANT
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") ? 1 : 0;
    #else
        return 0;
    #endif
    }

    #if HCS_HAVE_AVX2_VARIANT
    /* The ramp's constants in registers (loaded once: the output stores could
       alias the parameter struct, so the compiler would reload it each step). */
    typedef struct { __m256i bias, v0, r, a, b, base; __m128i shift; int sign; } hcs_ramp_avx2;

    __attribute__((target("avx2"), always_inline))
    static inline __m256i hcs_ramp16_avx2(__m256i x, const hcs_ramp_avx2 *c) {
        /* 16 uint16 values in, their 16 uint16 outputs (in order) out. The
           clamp is done on 16-bit lanes (a saturating subtract is max(k - v0, 0));
           widening with unpack/pack keeps each lane's order without a permute. */
        const __m256i zero = _mm256_setzero_si256();
        x = _mm256_xor_si256(x, c->bias);
        x = _mm256_min_epu16(_mm256_subs_epu16(x, c->v0), c->r);
        __m256i lo = _mm256_unpacklo_epi16(x, zero), hi = _mm256_unpackhi_epi16(x, zero);
        lo = _mm256_srl_epi32(_mm256_add_epi32(_mm256_mullo_epi32(lo, c->a), c->b), c->shift);
        hi = _mm256_srl_epi32(_mm256_add_epi32(_mm256_mullo_epi32(hi, c->a), c->b), c->shift);
        __m256i q = _mm256_packus_epi32(lo, hi);  /* q < 65536: the signed pack keeps it */
        return c->sign > 0 ? _mm256_add_epi16(c->base, q) : _mm256_sub_epi16(c->base, q);
    }

    __attribute__((target("avx2"), always_inline))
    static inline __m256i hcs_ramp16_plain_avx2(__m256i x, const hcs_ramp_avx2 *c) {
        /* The same for unsigned input on a rising ramp from 0 (the usual window):
           no bias to flip and no base to add. */
        const __m256i zero = _mm256_setzero_si256();
        x = _mm256_min_epu16(_mm256_subs_epu16(x, c->v0), c->r);
        __m256i lo = _mm256_unpacklo_epi16(x, zero), hi = _mm256_unpackhi_epi16(x, zero);
        lo = _mm256_srl_epi32(_mm256_add_epi32(_mm256_mullo_epi32(lo, c->a), c->b), c->shift);
        hi = _mm256_srl_epi32(_mm256_add_epi32(_mm256_mullo_epi32(hi, c->a), c->b), c->shift);
        return _mm256_packus_epi32(lo, hi);
    }

    __attribute__((target("avx2")))
    static void hcs_ramp_row_avx2(const uint16_t *src, void *dst, Py_ssize_t n, int out16,
                                  const hcs_ramp *p) {
        const hcs_ramp_avx2 c = {
            _mm256_set1_epi16((int16_t)p->bias), _mm256_set1_epi16((int16_t)p->v0),
            _mm256_set1_epi16((int16_t)p->r), _mm256_set1_epi32((int32_t)p->a),
            _mm256_set1_epi32((int32_t)p->b), _mm256_set1_epi16((int16_t)p->base),
            _mm_cvtsi32_si128(p->shift), p->sign};
        const hcs_ramp scalar = *p;
        Py_ssize_t i = 0;
        if (out16) {
            uint16_t *o = (uint16_t *)dst;
            for (; i + 16 <= n; i += 16) {
                __m256i x = _mm256_loadu_si256((const __m256i *)(src + i));
                _mm256_storeu_si256((__m256i *)(o + i), hcs_ramp16_avx2(x, &c));
            }
            for (; i < n; i++) o[i] = (uint16_t)hcs_ramp_at(&scalar, src[i]);
        } else {
            uint8_t *o = (uint8_t *)dst;
            if (p->bias == 0 && p->base == 0 && p->sign > 0) {
                for (; i + 32 <= n; i += 32) {
                    __m256i x = _mm256_loadu_si256((const __m256i *)(src + i));
                    __m256i y = _mm256_loadu_si256((const __m256i *)(src + i + 16));
                    __m256i qx = hcs_ramp16_plain_avx2(x, &c), qy = hcs_ramp16_plain_avx2(y, &c);
                    __m256i q = _mm256_permute4x64_epi64(_mm256_packus_epi16(qx, qy), 0xD8);
                    _mm256_storeu_si256((__m256i *)(o + i), q);
                }
            }
            for (; i + 32 <= n; i += 32) {
                __m256i x = _mm256_loadu_si256((const __m256i *)(src + i));
                __m256i y = _mm256_loadu_si256((const __m256i *)(src + i + 16));
                __m256i qx = hcs_ramp16_avx2(x, &c), qy = hcs_ramp16_avx2(y, &c);
                __m256i q = _mm256_permute4x64_epi64(_mm256_packus_epi16(qx, qy), 0xD8);
                _mm256_storeu_si256((__m256i *)(o + i), q);
            }
            for (; i < n; i++) o[i] = (uint8_t)hcs_ramp_at(&scalar, src[i]);
        }
    }
    #else
    static void hcs_ramp_row_avx2(const uint16_t *src, void *dst, Py_ssize_t n, int out16,
                                  const hcs_ramp *p) {
        (void)src; (void)dst; (void)n; (void)out16; (void)p;  /* never called */
    }
    #endif
    """
    ctypedef struct hcs_ramp:
        int32_t v0, r
        uint32_t a, b
        int shift
        int32_t base, sign
        uint16_t bias
    int hcs_cpu_has_avx2() nogil
    void hcs_ramp_row_avx2(const uint16_t* src, void* dst, Py_ssize_t n, int out16,
                           const hcs_ramp* p) noexcept nogil

_CPU_AVX2 = bool(hcs_cpu_has_avx2())
SIMD_VARIANTS = ("portable", "avx2") if _CPU_AVX2 else ("portable",)
"""The pixel-loop variants this build and this CPU can run; the best is chosen at import."""

cdef bint _use_avx2 = _CPU_AVX2 and not os.environ.get("HCS_NO_AVX2")
cdef int _last_window_path = 0  # 0 per pixel, 1 table, 2 ramp: for the tests


def _window_path():
    """How the last ``window_level`` call computed its pixels (tests read it)."""
    return ("per pixel", "table", "ramp")[_last_window_path]


def simd_variant():
    """``"avx2"`` or ``"portable"``: which window/level pixel loop runs now."""
    return "avx2" if _use_avx2 else "portable"


def set_simd_variant(name):
    """Choose the pixel loop: ``"portable"`` or ``"avx2"`` (if in ``SIMD_VARIANTS``).

    The results are the same bit for bit; this is for tests and benchmarks that
    compare the two. ``HCS_NO_AVX2=1`` in the environment starts with the portable one.
    """
    global _use_avx2
    if name not in SIMD_VARIANTS:
        raise ValueError(f"variant {name!r} is not available here; choose from {SIMD_VARIANTS}")
    _use_avx2 = name == "avx2"

ctypedef fused out_t:
    uint8_t
    uint16_t

ctypedef fused idx_t:
    uint8_t
    uint16_t

ctypedef fused lut_t:
    uint8_t
    uint16_t

cdef enum:
    _SLOT = 0
    LINEAR = 0
    LINEAR_EXACT = 1
    SIGMOID = 2

cdef bint _LITTLE_ENDIAN = sys.byteorder == "little"

_FUNCTIONS = {"LINEAR": LINEAR, "LINEAR_EXACT": LINEAR_EXACT, "SIGMOID": SIGMOID}


cdef struct Source:
    # What the pixel loop needs to know about the input and output.
    Rows rows
    int bits        # 8 or 16: the table has 1 << bits entries
    bint signed     # int8/int16: table index i stands for the value i - (1 << bits)
    Py_ssize_t ncols  # pixels per row
    char* out
    int out_bits    # 8 or 16


cdef int _source(object src, object out, Source* s) except -1:
    """Validate ``src`` and ``out`` and describe them; raises before any work."""
    cdef cnp.ndarray a = as_array(src, "src")
    cdef cnp.ndarray o = as_array(out, "out")
    cdef int t = cnp.PyArray_TYPE(a)
    cdef int ot = cnp.PyArray_TYPE(o)
    cdef Rows orows
    if t == cnp.NPY_UINT8 or t == cnp.NPY_INT8:
        s.bits = 8
    elif t == cnp.NPY_UINT16 or t == cnp.NPY_INT16:
        s.bits = 16
    else:
        raise TypeError(f"src must be uint8, int8, uint16 or int16, not {a.dtype}")
    s.signed = t == cnp.NPY_INT8 or t == cnp.NPY_INT16
    if ot == cnp.NPY_UINT8:
        s.out_bits = 8
    elif ot == cnp.NPY_UINT16:
        s.out_bits = 16
    else:
        raise TypeError(f"out must be uint8 or uint16, not {o.dtype}")
    if not cnp.PyArray_IS_C_CONTIGUOUS(o):
        raise ValueError("out must be C-contiguous")
    check_writeable(o, "out")
    if (<object>a).shape != (<object>o).shape:
        raise ValueError(
            f"out has shape {(<object>o).shape}, src has shape {(<object>a).shape}"
        )
    flat_or_rows(a, "src", &s.rows)
    s.ncols = s.rows.rowbytes // (s.bits // 8)
    s.out = <char*>cnp.PyArray_DATA(o)
    orows.data = s.out
    orows.nrows = 1
    orows.rowbytes = cnp.PyArray_NBYTES(o)
    orows.stride = orows.rowbytes
    # Writing the output over the input is fine element by element when both
    # are the same C-contiguous buffer with the same element size; any other
    # overlap would read values already overwritten.
    if rows_overlap(&s.rows, &orows):
        if not (s.rows.data == s.out and s.rows.nrows == 1 and s.bits == s.out_bits):
            raise ValueError("out overlaps src (only an exact in-place call is allowed)")
    return 0


cdef inline Py_ssize_t _npix(Source* s) noexcept nogil:
    return s.rows.nrows * s.ncols


# -- the per-pixel loop ------------------------------------------------------

cdef void _gather(const idx_t* src, out_t* dst, Py_ssize_t n, const out_t* table) noexcept nogil:
    """dst[i] = table[src[i]], the plain loop (tails, big-endian machines)."""
    cdef Py_ssize_t i
    for i in range(n):
        dst[i] = table[src[i]]


cdef void _gather_words(const idx_t* src, out_t* dst, Py_ssize_t n,
                        const out_t* table) noexcept nogil:
    """dst[i] = table[src[i]], writing 64-bit words (little-endian only).

    Why: the plain loop costs three memory operations per pixel (index load,
    table load, store) and the load/store ports are the limit. Assembling the
    outputs in a register and storing them eight bytes at a time leaves two
    loads per pixel and one shift-or.
    """
    cdef Py_ssize_t i = 0
    cdef uint64_t acc
    if sizeof(out_t) == 1:
        while i + 8 <= n:
            acc = (<uint64_t>table[src[i]]
                   | (<uint64_t>table[src[i + 1]] << 8)
                   | (<uint64_t>table[src[i + 2]] << 16)
                   | (<uint64_t>table[src[i + 3]] << 24)
                   | (<uint64_t>table[src[i + 4]] << 32)
                   | (<uint64_t>table[src[i + 5]] << 40)
                   | (<uint64_t>table[src[i + 6]] << 48)
                   | (<uint64_t>table[src[i + 7]] << 56))
            memcpy(dst + i, &acc, 8)
            i += 8
    else:
        while i + 4 <= n:
            acc = (<uint64_t>table[src[i]]
                   | (<uint64_t>table[src[i + 1]] << 16)
                   | (<uint64_t>table[src[i + 2]] << 32)
                   | (<uint64_t>table[src[i + 3]] << 48))
            memcpy(dst + i, &acc, 8)
            i += 4
    _gather(src + i, dst + i, n - i, table)


cdef void _apply_table(Source* s, const void* table) noexcept nogil:
    cdef Py_ssize_t r
    cdef char* row
    cdef Py_ssize_t n = s.ncols
    cdef Py_ssize_t outrow = n * (s.out_bits // 8)
    for r in range(s.rows.nrows):
        row = s.rows.data + r * s.rows.stride
        if not _LITTLE_ENDIAN:
            if s.bits == 8 and s.out_bits == 8:
                _gather(<const uint8_t*>row, <uint8_t*>(s.out + r * outrow), n,
                        <const uint8_t*>table)
            elif s.bits == 8:
                _gather(<const uint8_t*>row, <uint16_t*>(s.out + r * outrow), n,
                        <const uint16_t*>table)
            elif s.out_bits == 8:
                _gather(<const uint16_t*>row, <uint8_t*>(s.out + r * outrow), n,
                        <const uint8_t*>table)
            else:
                _gather(<const uint16_t*>row, <uint16_t*>(s.out + r * outrow), n,
                        <const uint16_t*>table)
        elif s.bits == 8 and s.out_bits == 8:
            _gather_words(<const uint8_t*>row, <uint8_t*>(s.out + r * outrow), n,
                          <const uint8_t*>table)
        elif s.bits == 8:
            _gather_words(<const uint8_t*>row, <uint16_t*>(s.out + r * outrow), n,
                          <const uint16_t*>table)
        elif s.out_bits == 8:
            _gather_words(<const uint16_t*>row, <uint8_t*>(s.out + r * outrow), n,
                          <const uint8_t*>table)
        else:
            _gather_words(<const uint16_t*>row, <uint16_t*>(s.out + r * outrow), n,
                          <const uint16_t*>table)


cdef inline int64_t _value(Source* s, Py_ssize_t i) noexcept nogil:
    """The input value that table index ``i`` stands for."""
    cdef int64_t half = (<int64_t>1) << (s.bits - 1)
    if s.signed and i >= half:
        return i - 2 * half
    return i


cdef inline Py_ssize_t _pixel_index(Source* s, Py_ssize_t k) noexcept nogil:
    """Table index of pixel ``k`` (row-major), for the small-image path."""
    cdef Py_ssize_t r = k // s.ncols
    cdef char* row = s.rows.data + r * s.rows.stride
    if s.bits == 8:
        return (<const uint8_t*>row)[k - r * s.ncols]
    return (<const uint16_t*>row)[k - r * s.ncols]


cdef inline void _store(Source* s, Py_ssize_t k, int64_t v) noexcept nogil:
    if s.out_bits == 8:
        (<uint8_t*>s.out)[k] = <uint8_t>v
    else:
        (<uint16_t*>s.out)[k] = <uint16_t>v


# -- apply_lut ---------------------------------------------------------------

cdef inline Py_ssize_t _lut_index(int64_t v, int64_t first, Py_ssize_t n) noexcept nogil:
    cdef int64_t j = v - first
    if j < 0:
        return 0
    if j >= n:
        return n - 1
    return <Py_ssize_t>j


cdef inline int64_t _lut_entry(const char* lut, bint lut16, Py_ssize_t j) noexcept nogil:
    if lut16:
        return (<const uint16_t*>lut)[j]
    return (<const uint8_t*>lut)[j]


def apply_lut(src, lut, out, *, first_mapped=0):
    """Map every pixel of ``src`` through ``lut`` into ``out``; returns ``out``.

    ``src``: uint8, int8, uint16 or int16, C-contiguous (any shape) or 2-D with
    contiguous rows. ``lut``: 1-D C-contiguous uint8 or uint16, any length >= 1
    (a LUT Descriptor's 0 entries means 65536). ``out``: uint8 or uint16,
    C-contiguous, same shape; may be ``src`` itself when the element sizes
    match. ``first_mapped`` is the LUT Descriptor's second value, the first
    stored pixel value mapped (PS3.3 C.11.1.1/C.11.2.1.1): pixel ``v`` reads
    entry ``v - first_mapped``, clamped to the table, so values below the first
    mapped value take the first entry and values past the end take the last.
    For signed input the descriptor value is signed; a value 32768..65535 (the
    same 16 bits read as US) is taken as its two's complement.

    A uint16 LUT may write a uint8 ``out`` only if all its entries fit in 8 bits
    (checked; ``ValueError`` otherwise), never by silent truncation.
    """
    cdef Source s
    cdef cnp.ndarray table_arr = as_array(lut, "lut")
    cdef int lt = cnp.PyArray_TYPE(table_arr)
    cdef bint lut16
    cdef Py_ssize_t n, i, k, npix, size, lutbytes
    cdef int64_t first, biggest = 0
    cdef const char* lutp
    cdef char* table
    _source(src, out, &s)
    if lt == cnp.NPY_UINT8:
        lut16 = False
    elif lt == cnp.NPY_UINT16:
        lut16 = True
    else:
        raise TypeError(f"lut must be uint8 or uint16, not {table_arr.dtype}")
    if cnp.PyArray_NDIM(table_arr) != 1 or not cnp.PyArray_IS_C_CONTIGUOUS(table_arr):
        raise ValueError("lut must be a 1-D C-contiguous array")
    n = cnp.PyArray_DIMS(table_arr)[0]
    if n == 0:
        raise ValueError("lut is empty")
    try:
        first = first_mapped
    except OverflowError:
        raise ValueError(f"first_mapped {first_mapped!r} is out of range") from None
    if s.signed and s.bits == 16 and 32768 <= first <= 65535:
        first -= 65536
    if s.signed and s.bits == 8 and 128 <= first <= 255:
        first -= 256
    lutp = <const char*>cnp.PyArray_DATA(table_arr)
    if lut16 and s.out_bits == 8:
        with nogil:
            for i in range(n):
                if (<const uint16_t*>lutp)[i] > biggest:
                    biggest = (<const uint16_t*>lutp)[i]
        if biggest > 255:
            raise ValueError(f"lut holds values up to {biggest}, which do not fit the uint8 out")
    npix = _npix(&s)
    size = (<Py_ssize_t>1) << s.bits
    if npix * 4 < size:
        # Small image: map each pixel directly (same arithmetic as the table).
        with nogil:
            for k in range(npix):
                i = _pixel_index(&s, k)
                _store(&s, k, _lut_entry(lutp, lut16, _lut_index(_value(&s, i), first, n)))
        return out
    lutbytes = n * (2 if lut16 else 1)
    if (not s.signed and first == 0 and n >= size and lut16 == (s.out_bits == 16)
            and (lutp + lutbytes <= s.out or s.out + npix * (s.out_bits // 8) <= lutp)):
        # The LUT already is the table (entry v for every value v, the output
        # type): look up in it directly instead of copying it first (about
        # 0.1 ms for 64K entries). Not when it overlaps out, which the pixel
        # loop writes.
        with nogil:
            _apply_table(&s, lutp)
        return out
    table = scratch(size * 2, _SLOT)
    with nogil:
        for i in range(size):
            k = _lut_index(_value(&s, i), first, n)
            if s.out_bits == 8:
                (<uint8_t*>table)[i] = <uint8_t>_lut_entry(lutp, lut16, k)
            else:
                (<uint16_t*>table)[i] = <uint16_t>_lut_entry(lutp, lut16, k)
        _apply_table(&s, table)
    return out


# -- window_level ------------------------------------------------------------

cdef struct Window:
    int function
    double slope, intercept
    double c, w
    double c1, w1          # LINEAR: c - 0.5 and w - 1
    double lo, hi          # below lo -> 0, above hi -> ymax
    double ymax
    int64_t imax
    bint invert


cdef inline int64_t _window(Window* win, int64_t v) noexcept nogil:
    """One stored value through rescale, the VOI function, rounding and inversion.

    Written expression for expression like the numpy reference (and PS3.3
    C.11.2.1.2.1 / C.11.2.1.3.1 / C.11.2.1.3.2), so that the two agree bit for
    bit. ymin is 0, kept in the formulas as the standard writes them.
    """
    cdef double x = <double>v * win.slope + win.intercept
    cdef double y
    cdef int64_t q
    if win.function == SIGMOID:
        y = (win.ymax - 0.0) / (1.0 + exp(-4.0 * (x - win.c) / win.w)) + 0.0
    elif x <= win.lo:
        y = 0.0
    elif x > win.hi:
        y = win.ymax
    elif win.function == LINEAR:
        y = ((x - win.c1) / win.w1 + 0.5) * (win.ymax - 0.0) + 0.0
    else:
        y = ((x - win.c) / win.w + 0.5) * (win.ymax - 0.0) + 0.0
    # Round half up: y is clamped to [0, ymax] first, so truncating y + 0.5
    # is floor(y + 0.5).
    if y < 0.0:
        y = 0.0
    elif y > win.ymax:
        y = win.ymax
    q = <int64_t>(y + 0.5)
    if win.invert:
        return win.imax - q
    return q


# -- window/level as a ramp (the AVX2 variant) -------------------------------
#
# For LINEAR and LINEAR_EXACT the table is a staircase: every IEEE operation of
# _window is monotonic in v, so the table only ever rises (or, with a negative
# slope or inversion, only falls), and it has at most 2**bits_out levels. Such
# a staircase is often exactly a fixed-point line
#     U(k) = L0 + ((clamp(k - v0, 0, r) * a + b) >> shift)
# for integers a, b that we can search for: each level j that first appears at
# k = bp[j] gives the two linear constraints "the line has reached j at bp[j]
# and not at bp[j] - 1". When a and b exist, the pixels are computed with
# eight 32-bit lanes of arithmetic instead of one table load each; when they do
# not (a few tie patterns of the double arithmetic, SIGMOID, too many levels),
# the table is used. Either way the output is the table's, bit for bit: the
# constraints are the table's own staircase, not an approximation of it.

DEF _MAX_RAMP_LEVELS = 1024


cdef inline int64_t _ordered(Window* win, Source* s, Py_ssize_t k, uint16_t bias,
                             bint flip) noexcept nogil:
    """The staircase at ordered index k (signed input: k = v + 32768), made rising."""
    cdef int64_t t = _window(win, _value(s, k ^ bias))
    return win.imax - t if flip else t


cdef inline int64_t _gap(const int32_t* bp, int64_t levels, int64_t v0, int64_t r,
                         int shift, int64_t a, int64_t* b_out) noexcept nogil:
    """How much room the constraints leave for b given a (< 0: none); b_out = lowest b."""
    cdef int64_t lo = 0
    cdef int64_t hi = ((levels + 1) << shift) - 1 - a * r
    cdef int64_t j, n, d, bound
    for j in range(levels):
        n = (j + 1) << shift
        d = bp[j] - v0
        bound = n - a * d
        if bound > lo:
            lo = bound
        bound = n - 1 - a * (d - 1)
        if bound < hi:
            hi = bound
    b_out[0] = lo
    return hi - lo


cdef bint _fit_ramp(Window* win, Source* s, hcs_ramp* ramp) noexcept nogil:
    """Find the fixed-point line equal to the 16-bit table, if there is one."""
    cdef uint16_t bias = 0x8000 if s.signed else 0
    cdef bint flip
    cdef int64_t first, last, l0, l1, levels, lo_k, hi_k, mid, k, u, prev, j
    cdef int64_t v0, r, a_lo, a_hi, m1, m2, b = 0, best_a, g
    cdef int shift
    cdef int32_t bp[_MAX_RAMP_LEVELS]
    if win.function == SIGMOID:
        return False
    first = _window(win, _value(s, 0 ^ bias))
    last = _window(win, _value(s, 0xFFFF ^ bias))
    flip = first > last
    l0 = _ordered(win, s, 0, bias, flip)
    l1 = _ordered(win, s, 0xFFFF, bias, flip)
    levels = l1 - l0
    if levels > _MAX_RAMP_LEVELS:
        return False
    ramp.bias = bias
    ramp.sign = -1 if flip else 1
    ramp.base = <int32_t>(win.imax - l0 if flip else l0)
    if levels == 0:
        ramp.v0 = 0
        ramp.r = 0
        ramp.a = 0
        ramp.b = 0
        ramp.shift = 0
        return True
    # The first index above the bottom level and the first on the top level.
    lo_k = 1
    hi_k = 0xFFFF
    while lo_k < hi_k:
        mid = (lo_k + hi_k) // 2
        if _ordered(win, s, mid, bias, flip) > l0:
            hi_k = mid
        else:
            lo_k = mid + 1
    v0 = lo_k - 1
    hi_k = 0xFFFF
    while lo_k < hi_k:
        mid = (lo_k + hi_k) // 2
        if _ordered(win, s, mid, bias, flip) >= l1:
            hi_k = mid
        else:
            lo_k = mid + 1
    r = lo_k - v0
    # Where each level starts (a jump of several levels gives them one index).
    prev = l0
    for k in range(v0 + 1, v0 + r + 1):
        u = _ordered(win, s, k, bias, flip)
        if u < prev or u > l1:
            return False  # not a staircase after all: the table it is
        for j in range(prev + 1, u + 1):
            bp[j - l0 - 1] = <int32_t>k
        prev = u
    if prev != l1:
        return False
    shift = 32
    k = levels
    while k:
        shift -= 1
        k >>= 1
    # The room for b is a concave function of a (a minimum of lines minus a
    # maximum of lines): ternary search for its best integer a.
    a_lo = 0
    a_hi = (((levels + 1) << shift) - 1) // r
    while a_hi - a_lo > 2:
        m1 = a_lo + (a_hi - a_lo) // 3
        m2 = a_hi - (a_hi - a_lo) // 3
        if _gap(bp, levels, v0, r, shift, m1, &b) < _gap(bp, levels, v0, r, shift, m2, &b):
            a_lo = m1 + 1
        else:
            a_hi = m2
    for best_a in range(a_lo, a_hi + 1):
        g = _gap(bp, levels, v0, r, shift, best_a, &b)
        if g >= 0:
            ramp.v0 = <int32_t>v0
            ramp.r = <int32_t>r
            ramp.a = <uint32_t>best_a
            ramp.b = <uint32_t>b
            ramp.shift = shift
            return True
    return False


cdef void _apply_ramp(Source* s, hcs_ramp* ramp) noexcept nogil:
    cdef Py_ssize_t r
    cdef Py_ssize_t n = s.ncols
    cdef Py_ssize_t outrow = n * (s.out_bits // 8)
    for r in range(s.rows.nrows):
        hcs_ramp_row_avx2(<const uint16_t*>(s.rows.data + r * s.rows.stride),
                          s.out + r * outrow, n, s.out_bits == 16, ramp)


def window_level(src, center, width, out, *, function="LINEAR", slope=1.0,
                 intercept=0.0, invert=False, bits_out=8):
    """Rescale, window and round ``src`` into ``out``; returns ``out``.

    Each stored value ``v`` becomes ``x = v * slope + intercept`` (the Modality
    rescale), then ``y`` by the VOI LUT function ``LINEAR``, ``LINEAR_EXACT``
    or ``SIGMOID`` of PS3.3 C.11.2.1.2/C.11.2.1.3 with output range
    ``0 .. 2**bits_out - 1``, then ``floor(y + 0.5)`` (round half up), then,
    if ``invert``, ``ymax - that``. Inversion is what MONOCHROME1 input, REVERSE
    polarity and an INVERSE presentation LUT shape each ask for; pass
    ``invert=True`` when an odd number of them apply (see ``needs_inversion``).

    ``src``: uint8, int8, uint16 or int16 (C-contiguous, or 2-D with contiguous
    rows). ``out``: uint8 (``bits_out`` <= 8) or uint16, C-contiguous, same
    shape. ``width`` must be >= 1 for LINEAR and > 0 otherwise; all numbers
    finite. ``bits_out`` 1..16, e.g. 12 to print 12-bit.
    """
    cdef Source s
    cdef Window win
    cdef hcs_ramp ramp
    cdef bint found = False
    cdef Py_ssize_t size, i, k, npix
    cdef char* table
    _source(src, out, &s)
    try:
        win.function = _FUNCTIONS[str(function).upper()]
    except KeyError:
        raise ValueError(
            f"function must be LINEAR, LINEAR_EXACT or SIGMOID, not {function!r}"
        ) from None
    win.c = center
    win.w = width
    win.slope = slope
    win.intercept = intercept
    if not (isfinite(win.c) and isfinite(win.w) and isfinite(win.slope)
            and isfinite(win.intercept)):
        raise ValueError("center, width, slope and intercept must be finite numbers")
    if win.function == LINEAR and not win.w >= 1.0:
        raise ValueError(f"a LINEAR window needs width >= 1, not {width}")
    if win.function != LINEAR and not win.w > 0.0:
        raise ValueError(f"a {function} window needs width > 0, not {width}")
    if not isinstance(bits_out, int) or not 1 <= bits_out <= 16:
        raise ValueError(f"bits_out must be an integer 1..16, not {bits_out!r}")
    if bits_out > s.out_bits:
        raise TypeError(f"bits_out={bits_out} needs a uint16 out")
    win.imax = ((<int64_t>1) << bits_out) - 1
    win.ymax = <double>win.imax
    win.invert = bool(invert)
    win.c1 = win.c - 0.5
    win.w1 = win.w - 1.0
    if win.function == LINEAR:
        win.lo = win.c1 - win.w1 / 2.0
        win.hi = win.c1 + win.w1 / 2.0
    else:
        win.lo = win.c - win.w / 2.0
        win.hi = win.c + win.w / 2.0
    npix = _npix(&s)
    size = (<Py_ssize_t>1) << s.bits
    global _last_window_path
    if npix * 4 < size:
        _last_window_path = 0
        with nogil:
            for k in range(npix):
                _store(&s, k, _window(&win, _value(&s, _pixel_index(&s, k))))
        return out
    if _use_avx2 and s.bits == 16 and _LITTLE_ENDIAN:
        with nogil:
            found = _fit_ramp(&win, &s, &ramp)
            if found:
                _apply_ramp(&s, &ramp)
        if found:
            _last_window_path = 2
            return out
    _last_window_path = 1
    table = scratch(size * 2, _SLOT)
    with nogil:
        for i in range(size):
            if s.out_bits == 8:
                (<uint8_t*>table)[i] = <uint8_t>_window(&win, _value(&s, i))
            else:
                (<uint16_t*>table)[i] = <uint16_t>_window(&win, _value(&s, i))
        _apply_table(&s, table)
    return out


def needs_inversion(photometric="MONOCHROME2", polarity="NORMAL", presentation_shape="IDENTITY"):
    """Whether the pipeline must invert: an odd number of the three ask for it.

    MONOCHROME1 stores white as the minimum, REVERSE polarity (PS3.4 H.2.1.2)
    asks for the opposite of the photometric interpretation, and the INVERSE
    presentation LUT shape inverts again. Two of them cancel.
    """
    flips = 0
    flips += str(photometric).upper() == "MONOCHROME1"
    flips += str(polarity).upper() == "REVERSE"
    flips += str(presentation_shape).upper() == "INVERSE"
    return flips % 2 == 1
