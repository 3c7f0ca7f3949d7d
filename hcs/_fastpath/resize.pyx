# distutils: extra_compile_args = -ffp-contract=off
"""Magnification of 8-bit gray and RGB images into an image box.

Methods (the Magnification Type terms of PS3.3 C.13):

REPLICATE  magnifying: pixel replication. Output pixel ``o`` takes source
           pixel ``floor((o + 0.5) * n_in / n_out)`` (the one under its
           centre); an integer factor k repeats each pixel k times.
           shrinking: area averaging (each output is the mean of the source
           area it covers, partial pixels weighted by coverage).
BILINEAR   the triangle filter; magnifying it is bilinear interpolation
           between the two nearest pixel centres, shrinking it is the
           triangle stretched by the factor (a proper low-pass filter, as
           Pillow does; OpenCV's INTER_LINEAR does not filter and aliases).
CUBIC      the Keys cubic convolution kernel with a = -0.5 (Catmull-Rom),
           support 2, stretched by the factor when shrinking.
NONE       no scaling: the image is centred in the box, cropped where it is
           larger and padded with ``fill`` where it is smaller.

Geometry: pixel centres are aligned (source coordinate of output pixel ``o``
is ``(o + 0.5) * n_in / n_out - 0.5``); taps that fall outside the image take
the edge pixel. Rows and columns are independent (separable), each axis by
its own factor, so a box of another aspect ratio stretches the image.

Arithmetic: integer fixed point, so results are exact and the same on every
build and machine (docs/kernels.md gives the formulas the tests check):

* per axis, the filter weights of each output pixel are quantised to
  integers summing to exactly 2**14 (by rounding the running sum, so no
  weight is off by more than one unit);
* the first pass keeps 6 fraction bits: ``mid = sat16((sum p*w + 128) >> 8)``;
* the pass order is chosen per call. Rows magnified: horizontal first, each
  source row resampled once into a small ring of rows, then the vertical pass
  ``out = sat8((sum (mid*w >> 16) + 8) >> 4)``, one SSE2 ``pmulhw`` per tap.
  Rows shrunk: vertical first (all the taps of an output row), then the
  horizontal pass ``out = sat8((sum mid*w + 2**19) >> 20)``. When shrinking
  by 2 or more, the rows are first box-reduced (exact sums, value * 128) and
  the vertical pass is ``mid = sat16(sum (h*w >> 16))`` (value * 32, one
  ``pmulhw`` per tap), then ``out = sat8((sum mid*w + 2**18) >> 19)``.

The inner loops are SSE2 (part of every x86-64 CPU, so the default build
stays portable) with plain C fallbacks of identical arithmetic; build with
``-DHCS_NO_SIMD`` to use the fallbacks everywhere. Output buffers are caller
provided and only need contiguous rows, so an image can be resampled straight
into its box inside a film buffer.
"""

import numpy as np

cimport numpy as cnp
from libc.math cimport floor
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint16_t
from libc.string cimport memcpy, memset

from hcs._fastpath._common cimport (
    Rows,
    check_writeable,
    rows_overlap,
    scratch,
    uint8_image,
)

cnp.import_array()

