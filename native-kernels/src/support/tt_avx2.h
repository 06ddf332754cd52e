/*
 * tinytrain kernel library: private AVX2 building blocks (x86-64, GCC/Clang only).
 *
 * Every function here is compiled with target("avx2") and only called after tt__use_avx2()
 * said yes. Integer sums are exact modulo 2^32, so any summation order gives the portable
 * path's bits; requantization is the portable arithmetic lane by lane (see tt__avx2_output8).
 */
#ifndef TT_AVX2_H
#define TT_AVX2_H

#include "tt_internal.h"

#if TT_HAVE_AVX2

#include <immintrin.h>
#include <string.h>

#define TT_AVX2_FN __attribute__((target("avx2")))
#define TT_AVX2_INLINE static inline __attribute__((target("avx2"), always_inline))

/** n int8 (1..16) from p into the low lanes, zeros above; never reads past p + n. */
TT_AVX2_INLINE __m128i tt__avx2_load_s8(const int8_t *p, int32_t n)
{
    int8_t tmp[16];
    if (n >= 16) {
        return _mm_loadu_si128((const __m128i *)p);
    }
    if (n == 8) {
        return _mm_loadl_epi64((const __m128i *)p);
    }
    memset(tmp, 0, sizeof tmp);
    memcpy(tmp, p, (size_t)n);
    return _mm_loadu_si128((const __m128i *)tmp);
}

/** n int32 (1..8) from p, zeros above; never reads past p + n. */
TT_AVX2_INLINE __m256i tt__avx2_load_s32(const int32_t *p, int32_t n)
{
    int32_t tmp[8];
    if (n >= 8) {
        return _mm256_loadu_si256((const __m256i *)p);
    }
    memset(tmp, 0, sizeof tmp);
    memcpy(tmp, p, (size_t)n * sizeof(int32_t));
    return _mm256_loadu_si256((const __m256i *)tmp);
}

/** Stores the n (1..16) low bytes of v at p. */
TT_AVX2_INLINE void tt__avx2_store_s8(int8_t *p, __m128i v, int32_t n)
{
    int8_t tmp[16];
    if (n >= 16) {
        _mm_storeu_si128((__m128i *)p, v);
    } else if (n == 8) {
        _mm_storel_epi64((__m128i *)p, v);
    } else {
        _mm_storeu_si128((__m128i *)tmp, v);
        memcpy(p, tmp, (size_t)n);
    }
}

/**
 * Eight lanes of tt__output_s8: saturating bias add, requantize, clamp to [lo, hi], add offset.
 * Multipliers are >= 0 (checked by every kernel), so the INT32_MIN * INT32_MIN case of the
 * doubling high multiply cannot occur. For products ab with |ab| <= 2^62 the reference's
 * trunc((ab + nudge) / 2^31) equals floor((ab + 2^30) / 2^31) (for ab < 0:
 * trunc((ab + 1 - 2^30) / 2^31) = floor((ab + 1 - 2^30 + 2^31 - 1) / 2^31)), and the low 32 bits
 * of that floor are those of a logical 64-bit shift.
 */
