/*
 * Helpers of the training-kernel tests: float data, random conv geometries, channel subsets,
 * and an independent transcription of the stochastic-rounding hash.
 */
#ifndef TT_TRAIN_TEST_H
#define TT_TRAIN_TEST_H

#include <math.h>

#include "tt_test.h"

/** Uniform float in [-1, 1) with 24 random bits; sometimes exactly 0. */
static inline float rnd_unit(void)
{
    if (rnd(0, 15) == 0) {
        return 0.0f;
    }
    return (float)((double)(rng_next() >> 40) / 8388608.0 - 1.0);
}

static inline float *new_floats(size_t n, float scale)
{
    float *p = malloc(n * sizeof *p + 4);
    size_t i;
    for (i = 0; i < n; ++i) {
        p[i] = rnd_unit() * scale;
    }
    return p;
}

static inline int8_t *new_s8(size_t n)
{
    int8_t *p = malloc(n + 1);
    fill_s8(p, (int32_t)n, rnd_fill());
    return p;
}

static inline int32_t imin(int32_t a, int32_t b) { return a < b ? a : b; }
static inline int32_t imax(int32_t a, int32_t b) { return a > b ? a : b; }

static inline size_t elements(const tt_dims *d) { return (size_t)d->n * d->h * d->w * d->c; }

/** A random windowed geometry: input (in), kernel, stride, SAME or VALID padding, output (out). */
typedef struct {
    tt_dims in, out;
    int32_t kh, kw, stride_h, stride_w, pad_h, pad_w;
} geometry;

static const int32_t KERNELS[] = {1, 3, 5, 7};

static inline geometry rnd_geometry(int32_t in_c, int32_t out_c)
{
    geometry g;
    int same;
    g.kh = pick(KERNELS, 4);
    g.kw = rnd(0, 3) == 0 ? pick(KERNELS, 4) : g.kh;
    g.stride_h = rnd(1, 2);
    g.stride_w = rnd(0, 3) == 0 ? rnd(1, 2) : g.stride_h;
    same = rnd(0, 9) < 6;
    g.in.n = rnd(0, 4) == 0 ? 2 : 1;
    g.in.h = rnd(same ? 1 : g.kh, g.kh + 6);
    g.in.w = rnd(same ? 1 : g.kw, g.kw + 6);
    g.in.c = in_c;
    g.out.n = g.in.n;
    g.out.c = out_c;
    same_or_valid(g.in.h, g.kh, g.stride_h, same, &g.out.h, &g.pad_h);
    same_or_valid(g.in.w, g.kw, g.stride_w, same, &g.out.w, &g.pad_w);
    return g;
}

static inline tt_conv_params conv_params_of(const geometry *g, int32_t input_offset)
{
    tt_conv_params p;
    p.input_offset = input_offset;
    p.output_offset = 0;
    p.stride_h = g->stride_h;
    p.stride_w = g->stride_w;
    p.pad_h = g->pad_h;
    p.pad_w = g->pad_w;
    p.activation.min = -128;
    p.activation.max = 127;
    return p;
}

/** A random strictly increasing subset of [0, c), at least one; returns its size. */
static inline int32_t rnd_channels(int32_t c, int32_t *out)
{
    int32_t i, n = 0;
    const int mode = rnd(0, 3);
    for (i = 0; i < c; ++i) {
        if (mode == 0 || rnd(0, 2) == 0) {
            out[n++] = i;
        }
    }
    if (n == 0) {
        out[n++] = rnd(0, c - 1);
    }
    return n;
}

/* ---- the stochastic-rounding hash, transcribed from tt_backward.h ------------------------- */

static inline uint32_t ref_mix(uint32_t x)
{
    x = x ^ (x >> 16);
    x = (uint32_t)((uint64_t)x * 0x7feb352dull);
    x = x ^ (x >> 15);
    x = (uint32_t)((uint64_t)x * 0x846ca68bull);
    return x ^ (x >> 16);
}

static inline double ref_uniform(uint32_t seed, uint32_t step, uint32_t tensor, uint32_t index)
{
    uint32_t h = ref_mix(seed ^ 0x9e3779b9u);
    h = ref_mix(h ^ step);
    h = ref_mix(h ^ tensor);
    h = ref_mix(h ^ index);
    return (double)(h >> 8) / 16777216.0;
}

#endif /* TT_TRAIN_TEST_H */