cdef extern from *:
    """
    /* Inner loops of hcs._fastpath.resize: SSE2 with scalar fallbacks that
       compute the same integers. Arithmetic right shifts of negative values
       are assumed (gcc, clang and msvc all do that). */
    #include <stdint.h>
    #include <string.h>
    #if defined(__SSE2__) && !defined(HCS_NO_SIMD)
    #include <emmintrin.h>
    #define HCS_SSE2 1
    #else
    #define HCS_SSE2 0
    #endif
    #if defined(__AVX2__)
    #define HCS_AVX2 1           /* a -march=native build on an AVX2 machine */
    #else
    #define HCS_AVX2 0
    #endif
    #if defined(__GNUC__)
    #define HCS_INLINE static inline __attribute__((always_inline))
    #else
    #define HCS_INLINE static inline
    #endif

    static inline int16_t hcs_sat16(int32_t v) {
        return (int16_t)(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
    }
    static inline uint8_t hcs_sat8(int32_t v) {
        return (uint8_t)(v > 255 ? 255 : (v < 0 ? 0 : v));
    }

    /* Pass 1, horizontal: uint8 row (C channels) -> int16 row, value * 64.
       Taps of output o: src pixels start[o] .. start[o] + K - 1, weights
       w[o*ws .. o*ws + K - 1]. Returns nothing; handles outputs [o0, o1). */
    static void hcs_h1_scalar(const uint8_t *src, int16_t *mid, const int32_t *start,
                              const int16_t *w, Py_ssize_t ws, Py_ssize_t K, int C,
                              Py_ssize_t o0, Py_ssize_t o1) {
        for (Py_ssize_t o = o0; o < o1; o++) {
            const uint8_t *p = src + (Py_ssize_t)start[o] * C;
            const int16_t *q = w + o * ws;
            for (int c = 0; c < C; c++) {
                int32_t acc = 128;
                for (Py_ssize_t k = 0; k < K; k++) acc += (int32_t)p[k * C + c] * q[k];
                mid[o * C + c] = hcs_sat16(acc >> 8);
            }
        }
    }

    #define HCS_ROUND1 128
    /* gray, 2 taps, 8 outputs a step: the pairs are gathered with pinsrw
       and multiplied-and-added with pmaddwd against the interleaved weights. */
    static Py_ssize_t hcs_h1_gray2(const uint8_t *src, int16_t *mid, const int32_t *start,
                                   const int16_t *w, Py_ssize_t n_out) {
        Py_ssize_t o = 0;
    #if HCS_SSE2
        const __m128i zero = _mm_setzero_si128(), round = _mm_set1_epi32(HCS_ROUND1);
        for (; o + 8 <= n_out; o += 8) {
            uint16_t t0, t1, t2, t3, t4, t5, t6, t7;
            memcpy(&t0, src + start[o], 2); memcpy(&t1, src + start[o + 1], 2);
            memcpy(&t2, src + start[o + 2], 2); memcpy(&t3, src + start[o + 3], 2);
            memcpy(&t4, src + start[o + 4], 2); memcpy(&t5, src + start[o + 5], 2);
            memcpy(&t6, src + start[o + 6], 2); memcpy(&t7, src + start[o + 7], 2);
            __m128i v = _mm_cvtsi32_si128(t0);
            v = _mm_insert_epi16(v, t1, 1); v = _mm_insert_epi16(v, t2, 2);
            v = _mm_insert_epi16(v, t3, 3); v = _mm_insert_epi16(v, t4, 4);
            v = _mm_insert_epi16(v, t5, 5); v = _mm_insert_epi16(v, t6, 6);
            v = _mm_insert_epi16(v, t7, 7);
            __m128i a = _mm_madd_epi16(_mm_unpacklo_epi8(v, zero),
                                       _mm_loadu_si128((const __m128i *)(w + 2 * o)));
            __m128i b = _mm_madd_epi16(_mm_unpackhi_epi8(v, zero),
                                       _mm_loadu_si128((const __m128i *)(w + 2 * o + 8)));
            a = _mm_srai_epi32(_mm_add_epi32(a, round), 8);
            b = _mm_srai_epi32(_mm_add_epi32(b, round), 8);
            _mm_storeu_si128((__m128i *)(mid + o), _mm_packs_epi32(a, b));
        }
    #endif
        return o;
    }

    /* gray, 4 taps, 4 outputs a step. */
    static Py_ssize_t hcs_h1_gray4(const uint8_t *src, int16_t *mid, const int32_t *start,
                                   const int16_t *w, Py_ssize_t n_out) {
        Py_ssize_t o = 0;
    #if HCS_SSE2
        const __m128i zero = _mm_setzero_si128(), round = _mm_set1_epi32(HCS_ROUND1);
        for (; o + 4 <= n_out; o += 4) {
            int32_t q0, q1, q2, q3;
            memcpy(&q0, src + start[o], 4); memcpy(&q1, src + start[o + 1], 4);
            memcpy(&q2, src + start[o + 2], 4); memcpy(&q3, src + start[o + 3], 4);
            __m128i v = _mm_set_epi32(q3, q2, q1, q0);
            __m128i s0 = _mm_madd_epi16(_mm_unpacklo_epi8(v, zero),
                                        _mm_loadu_si128((const __m128i *)(w + 4 * o)));
            __m128i s1 = _mm_madd_epi16(_mm_unpackhi_epi8(v, zero),
                                        _mm_loadu_si128((const __m128i *)(w + 4 * o + 8)));
            __m128 ev = _mm_shuffle_ps(_mm_castsi128_ps(s0), _mm_castsi128_ps(s1),
                                       _MM_SHUFFLE(2, 0, 2, 0));
            __m128 od = _mm_shuffle_ps(_mm_castsi128_ps(s0), _mm_castsi128_ps(s1),
                                       _MM_SHUFFLE(3, 1, 3, 1));
            __m128i s = _mm_add_epi32(_mm_castps_si128(ev), _mm_castps_si128(od));
            s = _mm_srai_epi32(_mm_add_epi32(s, round), 8);
            _mm_storel_epi64((__m128i *)(mid + o), _mm_packs_epi32(s, s));
        }
    #endif
        return o;
    }

    /* RGB, 2 taps, one output pixel a step. Bytes R0 G0 B0 R1 G1 B1 become
       pairs R0 R1 G0 G1 B0 B1 by one shift and one unpack; one pmaddwd gives
       R, G, B (and a junk lane, stored one element past the pixel, where the
       next pixel or the row padding takes it). Stops where the 8-byte read
       would pass the end of the source row. */
    static Py_ssize_t hcs_h1_rgb2(const uint8_t *src, int16_t *mid, const int32_t *start,
                                  const int16_t *w, Py_ssize_t n_out, Py_ssize_t n_in) {
        Py_ssize_t o = 0;
    #if HCS_SSE2
        const __m128i zero = _mm_setzero_si128(), round = _mm_set1_epi32(HCS_ROUND1);
        for (; o < n_out && 3 * (Py_ssize_t)start[o] + 8 <= 3 * n_in; o++) {
            __m128i v = _mm_unpacklo_epi8(
                _mm_loadl_epi64((const __m128i *)(src + 3 * (Py_ssize_t)start[o])), zero);
            __m128i p = _mm_unpacklo_epi16(v, _mm_srli_si128(v, 6));
            int32_t wp;
            memcpy(&wp, w + 2 * o, 4);
            __m128i s = _mm_madd_epi16(p, _mm_set1_epi32(wp));
            s = _mm_srai_epi32(_mm_add_epi32(s, round), 8);
            _mm_storel_epi64((__m128i *)(mid + 3 * o), _mm_packs_epi32(s, s));
        }
    #endif
        return o;
    }

    /* RGB, 4 taps, one output pixel a step (16-byte read, same idea). */
    static Py_ssize_t hcs_h1_rgb4(const uint8_t *src, int16_t *mid, const int32_t *start,
                                  const int16_t *w, Py_ssize_t n_out, Py_ssize_t n_in) {
        Py_ssize_t o = 0;
    #if HCS_SSE2
        const __m128i zero = _mm_setzero_si128(), round = _mm_set1_epi32(HCS_ROUND1);
        for (; o < n_out && 3 * (Py_ssize_t)start[o] + 16 <= 3 * n_in; o++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(src + 3 * (Py_ssize_t)start[o]));
            __m128i lo = _mm_unpacklo_epi8(v, zero);       /* R0 G0 B0 R1 G1 B1 R2 G2 */
            __m128i hi = _mm_unpackhi_epi8(v, zero);       /* B2 R3 G3 B3 . . . .     */
            __m128i p01 = _mm_unpacklo_epi16(lo, _mm_srli_si128(lo, 6));
            __m128i t = _mm_or_si128(_mm_srli_si128(lo, 12), _mm_slli_si128(hi, 4));
            __m128i p23 = _mm_unpacklo_epi16(t, _mm_srli_si128(t, 6));
            int32_t w01, w23;
            memcpy(&w01, w + 4 * o, 4);
            memcpy(&w23, w + 4 * o + 2, 4);
            __m128i s = _mm_add_epi32(_mm_madd_epi16(p01, _mm_set1_epi32(w01)),
                                      _mm_madd_epi16(p23, _mm_set1_epi32(w23)));
            s = _mm_srai_epi32(_mm_add_epi32(s, round), 8);
            _mm_storel_epi64((__m128i *)(mid + 3 * o), _mm_packs_epi32(s, s));
        }
    #endif
        return o;
    }

    /* Pass 1, horizontal, any case: the SIMD part where there is one, then C. */
    static void hcs_h1(const uint8_t *src, int16_t *mid, const int32_t *start, const int16_t *w,
                       Py_ssize_t ws, Py_ssize_t K, int C, Py_ssize_t n_out, Py_ssize_t n_in) {
        Py_ssize_t o = 0;
        if (C == 1 && K == 2 && ws == 2) o = hcs_h1_gray2(src, mid, start, w, n_out);
        else if (C == 1 && K == 4 && ws == 4) o = hcs_h1_gray4(src, mid, start, w, n_out);
        else if (C == 3 && K == 2 && ws == 2) o = hcs_h1_rgb2(src, mid, start, w, n_out, n_in);
        else if (C == 3 && K == 4 && ws == 4) o = hcs_h1_rgb4(src, mid, start, w, n_out, n_in);
        hcs_h1_scalar(src, mid, start, w, ws, K, C, o, n_out);
    }

    /* Pass 2, vertical (rows magnified): K <= 4 int16 rows -> uint8 row,
       out = sat8((8 + sum_j (mid_j * w_j >> 16)) >> 4), one pmulhw per tap. */
    HCS_INLINE void hcs_v2_k(int16_t *const *rows, const int16_t *q, const int K,
                             uint8_t *dst, Py_ssize_t n) {
        Py_ssize_t x = 0;
    #if HCS_SSE2
        __m128i wv[4];
        for (int j = 0; j < K; j++) wv[j] = _mm_set1_epi16(q[j]);
        const __m128i eight = _mm_set1_epi16(8);
        for (; x + 16 <= n; x += 16) {
            __m128i a = eight, b = eight;
            for (int j = 0; j < K; j++) {
                a = _mm_add_epi16(a, _mm_mulhi_epi16(
                    _mm_loadu_si128((const __m128i *)(rows[j] + x)), wv[j]));
                b = _mm_add_epi16(b, _mm_mulhi_epi16(
                    _mm_loadu_si128((const __m128i *)(rows[j] + x + 8)), wv[j]));
            }
            _mm_storeu_si128((__m128i *)(dst + x),
                             _mm_packus_epi16(_mm_srai_epi16(a, 4), _mm_srai_epi16(b, 4)));
        }
    #endif
        for (; x < n; x++) {
            int32_t acc = 8;
            for (int j = 0; j < K; j++) acc += ((int32_t)rows[j][x] * q[j]) >> 16;
            dst[x] = hcs_sat8(acc >> 4);
        }
    }

    static void hcs_v2(int16_t *const *rows, const int16_t *q, Py_ssize_t K, uint8_t *dst,
                       Py_ssize_t n) {
        switch (K) {
        case 1: hcs_v2_k(rows, q, 1, dst, n); break;
        case 2: hcs_v2_k(rows, q, 2, dst, n); break;
        case 3: hcs_v2_k(rows, q, 3, dst, n); break;
        default: hcs_v2_k(rows, q, 4, dst, n); break;
        }
    }

    /* Pass 1, vertical (rows shrunk): K uint8 rows -> int16 row, value * 64,
       mid = sat16((128 + sum_j p_j * w_j) >> 8). Two rows a step: their bytes
       interleaved, widened, and pmaddwd against the weight pair. */
    static void hcs_v1(const uint8_t *const *rows, const int16_t *q, Py_ssize_t K,
                       int16_t *mid, Py_ssize_t n) {
        Py_ssize_t x = 0;
    #if HCS_SSE2
        const __m128i zero = _mm_setzero_si128(), round = _mm_set1_epi32(HCS_ROUND1);
        for (; x + 16 <= n; x += 16) {
            __m128i s0 = round, s1 = round, s2 = round, s3 = round;
            for (Py_ssize_t j = 0; j < K; j += 2) {
                const uint8_t *rb = j + 1 < K ? rows[j + 1] : rows[j];
                int32_t qb = j + 1 < K ? q[j + 1] : 0;
                __m128i wab = _mm_set1_epi32((int32_t)((uint32_t)(uint16_t)q[j]
                                                       | ((uint32_t)(uint16_t)qb << 16)));
                __m128i a = _mm_loadu_si128((const __m128i *)(rows[j] + x));
                __m128i b = _mm_loadu_si128((const __m128i *)(rb + x));
                __m128i lo = _mm_unpacklo_epi8(a, b), hi = _mm_unpackhi_epi8(a, b);
                s0 = _mm_add_epi32(s0, _mm_madd_epi16(_mm_unpacklo_epi8(lo, zero), wab));
                s1 = _mm_add_epi32(s1, _mm_madd_epi16(_mm_unpackhi_epi8(lo, zero), wab));
                s2 = _mm_add_epi32(s2, _mm_madd_epi16(_mm_unpacklo_epi8(hi, zero), wab));
                s3 = _mm_add_epi32(s3, _mm_madd_epi16(_mm_unpackhi_epi8(hi, zero), wab));
            }
            _mm_storeu_si128((__m128i *)(mid + x),
                             _mm_packs_epi32(_mm_srai_epi32(s0, 8), _mm_srai_epi32(s1, 8)));
            _mm_storeu_si128((__m128i *)(mid + x + 8),
                             _mm_packs_epi32(_mm_srai_epi32(s2, 8), _mm_srai_epi32(s3, 8)));
        }
    #endif
        for (; x < n; x++) {
            int32_t acc = 128;
            for (Py_ssize_t j = 0; j < K; j++) acc += (int32_t)rows[j][x] * q[j];
            mid[x] = hcs_sat16(acc >> 8);
        }
    }

    /* Pass 2, horizontal (rows shrunk), one row, plain C:
       out = sat8((2**(shift-1) + sum_k mid_k * w_k) >> shift), shift 20 for
       mid = value * 64, 19 for value * 32. */
    static void hcs_h2(const int16_t *mid, uint8_t *dst, const int32_t *start, const int16_t *w,
                       Py_ssize_t ws, Py_ssize_t K, int C, Py_ssize_t n_out, int shift) {
        for (Py_ssize_t o = 0; o < n_out; o++) {
            const int16_t *p = mid + (Py_ssize_t)start[o] * C;
            const int16_t *q = w + o * ws;
            for (int c = 0; c < C; c++) {
                int32_t acc = (int32_t)1 << (shift - 1);
                for (Py_ssize_t k = 0; k < K; k++) acc += (int32_t)p[k * C + c] * q[k];
                dst[o * C + c] = hcs_sat8(acc >> shift);
            }
        }
    }

    /* The same pass for a block of 8 rows at once (SSE2). A horizontal filter
       needs a gather per output; across 8 rows it becomes a vertical one:
       the 8 mid rows are transposed so that one vector holds one column of
       all 8 rows, each output column is then a few pmaddwd on pairs of such
       vectors, and the 8 output bytes of 8 columns are transposed back into
       the 8 rows. RGB needs nothing special: channel c of pixel i is just
       column 3i + c. Rows past nrows are computed from copies and not stored. */
    #if HCS_SSE2
    HCS_INLINE void hcs_tr8x16(__m128i *r) {
        __m128i a0 = _mm_unpacklo_epi16(r[0], r[1]), a1 = _mm_unpackhi_epi16(r[0], r[1]);
        __m128i a2 = _mm_unpacklo_epi16(r[2], r[3]), a3 = _mm_unpackhi_epi16(r[2], r[3]);
        __m128i a4 = _mm_unpacklo_epi16(r[4], r[5]), a5 = _mm_unpackhi_epi16(r[4], r[5]);
        __m128i a6 = _mm_unpacklo_epi16(r[6], r[7]), a7 = _mm_unpackhi_epi16(r[6], r[7]);
        __m128i b0 = _mm_unpacklo_epi32(a0, a2), b1 = _mm_unpackhi_epi32(a0, a2);
        __m128i b2 = _mm_unpacklo_epi32(a1, a3), b3 = _mm_unpackhi_epi32(a1, a3);
        __m128i b4 = _mm_unpacklo_epi32(a4, a6), b5 = _mm_unpackhi_epi32(a4, a6);
        __m128i b6 = _mm_unpacklo_epi32(a5, a7), b7 = _mm_unpackhi_epi32(a5, a7);
        r[0] = _mm_unpacklo_epi64(b0, b4); r[1] = _mm_unpackhi_epi64(b0, b4);
        r[2] = _mm_unpacklo_epi64(b1, b5); r[3] = _mm_unpackhi_epi64(b1, b5);
        r[4] = _mm_unpacklo_epi64(b2, b6); r[5] = _mm_unpackhi_epi64(b2, b6);
        r[6] = _mm_unpacklo_epi64(b3, b7); r[7] = _mm_unpackhi_epi64(b3, b7);
    }
    #endif

    /* The weights of the block pass as pmaddwd operands: for each output and
       each pair of taps (k, k+1), the pair repeated 4 times (16 bytes). */
    static void hcs_pair_weights(const int16_t *w, Py_ssize_t ws, Py_ssize_t K,
                                 Py_ssize_t n_out, int16_t *wb) {
        Py_ssize_t np = (K + 1) / 2;
        for (Py_ssize_t o = 0; o < n_out; o++)
            for (Py_ssize_t p = 0; p < np; p++)
                for (int i = 0; i < 4; i++) {
                    wb[((o * np + p) * 4 + i) * 2] = w[o * ws + 2 * p];
                    wb[((o * np + p) * 4 + i) * 2 + 1] = w[o * ws + 2 * p + 1];
                }
    }

    /* Where each output column of the block pass reads: for column j
       (channel j % C of output pixel j / C), cofs[2j] is the int16 offset of
       its first tap in the transposed block and cofs[2j + 1] the offset of its
       weight pairs in wb. Padded to a multiple of 8 columns with copies of
       the last one (computed, not stored). */
    static void hcs_col_offsets(const int32_t *start, Py_ssize_t K, int C, Py_ssize_t n_out,
                                int32_t *cofs) {
        Py_ssize_t nj = n_out * C, np = (K + 1) / 2, j = 0;
        for (; j < nj; j++) {
            Py_ssize_t o = j / C;
            cofs[2 * j] = (int32_t)(((Py_ssize_t)start[o] * C + j % C) * 8);
            cofs[2 * j + 1] = (int32_t)(o * np * 8);
        }
        for (; j % 8 != 0; j++) {
            cofs[2 * j] = cofs[2 * j - 2];
            cofs[2 * j + 1] = cofs[2 * j - 1];
        }
    }

    #if HCS_SSE2
    /* The output columns of a block, K taps (a constant where inlined). */
    HCS_INLINE void hcs_h2_cols(const int16_t *T, const int32_t *cofs, const int16_t *wb,
                                const int K, const Py_ssize_t step, Py_ssize_t nj, int shift,
                                uint8_t *const *dst, int nrows) {
        const __m128i round = _mm_set1_epi32((int32_t)1 << (shift - 1));
        const __m128i sh = _mm_cvtsi32_si128(shift), zero = _mm_setzero_si128();
        for (Py_ssize_t j0 = 0; j0 < nj; j0 += 8) {
            __m128i res[8];
            int cnt = nj - j0 < 8 ? (int)(nj - j0) : 8;
    #if defined(__GNUC__)
    #pragma GCC unroll 8
    #endif
            for (int u = 0; u < 8; u++) {
                const int16_t *col = T + cofs[2 * (j0 + u)];
                const __m128i *q = (const __m128i *)(wb + cofs[2 * (j0 + u) + 1]);
                __m128i s0 = round, s1 = round;
                int k = 0;
                for (; k + 1 < K; k += 2) {
                    __m128i a = _mm_loadu_si128((const __m128i *)(col + k * step));
                    __m128i b = _mm_loadu_si128((const __m128i *)(col + (k + 1) * step));
                    __m128i wv = _mm_load_si128(q + k / 2);
                    s0 = _mm_add_epi32(s0, _mm_madd_epi16(_mm_unpacklo_epi16(a, b), wv));
                    s1 = _mm_add_epi32(s1, _mm_madd_epi16(_mm_unpackhi_epi16(a, b), wv));
                }
                if (k < K) {   /* odd K: the pad tap's weight is 0, so pair with zeros */
                    __m128i a = _mm_loadu_si128((const __m128i *)(col + k * step));
                    __m128i wv = _mm_load_si128(q + k / 2);
                    s0 = _mm_add_epi32(s0, _mm_madd_epi16(_mm_unpacklo_epi16(a, zero), wv));
                    s1 = _mm_add_epi32(s1, _mm_madd_epi16(_mm_unpackhi_epi16(a, zero), wv));
                }
                __m128i v = _mm_packs_epi32(_mm_sra_epi32(s0, sh), _mm_sra_epi32(s1, sh));
                res[u] = _mm_packus_epi16(v, v);   /* byte i = row i */
            }
            /* 8 columns x 8 rows of bytes -> 8 rows x 8 columns */
            __m128i x0 = _mm_unpacklo_epi8(res[0], res[1]), x1 = _mm_unpacklo_epi8(res[2], res[3]);
            __m128i x2 = _mm_unpacklo_epi8(res[4], res[5]), x3 = _mm_unpacklo_epi8(res[6], res[7]);
            __m128i y0 = _mm_unpacklo_epi16(x0, x1), y1 = _mm_unpackhi_epi16(x0, x1);
            __m128i y2 = _mm_unpacklo_epi16(x2, x3), y3 = _mm_unpackhi_epi16(x2, x3);
            __m128i z[4] = {_mm_unpacklo_epi32(y0, y2), _mm_unpackhi_epi32(y0, y2),
                            _mm_unpacklo_epi32(y1, y3), _mm_unpackhi_epi32(y1, y3)};
            for (int i = 0; i < nrows; i++) {
                __m128i row = (i & 1) ? _mm_unpackhi_epi64(z[i >> 1], z[i >> 1]) : z[i >> 1];
                if (cnt == 8) {
                    _mm_storel_epi64((__m128i *)(dst[i] + j0), row);
                } else {
                    uint8_t b[16];
                    _mm_storeu_si128((__m128i *)b, row);
                    memcpy(dst[i] + j0, b, (size_t)cnt);
                }
            }
        }
    }
    #endif

    /* Returns 0 when it did nothing (no SSE2): the caller then runs hcs_h2 per row.
       wb: hcs_pair_weights of the axis (16-byte aligned); cofs: hcs_col_offsets. */
    static int hcs_h2_block(int16_t *const *M, Py_ssize_t n, int16_t *T, uint8_t *const *dst,
                            int nrows, const int32_t *cofs, const int16_t *wb,
                            Py_ssize_t K, int C, Py_ssize_t n_out, int shift) {
    #if HCS_SSE2
        for (Py_ssize_t x = 0; x < n; x += 8) {      /* rows are padded to a multiple of 8 */
            __m128i r[8];
            for (int i = 0; i < 8; i++) r[i] = _mm_loadu_si128((const __m128i *)(M[i] + x));
            hcs_tr8x16(r);
            for (int i = 0; i < 8; i++) _mm_storeu_si128((__m128i *)(T + (x + i) * 8), r[i]);
        }
        const Py_ssize_t nj = n_out * C, step = 8 * C;  /* step: one tap further */
        switch (K) {
        case 2: hcs_h2_cols(T, cofs, wb, 2, step, nj, shift, dst, nrows); break;
        case 3: hcs_h2_cols(T, cofs, wb, 3, step, nj, shift, dst, nrows); break;
        case 4: hcs_h2_cols(T, cofs, wb, 4, step, nj, shift, dst, nrows); break;
        case 5: hcs_h2_cols(T, cofs, wb, 5, step, nj, shift, dst, nrows); break;
        case 6: hcs_h2_cols(T, cofs, wb, 6, step, nj, shift, dst, nrows); break;
        default: hcs_h2_cols(T, cofs, wb, (int)K, step, nj, shift, dst, nrows); break;
        }
        return 1;
    #else
        (void)M; (void)n; (void)T; (void)dst; (void)nrows; (void)cofs; (void)wb;
        (void)K; (void)C; (void)n_out; (void)shift;
        return 0;
    #endif
    }

    /* Box pre-reduction (rows shrunk by 2 or more): the sum of ry source rows
       (uint8 -> uint16) ... */
    static void hcs_vsum(const uint8_t *const *rows, int ry, uint16_t *t, Py_ssize_t n) {
        Py_ssize_t x = 0;
    #if HCS_SSE2
        const __m128i zero = _mm_setzero_si128();
        for (; x + 16 <= n; x += 16) {
            __m128i lo = zero, hi = zero;
            for (int i = 0; i < ry; i++) {
                __m128i v = _mm_loadu_si128((const __m128i *)(rows[i] + x));
                lo = _mm_add_epi16(lo, _mm_unpacklo_epi8(v, zero));
                hi = _mm_add_epi16(hi, _mm_unpackhi_epi8(v, zero));
            }
            _mm_storeu_si128((__m128i *)(t + x), lo);
            _mm_storeu_si128((__m128i *)(t + x + 8), hi);
        }
    #endif
        for (; x < n; x++) {
            uint16_t s = 0;
            for (int i = 0; i < ry; i++) s = (uint16_t)(s + rows[i][x]);
            t[x] = s;
        }
    }

    /* ... then neighbouring pixels summed in pairs, in place (n pixels, n even).
       Sums stay below 2**15, so gray can use pmaddwd and RGB can add three
       16-bit lanes inside one 64-bit word without carries between lanes. */
    static void hcs_halve(uint16_t *t, Py_ssize_t n, int C) {
        Py_ssize_t j = 0, half = n / 2;
        if (C == 1) {
    #if HCS_SSE2
            const __m128i ones = _mm_set1_epi16(1);
            for (; j + 8 <= half; j += 8) {
                __m128i a = _mm_madd_epi16(_mm_loadu_si128((const __m128i *)(t + 2 * j)), ones);
                __m128i b = _mm_madd_epi16(_mm_loadu_si128((const __m128i *)(t + 2 * j + 8)), ones);
                _mm_storeu_si128((__m128i *)(t + j), _mm_packs_epi32(a, b));
            }
    #endif
            for (; j < half; j++) t[j] = (uint16_t)(t[2 * j] + t[2 * j + 1]);
        } else {
            for (; j + 1 < half; j++) {
                uint64_t a, b;
                memcpy(&a, t + 6 * j, 8);
                memcpy(&b, t + 6 * j + 3, 8);
                a += b;
                memcpy(t + 3 * j, &a, 8);   /* the 4th lane is junk, rewritten next */
            }
            for (; j < half; j++)
                for (int c = 0; c < 3; c++) t[3 * j + c] = (uint16_t)(t[6 * j + c] + t[6 * j + 3 + c]);
        }
    }

    /* t[x] = (sum of the ry rows at x) << shift, n bytes (sums < 2**16). */
    HCS_INLINE void hcs_vsum_shl(const uint8_t *const *rows, const int ry, uint16_t *t,
                                 Py_ssize_t n, int shift) {
        Py_ssize_t x = 0;
    #if HCS_SSE2
        const __m128i zero = _mm_setzero_si128(), sh = _mm_cvtsi32_si128(shift);
        const uint8_t *rp[8];   /* in registers: the stores to t could alias rows[] */
        for (int i = 0; i < ry && i < 8; i++) rp[i] = rows[i];
        for (; ry <= 8 && x + 16 <= n; x += 16) {
            if ((x & 63) == 0)
                for (int i = 0; i < ry; i++) _mm_prefetch((const char *)(rp[i] + x + 512), _MM_HINT_T0);
            __m128i v = _mm_loadu_si128((const __m128i *)(rp[0] + x));
            __m128i lo = _mm_unpacklo_epi8(v, zero), hi = _mm_unpackhi_epi8(v, zero);
            for (int i = 1; i < ry; i++) {
                v = _mm_loadu_si128((const __m128i *)(rp[i] + x));
                lo = _mm_add_epi16(lo, _mm_unpacklo_epi8(v, zero));
                hi = _mm_add_epi16(hi, _mm_unpackhi_epi8(v, zero));
            }
            _mm_storeu_si128((__m128i *)(t + x), _mm_sll_epi16(lo, sh));
            _mm_storeu_si128((__m128i *)(t + x + 8), _mm_sll_epi16(hi, sh));
        }
    #endif
        for (; x < n; x++) {
            uint32_t s = 0;
            for (int i = 0; i < ry; i++) s += rows[i][x];
            t[x] = (uint16_t)(s << shift);
        }
    }

    /* RGB pixel pairs: out[3j + c] = t[6j + c] + t[6j + 3 + c], j < half, as
       64-bit words (lanes below 2**15: no carries between them). Writes one
       lane past out[3 * half - 1] and reads up to t[6 * half + 1]. */
    static void hcs_pairs3(const uint16_t *t, uint16_t *out, Py_ssize_t half) {
        Py_ssize_t j = 0;
        for (; j + 4 <= half; j += 4) {
            uint64_t a0, b0, a1, b1, a2, b2, a3, b3;
            memcpy(&a0, t + 6 * j, 8); memcpy(&b0, t + 6 * j + 3, 8);
            memcpy(&a1, t + 6 * j + 6, 8); memcpy(&b1, t + 6 * j + 9, 8);
            memcpy(&a2, t + 6 * j + 12, 8); memcpy(&b2, t + 6 * j + 15, 8);
            memcpy(&a3, t + 6 * j + 18, 8); memcpy(&b3, t + 6 * j + 21, 8);
            a0 += b0; a1 += b1; a2 += b2; a3 += b3;
            memcpy(out + 3 * j, &a0, 8); memcpy(out + 3 * j + 3, &a1, 8);
            memcpy(out + 3 * j + 6, &a2, 8); memcpy(out + 3 * j + 9, &a3, 8);
        }
        for (; j < half; j++) {
            uint64_t a, b;
            memcpy(&a, t + 6 * j, 8); memcpy(&b, t + 6 * j + 3, 8);
            a += b;
            memcpy(out + 3 * j, &a, 8);
        }
    }

    /* One reduced row: box of ry rows x (1 << lrx) columns, the last box of
       a row padded by repeating the edge pixel, as value * 128 (exact:
       the sum of 2**b pixels shifted left by 7 - b; at most 32640). */
    static void hcs_box_row(const uint8_t *const *rows, int ry, Py_ssize_t n_in, int C, int lrx,
                            int shift, uint16_t *t, int16_t *out) {
        Py_ssize_t rx = (Py_ssize_t)1 << lrx, n = (n_in + rx - 1) / rx * rx;
        if (C == 3 && lrx == 1) {
            /* RGB, pairs of pixels, in two steps over the row (t stays in L1):
               the rows summed 16 bytes at a time (no pixel boundaries there)
               and shifted, then each pair of pixels added as 64-bit words,
               three 16-bit lanes at once (no carries: every lane stays below
               2**15; the 4th lane is junk, rewritten by the next pair). The
               shift before the add is exact: (a << s) + (b << s) = (a + b) << s. */
            Py_ssize_t m = 3 * n_in;
            switch (ry) {
            case 2: hcs_vsum_shl(rows, 2, t, m, shift); break;
            case 4: hcs_vsum_shl(rows, 4, t, m, shift); break;
            default: hcs_vsum_shl(rows, ry, t, m, shift); break;
            }
            if (n_in & 1) { t[m] = t[m - 3]; t[m + 1] = t[m - 2]; t[m + 2] = t[m - 1]; }
            hcs_pairs3(t, (uint16_t *)out, n / 2);
            return;
        }
    #if HCS_SSE2
        if (C == 1 && lrx == 1) {
            /* gray, pairs of columns: sum the rows, add neighbours, shift, in
               registers (the same integers as the three steps below) */
            const __m128i zero = _mm_setzero_si128(), ones = _mm_set1_epi16(1);
            Py_ssize_t x = 0;
            for (; x + 16 <= n_in; x += 16) {
                __m128i lo = zero, hi = zero;
                for (int i = 0; i < ry; i++) {
                    __m128i v = _mm_loadu_si128((const __m128i *)(rows[i] + x));
                    lo = _mm_add_epi16(lo, _mm_unpacklo_epi8(v, zero));
                    hi = _mm_add_epi16(hi, _mm_unpackhi_epi8(v, zero));
                }
                __m128i s = _mm_packs_epi32(_mm_madd_epi16(lo, ones), _mm_madd_epi16(hi, ones));
                _mm_storeu_si128((__m128i *)(out + x / 2), _mm_slli_epi16(s, shift));
            }
            for (; x < n; x += 2) {
                int32_t sum = 0;
                for (int i = 0; i < ry; i++)
                    sum += rows[i][x < n_in ? x : n_in - 1] + rows[i][x + 1 < n_in ? x + 1 : n_in - 1];
                out[x / 2] = (int16_t)(sum << shift);
            }
            return;
        }
    #endif
        hcs_vsum(rows, ry, t, n_in * C);
        for (Py_ssize_t x = n_in; x < n; x++)
            for (int c = 0; c < C; c++) t[x * C + c] = t[(n_in - 1) * C + c];
        for (int l = 0; l < lrx; l++, n /= 2) hcs_halve(t, n, C);
        Py_ssize_t m = n * C, x = 0;
    #if HCS_SSE2
        for (; x + 8 <= m; x += 8)
            _mm_storeu_si128((__m128i *)(out + x),
                             _mm_slli_epi16(_mm_loadu_si128((const __m128i *)(t + x)), shift));
    #endif
        for (; x < m; x++) out[x] = (int16_t)(t[x] << shift);
    }

    /* Pass 1, vertical, on reduced rows (value * 128):
       mid = sat16(sum_j (h_j * w_j >> 16)), value * 32: one pmulhw per tap,
       each product truncated to 1/32 of a grey level. */
    HCS_INLINE void hcs_v1w_k(int16_t *const *rows, const int16_t *q, const int K,
                              int16_t *mid, Py_ssize_t n) {
        Py_ssize_t x = 0;
    #if HCS_SSE2
        if (K <= 8) {
            /* row pointers and weights in registers (the stores to mid could
               alias rows[] as far as the compiler knows) */
            const int16_t *rp[8];
            __m128i wv[8];
            for (int j = 0; j < K; j++) { rp[j] = rows[j]; wv[j] = _mm_set1_epi16(q[j]); }
            for (; x + 16 <= n; x += 16) {
                __m128i a = _mm_setzero_si128(), b = _mm_setzero_si128();
                for (int j = 0; j < K; j++) {
                    a = _mm_add_epi16(a, _mm_mulhi_epi16(
                        _mm_loadu_si128((const __m128i *)(rp[j] + x)), wv[j]));
                    b = _mm_add_epi16(b, _mm_mulhi_epi16(
                        _mm_loadu_si128((const __m128i *)(rp[j] + x + 8)), wv[j]));
                }
                _mm_storeu_si128((__m128i *)(mid + x), a);
                _mm_storeu_si128((__m128i *)(mid + x + 8), b);
            }
        }
        for (; x + 16 <= n; x += 16) {
            __m128i a = _mm_setzero_si128(), b = _mm_setzero_si128();
            for (Py_ssize_t j = 0; j < K; j++) {
                __m128i wv = _mm_set1_epi16(q[j]);
                a = _mm_add_epi16(a, _mm_mulhi_epi16(
                    _mm_loadu_si128((const __m128i *)(rows[j] + x)), wv));
                b = _mm_add_epi16(b, _mm_mulhi_epi16(
                    _mm_loadu_si128((const __m128i *)(rows[j] + x + 8)), wv));
            }
            _mm_storeu_si128((__m128i *)(mid + x), a);
            _mm_storeu_si128((__m128i *)(mid + x + 8), b);
        }
    #endif
        for (; x < n; x++) {
            int32_t acc = 0;
            for (Py_ssize_t j = 0; j < K; j++) acc += ((int32_t)rows[j][x] * q[j]) >> 16;
            mid[x] = hcs_sat16(acc);
        }
    }

    static void hcs_v1w(int16_t *const *rows, const int16_t *q, Py_ssize_t K, int16_t *mid,
                        Py_ssize_t n) {
        switch (K) {
        case 2: hcs_v1w_k(rows, q, 2, mid, n); break;
        case 3: hcs_v1w_k(rows, q, 3, mid, n); break;
        case 4: hcs_v1w_k(rows, q, 4, mid, n); break;
        case 5: hcs_v1w_k(rows, q, 5, mid, n); break;
        default: hcs_v1w_k(rows, q, (int)K, mid, n); break;
        }
    }

    /* Replication of one row: dst pixel o = src pixel xs[o]. */
    static void hcs_gather(const uint8_t *src, uint8_t *dst, const int32_t *xs, Py_ssize_t n,
                           int C, Py_ssize_t n_in) {
        Py_ssize_t o = 0;
        if (C == 1) {
            for (; o + 8 <= n; o += 8) {
                uint8_t b[8] = {src[xs[o]], src[xs[o + 1]], src[xs[o + 2]], src[xs[o + 3]],
                                src[xs[o + 4]], src[xs[o + 5]], src[xs[o + 6]], src[xs[o + 7]]};
                memcpy(dst + o, b, 8);
            }
            for (; o < n; o++) dst[o] = src[xs[o]];
        } else {
            /* 4-byte copies (one byte too many, overwritten by the next
               pixel) while both the read and the write stay in their rows. */
            for (; o + 1 < n && xs[o] + 1 < n_in; o++)
                memcpy(dst + 3 * o, src + 3 * (Py_ssize_t)xs[o], 4);
            for (; o < n; o++) memcpy(dst + 3 * o, src + 3 * (Py_ssize_t)xs[o], 3);
        }
    }
    """
    void hcs_h1(const uint8_t* src, int16_t* mid, const int32_t* start, const int16_t* w,
                Py_ssize_t ws, Py_ssize_t K, int C, Py_ssize_t n_out, Py_ssize_t n_in) nogil
    void hcs_v2(int16_t** rows, const int16_t* q, Py_ssize_t K, uint8_t* dst,
                Py_ssize_t n) nogil
    void hcs_v1(const uint8_t** rows, const int16_t* q, Py_ssize_t K, int16_t* mid,
                Py_ssize_t n) nogil
    void hcs_h2(const int16_t* mid, uint8_t* dst, const int32_t* start, const int16_t* w,
                Py_ssize_t ws, Py_ssize_t K, int C, Py_ssize_t n_out, int shift) nogil
    void hcs_gather(const uint8_t* src, uint8_t* dst, const int32_t* xs, Py_ssize_t n, int C,
                    Py_ssize_t n_in) nogil
    int hcs_h2_block(int16_t** M, Py_ssize_t n, int16_t* T, uint8_t** dst, int nrows,
                     const int32_t* cofs, const int16_t* wb, Py_ssize_t K, int C,
                     Py_ssize_t n_out, int shift) nogil
    void hcs_pair_weights(const int16_t* w, Py_ssize_t ws, Py_ssize_t K, Py_ssize_t n_out,
                          int16_t* wb) nogil
    void hcs_col_offsets(const int32_t* start, Py_ssize_t K, int C, Py_ssize_t n_out,
                         int32_t* cofs) nogil
    void hcs_box_row(const uint8_t** rows, int ry, Py_ssize_t n_in, int C, int lrx, int shift,
                     uint16_t* t, int16_t* out) nogil
    void hcs_v1w(int16_t** rows, const int16_t* q, Py_ssize_t K, int16_t* mid,
                 Py_ssize_t n) nogil
    int HCS_SSE2
    int HCS_AVX2