TT_AVX2_INLINE __m256i tt__avx2_output8(__m256i acc, __m256i bias, __m256i mult, __m256i shift,
                                        __m256i offset, __m256i lo, __m256i hi)
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i half = _mm256_set1_epi64x((int64_t)1 << 30);
    __m256i sum, ovf, sat, left, right, x, pe, po, h, mask, rem, thr, r;

    /* saturating acc + bias: overflow iff both operands' signs differ from the sum's */
    sum = _mm256_add_epi32(acc, bias);
    ovf = _mm256_srai_epi32(_mm256_and_si256(_mm256_xor_si256(acc, sum), _mm256_xor_si256(bias, sum)), 31);
    sat = _mm256_xor_si256(_mm256_srai_epi32(acc, 31), _mm256_set1_epi32(INT32_MAX));
    sum = _mm256_blendv_epi8(sum, sat, ovf);

    left = _mm256_max_epi32(shift, zero);
    right = _mm256_max_epi32(_mm256_sub_epi32(zero, shift), zero);
    x = _mm256_sllv_epi32(sum, left);

    /* doubling high multiply, even and odd lanes through 64-bit products */
    pe = _mm256_add_epi64(_mm256_mul_epi32(x, mult), half);
    po = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(mult, 32)), half);
    pe = _mm256_srli_epi64(pe, 31);
    po = _mm256_slli_epi64(_mm256_srli_epi64(po, 31), 32);
    h = _mm256_blend_epi32(pe, po, 0xAA);

    /* rounding divide by 2^right, ties away from zero */
    mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
    rem = _mm256_and_si256(h, mask);
    thr = _mm256_sub_epi32(_mm256_srli_epi32(mask, 1), _mm256_cmpgt_epi32(zero, h));
    r = _mm256_srav_epi32(h, right);
    r = _mm256_sub_epi32(r, _mm256_cmpgt_epi32(rem, thr));

    r = _mm256_min_epi32(_mm256_max_epi32(r, lo), hi);
    return _mm256_add_epi32(r, offset);
}

/** Packs 16 int32 lanes (a = lanes 0..7, b = 8..15), each in [-128, 127], into 16 int8. */
TT_AVX2_INLINE __m128i tt__avx2_pack16(__m256i a, __m256i b)
{
    __m256i p16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);
    __m256i p8 = _mm256_permute4x64_epi64(_mm256_packs_epi16(p16, p16), 0xD8);
    return _mm256_castsi256_si128(p8);
}

