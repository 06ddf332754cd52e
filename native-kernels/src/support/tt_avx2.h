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

/* ---- deep receptive fields: im2col rows (int8) into the depth-vectorized gemm ------------------ */

#define TT__AVX2_IM2COL_KMAX 8192 /* deepest receptive field tt__avx2_conv_im2col takes (2 rows: 16 KB) */

/** Geometry of a convolution as a virtual im2col matrix (fully connected: 1x1 over [1, 1, rows, in]). */
typedef struct {
    const int8_t *x;                 /* NHWC input */
    int32_t n, in_h, in_w, in_c;     /* input dims */
    int32_t out_h, out_w;            /* output height and width */
    int32_t kh, kw;                  /* kernel */
    int32_t stride_h, stride_w, pad_h, pad_w;
    int32_t input_offset;            /* [-127, 128] */
} tt__avx2_geom;

/**
 * Convolution through tt__gemm_s8_avx2 on two im2col rows at a time, copied as int8 with padding
 * cells set to the zero point (-input_offset, so they add 0). depth <= TT__AVX2_IM2COL_KMAX.
 */
static inline TT_AVX2_FN void tt__avx2_conv_im2col(const tt__avx2_geom *g, const int8_t *w, int32_t cols,
                                                   const int32_t *bias, const int32_t *multiplier,
                                                   const int32_t *shift, int32_t output_offset,
                                                   tt_activation act, int8_t *out)
{
    int8_t xb[2 * TT__AVX2_IM2COL_KMAX];
    const int32_t c = g->in_c;
    const int32_t depth = g->kh * g->kw * c;
    const int32_t rows = g->n * g->out_h * g->out_w;
    const int8_t zp = (int8_t)-g->input_offset;
    int32_t r0, i, b = 0, oy = 0, ox = 0, ky;
    for (r0 = 0; r0 < rows; r0 += 2) {
        const int32_t nr = tt__min_s32(2, rows - r0);
        for (i = 0; i < nr; ++i) {
            const int32_t iy0 = oy * g->stride_h - g->pad_h;
            const int32_t ix0 = ox * g->stride_w - g->pad_w;
            const int32_t kx0 = tt__max_s32(0, -ix0);
            const int32_t kx1 = tt__min_s32(g->kw, g->in_w - ix0);
            int8_t *dst = xb + (size_t)i * depth;
            for (ky = 0; ky < g->kh; ++ky, dst += g->kw * c) {
                const int32_t iy = iy0 + ky;
                if (iy < 0 || iy >= g->in_h) {
                    memset(dst, zp, (size_t)g->kw * c);
                    continue;
                }
                memset(dst, zp, (size_t)kx0 * c);
                memcpy(dst + kx0 * c, g->x + (((size_t)b * g->in_h + iy) * g->in_w + ix0 + kx0) * c,
                       (size_t)(kx1 - kx0) * c);
                memset(dst + kx1 * c, zp, (size_t)(g->kw - kx1) * c);
            }
            if (++ox == g->out_w) {
                ox = 0;
                if (++oy == g->out_h) {
                    oy = 0;
                    ++b;
                }
            }
        }
        tt__gemm_s8_avx2(xb, nr, depth, w, cols, bias, multiplier, shift, g->input_offset, output_offset,
                         act, out + (size_t)r0 * cols);
    }
}

/* ---- packed-weight engine: output channels across the lanes --------------------------------
 *
 * out[r][o] for the rows r of a virtual im2col matrix (a row = one output pixel's receptive field,
 * (ky, kx, ic) order = the OHWI filter's order; pointwise conv and fully connected are the 1x1 case).
 * Per call the weights are rearranged on the stack as int16 pairs [k/2][oc][2]; four rows at a time
 * are staged as int16 (x + input_offset, 0 for padding), and each (x_2k, x_2k+1) pair is broadcast
 * and multiplied by the pairs of 8 output channels with one madd. The sums are exact int32 (mod 2^32),
 * the same as the portable path's in any order; requantization is tt__output_s8 lane by lane.
 */

#define TT__AVX2_PK_WBUF 8192    /* int16 elements of packed weights on the stack (16 KB) */
#define TT__AVX2_PK_VECS 32      /* most 8-channel vectors packed at once (256 channels) */
#define TT__AVX2_PK_ROWS 4       /* rows staged per tile */
#define TT__AVX2_PK_DEPTH 512    /* deepest receptive field (kh * kw * in_c) the engine takes */