cdef enum:
    _SLOT = 1
    WONE = 1 << 14           # the integer weights of an output sum to this
    PAD = 64                 # spare int16 after each intermediate row (vector reads)

cdef enum:                   # per-axis filter
    NEAREST = 0
    AREA = 1
    TENT = 2
    KEYS = 3

cdef enum:                   # the Magnification Type
    M_REPLICATE = 0
    M_BILINEAR = 1
    M_CUBIC = 2
    M_NONE = 3

METHODS = ("REPLICATE", "BILINEAR", "CUBIC", "NONE")
# What the inner loops were compiled with (AVX2 only shows a -march=native build:
# the compiler then uses the wider encodings and auto-vectorises more).
SIMD = ("SSE2" if HCS_SSE2 else "none") + (", AVX2 allowed" if HCS_AVX2 else "")


cdef struct Axis:
    Py_ssize_t n_in, n_out
    Py_ssize_t r             # box pre-reduction factor (1, 2, 4 or 8)
    Py_ssize_t n_src         # pixels the taps index: ceil(n_in / r)
    Py_ssize_t K             # taps per output pixel (window width)
    Py_ssize_t K0            # kernel samples per output before folding the edges
    Py_ssize_t ws            # weights stored per output (K, or K padded with zeros)
    int kind
    int32_t* start           # [n_out] first source index of each window
    int16_t* w               # [n_out * ws] weights, summing to WONE per output


