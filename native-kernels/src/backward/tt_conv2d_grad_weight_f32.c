/* tt_conv2d_grad_weight_f32: conv2d weight gradient of a channel subset, stored for a later update. */
#include "../support/tt_float.h"

/* Channels accumulated together (stack: 4 bytes each); any block size gives the same bits. */
#define TT__GW_BLOCK 64

TT_API tt_status tt_conv2d_grad_weight_f32(const tt_conv_params *conv_params,
                                           const tt_dims *grad_dims, const float *grad,
                                           const tt_dims *saved_dims, const int8_t *saved,
                                           int32_t n_channels, const int32_t *channels,
                                           const tt_dims *filter_dims, float *output)
{
    const tt_conv_params *p = conv_params;
    float acc[TT__GW_BLOCK];
    int32_t oc, ky, kx, j0, j, nj, b, oy, ox, kh, kw, out_c;
    if (p == NULL || grad == NULL || saved == NULL || output == NULL || !tt__dims_ok(grad_dims)
        || !tt__dims_ok(saved_dims) || !tt__dims_ok(filter_dims) || !tt__input_offset_ok(p->input_offset)) {
        return TT_ARG_ERROR;
    }
    if (!tt__channels_ok(n_channels, channels, filter_dims->c) || saved_dims->c != n_channels
        || saved_dims->n != grad_dims->n || grad_dims->c != filter_dims->n
        || !tt__window_ok(saved_dims->h, grad_dims->h, filter_dims->h, p->stride_h, p->pad_h)
        || !tt__window_ok(saved_dims->w, grad_dims->w, filter_dims->w, p->stride_w, p->pad_w)) {
        return TT_ARG_ERROR;
    }
    kh = filter_dims->h;
    kw = filter_dims->w;
    out_c = filter_dims->n;
    for (oc = 0; oc < out_c; ++oc) {
        for (ky = 0; ky < kh; ++ky) {
            for (kx = 0; kx < kw; ++kx) {
                float *out = output + (((size_t)oc * kh + ky) * kw + kx) * (size_t)n_channels;
                for (j0 = 0; j0 < n_channels; j0 += TT__GW_BLOCK) {
                    nj = tt__min_s32(TT__GW_BLOCK, n_channels - j0);
                    for (j = 0; j < nj; ++j) {
                        acc[j] = 0.0f;
                    }
                    /* (n, oy, ox) in raster order, one add per term: tt_conv2d_grad_weight_update_s8's sum */
                    for (b = 0; b < grad_dims->n; ++b) {
                        for (oy = 0; oy < grad_dims->h; ++oy) {
                            const int32_t iy = oy * p->stride_h - p->pad_h + ky;
                            if (iy < 0 || iy >= saved_dims->h) {
                                continue;
                            }
                            for (ox = 0; ox < grad_dims->w; ++ox) {
                                const int32_t ix = ox * p->stride_w - p->pad_w + kx;
                                const int8_t *s;
                                float gv;
                                if (ix < 0 || ix >= saved_dims->w) {
                                    continue;
                                }
                                gv = grad[(((size_t)b * grad_dims->h + oy) * grad_dims->w + ox) * out_c + oc];
                                s = saved + (((size_t)b * saved_dims->h + iy) * saved_dims->w + ix) * n_channels + j0;
                                for (j = 0; j < nj; ++j) {
                                    acc[j] = acc[j] + (float)(s[j] + p->input_offset) * gv;
                                }
                            }
                        }
                    }
                    for (j = 0; j < nj; ++j) {
                        out[j0 + j] = acc[j];
                    }
                }
            }
        }
    }
    return TT_OK;
}
