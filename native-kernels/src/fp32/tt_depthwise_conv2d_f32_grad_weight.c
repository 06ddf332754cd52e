/* tt_depthwise_conv2d_f32_grad_weight: weight gradient of the float32 depthwise convolution. */
#include "tt_fp32_internal.h"

static void dw_gw_portable(const tt_window_params *p, const tt_dims *gd, const float *g, const tt_dims *in,
                           const float *x, const tt_dims *f, float *y)
{
    const int32_t ch = in->c;
    int32_t n, oy, ox, ky, kx, c;
    const size_t total = tt__elements(f);
    size_t i;
    for (i = 0; i < total; ++i) {
        y[i] = 0.0f;
    }
    for (n = 0; n < gd->n; ++n) {
        for (oy = 0; oy < gd->h; ++oy) {
            for (ox = 0; ox < gd->w; ++ox) {
                const float *gp = g + (((size_t)n * gd->h + oy) * gd->w + ox) * ch;
                for (ky = 0; ky < f->h; ++ky) {
                    const int32_t iy = oy * p->stride_h - p->pad_h + ky;
                    if (iy < 0 || iy >= in->h) {
                        continue;
                    }
                    for (kx = 0; kx < f->w; ++kx) {
                        const int32_t ix = ox * p->stride_w - p->pad_w + kx;
                        const float *xp;
                        float *yp;
                        if (ix < 0 || ix >= in->w) {
                            continue;
                        }
                        xp = x + (((size_t)n * in->h + iy) * in->w + ix) * ch;
                        yp = y + ((size_t)ky * f->w + kx) * ch;
                        for (c = 0; c < ch; ++c) {
                            yp[c] = yp[c] + xp[c] * gp[c];
                        }
                    }
                }
            }
        }
    }
}

#if TT_HAVE_AVX2
/* AVX2: the portable loop nest, the channel loop in lanes (the sums live in the output, raster order). */
TT_F32_AVX2_FN void dw_gw_avx2(const tt_window_params *p, const tt_dims *gd, const float *g, const tt_dims *in,
                               const float *x, const tt_dims *f, float *y)
{
    const int32_t ch = in->c;
    int32_t n, oy, ox, ky, kx, c;
    const size_t total = tt__elements(f);
    size_t i;
    for (i = 0; i < total; ++i) {
        y[i] = 0.0f;
    }
    for (n = 0; n < gd->n; ++n) {
        for (oy = 0; oy < gd->h; ++oy) {
            const int32_t ky0 = tt__max_s32(0, p->pad_h - oy * p->stride_h);
            const int32_t ky1 = tt__min_s32(f->h, in->h + p->pad_h - oy * p->stride_h);
            for (ox = 0; ox < gd->w; ++ox) {
                const int32_t kx0 = tt__max_s32(0, p->pad_w - ox * p->stride_w);
                const int32_t kx1 = tt__min_s32(f->w, in->w + p->pad_w - ox * p->stride_w);
                const float *gp = g + (((size_t)n * gd->h + oy) * gd->w + ox) * ch;
                for (ky = ky0; ky < ky1; ++ky) {
                    const int32_t iy = oy * p->stride_h - p->pad_h + ky;
                    for (kx = kx0; kx < kx1; ++kx) {
                        const int32_t ix = ox * p->stride_w - p->pad_w + kx;
                        const float *xp = x + (((size_t)n * in->h + iy) * in->w + ix) * ch;
                        float *yp = y + ((size_t)ky * f->w + kx) * ch;
                        c = 0;
                        for (; c + 8 <= ch; c += 8) {
                            _mm256_storeu_ps(yp + c, _mm256_add_ps(_mm256_loadu_ps(yp + c),
                                                                   _mm256_mul_ps(_mm256_loadu_ps(xp + c),
                                                                                 _mm256_loadu_ps(gp + c))));
                        }
                        for (; c < ch; ++c) {
                            yp[c] = yp[c] + xp[c] * gp[c];
                        }
                    }
                }
            }
        }
    }
}
#endif

TT_API tt_status tt_depthwise_conv2d_f32_grad_weight(const tt_window_params *window,
                                                     const tt_dims *grad_dims, const float *grad,
                                                     const tt_dims *input_dims, const float *input,
                                                     const tt_dims *filter_dims, float *output)
{
    if (grad == NULL || input == NULL || output == NULL
        || !tt__f32_window_ok(window, input_dims, filter_dims, grad_dims)
        || !tt__f32_depthwise_ok(input_dims, filter_dims, grad_dims)) {
        return TT_ARG_ERROR;
    }
#if TT_HAVE_AVX2
    if (tt__use_avx2()) {
        dw_gw_avx2(window, grad_dims, grad, input_dims, input, filter_dims, output);
        return TT_OK;
    }
#endif
    dw_gw_portable(window, grad_dims, grad, input_dims, input, filter_dims, output);
    return TT_OK;
}