# -- weights -------------------------------------------------------------------

cdef inline int64_t _floordiv(int64_t a, int64_t b) noexcept nogil:
    """Floor division for b > 0 (C truncates towards zero)."""
    cdef int64_t q = a // b
    if (a % b != 0) and (a < 0):
        q -= 1
    return q


cdef int _kind(int method, Py_ssize_t n_in, Py_ssize_t n_out) noexcept nogil:
    if method == M_REPLICATE:
        return NEAREST if n_out >= n_in else AREA
    if method == M_BILINEAR:
        return TENT
    return KEYS


cdef Py_ssize_t _reduction(Py_ssize_t n_in, Py_ssize_t n_out) noexcept nogil:
    """The largest power of two, at most 8, by which the axis shrinks."""
    cdef Py_ssize_t r = 1
    while r < 8 and n_in >= 2 * r * n_out:
        r *= 2
    return r


cdef void _axis_init(Axis* ax, int kind, Py_ssize_t n_in, Py_ssize_t n_out, Py_ssize_t r,
                     Py_ssize_t pad_to) noexcept nogil:
    """Set the tap counts of an axis (the weights come later, in scratch memory).

    The window of a stretched kernel is the open interval of length
    L = 2 * support * factor around the centre (factor counted in reduced
    pixels, n_in / (r * n_out)), which holds at most ceil(L) pixels; an area
    of length ``factor`` touches at most ceil(factor) + 1.
    """
    cdef int64_t support, unit = r * <int64_t>n_out
    ax.n_in = n_in
    ax.n_out = n_out
    ax.r = r
    ax.n_src = (n_in + r - 1) // r
    ax.kind = kind
    if kind == NEAREST:
        ax.K0 = 1
    elif kind == AREA:
        ax.K0 = (n_in + unit - 1) // unit + 1
    else:
        support = 1 if kind == TENT else 2
        if n_out >= n_in:
            ax.K0 = 2 * support
        else:
            ax.K0 = (2 * support * n_in + unit - 1) // unit
    ax.K = ax.K0 if ax.K0 < ax.n_src else ax.n_src
    ax.ws = (ax.K + pad_to - 1) // pad_to * pad_to


