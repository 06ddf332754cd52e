/* tt_depthwise_conv2d_f32_grad_input: input gradient of the float32 depthwise convolution. */
#include "tt_fp32_internal.h"

/* One input cell, channels [c0, c1): sum over the covering taps (row-major) of w * grad. */
static void dw_gi_cell(const tt_window_params *p, const tt_dims *gd, const float *g, const tt_dims *f,
                       const float *w, int32_t n, int32_t iy, int32_t ix, int32_t c0, int32_t c1, float *yp)
{
    const int32_t ch = gd->c;
    int32_t ky, kx, c;
    for (c = c0; c < c1; ++c) {
        yp[c] = 0.0f;
    }
    for (ky = 0; ky < f->h; ++ky) {
        const int32_t ty = iy + p->pad_h - ky;
        int32_t oy;
        if (ty < 0 || ty % p->stride_h != 0 || (oy = ty / p->stride_h) >= gd->h) {
            continue;
        }
        for (kx = 0; kx < f->w; ++kx) {
            const int32_t tx = ix + p->pad_w - kx;
            const float *gp, *wp;
            int32_t ox;
            if (tx < 0 || tx % p->stride_w != 0 || (ox = tx / p->stride_w) >= gd->w) {
                continue;
            }
            gp = g + (((size_t)n * gd->h + oy) * gd->w + ox) * ch;
            wp = w + ((size_t)ky * f->w + kx) * ch;
            for (c = c0; c < c1; ++c) {
                yp[c] = yp[c] + wp[c] * gp[c];
            }
        }
    }
}

#if TT_HAVE_AVX2
TT_F32_AVX2_FN void dw_gi_avx2(const tt_window_params *p, const tt_dims *gd, const float *g, const tt_dims *f,
                               const float *w, const tt_dims *od, float *y)
{
    const int32_t ch = od->c;
    int32_t n, iy, ix, ky, kx, c;
    for (n = 0; n < od->n; ++n) {
        for (iy = 0; iy < od->h; ++iy) {
            for (ix = 0; ix < od->w; ++ix) {
                float *yp = y + (((size_t)n * od->h + iy) * od->w + ix) * ch;
                c = 0;
                for (; c + 16 <= ch; c += 16) {
                    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
                    for (ky = 0; ky < f->h; ++ky) {
                        const int32_t ty = iy + p->pad_h - ky;
                        int32_t oy;
                        if (ty < 0 || ty % p->stride_h != 0 || (oy = ty / p->stride_h) >= gd->h) {
                            continue;
                        }
                        for (kx = 0; kx < f->w; ++kx) {
                            const int32_t tx = ix + p->pad_w - kx;
                            const float *gp, *wp;
                            int32_t ox;
                            if (tx < 0 || tx % p->stride_w != 0 || (ox = tx / p->stride_w) >= gd->w) {
                                continue;
                            }
                            gp = g + (((size_t)n * gd->h + oy) * gd->w + ox) * ch + c;
                            wp = w + ((size_t)ky * f->w + kx) * ch + c;
                            a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_loadu_ps(wp), _mm256_loadu_ps(gp)));
                            a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_loadu_ps(wp + 8), _mm256_loadu_ps(gp + 8)));
                        }
                    }
                    _mm256_storeu_ps(yp + c, a0);
                    _mm256_storeu_ps(yp + c + 8, a1);
                }
                if (c < ch) {
                    dw_gi_cell(p, gd, g, f, w, n, iy, ix, c, ch, yp);
                }
            }
        }
    }
}
#endif

TT_API tt_status tt_depthwise_conv2d_f32_grad_input(const tt_window_params *window,
                                                    const tt_dims *grad_dims, const float *grad,
                                                    const tt_dims *filter_dims, const float *filter,
                                                    const tt_dims *output_dims, float *output)
{
    int32_t n, iy, ix;
    if (grad == NULL || filter == NULL || output == NULL
        || !tt__f32_window_ok(window, output_dims, filter_dims, grad_dims)
        || !tt__f32_depthwise_ok(output_dims, filter_dims, grad_dims)) {
        return TT_ARG_ERROR;
    }
#if TT_HAVE_AVX2
    if (tt__use_avx2()) {
        dw_gi_avx2(window, grad_dims, grad, filter_dims, filter, output_dims, output);
        return TT_OK;
    }
#endif
    for (n = 0; n < output_dims->n; ++n) {
        for (iy = 0; iy < output_dims->h; ++iy) {
            for (ix = 0; ix < output_dims->w; ++ix) {
                dw_gi_cell(window, grad_dims, grad, filter_dims, filter, n, iy, ix, 0, output_dims->c,
                           output + (((size_t)n * output_dims->h + iy) * output_dims->w + ix) * output_dims->c);
            }
        }
    }
    return TT_OK;
}
