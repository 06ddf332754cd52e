/*
 * tinytrain kernel library: private Arm DSP building blocks (Cortex-M4/M7 and other cores with
 * __ARM_FEATURE_DSP; GCC/Clang only).
 *
 * Four int8 values are read as one word (an unaligned LDR, which M-profile cores with DSP allow) and
 * widened to two int16 pairs: SXTB16 takes bytes 0 and 2, SXTB16 with ROR #8 bytes 1 and 3, and
 * SXTAB16 adds the input offset to both halves at once ((x + offset) lies in [-255, 255], so a
 * halfword holds it exactly). SMLAD then adds two 16x16 products to an accumulator, SMLABB/SMLATT one.
 * The int32 sums wrap modulo 2^32 exactly like the portable path's uint32 sums, so any summation order
 * gives the portable bits; requantization (tt__dsp_output_s8) is the portable tt__output_s8's arithmetic
 * in fewer instructions. Every function here is only called after tt__use_dsp() said yes.
 */
#ifndef TT_DSP_H
#define TT_DSP_H

#include "tt_internal.h"

#if TT_HAVE_ARM_DSP

#include <arm_acle.h>
#include <string.h>

/** Four int8 at p as one word (byte 0 lowest); p need not be aligned. */
static inline uint32_t tt__dsp_load4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/** The input offset in both halfwords, for SXTAB16. */
static inline int32_t tt__dsp_offset2(int32_t input_offset)
{
    const uint32_t h = (uint32_t)input_offset & 0xFFFFu;
    return (int32_t)(h | (h << 16));
}

/* GCC's arm_acle.h has no __ror, and does not fold a rotate into SXTB16/SXTAB16: write the rotated
 * forms directly (one instruction each). */