/**
 * Whether the packed engine beats the depth-vectorized gemm on a rows x depth x cols product: the
 * per-call packing pays off after a few rows, deep sums keep the old kernel's lanes full, and one
 * 8-channel vector per row is the engine's weakest tile (crossovers measured on Zen 4; a fully
 * connected layer with batch 1 stays on the old kernel).
 */
static inline int tt__avx2_packed_pays(int32_t rows, int32_t depth, int32_t cols)
{
    if (cols <= 8) {
        return depth <= 160 && rows >= 8 + depth / 2;
    }
    return depth <= TT__AVX2_PK_DEPTH && rows >= 8 + depth / 8;
}

/** Per-vector requantization constants (8 output channels). */
typedef struct {
    __m256i bias, mult, mult_odd, left, right, mask, thr;
} tt__avx2_rq;

/** 1 when no output channel's bias can saturate the int32 sum: |bias| + depth * 255 * 128 <= INT32_MAX. */
static inline int tt__avx2_bias_safe(const int32_t *bias, int32_t cols, int32_t depth)
{
    const int64_t room = (int64_t)INT32_MAX - (int64_t)depth * 255 * 128;
    int32_t o;
    if (bias == NULL) {
        return room >= 0;
    }
    for (o = 0; o < cols; ++o) {
        if ((int64_t)bias[o] > room || -(int64_t)bias[o] > room) {
            return 0;
        }
    }
    return 1;
}

/**
 * The requantization of tt__avx2_output8 with per-lane constants hoisted (see there for the
 * rounding argument), without the clamp and offset (done after packing, see tt__avx2_store_px).
 * sat: the bias is added here with saturation (else it was the accumulator's start value).
 */
TT_AVX2_INLINE __m256i tt__avx2_requant(__m256i acc, const tt__avx2_rq *q, int sat)
{
    const __m256i half = _mm256_set1_epi64x((int64_t)1 << 30);
    __m256i x, pe, po, h, r, rem, thr;
    if (sat) {
        const __m256i sum = _mm256_add_epi32(acc, q->bias);
        const __m256i ovf = _mm256_srai_epi32(
            _mm256_and_si256(_mm256_xor_si256(acc, sum), _mm256_xor_si256(q->bias, sum)), 31);
        const __m256i lim = _mm256_xor_si256(_mm256_srai_epi32(acc, 31), _mm256_set1_epi32(INT32_MAX));
        acc = _mm256_blendv_epi8(sum, lim, ovf);
    }
    x = _mm256_sllv_epi32(acc, q->left);
    pe = _mm256_add_epi64(_mm256_mul_epi32(x, q->mult), half);
    po = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), q->mult_odd), half);
    /* bits 31..62 of each product: even lanes to the low half, odd lanes to the high half */
    h = _mm256_blend_epi32(_mm256_srli_epi64(pe, 31), _mm256_slli_epi64(po, 1), 0xAA);
    rem = _mm256_and_si256(h, q->mask);
    thr = _mm256_sub_epi32(q->thr, _mm256_srai_epi32(h, 31));
    r = _mm256_srav_epi32(h, q->right);
    return _mm256_sub_epi32(r, _mm256_cmpgt_epi32(rem, thr));
}

/**
 * Stores n (1..32) outputs of one pixel from up to four requantized vectors (int32, unclamped):
 * saturating packs to int16, + offset (saturating), to int8 (saturating), then the clamp; equal to
 * clamp(r + offset, min, max) because every step saturates monotonically and offset is in [-128, 127].
 */
TT_AVX2_INLINE void tt__avx2_store_px(int8_t *p, __m256i r0, __m256i r1, __m256i r2, __m256i r3,
                                      __m256i off16, __m256i lo8, __m256i hi8, int32_t n)
{
    const __m256i a = _mm256_adds_epi16(_mm256_packs_epi32(r0, r1), off16);
    const __m256i b = _mm256_adds_epi16(_mm256_packs_epi32(r2, r3), off16);
    __m256i v = _mm256_packs_epi16(a, b);
    v = _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    v = _mm256_min_epi8(_mm256_max_epi8(v, lo8), hi8);
    if (n >= 32) {
        _mm256_storeu_si256((__m256i *)p, v);
    } else if (n >= 16) {
        _mm_storeu_si128((__m128i *)p, _mm256_castsi256_si128(v));
        if (n > 16) {
            tt__avx2_store_s8(p + 16, _mm256_extracti128_si256(v, 1), n - 16);
        }
    } else {
        tt__avx2_store_s8(p, _mm256_castsi256_si128(v), n);
    }
}

