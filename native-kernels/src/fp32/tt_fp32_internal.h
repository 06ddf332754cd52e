/*
 * tinytrain kernel library: private helpers of the float32 convolutions (not installed, not bound).
 */
#ifndef TT_FP32_INTERNAL_H
#define TT_FP32_INTERNAL_H

#include "../support/tt_float.h"

#if TT_HAVE_AVX2
#include <immintrin.h>
#define TT_F32_AVX2_FN static __attribute__((target("avx2"), noinline))
#endif

/**
 * The shared window checks: params and dims present, every dims valid, both spatial axes obey the
 * window rule between the (forward) input dims and the (forward) output dims.
 */
static inline int tt__f32_window_ok(const tt_window_params *p, const tt_dims *in, const tt_dims *filter,
                                    const tt_dims *out)
{
    return p != NULL && tt__dims_ok(in) && tt__dims_ok(filter) && tt__dims_ok(out) && in->n == out->n
           && tt__window_ok(in->h, out->h, filter->h, p->stride_h, p->pad_h)
           && tt__window_ok(in->w, out->w, filter->w, p->stride_w, p->pad_w);
}

/** A 1x1 stride-1 unpadded window: the conv is a matrix product over n*h*w pixels. */
static inline int tt__f32_pointwise(const tt_window_params *p, const tt_dims *filter)
{
    return filter->h == 1 && filter->w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_h == 0
           && p->pad_w == 0;
}

/** Depthwise shapes: filter 1HWC with the input's channels, output with the same channels. */
static inline int tt__f32_depthwise_ok(const tt_dims *in, const tt_dims *filter, const tt_dims *out)
{
    return filter->n == 1 && filter->c == in->c && out->c == in->c;
}

#endif /* TT_FP32_INTERNAL_H */