/** Bytes 1 and 3 of x, sign-extended to two halfwords. */
static inline int32_t tt__dsp_sxtb16_ror8(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/** a + bytes 1 and 3 of x sign-extended, per halfword. */
static inline int32_t tt__dsp_sxtab16_ror8(int32_t a, uint32_t x)
{
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
}

/**
 * One output channel's requantization, prepared once and applied to many accumulators: tt__output_s8
 * in fewer instructions, for multipliers >= 0 (every kernel checks that):
 *   - the saturating bias add is one QADD;
 *   - the doubling high multiply trunc((ab + nudge) / 2^31) (nudge 2^30, or 1 - 2^30 when ab < 0) equals
 *     floor((ab + 2^30) / 2^31) for |ab| <= 2^62 (for ab < 0: trunc(n / 2^31) = floor((n + 2^31 - 1) / 2^31)
 *     with n = ab + 1 - 2^30): one SMLAL onto 2^30 and a 64-bit shift. With b >= 0 the
 *     INT32_MIN * INT32_MIN case cannot occur and the result fits int32;
 *   - the rounding divide by 2^right is the reference's remainder / threshold form in 32-bit words
 *     (the portable code builds the mask in 64 bits), its mask prepared per channel.
 */
typedef struct {
    int32_t bias;        /* 0 when the kernel has no bias */
    int32_t multiplier;  /* >= 0 */
    int32_t left;        /* max(shift, 0) */
    int32_t right;       /* max(-shift, 0) */
    uint32_t mask;       /* 2^right - 1 */
} tt__dsp_rq;

static inline tt__dsp_rq tt__dsp_rq_of(const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
                                       int32_t channel)
{
    tt__dsp_rq q;
    const int32_t s = shift[channel];
    q.bias = bias != NULL ? bias[channel] : 0;
    q.multiplier = multiplier[channel];
    q.left = s > 0 ? s : 0;
    q.right = s > 0 ? 0 : -s;
    q.mask = (1u << q.right) - 1u;
    return q;
}

/** tt__output_s8(acc, ...) with the channel's prepared parameters; lo, hi as there. */
static inline int8_t tt__dsp_output_s8(uint32_t acc, const tt__dsp_rq *q, int32_t output_offset, int32_t lo,
                                       int32_t hi)
{
    const int32_t x = tt__s32_from_u32((uint32_t)__qadd((int32_t)acc, q->bias) << q->left);
    const int32_t h = (int32_t)(((int64_t)x * q->multiplier + ((int64_t)1 << 30)) >> 31);
    const uint32_t threshold = (q->mask >> 1) + ((uint32_t)h >> 31);
    int32_t r = (h >> q->right) + (((uint32_t)h & q->mask) > threshold ? 1 : 0);
    if (r < lo) {
        r = lo;
    }
    if (r > hi) {
        r = hi;
    }
    return (int8_t)(r + output_offset);
}

/** Scalar tail term (x + offset) * w, in uint32 so the sum wraps without undefined behaviour. */
static inline uint32_t tt__dsp_term(int8_t x, int32_t input_offset, int8_t w)
{
    return (uint32_t)((x + input_offset) * w);
}

/**
 * Dot products of two input rows with two weight rows, each row depth int8 long and the second row of
 * each pair depth bytes after the first: acc[2*i + j] += sum_k (x_i[k] + offset) * w_j[k].
 * The workhorse of the pointwise convolution and fully connected: per 4 depth steps, 4 loads,
 * 4 SXTAB16, 4 SXTB16 and 8 SMLAD make 16 multiply-accumulates; the second rows are addressed from the
 * first (base + depth) so the loop keeps its accumulators in registers.
 */
static inline void tt__dsp_dot_2x2(const int8_t *x0, const int8_t *w0, int32_t depth, int32_t input_offset,
                                   uint32_t acc[4])
{
    const int32_t off2 = tt__dsp_offset2(input_offset);
    const int8_t *const end = x0 + (depth & ~3);
    int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
    int32_t k;
    while (x0 != end) {
        const uint32_t xv0 = tt__dsp_load4(x0), xv1 = tt__dsp_load4(x0 + depth);
        const int32_t x0e = __sxtab16(off2, (int32_t)xv0), x0o = tt__dsp_sxtab16_ror8(off2, xv0);
        const int32_t x1e = __sxtab16(off2, (int32_t)xv1), x1o = tt__dsp_sxtab16_ror8(off2, xv1);
        uint32_t wv = tt__dsp_load4(w0);
        int32_t we = __sxtb16((int32_t)wv), wo = tt__dsp_sxtb16_ror8(wv);
        a00 = __smlad(x0e, we, a00);
        a00 = __smlad(x0o, wo, a00);
        a10 = __smlad(x1e, we, a10);
        a10 = __smlad(x1o, wo, a10);
        wv = tt__dsp_load4(w0 + depth);
        we = __sxtb16((int32_t)wv);
        wo = tt__dsp_sxtb16_ror8(wv);
        a01 = __smlad(x0e, we, a01);
        a01 = __smlad(x0o, wo, a01);
        a11 = __smlad(x1e, we, a11);
        a11 = __smlad(x1o, wo, a11);
        x0 += 4;
        w0 += 4;
    }
    acc[0] += (uint32_t)a00;
    acc[1] += (uint32_t)a01;
    acc[2] += (uint32_t)a10;
    acc[3] += (uint32_t)a11;
    for (k = 0; k < (depth & 3); ++k) {
        acc[0] += tt__dsp_term(x0[k], input_offset, w0[k]);
        acc[1] += tt__dsp_term(x0[k], input_offset, w0[depth + k]);
        acc[2] += tt__dsp_term(x0[depth + k], input_offset, w0[k]);
        acc[3] += tt__dsp_term(x0[depth + k], input_offset, w0[depth + k]);
    }
}

/** One input row with two weight rows (the second depth bytes after the first): acc[j] += sum_k (x[k] + offset) * w_j[k]. */
static inline void tt__dsp_dot_1x2(const int8_t *x, const int8_t *w0, int32_t depth, int32_t w_stride,
                                   int32_t input_offset, uint32_t acc[2])
{
    const int32_t off2 = tt__dsp_offset2(input_offset);
    const int8_t *const end = x + (depth & ~3);
    int32_t a0 = 0, a1 = 0;
    int32_t k;
    while (x != end) {
        const uint32_t xv = tt__dsp_load4(x);
        const uint32_t wv0 = tt__dsp_load4(w0), wv1 = tt__dsp_load4(w0 + w_stride);
        const int32_t xe = __sxtab16(off2, (int32_t)xv), xo = tt__dsp_sxtab16_ror8(off2, xv);
        a0 = __smlad(xe, __sxtb16((int32_t)wv0), a0);
        a0 = __smlad(xo, tt__dsp_sxtb16_ror8(wv0), a0);
        a1 = __smlad(xe, __sxtb16((int32_t)wv1), a1);
        a1 = __smlad(xo, tt__dsp_sxtb16_ror8(wv1), a1);
        x += 4;
        w0 += 4;
    }
    acc[0] += (uint32_t)a0;
    acc[1] += (uint32_t)a1;
    for (k = 0; k < (depth & 3); ++k) {
        acc[0] += tt__dsp_term(x[k], input_offset, w0[k]);
        acc[1] += tt__dsp_term(x[k], input_offset, w0[w_stride + k]);
    }
}

/** One row with one weight row: returns acc + sum_k (x[k] + offset) * w[k]. */
static inline uint32_t tt__dsp_dot_1x1(const int8_t *x, const int8_t *w, int32_t depth, int32_t input_offset,
                                       uint32_t acc)
{
    const int32_t off2 = tt__dsp_offset2(input_offset);
    const int8_t *const end = x + (depth & ~3);
    int32_t a = 0;
    int32_t k;
    while (x != end) {
        const uint32_t xv = tt__dsp_load4(x), wv = tt__dsp_load4(w);
        a = __smlad(__sxtab16(off2, (int32_t)xv), __sxtb16((int32_t)wv), a);
        a = __smlad(tt__dsp_sxtab16_ror8(off2, xv), tt__dsp_sxtb16_ror8(wv), a);
        x += 4;
        w += 4;
    }
    acc += (uint32_t)a;
    for (k = 0; k < (depth & 3); ++k) {
        acc += tt__dsp_term(x[k], input_offset, w[k]);
    }
    return acc;
}

/**
 * One row of tt__gemm_s8_dsp (fully connected with batch 1, or the odd last row): column pairs, each
 * pair's requantization prepared once. Not inlined: its own register allocation keeps the dot loop's
 * accumulators and pointers in registers.
 */
static __attribute__((noinline)) void tt__dsp_gemm_row(const int8_t *x, int32_t depth, const int8_t *w,
                                                     int32_t cols, const int32_t *bias,
                                                     const int32_t *multiplier, const int32_t *shift,
                                                     int32_t input_offset, int32_t output_offset,
                                                     int32_t lo, int32_t hi, int8_t *out)
{
    int32_t o;
    for (o = 0; o + 2 <= cols; o += 2) {
        const int8_t *w0 = w + (size_t)o * depth;
        uint32_t acc[2] = {0, 0};
        tt__dsp_rq q;
        tt__dsp_dot_1x2(x, w0, depth, depth, input_offset, acc);
        q = tt__dsp_rq_of(bias, multiplier, shift, o);
        out[o] = tt__dsp_output_s8(acc[0], &q, output_offset, lo, hi);
        q = tt__dsp_rq_of(bias, multiplier, shift, o + 1);
        out[o + 1] = tt__dsp_output_s8(acc[1], &q, output_offset, lo, hi);
    }
    if (o < cols) {
        const tt__dsp_rq q = tt__dsp_rq_of(bias, multiplier, shift, o);
        out[o] = tt__dsp_output_s8(tt__dsp_dot_1x1(x, w + (size_t)o * depth, depth, input_offset, 0), &q,
                                   output_offset, lo, hi);
    }
}

/**
 * DSP version of tt__gemm_s8_portable (pointwise convolution: rows = pixels; fully connected: rows =
 * batch): column pairs outside, so each pair's requantization is prepared once, then tiles of 2 rows
 * x 2 columns; the odd column by single dot products, the odd row by tt__dsp_gemm_row.
 */
static inline void tt__gemm_s8_dsp(const int8_t *x, int32_t rows, int32_t depth, const int8_t *w, int32_t cols,
                                   const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
                                   int32_t input_offset, int32_t output_offset, tt_activation act, int8_t *out)
{
    const int32_t lo = act.min - output_offset;
    const int32_t hi = act.max - output_offset;
    const int32_t even_rows = rows & ~1;
    int32_t r, o;
    for (o = 0; o + 2 <= cols; o += 2) {
        const tt__dsp_rq q0 = tt__dsp_rq_of(bias, multiplier, shift, o);
        const tt__dsp_rq q1 = tt__dsp_rq_of(bias, multiplier, shift, o + 1);
        const int8_t *w0 = w + (size_t)o * depth;
        int8_t *y = out + o;
        for (r = 0; r < even_rows; r += 2) {
            uint32_t acc[4] = {0, 0, 0, 0};
            tt__dsp_dot_2x2(x + (size_t)r * depth, w0, depth, input_offset, acc);
            y[0] = tt__dsp_output_s8(acc[0], &q0, output_offset, lo, hi);
            y[1] = tt__dsp_output_s8(acc[1], &q1, output_offset, lo, hi);
            y[cols] = tt__dsp_output_s8(acc[2], &q0, output_offset, lo, hi);
            y[cols + 1] = tt__dsp_output_s8(acc[3], &q1, output_offset, lo, hi);
            y += 2 * (size_t)cols;
        }
    }
    if (o < cols) {
        const tt__dsp_rq q0 = tt__dsp_rq_of(bias, multiplier, shift, o);
        for (r = 0; r < even_rows; ++r) {
            out[(size_t)r * cols + o] = tt__dsp_output_s8(
                tt__dsp_dot_1x1(x + (size_t)r * depth, w + (size_t)o * depth, depth, input_offset, 0), &q0,
                output_offset, lo, hi);
        }
    }
    if (even_rows < rows) {
        tt__dsp_gemm_row(x + (size_t)even_rows * depth, depth, w, cols, bias, multiplier, shift, input_offset,
                         output_offset, lo, hi, out + (size_t)even_rows * cols);
    }
}

#endif /* TT_HAVE_ARM_DSP */

#endif /* TT_DSP_H */
