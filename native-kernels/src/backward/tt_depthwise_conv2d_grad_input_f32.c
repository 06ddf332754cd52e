/* tt_depthwise_conv2d_grad_input_f32: input gradient of depthwise conv2d, per channel. */
#include "../support/tt_float.h"

#if TT_HAVE_ARM_DSP
/* Taps a window may have for the path below (its per-cell list lives on the stack: 8 bytes each). */
#define TT__DW_GI_MAX_TAPS 64

/*
 * Cortex-M4/M7 path, one input cell at a time: the taps that reach it are listed once (row-major, as
 * the portable loop visits them), then its channels in tiles of 8 keep their sums in FPU registers
 * across that list, one rounded add per tap from +0.0f: the portable bits. The last c % 8 channels
 * keep their sums in memory. Filters with more than TT__DW_GI_MAX_TAPS taps take the portable loop.
 */
static void tt__dw_gi_dsp(const tt_conv_params *p, const tt_dims *grad_dims, const float *grad,
                          const tt_dims *filter_dims, const int8_t *filter, const tt_dims *output_dims, float *output)
{
    const int32_t kw = filter_dims->w, ch = output_dims->c;
    const float *tap_g[TT__DW_GI_MAX_TAPS];
    const int8_t *tap_w[TT__DW_GI_MAX_TAPS];
    int32_t b, iy, ix, ky, kx, c, t, n;
    for (b = 0; b < output_dims->n; ++b) {
        for (iy = 0; iy < output_dims->h; ++iy) {
            for (ix = 0; ix < output_dims->w; ++ix) {
                float *out = output + (((size_t)b * output_dims->h + iy) * output_dims->w + ix) * ch;
                n = 0;
                for (ky = 0; ky < filter_dims->h; ++ky) {
                    const int32_t ty = iy + p->pad_h - ky;
                    int32_t oy;
                    if (ty < 0 || ty % p->stride_h != 0 || (oy = ty / p->stride_h) >= grad_dims->h) {
                        continue;
                    }
                    for (kx = 0; kx < kw; ++kx) {
                        const int32_t tx = ix + p->pad_w - kx;
                        int32_t ox;
                        if (tx < 0 || tx % p->stride_w != 0 || (ox = tx / p->stride_w) >= grad_dims->w) {
                            continue;
                        }
                        tap_g[n] = grad + (((size_t)b * grad_dims->h + oy) * grad_dims->w + ox) * ch;
                        tap_w[n] = filter + ((size_t)ky * kw + kx) * ch;
                        ++n;
                    }
                }
                for (c = 0; c + 8 <= ch; c += 8) {
                    float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f, a4 = 0.0f, a5 = 0.0f, a6 = 0.0f, a7 = 0.0f;
                    for (t = 0; t < n; ++t) {
                        const float *g = tap_g[t] + c;
                        const int8_t *w = tap_w[t] + c;
                        a0 = a0 + (float)w[0] * g[0];
                        a1 = a1 + (float)w[1] * g[1];
                        a2 = a2 + (float)w[2] * g[2];
                        a3 = a3 + (float)w[3] * g[3];
                        a4 = a4 + (float)w[4] * g[4];
                        a5 = a5 + (float)w[5] * g[5];
                        a6 = a6 + (float)w[6] * g[6];
                        a7 = a7 + (float)w[7] * g[7];
                    }
                    out[c] = a0;
                    out[c + 1] = a1;
                    out[c + 2] = a2;
                    out[c + 3] = a3;
                    out[c + 4] = a4;
                    out[c + 5] = a5;
                    out[c + 6] = a6;
                    out[c + 7] = a7;
                }
                for (; c < ch; ++c) {
                    float a = 0.0f;
                    for (t = 0; t < n; ++t) {
                        a = a + (float)tap_w[t][c] * tap_g[t][c];
                    }
                    out[c] = a;
                }
            }
        }
    }
}
#endif /* TT_HAVE_ARM_DSP */

TT_API tt_status tt_depthwise_conv2d_grad_input_f32(const tt_conv_params *conv_params,
                                                    const tt_dims *grad_dims, const float *grad,
                                                    const tt_dims *filter_dims, const int8_t *filter,
                                                    const tt_dims *output_dims, float *output)
{
    const tt_conv_params *p = conv_params;
    int32_t b, iy, ix, ky, kx, c, kw, ch;
    if (p == NULL || grad == NULL || filter == NULL || output == NULL || !tt__dims_ok(grad_dims)
        || !tt__dims_ok(filter_dims) || !tt__dims_ok(output_dims)) {
        return TT_ARG_ERROR;
    }
    if (grad_dims->n != output_dims->n || filter_dims->n != 1 || filter_dims->c != output_dims->c
        || grad_dims->c != output_dims->c
        || !tt__window_ok(output_dims->h, grad_dims->h, filter_dims->h, p->stride_h, p->pad_h)
        || !tt__window_ok(output_dims->w, grad_dims->w, filter_dims->w, p->stride_w, p->pad_w)) {
        return TT_ARG_ERROR;
    }
#if TT_HAVE_ARM_DSP
    if (tt__use_dsp() && (int64_t)filter_dims->h * filter_dims->w <= TT__DW_GI_MAX_TAPS) {
        tt__dw_gi_dsp(p, grad_dims, grad, filter_dims, filter, output_dims, output);
        return TT_OK;
    }
#endif
    kw = filter_dims->w;
    ch = output_dims->c;
    for (b = 0; b < output_dims->n; ++b) {
        for (iy = 0; iy < output_dims->h; ++iy) {
            for (ix = 0; ix < output_dims->w; ++ix) {
                float *out = output + (((size_t)b * output_dims->h + iy) * output_dims->w + ix) * ch;
                for (c = 0; c < ch; ++c) {
                    out[c] = 0.0f;
                }
                for (ky = 0; ky < filter_dims->h; ++ky) {
                    const int32_t ty = iy + p->pad_h - ky;
                    int32_t oy;
                    if (ty < 0 || ty % p->stride_h != 0 || (oy = ty / p->stride_h) >= grad_dims->h) {
                        continue;
                    }
                    for (kx = 0; kx < kw; ++kx) {
                        const int32_t tx = ix + p->pad_w - kx;
                        const float *g;
                        const int8_t *w;
                        int32_t ox;
                        if (tx < 0 || tx % p->stride_w != 0 || (ox = tx / p->stride_w) >= grad_dims->w) {
                            continue;
                        }
                        g = grad + (((size_t)b * grad_dims->h + oy) * grad_dims->w + ox) * ch;
                        w = filter + ((size_t)ky * kw + kx) * ch;
                        for (c = 0; c < ch; ++c) {
                            out[c] = out[c] + (float)w[c] * g[c];
                        }
                    }
                }
            }
        }
    }
    return TT_OK;
}