/**
 * One tile: P staged rows (stride ks int16) times NV vectors of packed weights (kp pairs, row
 * stride NV * 16), requantized and stored for the first nr rows; n = output channels to store
 * (<= 8 * NV), out = output of row 0 at the tile's first channel, out_stride = cols.
 */
TT_AVX2_INLINE void tt__avx2_tile(const int16_t *xs, int32_t ks, int32_t kp, const int16_t *wp,
                                  const tt__avx2_rq *q, int sat, int P, int NV, int32_t nr,
                                  int8_t *out, int32_t out_stride, int32_t n,
                                  __m256i off16, __m256i lo8, __m256i hi8)
{
    __m256i acc[4][4], r[4];
    int32_t k;
    int p, v;
#pragma GCC unroll 4
    for (p = 0; p < P; ++p) {
#pragma GCC unroll 4
        for (v = 0; v < NV; ++v) {
            acc[p][v] = sat ? _mm256_setzero_si256() : q[v].bias;
        }
    }
    for (k = 0; k < kp; ++k) {
        const int16_t *wk = wp + (size_t)k * NV * 16;
#pragma GCC unroll 4
        for (v = 0; v < NV; ++v) {
            const __m256i wv = _mm256_load_si256((const __m256i *)(wk + v * 16));
#pragma GCC unroll 4
            for (p = 0; p < P; ++p) {
                int32_t pair;
                memcpy(&pair, xs + (size_t)p * ks + 2 * k, sizeof pair);
                acc[p][v] = _mm256_add_epi32(acc[p][v], _mm256_madd_epi16(_mm256_set1_epi32(pair), wv));
            }
        }
    }
#pragma GCC unroll 4
    for (p = 0; p < P; ++p) {
        if (p < nr) {
#pragma GCC unroll 4
            for (v = 0; v < NV; ++v) {
                r[v] = tt__avx2_requant(acc[p][v], &q[v], sat);
            }
#pragma GCC unroll 4
            for (v = NV; v < 4; ++v) {
                r[v] = r[0];
            }
            tt__avx2_store_px(out + (size_t)p * out_stride, r[0], r[1], r[2], r[3], off16, lo8, hi8, n);
        }
    }
}

/**
 * n int8 from src as int16 (x + offset) at dst; writes up to 15 elements past dst + n.
 * Reads past src + n only while that stays below end.
 */
TT_AVX2_INLINE void tt__avx2_stage_run(int16_t *dst, const int8_t *src, int32_t n, const int8_t *end,
                                       __m256i voff)
{
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_add_epi16(_mm256_cvtepi8_epi16(v), voff));
    }
    if (i < n) {
        const __m128i v = end - (src + i) >= 16 ? _mm_loadu_si128((const __m128i *)(src + i))
                                                : tt__avx2_load_s8(src + i, n - i);
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_add_epi16(_mm256_cvtepi8_epi16(v), voff));
    }
}

/** n zeros at dst; writes up to 15 elements past dst + n. */
TT_AVX2_INLINE void tt__avx2_stage_zero(int16_t *dst, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i += 16) {
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_setzero_si256());
    }
}

/** Stages rows r0 .. r0 + nr - 1 of the im2col matrix at xs (stride ks); writes up to 15 past the last. */
static inline TT_AVX2_FN void tt__avx2_stage(const tt__avx2_geom *g, int32_t r0, int32_t nr, int16_t *xs,
                                             int32_t ks)
{
    const __m256i voff = _mm256_set1_epi16((int16_t)g->input_offset);
    const int32_t c = g->in_c;
    const int32_t depth = g->kh * g->kw * c;
    const int8_t *end = g->x + (size_t)g->n * g->in_h * g->in_w * c;
    int32_t i, b, oy, ox, ky;
    if (g->kh == 1 && g->kw == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_h == 0
        && g->pad_w == 0 && g->out_h == g->in_h && g->out_w == g->in_w) {
        for (i = 0; i < nr; ++i) {
            tt__avx2_stage_run(xs + (size_t)i * ks, g->x + (size_t)(r0 + i) * depth, depth, end, voff);
        }
    } else {
        b = r0 / (g->out_h * g->out_w);
        oy = r0 % (g->out_h * g->out_w) / g->out_w;
        ox = r0 % g->out_w;
        for (i = 0; i < nr; ++i) {
            const int32_t iy0 = oy * g->stride_h - g->pad_h;
            const int32_t ix0 = ox * g->stride_w - g->pad_w;
            const int32_t kx0 = tt__max_s32(0, -ix0);
            const int32_t kx1 = tt__min_s32(g->kw, g->in_w - ix0);
            int16_t *dst = xs + (size_t)i * ks;
            for (ky = 0; ky < g->kh; ++ky, dst += g->kw * c) {
                const int32_t iy = iy0 + ky;
                if (iy < 0 || iy >= g->in_h) {
                    tt__avx2_stage_zero(dst, g->kw * c);
                    continue;
                }
                if (kx0 > 0) {
                    tt__avx2_stage_zero(dst, kx0 * c);
                }
                tt__avx2_stage_run(dst + kx0 * c,
                                   g->x + (((size_t)b * g->in_h + iy) * g->in_w + ix0 + kx0) * c,
                                   (kx1 - kx0) * c, end, voff);
                if (kx1 < g->kw) {
                    tt__avx2_stage_zero(dst + kx1 * c, (g->kw - kx1) * c);
                }
            }
            if (++ox == g->out_w) {
                ox = 0;
                if (++oy == g->out_h) {
                    oy = 0;
                    ++b;
                }
            }
        }
    }
    if (depth & 1) {
        for (i = 0; i < nr; ++i) {
            xs[(size_t)i * ks + depth] = 0; /* meets a zero weight; set so no stale value is read */
        }
    }
}

