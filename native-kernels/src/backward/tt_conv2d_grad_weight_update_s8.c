/* tt_conv2d_grad_weight_update_s8: conv2d weight gradient of a channel subset, applied at once (never stored). */
#include "../optim/tt_sgd_internal.h"

TT_API tt_status tt_conv2d_grad_weight_update_s8(const tt_sgd_params *sgd,
                                                 const tt_conv_params *conv_params,
                                                 const float *qas_scale,
                                                 const tt_dims *grad_dims, const float *grad,
                                                 const tt_dims *saved_dims, const int8_t *saved,
                                                 int32_t n_channels, const int32_t *channels,
                                                 const tt_dims *filter_dims, int8_t *filter,
                                                 const tt_sgd_state *state)
{
    const tt_conv_params *p = conv_params;
    float acc[TT__GRAD_BLOCK];
    int32_t oc, ky, kx, j0, j, nj, b, oy, ox, kh, kw, in_c, out_c;
    if (!tt__sgd_ok(sgd, state) || p == NULL || grad == NULL || saved == NULL || filter == NULL
        || !tt__dims_ok(grad_dims) || !tt__dims_ok(saved_dims) || !tt__dims_ok(filter_dims)
        || !tt__input_offset_ok(p->input_offset)) {
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
    in_c = filter_dims->c;
    out_c = filter_dims->n;
    for (oc = 0; oc < out_c; ++oc) {
        const float qas = qas_scale != NULL ? qas_scale[oc] : 1.0f;
        for (ky = 0; ky < kh; ++ky) {
            for (kx = 0; kx < kw; ++kx) {
                const size_t tap = ((size_t)oc * kh + ky) * kw + kx;
                for (j0 = 0; j0 < n_channels; j0 += TT__GRAD_BLOCK) {
                    nj = tt__min_s32(TT__GRAD_BLOCK, n_channels - j0);
                    for (j = 0; j < nj; ++j) {
                        acc[j] = 0.0f;
                    }
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
                        const uint32_t index = (uint32_t)(tap * (size_t)n_channels + (size_t)(j0 + j));
                        int8_t *w = filter + tap * in_c + channels[j0 + j];
                        *w = tt__sgd_apply_s8(sgd, state, index, *w, tt__sgd_delta(sgd, state, index, acc[j], qas));
                    }
                }
            }
        }
    }
    return TT_OK;
}
