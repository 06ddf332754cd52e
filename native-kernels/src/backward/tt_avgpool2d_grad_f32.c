/* tt_avgpool2d_grad_f32: gradient of average pooling, each window's share added in raster order. */
#include "../support/tt_float.h"

TT_API tt_status tt_avgpool2d_grad_f32(const tt_pool_params *pool_params,
                                       const tt_dims *grad_dims, const float *grad,
                                       const tt_dims *output_dims, float *output)
{
    const tt_pool_params *p = pool_params;
    int32_t in_h, in_w, ch, b, oy, ox, c, y, x;
    size_t i, n;
    if (p == NULL || grad == NULL || output == NULL || !tt__dims_ok(grad_dims) || !tt__dims_ok(output_dims)) {
        return TT_ARG_ERROR;
    }
    if (grad_dims->n != output_dims->n || grad_dims->c != output_dims->c
        || !tt__window_ok(output_dims->h, grad_dims->h, p->filter_h, p->stride_h, p->pad_h)
        || !tt__window_ok(output_dims->w, grad_dims->w, p->filter_w, p->stride_w, p->pad_w)
        || (int64_t)p->filter_h * p->filter_w > ((int64_t)1 << 24)) {
        return TT_ARG_ERROR;
    }
    n = tt__elements(output_dims);
    for (i = 0; i < n; ++i) {
        output[i] = 0.0f;
    }
    in_h = output_dims->h;
    in_w = output_dims->w;
    ch = output_dims->c;
    for (b = 0; b < grad_dims->n; ++b) {
        for (oy = 0; oy < grad_dims->h; ++oy) {
            const int32_t y0 = tt__max_s32(0, oy * p->stride_h - p->pad_h);
            const int32_t y1 = tt__min_s32(in_h, oy * p->stride_h - p->pad_h + p->filter_h);
            for (ox = 0; ox < grad_dims->w; ++ox) {
                const int32_t x0 = tt__max_s32(0, ox * p->stride_w - p->pad_w);
                const int32_t x1 = tt__min_s32(in_w, ox * p->stride_w - p->pad_w + p->filter_w);
                const float count = (float)((y1 - y0) * (x1 - x0));   /* >= 1, exact */
                const float *g = grad + (((size_t)b * grad_dims->h + oy) * grad_dims->w + ox) * ch;
                /* channels are independent outputs: each cell still receives its adds in raster order */
                for (y = y0; y < y1; ++y) {
                    for (x = x0; x < x1; ++x) {
                        float *out = output + (((size_t)b * in_h + y) * in_w + x) * ch;
                        for (c = 0; c < ch; ++c) {
                            out[c] = out[c] + g[c] / count;
                        }
                    }
                }
            }
        }
    }
    return TT_OK;
}
