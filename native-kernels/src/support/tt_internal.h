/*
 * tinytrain kernel library: private helpers shared by the kernels (not installed, not bound).
 *
 * Integer conventions used by every kernel (the Java reference mirrors them):
 *   - the int32 accumulator sum_k (x + input_offset) * w wraps modulo 2^32 (it cannot overflow
 *     while kernel_h * kernel_w * in_channels <= 65793, i.e. for every realistic layer);
 *   - the bias is added with saturation to [INT32_MIN, INT32_MAX] (dead channels carry biases near
 *     the limit; TF-Lite would wrap there, we saturate deliberately);
 *   - the output offset is added without overflow (as if in int64) before the activation clamp.
 */
#ifndef TT_INTERNAL_H
#define TT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tinytrain.h"

/* Marks the public API; everything else is hidden (-fvisibility=hidden). */
#if defined(__GNUC__) || defined(__clang__)
#define TT_API __attribute__((visibility("default")))
#else
#define TT_API
#endif

/* Hand-tuned x86-64 paths are compiled in with GCC/Clang and chosen at run time. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TT_HAVE_AVX2 1
#else
#define TT_HAVE_AVX2 0
#endif

/*
 * Hand-tuned Arm paths (SMLAD, SXTB16: Cortex-M4, M7, M33 with DSP) are compiled in when the target
 * has the DSP extension, unless TT_NO_DSP leaves them out; they are the default there and
 * tt_isa_select(TT_ISA_PORTABLE) switches back to the plain C at run time.
 */
#if defined(__ARM_FEATURE_DSP) && !defined(TT_NO_DSP) && (defined(__GNUC__) || defined(__clang__))
#define TT_HAVE_ARM_DSP 1
#else
#define TT_HAVE_ARM_DSP 0
#endif

/* ---- integer helpers -------------------------------------------------------------------- */

/** Two's complement reinterpretation of a uint32 (a no-op on every compiler we target). */
static inline int32_t tt__s32_from_u32(uint32_t u)
{
    return u <= 0x7FFFFFFFu ? (int32_t)u : (int32_t)(u - 0x80000000u) - INT32_MAX - 1;
}

/** a + b saturated to the int32 range. */
static inline int32_t tt__add_sat_s32(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a + (int64_t)b;
    return s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : (int32_t)s);
}

/** TF-Lite's SaturatingRoundingDoublingHighMul. */
static inline int32_t tt__srdhm(int32_t a, int32_t b)
{
    int64_t ab;
    int64_t nudge;
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    ab = (int64_t)a * (int64_t)b;
    nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    /* truncating division, not a shift: this is the reference's rounding */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/** TF-Lite's RoundingDivideByPOT, exponent in [0, 31]: x / 2^exponent, ties away from zero. */
static inline int32_t tt__rdbpot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    /* >> of a negative value is an arithmetic shift on GCC and Clang (documented) */
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** TF-Lite's MultiplyByQuantizedMultiplier; shift in [-31, 30], the left shift wraps. */
static inline int32_t tt__requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t shifted = tt__s32_from_u32((uint32_t)x << left);
    return tt__rdbpot(tt__srdhm(shifted, multiplier), right);
}

/**
 * Accumulator to int8 output: saturating bias add, requantize, output offset, clamp.
 * lo = activation.min - output_offset, hi = activation.max - output_offset (so the offset add
 * cannot overflow: clamp(r + off, min, max) == clamp(r, min - off, max - off) + off).
 */
static inline int8_t tt__output_s8(uint32_t acc, int32_t bias, int32_t multiplier, int32_t shift,
                                   int32_t output_offset, int32_t lo, int32_t hi)
{
    int32_t r = tt__requantize(tt__add_sat_s32(tt__s32_from_u32(acc), bias), multiplier, shift);
    r = r < lo ? lo : (r > hi ? hi : r);
    return (int8_t)(r + output_offset);
}

static inline int32_t tt__min_s32(int32_t a, int32_t b) { return a < b ? a : b; }
static inline int32_t tt__max_s32(int32_t a, int32_t b) { return a > b ? a : b; }

/* ---- argument checks (each returns 1 when valid) ---------------------------------------- */

/** Every field >= 1 and the element count fits in int32. */
static inline int tt__dims_ok(const tt_dims *d)
{
    return d != NULL && d->n >= 1 && d->h >= 1 && d->w >= 1 && d->c >= 1
           && (int64_t)d->n * d->h * d->w * d->c <= INT32_MAX;
}

static inline int tt__activation_ok(tt_activation a)
{
    return a.min >= -128 && a.min <= a.max && a.max <= 127;
}

static inline int tt__input_offset_ok(int32_t off) { return off >= -127 && off <= 128; }

static inline int tt__output_offset_ok(int32_t off) { return off >= -128 && off <= 127; }

static inline int tt__shift_ok(int32_t shift) { return shift >= -31 && shift <= 30; }

