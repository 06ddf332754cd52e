/* tt_conv2d_grad_weight_update_s8: conv2d weight gradient of a channel subset, applied at once (never stored). */
#include "../optim/tt_sgd_internal.h"

/** The SGD step of one trained weight: output channel oc, tap (ky, kx), trained channel j. */
static inline void tt__gw_apply(const tt_sgd_params *sgd, const float *qas_scale, const int32_t *channels,
                                int32_t n_channels, const tt_dims *f, int8_t *filter, const tt_sgd_state *state,
                                int32_t oc, int32_t ky, int32_t kx, int32_t j, float g)
{
    const size_t tap = ((size_t)oc * f->h + ky) * f->w + kx;
    const uint32_t index = (uint32_t)(tap * (size_t)n_channels + (size_t)j);
    const float qas = qas_scale != NULL ? qas_scale[oc] : 1.0f;
    int8_t *w = filter + tap * f->c + channels[j];
    *w = tt__sgd_apply_s8(sgd, state, index, *w, tt__sgd_delta(sgd, state, index, g, qas));
}

/**
 * The documented computation for output channels [oc0, oc1) and trained channels [j_begin, n_channels):
 * per (oc, tap), blocks of trained channels sum their products pixel by pixel in raster order. Inlined
 * into each caller, so the whole-range call keeps the code (and register use) of a single loop nest.
 */
static inline __attribute__((always_inline)) void tt__gw_portable(const tt_sgd_params *sgd, const tt_conv_params *p, const float *qas_scale,
                            const tt_dims *grad_dims, const float *grad, const tt_dims *saved_dims,
                            const int8_t *saved, int32_t n_channels, const int32_t *channels,
                            const tt_dims *filter_dims, int8_t *filter, const tt_sgd_state *state,
                            int32_t oc0, int32_t oc1, int32_t j_begin)
{
    float acc[TT__GRAD_BLOCK];
    const int32_t kh = filter_dims->h, kw = filter_dims->w, out_c = filter_dims->n;
    int32_t oc, ky, kx, j0, j, nj, b, oy, ox;
    for (oc = oc0; oc < oc1; ++oc) {
        for (ky = 0; ky < kh; ++ky) {
            for (kx = 0; kx < kw; ++kx) {
                for (j0 = j_begin; j0 < n_channels; j0 += TT__GRAD_BLOCK) {
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
                        tt__gw_apply(sgd, qas_scale, channels, n_channels, filter_dims, filter, state, oc, ky, kx,
                                     j0 + j, acc[j]);
                    }
                }
            }
        }
    }
}

#if TT_HAVE_ARM_DSP
/** tt__gw_portable for the channels the tiles below leave over (one out-of-line copy). */
static __attribute__((noinline)) void tt__gw_portable_rest(const tt_sgd_params *sgd, const tt_conv_params *p,
                                                          const float *qas_scale, const tt_dims *grad_dims,
                                                          const float *grad, const tt_dims *saved_dims,
                                                          const int8_t *saved, int32_t n_channels,
                                                          const int32_t *channels, const tt_dims *filter_dims,
                                                          int8_t *filter, const tt_sgd_state *state, int32_t oc0,
                                                          int32_t oc1, int32_t j_begin)
{
    tt__gw_portable(sgd, p, qas_scale, grad_dims, grad, saved_dims, saved, n_channels, channels, filter_dims,
                    filter, state, oc0, oc1, j_begin);
}

/*
 * Cortex-M4/M7 path: tiles of 4 output channels x 4 trained channels keep their 16 sums in FPU
 * registers for the whole pixel loop (the portable loop keeps its sums in memory), each pixel's four
 * saved values are converted once for the four output channels, and the four gradients are adjacent
 * floats. Every sum still takes its products in raster order, one rounded add at a time, from +0.0f:
 * the portable bits. Covers output channels [0, out_c & ~3) x trained channels [0, n_channels & ~3).
 */