cdef inline double _kernel(int kind, double t) noexcept nogil:
    """Triangle or Keys (a = -0.5) kernel at distance t, Horner form as the reference."""
    if t < 0:
        t = -t
    if kind == TENT:
        return 1.0 - t if t < 1.0 else 0.0
    if t < 1.0:
        return ((1.5 * t - 2.5) * t) * t + 1.0
    if t < 2.0:
        return ((-0.5 * t + 2.5) * t - 4.0) * t + 2.0
    return 0.0


cdef void _quantise(const double* wf, Py_ssize_t K, int16_t* q) noexcept nogil:
    """Integer weights summing to WONE: round the running sum, take differences."""
    cdef double total = 0.0, cum = 0.0
    cdef Py_ssize_t k
    cdef int64_t prev = 0, cur
    for k in range(K):
        total = total + wf[k]
    for k in range(K):
        cum = cum + wf[k]
        if k == K - 1:
            cur = WONE
        else:
            cur = <int64_t>floor(cum / total * <double>WONE + 0.5)
        q[k] = <int16_t>(cur - prev)
        prev = cur


cdef void _axis_weights(Axis* ax, double* raw, double* folded) noexcept nogil:
    """Fill ax.start and ax.w. ``raw`` holds K0 doubles, ``folded`` K doubles.

    Positions are exact rationals. The centre of output o, in reduced pixels
    (reduced pixel i covers source pixels [r*i, r*i + r)), is num / den with
    num = (2o + 1) * n_in - r * n_out and den = 2 * r * n_out.
    """
    cdef Py_ssize_t o, k, i, s0, n_in = ax.n_in, n_out = ax.n_out, K = ax.K, n = ax.n_src
    cdef int64_t num, den, div, left, lo, hi, first, ov, cum, prev, cur, support
    cdef int64_t unit = ax.r * <int64_t>n_out
    cdef int16_t* q
    for o in range(n_out):
        q = ax.w + o * ax.ws
        for k in range(ax.ws):
            q[k] = 0
        if ax.kind == NEAREST:
            ax.start[o] = <int32_t>(((2 * o + 1) * <int64_t>n_in) // (2 * <int64_t>n_out))
            q[0] = WONE
            continue
        if ax.kind == AREA:
            # Output o covers [o*n_in, (o+1)*n_in) in units of 1/(r*n_out) of a
            # reduced pixel; reduced pixel i covers [i*unit, (i+1)*unit).
            lo = o * <int64_t>n_in
            hi = lo + n_in
            first = lo // unit
            s0 = first if first + K <= n else n - K
            cum = 0
            prev = 0
            i = first
            while i * unit < hi:
                ov = min(hi, (i + 1) * unit) - max(lo, i * unit)
                cum += ov
                # round(cum * WONE / n_in), half up, exact in integers
                cur = (cum * 2 * WONE + n_in) // (2 * <int64_t>n_in)
                q[i - s0] = <int16_t>(cur - prev)
                prev = cur
                i += 1
            ax.start[o] = <int32_t>s0
            continue
        # TENT or KEYS: the kernel argument of tap i is (i * den - num) / div,
        # with div = den when magnifying and 2 * n_in (den times the factor)
        # when shrinking.
        support = 1 if ax.kind == TENT else 2
        num = (2 * o + 1) * <int64_t>n_in - unit
        den = 2 * unit
        div = den if n_out >= n_in else 2 * <int64_t>n_in
        left = _floordiv(num - support * div, den) + 1
        for k in range(ax.K0):
            raw[k] = _kernel(ax.kind, <double>((left + k) * den - num) / <double>div)
        # Fold taps outside the image onto the edge pixels (edge replication)
        # and slide the window inside the image.
        s0 = left
        if s0 > n - K:
            s0 = n - K
        if s0 < 0:
            s0 = 0
        for k in range(K):
            folded[k] = 0.0
        for k in range(ax.K0):
            i = left + k
            if i < 0:
                i = 0
            elif i > n - 1:
                i = n - 1
            folded[i - s0] = folded[i - s0] + raw[k]
        _quantise(folded, K, q)
        ax.start[o] = <int32_t>s0


# -- the drivers -----------------------------------------------------------------

cdef inline char* _carve(char** p, Py_ssize_t nbytes) noexcept nogil:
    cdef char* r = p[0]
    p[0] = p[0] + ((nbytes + 63) & ~(<Py_ssize_t>63))
    return r


cdef inline Py_ssize_t _round8(Py_ssize_t n) noexcept nogil:
    return (n + 7) & ~(<Py_ssize_t>7)


cdef void _replicate(Rows* src, Rows* dst, Axis* ax, Axis* ay, int C) noexcept nogil:
    """Both axes nearest: gather each distinct row once, copy repeated rows."""
    cdef Py_ssize_t oy
    cdef char* orow
    cdef Py_ssize_t nbytes = ax.n_out * C
    for oy in range(ay.n_out):
        orow = dst.data + oy * dst.stride
        if oy > 0 and ay.start[oy] == ay.start[oy - 1]:
            memcpy(orow, orow - dst.stride, nbytes)
        else:
            hcs_gather(<const uint8_t*>(src.data + ay.start[oy] * src.stride),
                       <uint8_t*>orow, ax.start, ax.n_out, C, ax.n_in)


cdef void _h_first(Rows* src, Rows* dst, Axis* ax, Axis* ay, int C,
                   int16_t* ring) noexcept nogil:
    """Rows magnified: resample each needed source row once into a ring of Ky rows."""
    cdef Py_ssize_t oy, r, j, have = -1, ky = ay.K
    cdef Py_ssize_t width = ax.n_out * C
    cdef Py_ssize_t pitch = width + PAD
    cdef int16_t* rows[4]
    for oy in range(ay.n_out):
        r = ay.start[oy]
        if r <= have:
            r = have + 1
        while r < ay.start[oy] + ky:
            hcs_h1(<const uint8_t*>(src.data + r * src.stride), ring + (r % ky) * pitch,
                   ax.start, ax.w, ax.ws, ax.K, C, ax.n_out, ax.n_in)
            r += 1
        have = ay.start[oy] + ky - 1
        for j in range(ky):
            rows[j] = ring + ((ay.start[oy] + j) % ky) * pitch
        hcs_v2(rows, ay.w + oy * ay.ws, ky, <uint8_t*>(dst.data + oy * dst.stride), width)


cdef struct VFirst:
    # Working memory of the rows-shrunk path (all in scratch).
    const uint8_t** srows    # source rows of one window or one box
    int16_t** hrows          # reduced rows of one window
    int16_t* ring            # K reduced rows (pitch each)
    uint16_t* t              # one row of box sums
    int16_t* block           # 8 mid rows (pitch each)
    int16_t* T               # the block transposed
    int16_t** mrows
    uint8_t** drows
    int16_t* wb              # the x weights as pmaddwd pairs (hcs_pair_weights)
    int32_t* cofs            # where each output column reads (hcs_col_offsets)
    Py_ssize_t pitch


cdef void _v_first(Rows* src, Rows* dst, Axis* ax, Axis* ay, int C, VFirst* v) noexcept nogil:
    """Rows shrunk: each output row filtered vertically (from source rows, or
    from box-reduced rows kept in a ring), then 8 rows at a time horizontally."""
    cdef Py_ssize_t oy, r, j, k, i, have = -1, ky = ay.K, ys
    cdef Py_ssize_t width = ax.n_src * C
    cdef bint reduced = ax.r > 1 or ay.r > 1
    cdef int shift2 = 19 if reduced else 20     # mid is value * 32 or value * 64
    cdef int lrx = 0, lb, nrows
    cdef int16_t* mid
    while (1 << lrx) < ax.r:
        lrx += 1
    lb = lrx
    while (1 << (lb - lrx)) < ay.r:
        lb += 1
    for oy in range(ay.n_out):
        i = oy % 8
        mid = v.block + i * v.pitch
        ys = ay.start[oy]
        if reduced:
            r = ys if ys > have else have + 1
            while r < ys + ky:
                for k in range(ay.r):
                    j = min(r * ay.r + k, ay.n_in - 1)
                    v.srows[k] = <const uint8_t*>(src.data + j * src.stride)
                hcs_box_row(v.srows, <int>ay.r, ax.n_in, C, lrx, 7 - lb, v.t,
                            v.ring + (r % ky) * v.pitch)
                r += 1
            have = ys + ky - 1
            for j in range(ky):
                v.hrows[j] = v.ring + ((ys + j) % ky) * v.pitch
            hcs_v1w(v.hrows, ay.w + oy * ay.ws, ky, mid, width)
        else:
            for j in range(ky):
                v.srows[j] = <const uint8_t*>(src.data + (ys + j) * src.stride)
            hcs_v1(v.srows, ay.w + oy * ay.ws, ky, mid, width)
        if i == 7 or oy == ay.n_out - 1:
            nrows = <int>i + 1
            for k in range(8):
                v.mrows[k] = v.block + (k if k < nrows else nrows - 1) * v.pitch
                v.drows[k] = <uint8_t*>(dst.data + (oy - i + (k if k < nrows else 0)) * dst.stride)
            if not hcs_h2_block(v.mrows, _round8(width), v.T, v.drows, nrows, v.cofs, v.wb,
                                ax.K, C, ax.n_out, shift2):
                for k in range(nrows):
                    hcs_h2(v.mrows[k], v.drows[k], ax.start, ax.w, ax.ws, ax.K, C, ax.n_out,
                           shift2)


cdef void _fill_rows(Rows* dst, Py_ssize_t y0, Py_ssize_t y1, Py_ssize_t x0, Py_ssize_t x1,
                     const uint8_t* pixel, int C) noexcept nogil:
    """Set pixels [y0, y1) x [x0, x1) of dst to ``pixel`` (C bytes)."""
    cdef Py_ssize_t y, x, n = (x1 - x0) * C, done
    cdef char* row
    if y1 <= y0 or x1 <= x0:
        return
    for y in range(y0, y1):
        row = dst.data + y * dst.stride + x0 * C
        if C == 1 or (pixel[0] == pixel[1] and pixel[1] == pixel[2]):
            memset(row, pixel[0], n)
        else:
            for x in range(C):
                row[x] = pixel[x]
            done = C
            while done < n:   # doubling copies
                memcpy(row + done, row, min(done, n - done))
                done += min(done, n - done)


cdef void _none(Rows* src, Rows* dst, Py_ssize_t hin, Py_ssize_t win, Py_ssize_t hout,
                Py_ssize_t wout, const uint8_t* pixel, int C) noexcept nogil:
    """Centre the source in the output: crop what is larger, pad what is smaller."""
    cdef Py_ssize_t sy0, dy0, h, sx0, dx0, w, y
    if hin >= hout:
        sy0, dy0, h = (hin - hout) // 2, 0, hout
    else:
        sy0, dy0, h = 0, (hout - hin) // 2, hin
    if win >= wout:
        sx0, dx0, w = (win - wout) // 2, 0, wout
    else:
        sx0, dx0, w = 0, (wout - win) // 2, win
    _fill_rows(dst, 0, dy0, 0, wout, pixel, C)
    _fill_rows(dst, dy0 + h, hout, 0, wout, pixel, C)
    _fill_rows(dst, dy0, dy0 + h, 0, dx0, pixel, C)
    _fill_rows(dst, dy0, dy0 + h, dx0 + w, wout, pixel, C)
    for y in range(h):
        memcpy(dst.data + (dy0 + y) * dst.stride + dx0 * C,
               src.data + (sy0 + y) * src.stride + sx0 * C, w * C)


# -- Python API ------------------------------------------------------------------

cdef int _method(object method) except -1:
    try:
        return METHODS.index(str(method).upper())
    except ValueError:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}") from None