/**
 * Packs output channels o0 .. o0 + 7 of w[cols][depth] as int16 pairs: dst[k * stride + 2 * j + t] =
 * w[o0 + j][2 * k + t] for k < kp, zero past depth or cols (8 pairs of 8 channels: one 8x8 transpose
 * of 32-bit elements).
 */
static inline TT_AVX2_FN void tt__avx2_pack8(const int8_t *w, int32_t depth, int32_t cols, int32_t o0,
                                             int32_t kp, int16_t *dst, int32_t stride)
{
    __m256i y[8], t[8], u[8], z[8];
    int32_t k0, j, k;
    for (k0 = 0; k0 < kp; k0 += 8) {
        const int32_t d0 = 2 * k0;
        const int32_t n = tt__min_s32(16, depth - d0);
        for (j = 0; j < 8; ++j) {
            const int8_t *src = w + (size_t)(o0 + j) * depth + d0;
            y[j] = o0 + j >= cols ? _mm256_setzero_si256()
                                  : _mm256_cvtepi8_epi16(n == 16 ? _mm_loadu_si128((const __m128i *)src)
                                                                 : tt__avx2_load_s8(src, n));
        }
        for (j = 0; j < 8; j += 2) {
            t[j] = _mm256_unpacklo_epi32(y[j], y[j + 1]);
            t[j + 1] = _mm256_unpackhi_epi32(y[j], y[j + 1]);
        }
        for (j = 0; j < 8; j += 4) {
            u[j] = _mm256_unpacklo_epi64(t[j], t[j + 2]);
            u[j + 1] = _mm256_unpackhi_epi64(t[j], t[j + 2]);
            u[j + 2] = _mm256_unpacklo_epi64(t[j + 1], t[j + 3]);
            u[j + 3] = _mm256_unpackhi_epi64(t[j + 1], t[j + 3]);
        }
        for (j = 0; j < 4; ++j) {
            z[j] = _mm256_permute2x128_si256(u[j], u[j + 4], 0x20);
            z[j + 4] = _mm256_permute2x128_si256(u[j], u[j + 4], 0x31);
        }
        for (k = 0; k < 8 && k0 + k < kp; ++k) {
            _mm256_store_si256((__m256i *)(dst + (size_t)(k0 + k) * stride), z[k]);
        }
    }
}

/**
 * The engine (see above): output [rows][cols] with rows = n * out_h * out_w, weights w[cols][depth]
 * with depth = kh * kw * in_c <= TT__AVX2_PK_DEPTH.
 */