/** Per-channel quantization: arrays present, multipliers >= 0, shifts in [-31, 30]. */
static inline int tt__quant_ok(const tt_per_channel_quant_params *q, int32_t channels)
{
    int32_t i;
    if (q == NULL || q->multiplier == NULL || q->shift == NULL) {
        return 0;
    }
    for (i = 0; i < channels; ++i) {
        if (q->multiplier[i] < 0 || !tt__shift_ok(q->shift[i])) {
            return 0;
        }
    }
    return 1;
}

/** Bias absent (NULL), or present with dims [1, 1, 1, channels]. */
static inline int tt__bias_ok(const tt_dims *bias_dims, const int32_t *bias, int32_t channels)
{
    if (bias == NULL) {
        return 1;
    }
    return bias_dims != NULL && bias_dims->n == 1 && bias_dims->h == 1 && bias_dims->w == 1
           && bias_dims->c == channels;
}

/**
 * One spatial axis of a sliding window: kernel, stride >= 1, 0 <= pad < kernel, and every output
 * position's window intersects the input (the last one starts inside it).
 */
static inline int tt__window_ok(int32_t in, int32_t out, int32_t kernel, int32_t stride, int32_t pad)
{
    return kernel >= 1 && stride >= 1 && pad >= 0 && pad < kernel && out >= 1
           && (int64_t)(out - 1) * stride - pad <= (int64_t)in - 1;
}

/** Scratch check: ctx may be NULL when nothing is needed. */
static inline int tt__context_ok(const tt_context *ctx, int32_t needed)
{
    if (needed <= 0) {
        return 1;
    }
    return ctx != NULL && ctx->buf != NULL && ctx->size >= needed;
}

/**
 * Shared checks of conv2d (depthwise = 0: OHWI filter) and depthwise conv2d (depthwise = 1:
 * 1HWC filter) arguments. Returns 1 when the call is valid.
 */
static inline int tt__conv_args_ok(const tt_conv_params *p, const tt_per_channel_quant_params *q,
                                   const tt_dims *in_dims, const int8_t *input,
                                   const tt_dims *f_dims, const int8_t *filter,
                                   const tt_dims *b_dims, const int32_t *bias,
                                   const tt_dims *out_dims, const int8_t *output, int depthwise)
{
    if (p == NULL || input == NULL || filter == NULL || output == NULL) {
        return 0;
    }
    if (!tt__dims_ok(in_dims) || !tt__dims_ok(f_dims) || !tt__dims_ok(out_dims)) {
        return 0;
    }
    if (!tt__input_offset_ok(p->input_offset) || !tt__output_offset_ok(p->output_offset)
        || !tt__activation_ok(p->activation)) {
        return 0;
    }
    if (out_dims->n != in_dims->n) {
        return 0;
    }
    if (depthwise) {
        if (f_dims->n != 1 || f_dims->c != in_dims->c || out_dims->c != in_dims->c) {
            return 0;
        }
    } else if (f_dims->c != in_dims->c || out_dims->c != f_dims->n) {
        return 0;
    }
    if (!tt__window_ok(in_dims->h, out_dims->h, f_dims->h, p->stride_h, p->pad_h)
        || !tt__window_ok(in_dims->w, out_dims->w, f_dims->w, p->stride_w, p->pad_w)) {
        return 0;
    }
    return tt__bias_ok(b_dims, bias, out_dims->c) && tt__quant_ok(q, out_dims->c);
}

/* ---- ISA dispatch ------------------------------------------------------------------------ */

/** 1 when the AVX2 paths are compiled in and selected. */
static inline int tt__use_avx2(void)
{
#if TT_HAVE_AVX2
    return tt_isa_active() == TT_ISA_AVX2;
#else
    return 0;
#endif
}

/** 1 when the Arm DSP paths are compiled in and selected. */
static inline int tt__use_dsp(void)
{
#if TT_HAVE_ARM_DSP
    return tt_isa_active() == TT_ISA_ARM_DSP;
#else
    return 0;
#endif
}

/* ---- shared portable loops --------------------------------------------------------------- */

/**
 * out[r][o] = output(sum_k (x[r][k] + input_offset) * w[o][k], bias[o], ...): the core of the
 * pointwise convolution (rows = pixels) and of fully connected (rows = batch).
 */
static inline void tt__gemm_s8_portable(const int8_t *x, int32_t rows, int32_t depth,
                                        const int8_t *w, int32_t cols, const int32_t *bias,
                                        const int32_t *multiplier, const int32_t *shift,
                                        int32_t input_offset, int32_t output_offset,
                                        tt_activation act, int8_t *out)
{
    const int32_t lo = act.min - output_offset;
    const int32_t hi = act.max - output_offset;
    int32_t r, o, k;
    for (r = 0; r < rows; ++r) {
        const int8_t *xr = x + (size_t)r * depth;
        int8_t *outr = out + (size_t)r * cols;
        for (o = 0; o < cols; ++o) {
            const int8_t *wr = w + (size_t)o * depth;
            uint32_t acc = 0;
            for (k = 0; k < depth; ++k) {
                acc += (uint32_t)((xr[k] + input_offset) * wr[k]);
            }
            outr[o] = tt__output_s8(acc, bias != NULL ? bias[o] : 0, multiplier[o], shift[o],
                                    output_offset, lo, hi);
        }
    }
}

#endif /* TT_INTERNAL_H */
