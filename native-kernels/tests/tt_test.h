/*
 * tinytrain C unit tests: random numbers, an independent naive reference of the int8 numerics,
 * and case generators. Written from the specification, not from the library's sources: the
 * reference works in int64 and rounds ties away from zero by magnitude.
 */
#ifndef TT_TEST_H
#define TT_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinytrain.h"

/* ---- random numbers (splitmix64; a case is replayed from its seed) ----------------------- */

static uint64_t tt_rng_state;

static inline void rng_seed(uint64_t seed) { tt_rng_state = seed; }

static inline uint64_t rng_next(void)
{
    uint64_t z = (tt_rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/** Uniform in [lo, hi]. */
static inline int32_t rnd(int32_t lo, int32_t hi)
{
    return (int32_t)(lo + (int64_t)(rng_next() % (uint64_t)((int64_t)hi - lo + 1)));
}

static inline int32_t pick(const int32_t *values, int32_t count) { return values[rnd(0, count - 1)]; }

static const int32_t TT_CHANNELS[] = {1, 3, 5, 7, 8, 15, 16, 17, 31};
#define TT_N_CHANNELS ((int32_t)(sizeof TT_CHANNELS / sizeof TT_CHANNELS[0]))

/** Base seed: argv[1] when given (decimal or 0x...), else a fixed value. */
static inline uint64_t base_seed(int argc, char **argv)
{
    return argc > 1 ? (uint64_t)strtoull(argv[1], NULL, 0) : 0x7417C0DEull;
}

/* ---- int8 data fills --------------------------------------------------------------------- */

enum { FILL_RANDOM, FILL_MIN, FILL_MAX, FILL_EXTREMES, FILL_SMALL, FILL_COUNT };

static inline void fill_s8(int8_t *p, int32_t n, int mode)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        switch (mode) {
        case FILL_MIN: p[i] = -128; break;
        case FILL_MAX: p[i] = 127; break;
        case FILL_EXTREMES: p[i] = (int8_t)(rnd(0, 1) ? 127 : -128); break;
        case FILL_SMALL: p[i] = (int8_t)rnd(-3, 3); break;
        default: p[i] = (int8_t)rnd(-128, 127); break;
        }
    }
}

/** Fill mode: mostly random, often a boundary fill. */
static inline int rnd_fill(void) { return rnd(0, 9) < 5 ? FILL_RANDOM : rnd(1, FILL_COUNT - 1); }

static inline int32_t rnd_input_offset(void)
{
    const int32_t r = rnd(0, 9);
    return r == 0 ? -127 : (r == 1 ? 128 : (r == 2 ? 0 : rnd(-127, 128)));
}

static inline int32_t rnd_output_offset(void)
{
    const int32_t r = rnd(0, 9);
    return r == 0 ? -128 : (r == 1 ? 127 : (r == 2 ? 0 : rnd(-128, 127)));
}

static inline tt_activation rnd_activation(void)
{
    tt_activation a;
    if (rnd(0, 2) != 0) {
        a.min = -128;
        a.max = 127;
    } else {
        a.min = rnd(-128, 127);
        a.max = rnd(a.min, 127);
    }
    return a;
}

/** Q31 multiplier: mostly [2^30, 2^31), sometimes 0 or the extremes. */
static inline int32_t rnd_multiplier(void)
{
    const int32_t r = rnd(0, 19);
    if (r == 0) return 0;
    if (r == 1) return INT32_MAX;
    if (r == 2) return 1 << 30;
    return rnd(1 << 30, INT32_MAX);
}

/** Exponent for an accumulator of `depth` products: realistic mostly, any value sometimes. */
static inline int32_t rnd_shift(int32_t depth)
{
    int32_t bits = 0;
    if (rnd(0, 9) == 0) {
        return rnd(-31, 30);
    }
    while ((1 << bits) < depth && bits < 30) {
        ++bits;
    }
    return -(7 + bits / 2 + rnd(-2, 3));
}

/** Bias: mostly small, sometimes near either int32 limit. */
static inline int32_t rnd_bias(void)
{
    const int32_t r = rnd(0, 19);
    if (r == 0) return INT32_MAX - rnd(0, 1000);
    if (r == 1) return INT32_MIN + rnd(0, 1000);
    return rnd(-(1 << 16), 1 << 16);
}

/* ---- reference numerics (int64, written from the specification) ------------------------- */

static inline int32_t ref_wrap32(int64_t v)
{
    uint32_t u = (uint32_t)((uint64_t)v & 0xFFFFFFFFull);
    int64_t s = (int64_t)u;
    if (s >= ((int64_t)1 << 31)) {
        s -= (int64_t)1 << 32;
    }
    return (int32_t)s;
}

