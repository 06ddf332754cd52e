/* tt_conv2d_f32_grad_weight: weight gradient of the float32 convolution. */
#include "tt_fp32_internal.h"

static void grad_weight_portable(const tt_window_params *p, const tt_dims *gd, const float *g, const tt_dims *in,
                                 const float *x, const tt_dims *f, float *y)
{
    int32_t n, oy, ox, oc, ky, kx, ic;
    const int32_t in_c = in->c, out_c = gd->c;
    const size_t total = tt__elements(f);
    size_t i;
    for (i = 0; i < total; ++i) {
        y[i] = 0.0f;
    }
    for (n = 0; n < gd->n; ++n) {
        for (oy = 0; oy < gd->h; ++oy) {
            for (ox = 0; ox < gd->w; ++ox) {
                const float *gp = g + (((size_t)n * gd->h + oy) * gd->w + ox) * out_c;
                for (oc = 0; oc < out_c; ++oc) {
                    const float gv = gp[oc];
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
                            xp = x + (((size_t)n * in->h + iy) * in->w + ix) * in_c;
                            yp = y + (((size_t)oc * f->h + ky) * f->w + kx) * in_c;
                            for (ic = 0; ic < in_c; ++ic) {
                                yp[ic] = yp[ic] + xp[ic] * gv;
                            }
                        }
                    }
                }
            }
        }
    }
}

#if TT_HAVE_AVX2
/*
 * AVX2, lanes are input channels. Pointwise: blocks of 4 output x 16 input channels stay in
 * registers over all pixels (in raster order); other windows run the portable loop nest with the
 * innermost channel loop in lanes.
 */
