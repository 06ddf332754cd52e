/* tt_depthwise_conv2d_grad_weight_update_s8: depthwise weight gradient of a channel subset, applied at once. */
#include "../optim/tt_sgd_internal.h"

/** The SGD step of trained channel j at tap (ky, kx). */
static inline void tt__dw_gw_apply(const tt_sgd_params *sgd, const float *qas_scale, const int32_t *channels,
                                   int32_t n_channels, const tt_dims *f, int8_t *filter, const tt_sgd_state *state,
                                   int32_t ky, int32_t kx, int32_t j, float g)
{
    const size_t tap = (size_t)ky * f->w + kx;
    const uint32_t index = (uint32_t)(tap * (size_t)n_channels + (size_t)j);
    const float qas = qas_scale != NULL ? qas_scale[channels[j]] : 1.0f;
    int8_t *w = filter + tap * f->c + channels[j];
    *w = tt__sgd_apply_s8(sgd, state, index, *w, tt__sgd_delta(sgd, state, index, g, qas));
}

#if TT_HAVE_ARM_DSP
/*
 * Cortex-M4/M7 path: per tap, trained channels in tiles of 4 whose sums stay in FPU registers across
 * the pixel loop (the portable loop keeps them in memory), products and adds in the portable order
 * (raster order of the pixels, from +0.0f): the same bits. Covers trained channels [0, n_channels & ~3);
 * returns that count.
 */
static int32_t tt__dw_gw_tiles(const tt_sgd_params *sgd, const tt_conv_params *p, const float *qas_scale,
                               const tt_dims *grad_dims, const float *grad, const tt_dims *saved_dims,
                               const int8_t *saved, int32_t n_channels, const int32_t *channels,
                               const tt_dims *filter_dims, int8_t *filter, const tt_sgd_state *state)
{
    const int32_t kw = filter_dims->w, ch = filter_dims->c, off = p->input_offset;
    int32_t ky, kx, j, b, oy, ox;
    for (ky = 0; ky < filter_dims->h; ++ky) {
        int32_t oy0, oy1;
        tt__tap_range(grad_dims->h, saved_dims->h, p->stride_h, p->pad_h, ky, &oy0, &oy1);
        for (kx = 0; kx < kw; ++kx) {
            int32_t ox0, ox1;
            tt__tap_range(grad_dims->w, saved_dims->w, p->stride_w, p->pad_w, kx, &ox0, &ox1);
            for (j = 0; j + 4 <= n_channels; j += 4) {
                const int32_t c0 = channels[j], c1 = channels[j + 1], c2 = channels[j + 2], c3 = channels[j + 3];
                float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
                for (b = 0; b < grad_dims->n && ox0 < ox1; ++b) {   /* no pointer into an empty row range */
                    for (oy = oy0; oy < oy1; ++oy) {
                        const int32_t iy = oy * p->stride_h - p->pad_h + ky;
                        const float *g = grad + (((size_t)b * grad_dims->h + oy) * grad_dims->w + ox0) * ch;
                        const int8_t *s = saved + (((size_t)b * saved_dims->h + iy) * saved_dims->w
                                                   + (ox0 * p->stride_w - p->pad_w + kx)) * n_channels + j;
                        const size_t s_step = (size_t)p->stride_w * n_channels;
                        for (ox = ox0; ox < ox1; ++ox, g += ch, s += s_step) {
                            a0 = a0 + (float)(s[0] + off) * g[c0];
                            a1 = a1 + (float)(s[1] + off) * g[c1];
                            a2 = a2 + (float)(s[2] + off) * g[c2];
                            a3 = a3 + (float)(s[3] + off) * g[c3];
                        }
                    }
                }
                tt__dw_gw_apply(sgd, qas_scale, channels, n_channels, filter_dims, filter, state, ky, kx, j, a0);
                tt__dw_gw_apply(sgd, qas_scale, channels, n_channels, filter_dims, filter, state, ky, kx, j + 1, a1);
                tt__dw_gw_apply(sgd, qas_scale, channels, n_channels, filter_dims, filter, state, ky, kx, j + 2, a2);
                tt__dw_gw_apply(sgd, qas_scale, channels, n_channels, filter_dims, filter, state, ky, kx, j + 3, a3);
            }
        }
    }
    return n_channels & ~3;
}
#endif /* TT_HAVE_ARM_DSP */

TT_API tt_status tt_depthwise_conv2d_grad_weight_update_s8(const tt_sgd_params *sgd,
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
    int32_t ky, kx, j0, j, nj, b, oy, ox, kw, ch, first;
    if (!tt__sgd_ok(sgd, state) || p == NULL || grad == NULL || saved == NULL || filter == NULL
        || !tt__dims_ok(grad_dims) || !tt__dims_ok(saved_dims) || !tt__dims_ok(filter_dims)
        || !tt__input_offset_ok(p->input_offset)) {
        return TT_ARG_ERROR;
    }
    if (filter_dims->n != 1 || grad_dims->c != filter_dims->c
        || !tt__channels_ok(n_channels, channels, filter_dims->c) || saved_dims->c != n_channels
        || saved_dims->n != grad_dims->n
        || !tt__window_ok(saved_dims->h, grad_dims->h, filter_dims->h, p->stride_h, p->pad_h)
        || !tt__window_ok(saved_dims->w, grad_dims->w, filter_dims->w, p->stride_w, p->pad_w)) {
        return TT_ARG_ERROR;
    }
    kw = filter_dims->w;
    ch = filter_dims->c;
    first = 0;
#if TT_HAVE_ARM_DSP
    if (tt__use_dsp()) {
        first = tt__dw_gw_tiles(sgd, p, qas_scale, grad_dims, grad, saved_dims, saved, n_channels, channels,
                                filter_dims, filter, state);
    }
#endif
    for (ky = 0; ky < filter_dims->h; ++ky) {
        for (kx = 0; kx < kw; ++kx) {
            const size_t tap = (size_t)ky * kw + kx;
            for (j0 = first; j0 < n_channels; j0 += TT__GRAD_BLOCK) {
                const int32_t *chj = channels + j0;
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
                            const float *g;
                            const int8_t *s;
                            if (ix < 0 || ix >= saved_dims->w) {
                                continue;
                            }
                            g = grad + (((size_t)b * grad_dims->h + oy) * grad_dims->w + ox) * ch;
                            s = saved + (((size_t)b * saved_dims->h + iy) * saved_dims->w + ix) * n_channels + j0;
                            for (j = 0; j < nj; ++j) {
                                acc[j] = acc[j] + (float)(s[j] + p->input_offset) * g[chj[j]];
                            }
                        }
                    }
                }
                for (j = 0; j < nj; ++j) {
                    const uint32_t index = (uint32_t)(tap * (size_t)n_channels + (size_t)(j0 + j));
                    const float qas = qas_scale != NULL ? qas_scale[chj[j]] : 1.0f;
                    int8_t *w = filter + tap * ch + chj[j];
                    *w = tt__sgd_apply_s8(sgd, state, index, *w, tt__sgd_delta(sgd, state, index, acc[j], qas));
                }
            }
        }
    }
    return TT_OK;
}