static inline int32_t ref_requantize(int32_t x, int32_t m, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t xs = ref_wrap32((int64_t)x * ((int64_t)1 << left));
    int64_t prod, num, high;
    if (xs == INT32_MIN && m == INT32_MIN) {
        high = INT32_MAX;
    } else {
        prod = (int64_t)xs * m;
        num = prod + (prod >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30)));
        high = num / ((int64_t)1 << 31);
    }
    if (right == 0) {
        return (int32_t)high;
    }
    /* x / 2^right rounded to nearest, ties away from zero, by magnitude */
    if (high >= 0) {
        return (int32_t)((high + ((int64_t)1 << (right - 1))) >> right);
    }
    return (int32_t)-((-high + ((int64_t)1 << (right - 1))) >> right);
}

static inline int8_t ref_output(int64_t acc, int32_t bias, int32_t m, int32_t s, int32_t off, tt_activation act)
{
    int64_t v = (int64_t)ref_wrap32(acc) + bias;
    if (v > INT32_MAX) v = INT32_MAX;
    if (v < INT32_MIN) v = INT32_MIN;
    v = (int64_t)ref_requantize((int32_t)v, m, s) + off;
    if (v < act.min) v = act.min;
    if (v > act.max) v = act.max;
    return (int8_t)v;
}

static inline size_t nhwc(const tt_dims *d, int32_t b, int32_t y, int32_t x, int32_t c)
{
    return (((size_t)b * d->h + y) * d->w + x) * d->c + c;
}

static inline void ref_conv2d(const tt_conv_params *p, const int32_t *mult, const int32_t *shift,
                       const tt_dims *id, const int8_t *in, const tt_dims *fd, const int8_t *f,
                       const int32_t *bias, const tt_dims *od, int8_t *out, int depthwise)
{
    int32_t b, y, x, oc, ky, kx, ic;
    for (b = 0; b < od->n; ++b)
        for (y = 0; y < od->h; ++y)
            for (x = 0; x < od->w; ++x)
                for (oc = 0; oc < od->c; ++oc) {
                    int64_t acc = 0;
                    for (ky = 0; ky < fd->h; ++ky)
                        for (kx = 0; kx < fd->w; ++kx) {
                            const int32_t iy = y * p->stride_h - p->pad_h + ky;
                            const int32_t ix = x * p->stride_w - p->pad_w + kx;
                            if (iy < 0 || iy >= id->h || ix < 0 || ix >= id->w) continue;
                            if (depthwise) {
                                acc += (int64_t)(in[nhwc(id, b, iy, ix, oc)] + p->input_offset)
                                       * f[nhwc(fd, 0, ky, kx, oc)];
                            } else {
                                for (ic = 0; ic < id->c; ++ic)
                                    acc += (int64_t)(in[nhwc(id, b, iy, ix, ic)] + p->input_offset)
                                           * f[nhwc(fd, oc, ky, kx, ic)];
                            }
                        }
                    out[nhwc(od, b, y, x, oc)] = ref_output(acc, bias ? bias[oc] : 0, mult[oc], shift[oc],
                                                            p->output_offset, p->activation);
                }
}

/** SAME (pad = 1) or VALID (pad = 0) output size and leading padding of one axis. */
static inline void same_or_valid(int32_t in, int32_t k, int32_t stride, int same, int32_t *out, int32_t *pad)
{
    if (same) {
        int32_t total;
        *out = (in + stride - 1) / stride;
        total = (*out - 1) * stride + k - in;
        *pad = total > 0 ? total / 2 : 0;
    } else {
        *out = (in - k) / stride + 1;
        *pad = 0;
    }
}

/* ---- result checks ----------------------------------------------------------------------- */

static inline int compare_s8(const char *what, uint64_t seed, const int8_t *want, const int8_t *got, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        if (want[i] != got[i]) {
            printf("FAIL %s seed=0x%llx: element %d want %d got %d\n", what,
                   (unsigned long long)seed, i, want[i], got[i]);
            return 1;
        }
    }
    return 0;
}

/** The ISA paths to compare: portable always, AVX2 or Arm DSP when this build and machine have it. */
static inline int isa_paths(tt_isa *paths)
{
    int n = 0;
    paths[n++] = TT_ISA_PORTABLE;
    if (tt_isa_best() == TT_ISA_AVX2 || tt_isa_best() == TT_ISA_ARM_DSP) {
        paths[n++] = tt_isa_best();
    }
    return n;
}

static inline const char *isa_name(tt_isa isa)
{
    return isa == TT_ISA_AVX2 ? "avx2" : (isa == TT_ISA_ARM_DSP ? "arm-dsp" : "portable");
}

#endif /* TT_TEST_H */
