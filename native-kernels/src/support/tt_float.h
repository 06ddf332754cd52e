/*
 * tinytrain kernel library: private float helpers of the training kernels (not installed, not bound).
 *
 * Everything here is exact IEEE-754 binary32 arithmetic that the Java reference (TrainMath)
 * mirrors operation for operation; the library is compiled with -ffp-contract=off, so no
 * multiply-add is ever fused.
 */
#ifndef TT_FLOAT_H
#define TT_FLOAT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tt_internal.h"

/** The bits of a float (memcpy: the portable type pun). */
static inline uint32_t tt__f32_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline float tt__f32_from_bits(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/** 1 when x is neither infinite nor NaN. */
static inline int tt__finitef(float x)
{
    return (tt__f32_bits(x) & 0x7F800000u) != 0x7F800000u;
}

/** 2^k for k in [-126, 127] (a normal float, exact). */
static inline float tt__pow2f(int32_t k)
{
    return tt__f32_from_bits((uint32_t)(k + 127) << 23);
}

/**
 * Strictly increasing channel indices in [0, limit), at least one. The check reads the whole
 * list, so it runs before any output is written.
 */
static inline int tt__channels_ok(int32_t n_channels, const int32_t *channels, int32_t limit)
{
    int32_t i, prev = -1;
    if (channels == NULL || n_channels < 1 || n_channels > limit) {
        return 0;
    }
    for (i = 0; i < n_channels; ++i) {
        if (channels[i] <= prev || channels[i] >= limit) {
            return 0;
        }
        prev = channels[i];
    }
    return 1;
}

/**
 * The outputs o in [*first, *last) of one axis whose window tap k reads inside the input:
 * 0 <= o * stride - pad + k < in (empty when *first >= *last).
 */
static inline void tt__tap_range(int32_t out, int32_t in, int32_t stride, int32_t pad, int32_t k,
                                 int32_t *first, int32_t *last)
{
    const int32_t lo_num = pad - k;                 /* o * stride >= pad - k */
    const int32_t hi_num = in - 1 + pad - k;        /* o * stride <= in - 1 + pad - k */
    int32_t f = lo_num <= 0 ? 0 : (lo_num + stride - 1) / stride;
    int32_t l = hi_num < 0 ? 0 : hi_num / stride + 1;
    *first = f;
    *last = l < out ? l : out;
}

/** Element counts of the float kernels: the same bound as tt__dims_ok, as a size_t. */
static inline size_t tt__elements(const tt_dims *d)
{
    return (size_t)d->n * (size_t)d->h * (size_t)d->w * (size_t)d->c;
}

#endif /* TT_FLOAT_H */
