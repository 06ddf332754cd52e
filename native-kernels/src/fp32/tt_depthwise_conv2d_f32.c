/* tt_depthwise_conv2d_f32: float32 depthwise convolution (multiplier 1), 1HWC filter, optional bias. */
#include "tt_fp32_internal.h"

/* One output cell, channels [c0, c1): the portable sum (taps row-major), then the bias. */
static void dw_cell(const tt_window_params *p, const tt_dims *in, const float *x, const tt_dims *f,
                    const float *w, const float *bias, int32_t n, int32_t oy, int32_t ox, int32_t c0, int32_t c1,
                    float *yp)
{
    int32_t ky, kx, c;
    for (c = c0; c < c1; ++c) {
        yp[c] = 0.0f;
    }
    for (ky = 0; ky < f->h; ++ky) {
        const int32_t iy = oy * p->stride_h - p->pad_h + ky;
        if (iy < 0 || iy >= in->h) {
            continue;
        }
        for (kx = 0; kx < f->w; ++kx) {
            const int32_t ix = ox * p->stride_w - p->pad_w + kx;
            const float *xp, *wp;
            if (ix < 0 || ix >= in->w) {
                continue;
            }
            xp = x + (((size_t)n * in->h + iy) * in->w + ix) * in->c;
            wp = w + ((size_t)ky * f->w + kx) * in->c;
            for (c = c0; c < c1; ++c) {
                yp[c] = yp[c] + xp[c] * wp[c];
            }
        }
    }
    if (bias != NULL) {
        for (c = c0; c < c1; ++c) {
            yp[c] = yp[c] + bias[c];
        }
    }
}

#if TT_HAVE_AVX2
/* AVX2: lanes are channels; 32 channels per pass keep four sums in registers over the taps. */
TT_F32_AVX2_FN void dw_avx2(const tt_window_params *p, const tt_dims *in, const float *x, const tt_dims *f,
                            const float *w, const float *bias, const tt_dims *out, float *y)
{
    const int32_t ch = in->c;
    int32_t n, oy, ox, ky, kx, c;
    for (n = 0; n < out->n; ++n) {
        for (oy = 0; oy < out->h; ++oy) {
            const int32_t ky0 = tt__max_s32(0, p->pad_h - oy * p->stride_h);
            const int32_t ky1 = tt__min_s32(f->h, in->h + p->pad_h - oy * p->stride_h);
            for (ox = 0; ox < out->w; ++ox) {
                const int32_t kx0 = tt__max_s32(0, p->pad_w - ox * p->stride_w);
                const int32_t kx1 = tt__min_s32(f->w, in->w + p->pad_w - ox * p->stride_w);
                float *yp = y + (((size_t)n * out->h + oy) * out->w + ox) * ch;
                const float *xb = x + ((size_t)n * in->h * in->w) * ch;
                c = 0;
                for (; c + 32 <= ch; c += 32) {
                    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int32_t iy = oy * p->stride_h - p->pad_h + ky;
                        for (kx = kx0; kx < kx1; ++kx) {
                            const int32_t ix = ox * p->stride_w - p->pad_w + kx;
                            const float *xp = xb + ((size_t)iy * in->w + ix) * ch + c;
                            const float *wp = w + ((size_t)ky * f->w + kx) * ch + c;
                            a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_loadu_ps(xp), _mm256_loadu_ps(wp)));
                            a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_loadu_ps(xp + 8), _mm256_loadu_ps(wp + 8)));
                            a2 = _mm256_add_ps(a2, _mm256_mul_ps(_mm256_loadu_ps(xp + 16), _mm256_loadu_ps(wp + 16)));
                            a3 = _mm256_add_ps(a3, _mm256_mul_ps(_mm256_loadu_ps(xp + 24), _mm256_loadu_ps(wp + 24)));
                        }
                    }
                    if (bias != NULL) {
                        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(bias + c));
                        a1 = _mm256_add_ps(a1, _mm256_loadu_ps(bias + c + 8));
                        a2 = _mm256_add_ps(a2, _mm256_loadu_ps(bias + c + 16));
                        a3 = _mm256_add_ps(a3, _mm256_loadu_ps(bias + c + 24));
                    }
                    _mm256_storeu_ps(yp + c, a0);
                    _mm256_storeu_ps(yp + c + 8, a1);
                    _mm256_storeu_ps(yp + c + 16, a2);
                    _mm256_storeu_ps(yp + c + 24, a3);
                }
                for (; c + 8 <= ch; c += 8) {
                    __m256 a = _mm256_setzero_ps();
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int32_t iy = oy * p->stride_h - p->pad_h + ky;
                        for (kx = kx0; kx < kx1; ++kx) {
                            const int32_t ix = ox * p->stride_w - p->pad_w + kx;
                            a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_loadu_ps(xb + ((size_t)iy * in->w + ix) * ch + c),
                                                               _mm256_loadu_ps(w + ((size_t)ky * f->w + kx) * ch + c)));
                        }
                    }
                    if (bias != NULL) {
                        a = _mm256_add_ps(a, _mm256_loadu_ps(bias + c));
                    }
                    _mm256_storeu_ps(yp + c, a);
                }
                if (c < ch) {
                    dw_cell(p, in, x, f, w, bias, n, oy, ox, c, ch, yp);
                }
            }
        }
    }
}
#endif

TT_API tt_status tt_depthwise_conv2d_f32(const tt_window_params *window,
                                         const tt_dims *input_dims, const float *input,
                                         const tt_dims *filter_dims, const float *filter,
                                         const float *bias,
                                         const tt_dims *output_dims, float *output)
{
    int32_t n, oy, ox;
    if (input == NULL || filter == NULL || output == NULL
        || !tt__f32_window_ok(window, input_dims, filter_dims, output_dims)
        || !tt__f32_depthwise_ok(input_dims, filter_dims, output_dims)) {
        return TT_ARG_ERROR;
    }
#if TT_HAVE_AVX2
    if (tt__use_avx2()) {
        dw_avx2(window, input_dims, input, filter_dims, filter, bias, output_dims, output);
        return TT_OK;
    }
#endif
    for (n = 0; n < output_dims->n; ++n) {
        for (oy = 0; oy < output_dims->h; ++oy) {
            for (ox = 0; ox < output_dims->w; ++ox) {
                dw_cell(window, input_dims, input, filter_dims, filter, bias, n, oy, ox, 0, input_dims->c,
                        output + (((size_t)n * output_dims->h + oy) * output_dims->w + ox) * input_dims->c);
            }
        }
    }
    return TT_OK;
}