cdef int _fill_pixel(object fill, int C, uint8_t* pixel) except -1:
    cdef int c
    values = (fill,) * C if isinstance(fill, (int, np.integer)) else tuple(fill)
    if len(values) != C:
        raise ValueError(f"fill must be one value or {C} values, not {fill!r}")
    for c in range(C):
        if not 0 <= values[c] <= 255:
            raise ValueError(f"fill values must be 0..255, not {fill!r}")
        pixel[c] = <uint8_t>values[c]
    return 0


def resize(src, out, method="BILINEAR", *, fill=0):
    """Resample ``src`` to the shape of ``out`` (which sets the scale); returns ``out``.

    ``src`` and ``out``: uint8, [H, W] gray or [H, W, 3] RGB, same channels,
    rows contiguous (any row stride, so a view of a box inside a film buffer
    works), not overlapping. ``method``: REPLICATE, BILINEAR, CUBIC or NONE
    (see the module docstring). ``fill`` (NONE only): the pad value, one
    number or an RGB triple. Runs without the GIL; allocates nothing per call.
    """
    cdef Rows s, d
    cdef Py_ssize_t hin, win, hout, wout, nbytes
    cdef int C, Cout, m = _method(method)
    cdef uint8_t pixel[3]
    cdef Axis ax, ay
    cdef bint h_first
    cdef char* p
    cdef VFirst v
    cdef Py_ssize_t width, pitch
    cdef double* raw
    cdef double* folded
    C = uint8_image(src, "src", &s, &hin, &win)
    Cout = uint8_image(out, "out", &d, &hout, &wout)
    check_writeable(<cnp.ndarray>out, "out")
    if C != Cout:
        raise ValueError("src and out must both be gray or both be RGB")
    _fill_pixel(fill, C, pixel)
    if hout == 0 or wout == 0:
        return out
    if rows_overlap(&s, &d):
        raise ValueError("out overlaps src")
    if m == M_NONE:
        with nogil:
            _none(&s, &d, hin, win, hout, wout, pixel, C)
        return out
    if hin == 0 or win == 0:
        raise ValueError("cannot magnify an empty image (use method NONE to fill the box)")
    h_first = hout >= hin
    # Weight layout per pass: the horizontal pass of the magnifying order reads
    # K weights per output contiguously, the block pass reads them in pairs
    # (padded with a zero). Box pre-reduction only on the shrinking order.
    if h_first:
        _axis_init(&ax, _kind(m, win, wout), win, wout, 1, 1)
        _axis_init(&ay, _kind(m, hin, hout), hin, hout, 1, 1)
    else:
        _axis_init(&ax, _kind(m, win, wout), win, wout,
                   _reduction(win, wout) if wout < win else 1, 8)
        _axis_init(&ay, _kind(m, hin, hout), hin, hout, _reduction(hin, hout), 1)
    width = ax.n_src * C
    pitch = _round8(width) + PAD
    nbytes = (64 * 16 + (wout + hout) * 4 + (wout * ax.ws + hout * ay.ws) * 2
              + (max(ax.K0, ay.K0) + max(ax.K, ay.K)) * 8)
    if h_first:
        nbytes += ay.K * (wout * C + PAD) * 2
    else:
        nbytes += ((ay.K + ay.r + 16) * sizeof(void*) + ay.K * pitch * 2
                   + ((win + ax.r) * C + 16) * 2 + 8 * pitch * 2
                   + (_round8(width) + 2 * C + 8) * 16 + wout * (ax.K + 1) * 8
                   + _round8(wout * C) * 8 + 64)
    p = scratch(nbytes, _SLOT)
    with nogil:
        ax.start = <int32_t*>_carve(&p, wout * 4)
        ay.start = <int32_t*>_carve(&p, hout * 4)
        ax.w = <int16_t*>_carve(&p, wout * ax.ws * 2)
        ay.w = <int16_t*>_carve(&p, hout * ay.ws * 2)
        raw = <double*>_carve(&p, max(ax.K0, ay.K0) * 8)
        folded = <double*>_carve(&p, max(ax.K, ay.K) * 8)
        _axis_weights(&ax, raw, folded)
        _axis_weights(&ay, raw, folded)
        if ay.kind == NEAREST and ax.kind == NEAREST:
            _replicate(&s, &d, &ax, &ay, C)
        elif h_first:
            _h_first(&s, &d, &ax, &ay, C, <int16_t*>_carve(&p, ay.K * (wout * C + PAD) * 2))
        else:
            v.pitch = pitch
            v.srows = <const uint8_t**>_carve(&p, (ay.K + ay.r) * sizeof(void*))
            v.hrows = <int16_t**>_carve(&p, ay.K * sizeof(void*))
            v.mrows = <int16_t**>_carve(&p, 8 * sizeof(void*))
            v.drows = <uint8_t**>_carve(&p, 8 * sizeof(void*))
            v.ring = <int16_t*>_carve(&p, ay.K * pitch * 2)
            v.t = <uint16_t*>_carve(&p, ((win + ax.r) * C + 16) * 2)
            v.block = <int16_t*>_carve(&p, 8 * pitch * 2)
            v.T = <int16_t*>_carve(&p, (_round8(width) + 2 * C + 8) * 16)
            v.wb = <int16_t*>_carve(&p, wout * (ax.K + 1) * 8)
            hcs_pair_weights(ax.w, ax.ws, ax.K, wout, v.wb)
            v.cofs = <int32_t*>_carve(&p, _round8(wout * C) * 8)
            hcs_col_offsets(ax.start, ax.K, C, wout, v.cofs)
            _v_first(&s, &d, &ax, &ay, C, &v)
    return out