/** Horizontal sums of four vectors: lane i of the result = sum of the lanes of the i-th input. */
TT_AVX2_INLINE __m128i tt__avx2_hsum4(__m256i a, __m256i b, __m256i c, __m256i d)
{
    const __m256i abcd = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
    return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

/** (x + offset) of 16 int8 as int16 lanes, then a 2-row x 4-column multiply-accumulate step. */
#define TT__AVX2_GEMM_STEP(LOAD_X, LOAD_W)                                                  \
    do {                                                                                    \
        const __m256i xa = _mm256_add_epi16(_mm256_cvtepi8_epi16(LOAD_X(x0)), voff);        \
        const __m256i xb = _mm256_add_epi16(_mm256_cvtepi8_epi16(LOAD_X(x1)), voff);        \
        __m256i wv;                                                                         \
        wv = _mm256_cvtepi8_epi16(LOAD_W(w0));                                              \
        a00 = _mm256_add_epi32(a00, _mm256_madd_epi16(xa, wv));                             \
        a10 = _mm256_add_epi32(a10, _mm256_madd_epi16(xb, wv));                             \
        wv = _mm256_cvtepi8_epi16(LOAD_W(w1));                                              \
        a01 = _mm256_add_epi32(a01, _mm256_madd_epi16(xa, wv));                             \
        a11 = _mm256_add_epi32(a11, _mm256_madd_epi16(xb, wv));                             \
        wv = _mm256_cvtepi8_epi16(LOAD_W(w2));                                              \
        a02 = _mm256_add_epi32(a02, _mm256_madd_epi16(xa, wv));                             \
        a12 = _mm256_add_epi32(a12, _mm256_madd_epi16(xb, wv));                             \
        wv = _mm256_cvtepi8_epi16(LOAD_W(w3));                                              \
        a03 = _mm256_add_epi32(a03, _mm256_madd_epi16(xa, wv));                             \
        a13 = _mm256_add_epi32(a13, _mm256_madd_epi16(xb, wv));                             \
    } while (0)

#define TT__AVX2_GEMM_COLS 256

/**
 * AVX2 version of tt__gemm_s8_portable: tiles of 2 rows x 4 columns, 16 depth elements per step
 * (int16 madd into int32 lanes), the sums of up to 256 columns kept per row pair, then requantized
 * 8 columns at a time.
 */
static inline TT_AVX2_FN void tt__gemm_s8_avx2(const int8_t *x, int32_t rows, int32_t depth,
                                        const int8_t *w, int32_t cols, const int32_t *bias,
                                        const int32_t *multiplier, const int32_t *shift,
                                        int32_t input_offset, int32_t output_offset,
                                        tt_activation act, int8_t *out)
{
    int32_t sums[2][TT__AVX2_GEMM_COLS + 8];
    const __m256i voff = _mm256_set1_epi16((int16_t)input_offset);
    const __m256i vout = _mm256_set1_epi32(output_offset);
    const __m256i vlo = _mm256_set1_epi32(act.min - output_offset);
    const __m256i vhi = _mm256_set1_epi32(act.max - output_offset);
    int32_t r, cb, o, i;

    memset(sums, 0, sizeof sums); /* lanes past the last column are read, never used */
    for (r = 0; r < rows; r += 2) {
        const int32_t nr = tt__min_s32(2, rows - r);
        const int8_t *xrow0 = x + (size_t)r * depth;
        const int8_t *xrow1 = nr > 1 ? xrow0 + depth : xrow0;
        for (cb = 0; cb < cols; cb += TT__AVX2_GEMM_COLS) {
            const int32_t nc = tt__min_s32(TT__AVX2_GEMM_COLS, cols - cb);
            for (o = 0; o < nc; o += 4) {
                /* missing columns repeat the last one; their sums are never used */
                const int32_t last = cb + nc - 1;
                const int8_t *w0 = w + (size_t)tt__min_s32(cb + o, last) * depth;
                const int8_t *w1 = w + (size_t)tt__min_s32(cb + o + 1, last) * depth;
                const int8_t *w2 = w + (size_t)tt__min_s32(cb + o + 2, last) * depth;
                const int8_t *w3 = w + (size_t)tt__min_s32(cb + o + 3, last) * depth;
                const int8_t *x0 = xrow0;
                const int8_t *x1 = xrow1;
                __m256i a00 = _mm256_setzero_si256(), a01 = a00, a02 = a00, a03 = a00;
                __m256i a10 = a00, a11 = a00, a12 = a00, a13 = a00;
                int32_t k = 0;
#define TT__LOAD16(p) _mm_loadu_si128((const __m128i *)((p) + k))
                for (; k + 16 <= depth; k += 16) {
                    TT__AVX2_GEMM_STEP(TT__LOAD16, TT__LOAD16);
                }
#undef TT__LOAD16
                while (k < depth) {
                    /* tail: 8 at once, then the rest; zero weight lanes cancel the offset lanes */
                    const int32_t n = depth - k >= 8 ? 8 : depth - k;
#define TT__LOADN(p) tt__avx2_load_s8((p) + k, n)
                    TT__AVX2_GEMM_STEP(TT__LOADN, TT__LOADN);
#undef TT__LOADN
                    k += n;
                }
                _mm_storeu_si128((__m128i *)&sums[0][o], tt__avx2_hsum4(a00, a01, a02, a03));
                _mm_storeu_si128((__m128i *)&sums[1][o], tt__avx2_hsum4(a10, a11, a12, a13));
            }
            for (i = 0; i < nr; ++i) {
                int8_t *outr = out + (size_t)(r + i) * cols + cb;
                for (o = 0; o < nc; o += 8) {
                    const int32_t n = tt__min_s32(8, nc - o);
                    const __m256i acc = _mm256_loadu_si256((const __m256i *)&sums[i][o]);
                    const __m256i vb = bias != NULL ? tt__avx2_load_s32(bias + cb + o, n)
                                                    : _mm256_setzero_si256();
                    const __m256i vm = tt__avx2_load_s32(multiplier + cb + o, n);
                    const __m256i vs = tt__avx2_load_s32(shift + cb + o, n);
                    const __m256i res = tt__avx2_output8(acc, vb, vm, vs, vout, vlo, vhi);
                    tt__avx2_store_s8(outr + o, tt__avx2_pack16(res, res), n);
                }
            }
        }
    }
}

#endif /* TT_HAVE_AVX2 */

#endif /* TT_AVX2_H */