static inline TT_AVX2_FN void tt__avx2_conv_packed(const tt__avx2_geom *g, const int8_t *w, int32_t cols,
                                                   const int32_t *bias, const int32_t *multiplier,
                                                   const int32_t *shift, int32_t output_offset,
                                                   tt_activation act, int8_t *out)
{
    int16_t xs[TT__AVX2_PK_ROWS * TT__AVX2_PK_DEPTH + 16] __attribute__((aligned(32)));
    int16_t wp[TT__AVX2_PK_WBUF] __attribute__((aligned(32)));
    tt__avx2_rq rq[TT__AVX2_PK_VECS];
    const int32_t depth = g->kh * g->kw * g->in_c;
    const int32_t kp = (depth + 1) / 2;
    const int32_t ks = 2 * kp;
    const int32_t rows = g->n * g->out_h * g->out_w;
    const int32_t max_vecs = tt__min_s32(TT__AVX2_PK_VECS, TT__AVX2_PK_WBUF / (kp * 16));
    const int sat = !tt__avx2_bias_safe(bias, cols, depth);
    const __m256i off16 = _mm256_set1_epi16((int16_t)output_offset);
    const __m256i lo8 = _mm256_set1_epi8((int8_t)act.min);
    const __m256i hi8 = _mm256_set1_epi8((int8_t)act.max);
    int32_t c0, r0, v, j;

    for (c0 = 0; c0 < cols; c0 += max_vecs * 8) {
        const int32_t nc = tt__min_s32(cols - c0, max_vecs * 8);
        const int32_t nvec = (nc + 7) / 8;
        int32_t ch;
        /* chunks of up to 4 vectors, each packed [kp][nv * 8][2] */
        for (ch = 0; ch < nvec; ch += 4) {
            const int32_t nv = tt__min_s32(4, nvec - ch);
            for (v = 0; v < nv; ++v) {
                tt__avx2_pack8(w, depth, cols, c0 + (ch + v) * 8, kp, wp + (size_t)ch * 16 * kp + v * 16,
                               nv * 16);
            }
        }
        for (v = 0; v < nvec; ++v) {
            int32_t bb[8], mm[8], sl[8], sr[8], mk[8];
            for (j = 0; j < 8; ++j) {
                const int32_t o = c0 + v * 8 + j;
                const int32_t s = o < cols ? shift[o] : 0;
                bb[j] = o < cols && bias != NULL ? bias[o] : 0;
                mm[j] = o < cols ? multiplier[o] : 0;
                sl[j] = s > 0 ? s : 0;
                sr[j] = s > 0 ? 0 : -s;
                mk[j] = (int32_t)(((int64_t)1 << sr[j]) - 1);
            }
            rq[v].bias = _mm256_loadu_si256((const __m256i *)bb);
            rq[v].mult = _mm256_loadu_si256((const __m256i *)mm);
            rq[v].mult_odd = _mm256_srli_epi64(rq[v].mult, 32);
            rq[v].left = _mm256_loadu_si256((const __m256i *)sl);
            rq[v].right = _mm256_loadu_si256((const __m256i *)sr);
            rq[v].mask = _mm256_loadu_si256((const __m256i *)mk);
            rq[v].thr = _mm256_srli_epi32(rq[v].mask, 1);
        }
        for (r0 = 0; r0 < rows; r0 += TT__AVX2_PK_ROWS) {
            const int32_t nr = tt__min_s32(TT__AVX2_PK_ROWS, rows - r0);
            tt__avx2_stage(g, r0, nr, xs, ks);
            if (nr < TT__AVX2_PK_ROWS) {
                /* rows past the last are multiplied, never stored; zero so nothing undefined is read */
                memset(xs + (size_t)nr * ks, 0, sizeof(int16_t) * (size_t)(TT__AVX2_PK_ROWS - nr) * ks);
            }
            for (ch = 0; ch < nvec; ch += 4) {
                const int32_t nv = tt__min_s32(4, nvec - ch);
                const int16_t *wch = wp + (size_t)ch * 16 * kp;
                const int32_t n = tt__min_s32(nv * 8, nc - ch * 8);
                int8_t *o = out + (size_t)r0 * cols + c0 + ch * 8;
                const tt__avx2_rq *q = rq + ch;
#define TT__TILE(SAT, P, NV, ROW)                                                                   \
    tt__avx2_tile(xs + (size_t)(ROW) * ks, ks, kp, wch, q, SAT, P, NV, nr - (ROW),                  \
                  o + (size_t)(ROW) * cols, cols, n, off16, lo8, hi8)
                /* the tile shapes keep the accumulators in registers (at most 8 of 16) */
                switch (nv) {
                case 1: if (sat) TT__TILE(1, 4, 1, 0); else TT__TILE(0, 4, 1, 0); break;
                case 2: if (sat) TT__TILE(1, 4, 2, 0); else TT__TILE(0, 4, 2, 0); break;
                case 3:
                    if (sat) { TT__TILE(1, 2, 3, 0); TT__TILE(1, 2, 3, 2); }
                    else { TT__TILE(0, 2, 3, 0); TT__TILE(0, 2, 3, 2); }
                    break;
                default:
                    if (sat) { TT__TILE(1, 2, 4, 0); TT__TILE(1, 2, 4, 2); }
                    else { TT__TILE(0, 2, 4, 0); TT__TILE(0, 2, 4, 2); }
                    break;
                }
#undef TT__TILE
            }
        }
    }
}

#endif /* TT_HAVE_AVX2 */

#endif /* TT_AVX2_H */