static void tt__gw_tiles(const tt_sgd_params *sgd, const tt_conv_params *p, const float *qas_scale,
                         const tt_dims *grad_dims, const float *grad, const tt_dims *saved_dims,
                         const int8_t *saved, int32_t n_channels, const int32_t *channels,
                         const tt_dims *filter_dims, int8_t *filter, const tt_sgd_state *state)
{
    const int32_t kh = filter_dims->h, kw = filter_dims->w, out_c = filter_dims->n;
    const int32_t off = p->input_offset;
    int32_t oc, ky, kx, j, b, oy, ox, i;
    for (oc = 0; oc + 4 <= out_c; oc += 4) {
        for (ky = 0; ky < kh; ++ky) {
            int32_t oy0, oy1;
            tt__tap_range(grad_dims->h, saved_dims->h, p->stride_h, p->pad_h, ky, &oy0, &oy1);
            for (kx = 0; kx < kw; ++kx) {
                int32_t ox0, ox1;
                tt__tap_range(grad_dims->w, saved_dims->w, p->stride_w, p->pad_w, kx, &ox0, &ox1);
                for (j = 0; j + 4 <= n_channels; j += 4) {
                    /* a<i><k>: output channel oc + i, trained channel j + k (named, so they stay in registers) */
                    float a00 = 0.0f, a01 = 0.0f, a02 = 0.0f, a03 = 0.0f, a10 = 0.0f, a11 = 0.0f, a12 = 0.0f;
                    float a13 = 0.0f, a20 = 0.0f, a21 = 0.0f, a22 = 0.0f, a23 = 0.0f, a30 = 0.0f, a31 = 0.0f;
                    float a32 = 0.0f, a33 = 0.0f;
                    for (b = 0; b < grad_dims->n && ox0 < ox1; ++b) {   /* no pointer into an empty row range */
                        for (oy = oy0; oy < oy1; ++oy) {
                            const int32_t iy = oy * p->stride_h - p->pad_h + ky;
                            const float *g = grad + (((size_t)b * grad_dims->h + oy) * grad_dims->w + ox0) * out_c + oc;
                            const int8_t *sv = saved + (((size_t)b * saved_dims->h + iy) * saved_dims->w
                                                        + (ox0 * p->stride_w - p->pad_w + kx)) * n_channels + j;
                            const size_t s_step = (size_t)p->stride_w * n_channels;
                            for (ox = ox0; ox < ox1; ++ox, g += out_c, sv += s_step) {
                                float x0, x1, x2, x3, g0, g1, g2, g3;
                                x0 = (float)(sv[0] + off);
                                x1 = (float)(sv[1] + off);
                                x2 = (float)(sv[2] + off);
                                x3 = (float)(sv[3] + off);
                                g0 = g[0];
                                g1 = g[1];
                                g2 = g[2];
                                g3 = g[3];
                                a00 = a00 + x0 * g0;
                                a01 = a01 + x1 * g0;
                                a02 = a02 + x2 * g0;
                                a03 = a03 + x3 * g0;
                                a10 = a10 + x0 * g1;
                                a11 = a11 + x1 * g1;
                                a12 = a12 + x2 * g1;
                                a13 = a13 + x3 * g1;
                                a20 = a20 + x0 * g2;
                                a21 = a21 + x1 * g2;
                                a22 = a22 + x2 * g2;
                                a23 = a23 + x3 * g2;
                                a30 = a30 + x0 * g3;
                                a31 = a31 + x1 * g3;
                                a32 = a32 + x2 * g3;
                                a33 = a33 + x3 * g3;
                            }
                        }
                    }
                    {
                        const float sums[16] = {a00, a01, a02, a03, a10, a11, a12, a13,
                                                a20, a21, a22, a23, a30, a31, a32, a33};
                        for (i = 0; i < 16; ++i) {
                            tt__gw_apply(sgd, qas_scale, channels, n_channels, filter_dims, filter, state,
                                         oc + i / 4, ky, kx, j + i % 4, sums[i]);
                        }
                    }
                }
            }
        }
    }
}
#endif /* TT_HAVE_ARM_DSP */

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
#if TT_HAVE_ARM_DSP
    if (tt__use_dsp()) {
        const int32_t oc4 = filter_dims->n & ~3, j4 = n_channels & ~3;
        tt__gw_tiles(sgd, p, qas_scale, grad_dims, grad, saved_dims, saved, n_channels, channels, filter_dims,
                     filter, state);
        if (j4 < n_channels) {
            tt__gw_portable_rest(sgd, p, qas_scale, grad_dims, grad, saved_dims, saved, n_channels, channels,
                                 filter_dims, filter, state, 0, oc4, j4);
        }
        if (oc4 < filter_dims->n) {
            tt__gw_portable_rest(sgd, p, qas_scale, grad_dims, grad, saved_dims, saved, n_channels, channels,
                                 filter_dims, filter, state, oc4, filter_dims->n, 0);
        }
        return TT_OK;
    }
#endif
    tt__gw_portable(sgd, p, qas_scale, grad_dims, grad, saved_dims, saved, n_channels, channels, filter_dims,
                    filter, state, 0, filter_dims->n, 0);
    return TT_OK;
}
