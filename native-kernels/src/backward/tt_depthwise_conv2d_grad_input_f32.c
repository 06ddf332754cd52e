/* tt_depthwise_conv2d_grad_input_f32: input gradient of depthwise conv2d, per channel. */
#include "../support/tt_float.h"

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