def axis_weights(method, n_in, n_out, r=1):
    """The integer filter of one axis, for tests and for reading: (start, weights).

    ``start[o]`` is the first source index of output ``o``'s window and
    ``weights[o, k]`` the weight of source ``start[o] + k``, in units of 2**-14;
    with ``r`` > 1 the sources are the pixels of the image box-reduced by r.
    """
    cdef Axis ax
    cdef int m = _method(method)
    if m == M_NONE:
        raise ValueError("NONE has no filter")
    if n_in < 1 or n_out < 1:
        raise ValueError("axis sizes must be >= 1")
    if r not in (1, 2, 4, 8) or r > _reduction(n_in, n_out):
        raise ValueError("r must be 1, 2, 4 or 8, and at most the shrink factor")
    _axis_init(&ax, _kind(m, n_in, n_out), n_in, n_out, r, 1)
    start = np.empty(n_out, np.int32)
    weights = np.empty((n_out, ax.K), np.int16)
    raw = np.empty(ax.K0, np.float64)
    folded = np.empty(ax.K, np.float64)
    ax.start = <int32_t*>cnp.PyArray_DATA(start)
    ax.w = <int16_t*>cnp.PyArray_DATA(weights)
    _axis_weights(&ax, <double*>cnp.PyArray_DATA(raw), <double*>cnp.PyArray_DATA(folded))
    return start, weights
