/* tt_conv2d_grad_input_f32: input gradient of conv2d (transposed convolution with the int8 filter). */
#include "../support/tt_float.h"

#if TT_HAVE_ARM_DSP
/*
 * Cortex-M4/M7 path, one input cell at a time: its input channels in tiles of 8 whose sums stay in
 * FPU registers across all (ky, kx, oc) terms (the portable loop reloads and stores out[ic] for every
 * term). Each sum still takes its terms in (ky, kx, oc) order, one rounded add at a time from +0.0f:
 * the portable bits. The last in_c % 8 channels keep their sums in memory.
 */
static void tt__gi_dsp(const tt_conv_params *p, const tt_dims *grad_dims, const float *grad,
                       const tt_dims *filter_dims, const int8_t *filter, const tt_dims *output_dims, float *output)
{
    const int32_t kh = filter_dims->h, kw = filter_dims->w, in_c = output_dims->c, out_c = grad_dims->c;
    const size_t oc_step = (size_t)kh * kw * in_c;   /* weights of consecutive output channels */
    int32_t b, iy, ix, ky, kx, oc, ic;
    for (b = 0; b < output_dims->n; ++b) {
        for (iy = 0; iy < output_dims->h; ++iy) {
            for (ix = 0; ix < output_dims->w; ++ix) {
                float *out = output + (((size_t)b * output_dims->h + iy) * output_dims->w + ix) * in_c;
                for (ic = 0; ic < in_c; ic += 8) {
                    const int tile = ic + 8 <= in_c;
                    float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f, a4 = 0.0f, a5 = 0.0f, a6 = 0.0f, a7 = 0.0f;
                    int32_t t;
                    for (t = ic; !tile && t < in_c; ++t) {
                        out[t] = 0.0f;
                    }
                    for (ky = 0; ky < kh; ++ky) {
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
                            g = grad + (((size_t)b * grad_dims->h + oy) * grad_dims->w + ox) * out_c;
                            w = filter + ((size_t)ky * kw + kx) * in_c + ic;
                            if (tile) {
                                for (oc = 0; oc < out_c; ++oc, w += oc_step) {
                                    const float gv = g[oc];
                                    a0 = a0 + (float)w[0] * gv;
                                    a1 = a1 + (float)w[1] * gv;
                                    a2 = a2 + (float)w[2] * gv;
                                    a3 = a3 + (float)w[3] * gv;
                                    a4 = a4 + (float)w[4] * gv;
                                    a5 = a5 + (float)w[5] * gv;
                                    a6 = a6 + (float)w[6] * gv;
                                    a7 = a7 + (float)w[7] * gv;
                                }
                            } else {
                                for (oc = 0; oc < out_c; ++oc, w += oc_step) {
                                    const float gv = g[oc];
                                    for (t = 0; t < in_c - ic; ++t) {
                                        out[ic + t] = out[ic + t] + (float)w[t] * gv;
                                    }
                                }
                            }
                        }
                    }
                    if (tile) {
                        out[ic] = a0;
                        out[ic + 1] = a1;
                        out[ic + 2] = a2;
                        out[ic + 3] = a3;
                        out[ic + 4] = a4;
                        out[ic + 5] = a5;
                        out[ic + 6] = a6;
                        out[ic + 7] = a7;
                    }
                }
            }
        }
    }
}
#endif /* TT_HAVE_ARM_DSP */

TT_API tt_status tt_conv2d_grad_input_f32(const tt_conv_params *conv_params,
                                          const tt_dims *grad_dims, const float *grad,
                                          const tt_dims *filter_dims, const int8_t *filter,
                                          const tt_dims *output_dims, float *output)
{
    const tt_conv_params *p = conv_params;
    int32_t b, iy, ix, ky, kx, oc, ic, kh, kw, in_c, out_c;
    if (p == NULL || grad == NULL || filter == NULL || output == NULL || !tt__dims_ok(grad_dims)
        || !tt__dims_ok(filter_dims) || !tt__dims_ok(output_dims)) {
        return TT_ARG_ERROR;
    }
    if (grad_dims->n != output_dims->n || grad_dims->c != filter_dims->n || filter_dims->c != output_dims->c
        || !tt__window_ok(output_dims->h, grad_dims->h, filter_dims->h, p->stride_h, p->pad_h)
        || !tt__window_ok(output_dims->w, grad_dims->w, filter_dims->w, p->stride_w, p->pad_w)) {
        return TT_ARG_ERROR;
    }
#if TT_HAVE_ARM_DSP
    if (tt__use_dsp()) {
        tt__gi_dsp(p, grad_dims, grad, filter_dims, filter, output_dims, output);
        return TT_OK;
    }
#endif
    kh = filter_dims->h;
    kw = filter_dims->w;
    in_c = output_dims->c;
    out_c = grad_dims->c;
    for (b = 0; b < output_dims->n; ++b) {
        for (iy = 0; iy < output_dims->h; ++iy) {
            for (ix = 0; ix < output_dims->w; ++ix) {
                float *out = output + (((size_t)b * output_dims->h + iy) * output_dims->w + ix) * in_c;
                for (ic = 0; ic < in_c; ++ic) {
                    out[ic] = 0.0f;
                }
                /* every out[ic] receives its adds in (ky, kx, oc) order: the ic loop is innermost */
                for (ky = 0; ky < kh; ++ky) {
                    const int32_t ty = iy + p->pad_h - ky;   /* = oy * stride_h when (oy, ky) covers iy */
                    int32_t oy;
                    if (ty < 0 || ty % p->stride_h != 0 || (oy = ty / p->stride_h) >= grad_dims->h) {
                        continue;
                    }
                    for (kx = 0; kx < kw; ++kx) {
                        const int32_t tx = ix + p->pad_w - kx;
                        const float *g;
                        int32_t ox;
                        if (tx < 0 || tx % p->stride_w != 0 || (ox = tx / p->stride_w) >= grad_dims->w) {
                            continue;
                        }
                        g = grad + (((size_t)b * grad_dims->h + oy) * grad_dims->w + ox) * out_c;
                        for (oc = 0; oc < out_c; ++oc) {
                            const float gv = g[oc];
                            const int8_t *w = filter + (((size_t)oc * kh + ky) * kw + kx) * in_c;
                            for (ic = 0; ic < in_c; ++ic) {
                                out[ic] = out[ic] + (float)w[ic] * gv;
                            }
                        }
                    }
                }
            }
        }
    }
    return TT_OK;
}