TT_F32_AVX2_FN void grad_weight_avx2(const tt_window_params *p, const tt_dims *gd, const float *g,
                                     const tt_dims *in, const float *x, const tt_dims *f, float *y)
{
    const int32_t in_c = in->c, out_c = gd->c;
    int32_t n, oy, ox, oc, ky, kx, ic;
    if (tt__f32_pointwise(p, f)) {
        const size_t pixels = (size_t)in->n * in->h * in->w;
        size_t px;
        int32_t c = 0;
        for (; c + 16 <= in_c; c += 16) {
            oc = 0;
            for (; oc + 4 <= out_c; oc += 4) {
                __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00;
                __m256 a20 = a00, a21 = a00, a30 = a00, a31 = a00;
                for (px = 0; px < pixels; ++px) {
                    const float *xr = x + px * in_c + c;
                    const float *gr = g + px * out_c + oc;
                    const __m256 x0 = _mm256_loadu_ps(xr), x1 = _mm256_loadu_ps(xr + 8);
                    __m256 b = _mm256_broadcast_ss(gr);
                    a00 = _mm256_add_ps(a00, _mm256_mul_ps(x0, b));
                    a01 = _mm256_add_ps(a01, _mm256_mul_ps(x1, b));
                    b = _mm256_broadcast_ss(gr + 1);
                    a10 = _mm256_add_ps(a10, _mm256_mul_ps(x0, b));
                    a11 = _mm256_add_ps(a11, _mm256_mul_ps(x1, b));
                    b = _mm256_broadcast_ss(gr + 2);
                    a20 = _mm256_add_ps(a20, _mm256_mul_ps(x0, b));
                    a21 = _mm256_add_ps(a21, _mm256_mul_ps(x1, b));
                    b = _mm256_broadcast_ss(gr + 3);
                    a30 = _mm256_add_ps(a30, _mm256_mul_ps(x0, b));
                    a31 = _mm256_add_ps(a31, _mm256_mul_ps(x1, b));
                }
                _mm256_storeu_ps(y + (size_t)oc * in_c + c, a00);
                _mm256_storeu_ps(y + (size_t)oc * in_c + c + 8, a01);
                _mm256_storeu_ps(y + (size_t)(oc + 1) * in_c + c, a10);
                _mm256_storeu_ps(y + (size_t)(oc + 1) * in_c + c + 8, a11);
                _mm256_storeu_ps(y + (size_t)(oc + 2) * in_c + c, a20);
                _mm256_storeu_ps(y + (size_t)(oc + 2) * in_c + c + 8, a21);
                _mm256_storeu_ps(y + (size_t)(oc + 3) * in_c + c, a30);
                _mm256_storeu_ps(y + (size_t)(oc + 3) * in_c + c + 8, a31);
            }
            for (; oc < out_c; ++oc) {
                __m256 a0 = _mm256_setzero_ps(), a1 = a0;
                for (px = 0; px < pixels; ++px) {
                    const float *xr = x + px * in_c + c;
                    const __m256 b = _mm256_broadcast_ss(g + px * out_c + oc);
                    a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_loadu_ps(xr), b));
                    a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_loadu_ps(xr + 8), b));
                }
                _mm256_storeu_ps(y + (size_t)oc * in_c + c, a0);
                _mm256_storeu_ps(y + (size_t)oc * in_c + c + 8, a1);
            }
        }
        for (; c + 8 <= in_c; c += 8) {
            for (oc = 0; oc < out_c; ++oc) {
                __m256 a = _mm256_setzero_ps();
                for (px = 0; px < pixels; ++px) {
                    a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_loadu_ps(x + px * in_c + c),
                                                       _mm256_broadcast_ss(g + px * out_c + oc)));
                }
                _mm256_storeu_ps(y + (size_t)oc * in_c + c, a);
            }
        }
        for (; c < in_c; ++c) {
            for (oc = 0; oc < out_c; ++oc) {
                float acc = 0.0f;
                for (px = 0; px < pixels; ++px) {
                    acc = acc + x[px * in_c + c] * g[px * out_c + oc];
                }
                y[(size_t)oc * in_c + c] = acc;
            }
        }
        return;
    }
    {
        const size_t total = tt__elements(f);
        size_t i;
        for (i = 0; i < total; ++i) {
            y[i] = 0.0f;
        }
    }
    for (n = 0; n < gd->n; ++n) {
        for (oy = 0; oy < gd->h; ++oy) {
            for (ox = 0; ox < gd->w; ++ox) {
                const float *gp = g + (((size_t)n * gd->h + oy) * gd->w + ox) * out_c;
                for (oc = 0; oc < out_c; ++oc) {
                    const float gv = gp[oc];
                    const __m256 b = _mm256_set1_ps(gv);
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
                            xp = x + (((size_t)n * in->h + iy) * in->w + ix) * in_c;
                            yp = y + (((size_t)oc * f->h + ky) * f->w + kx) * in_c;
                            ic = 0;
                            for (; ic + 8 <= in_c; ic += 8) {
                                _mm256_storeu_ps(yp + ic, _mm256_add_ps(_mm256_loadu_ps(yp + ic),
                                                                        _mm256_mul_ps(_mm256_loadu_ps(xp + ic), b)));
                            }
                            for (; ic < in_c; ++ic) {
                                yp[ic] = yp[ic] + xp[ic] * gv;
                            }
                        }
                    }
                }
            }
        }
    }
}
#endif

TT_API tt_status tt_conv2d_f32_grad_weight(const tt_window_params *window,
                                           const tt_dims *grad_dims, const float *grad,
                                           const tt_dims *input_dims, const float *input,
                                           const tt_dims *filter_dims, float *output)
{
    if (grad == NULL || input == NULL || output == NULL
        || !tt__f32_window_ok(window, input_dims, filter_dims, grad_dims)
        || filter_dims->n != grad_dims->c || filter_dims->c != input_dims->c) {
        return TT_ARG_ERROR;
    }
#if TT_HAVE_AVX2
    if (tt__use_avx2()) {
        grad_weight_avx2(window, grad_dims, grad, input_dims, input, filter_dims, output);
        return TT_OK;
    }
#endif
    grad_weight_portable(window, grad_dims, grad, input_dims, input, filter_dims, output);
    return TT_OK;
}
