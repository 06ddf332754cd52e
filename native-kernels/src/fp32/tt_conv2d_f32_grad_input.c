/* tt_conv2d_f32_grad_input: input gradient of the float32 convolution (transposed convolution). */
#include "tt_fp32_internal.h"

static void grad_input_portable(const tt_window_params *p, const tt_dims *gd, const float *g, const tt_dims *f,
                                const float *w, const tt_dims *od, float *y)
{
    int32_t n, iy, ix, ky, kx, oc, ic;
    const int32_t in_c = od->c, out_c = gd->c;
    for (n = 0; n < od->n; ++n) {
        for (iy = 0; iy < od->h; ++iy) {
            for (ix = 0; ix < od->w; ++ix) {
                float *yp = y + (((size_t)n * od->h + iy) * od->w + ix) * in_c;
                for (ic = 0; ic < in_c; ++ic) {
                    yp[ic] = 0.0f;
                }
                for (ky = 0; ky < f->h; ++ky) {
                    const int32_t ty = iy + p->pad_h - ky;
                    int32_t oy;
                    if (ty < 0 || ty % p->stride_h != 0 || (oy = ty / p->stride_h) >= gd->h) {
                        continue;
                    }
                    for (kx = 0; kx < f->w; ++kx) {
                        const int32_t tx = ix + p->pad_w - kx;
                        const float *gp;
                        int32_t ox;
                        if (tx < 0 || tx % p->stride_w != 0 || (ox = tx / p->stride_w) >= gd->w) {
                            continue;
                        }
                        gp = g + (((size_t)n * gd->h + oy) * gd->w + ox) * out_c;
                        for (oc = 0; oc < out_c; ++oc) {
                            const float gv = gp[oc];
                            const float *wp = w + (((size_t)oc * f->h + ky) * f->w + kx) * in_c;
                            for (ic = 0; ic < in_c; ++ic) {
                                yp[ic] = yp[ic] + wp[ic] * gv;
                            }
                        }
                    }
                }
            }
        }
    }
}

#if TT_HAVE_AVX2
/* AVX2: lanes are input channels (contiguous in OHWI); each lane sums in the portable order. */
TT_F32_AVX2_FN void grad_input_avx2(const tt_window_params *p, const tt_dims *gd, const float *g,
                                    const tt_dims *f, const float *w, const tt_dims *od, float *y)
{
    const int32_t in_c = od->c, out_c = gd->c;
    int32_t n, iy, ix, ky, kx, oc, ic;
    if (tt__f32_pointwise(p, f)) {
        /* y[px][ic] = sum over oc of w[oc][ic] * g[px][oc]: blocks of 4 pixels x 16 channels */
        const size_t pixels = (size_t)od->n * od->h * od->w;
        size_t px = 0;
        for (; px + 4 <= pixels; px += 4) {
            const float *g0 = g + px * out_c;
            float *y0 = y + px * in_c;
            int32_t c = 0;
            for (; c + 16 <= in_c; c += 16) {
                __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00;
                __m256 a20 = a00, a21 = a00, a30 = a00, a31 = a00;
                for (oc = 0; oc < out_c; ++oc) {
                    const float *wr = w + (size_t)oc * in_c + c;
                    const __m256 w0 = _mm256_loadu_ps(wr), w1 = _mm256_loadu_ps(wr + 8);
                    __m256 b = _mm256_broadcast_ss(g0 + oc);
                    a00 = _mm256_add_ps(a00, _mm256_mul_ps(w0, b));
                    a01 = _mm256_add_ps(a01, _mm256_mul_ps(w1, b));
                    b = _mm256_broadcast_ss(g0 + out_c + oc);
                    a10 = _mm256_add_ps(a10, _mm256_mul_ps(w0, b));
                    a11 = _mm256_add_ps(a11, _mm256_mul_ps(w1, b));
                    b = _mm256_broadcast_ss(g0 + 2 * (size_t)out_c + oc);
                    a20 = _mm256_add_ps(a20, _mm256_mul_ps(w0, b));
                    a21 = _mm256_add_ps(a21, _mm256_mul_ps(w1, b));
                    b = _mm256_broadcast_ss(g0 + 3 * (size_t)out_c + oc);
                    a30 = _mm256_add_ps(a30, _mm256_mul_ps(w0, b));
                    a31 = _mm256_add_ps(a31, _mm256_mul_ps(w1, b));
                }
                _mm256_storeu_ps(y0 + c, a00); _mm256_storeu_ps(y0 + c + 8, a01);
                _mm256_storeu_ps(y0 + in_c + c, a10); _mm256_storeu_ps(y0 + in_c + c + 8, a11);
                _mm256_storeu_ps(y0 + 2 * (size_t)in_c + c, a20); _mm256_storeu_ps(y0 + 2 * (size_t)in_c + c + 8, a21);
                _mm256_storeu_ps(y0 + 3 * (size_t)in_c + c, a30); _mm256_storeu_ps(y0 + 3 * (size_t)in_c + c + 8, a31);
            }
            if (c < in_c) {
                int32_t r;
                for (r = 0; r < 4; ++r) {
                    const float *gr = g0 + (size_t)r * out_c;
                    float *yr = y0 + (size_t)r * in_c;
                    int32_t d = c;
                    for (; d + 8 <= in_c; d += 8) {
                        __m256 a = _mm256_setzero_ps();
                        for (oc = 0; oc < out_c; ++oc) {
                            a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_loadu_ps(w + (size_t)oc * in_c + d),
                                                               _mm256_broadcast_ss(gr + oc)));
                        }
                        _mm256_storeu_ps(yr + d, a);
                    }
                    for (; d < in_c; ++d) {
                        float acc = 0.0f;
                        for (oc = 0; oc < out_c; ++oc) {
                            acc = acc + w[(size_t)oc * in_c + d] * gr[oc];
                        }
                        yr[d] = acc;
                    }
                }
            }
        }
        for (; px < pixels; ++px) {
            const float *gr = g + px * out_c;
            float *yr = y + px * in_c;
            int32_t d = 0;
            for (; d + 8 <= in_c; d += 8) {
                __m256 a = _mm256_setzero_ps();
                for (oc = 0; oc < out_c; ++oc) {
                    a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_loadu_ps(w + (size_t)oc * in_c + d),
                                                       _mm256_broadcast_ss(gr + oc)));
                }
                _mm256_storeu_ps(yr + d, a);
            }
            for (; d < in_c; ++d) {
                float acc = 0.0f;
                for (oc = 0; oc < out_c; ++oc) {
                    acc = acc + w[(size_t)oc * in_c + d] * gr[oc];
                }
                yr[d] = acc;
            }
        }
        return;
    }
    for (n = 0; n < od->n; ++n) {
        for (iy = 0; iy < od->h; ++iy) {
            for (ix = 0; ix < od->w; ++ix) {
                float *yp = y + (((size_t)n * od->h + iy) * od->w + ix) * in_c;
                for (ic = 0; ic < in_c; ic += 8) {
                    const int32_t lanes = in_c - ic < 8 ? in_c - ic : 8;
                    __m256 a = _mm256_setzero_ps();
                    float acc[8];
                    for (ky = 0; ky < f->h; ++ky) {
                        const int32_t ty = iy + p->pad_h - ky;
                        int32_t oy;
                        if (ty < 0 || ty % p->stride_h != 0 || (oy = ty / p->stride_h) >= gd->h) {
                            continue;
                        }
                        for (kx = 0; kx < f->w; ++kx) {
                            const int32_t tx = ix + p->pad_w - kx;
                            const float *gp;
                            int32_t ox;
                            if (tx < 0 || tx % p->stride_w != 0 || (ox = tx / p->stride_w) >= gd->w) {
                                continue;
                            }
                            gp = g + (((size_t)n * gd->h + oy) * gd->w + ox) * out_c;
                            if (lanes == 8) {
                                for (oc = 0; oc < out_c; ++oc) {
                                    const float *wp = w + (((size_t)oc * f->h + ky) * f->w + kx) * in_c + ic;
                                    a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_loadu_ps(wp), _mm256_broadcast_ss(gp + oc)));
                                }
                            } else {
                                int32_t l;
                                _mm256_storeu_ps(acc, a);
                                for (oc = 0; oc < out_c; ++oc) {
                                    const float *wp = w + (((size_t)oc * f->h + ky) * f->w + kx) * in_c + ic;
                                    for (l = 0; l < lanes; ++l) {
                                        acc[l] = acc[l] + wp[l] * gp[oc];
                                    }
                                }
                                a = _mm256_loadu_ps(acc);
                            }
                        }
                    }
                    _mm256_storeu_ps(acc, a);
                    {
                        int32_t l;
                        for (l = 0; l < lanes; ++l) {
                            yp[ic + l] = acc[l];
                        }
                    }
                }
            }
        }
    }
}
#endif

TT_API tt_status tt_conv2d_f32_grad_input(const tt_window_params *window,
                                          const tt_dims *grad_dims, const float *grad,
                                          const tt_dims *filter_dims, const float *filter,
                                          const tt_dims *output_dims, float *output)
{
    if (grad == NULL || filter == NULL || output == NULL
        || !tt__f32_window_ok(window, output_dims, filter_dims, grad_dims)
        || filter_dims->n != grad_dims->c || filter_dims->c != output_dims->c) {
        return TT_ARG_ERROR;
    }
#if TT_HAVE_AVX2
    if (tt__use_avx2()) {
        grad_input_avx2(window, grad_dims, grad, filter_dims, filter, output_dims, output);
        return TT_OK;
    }
#endif
    grad_input_portable(window, grad_dims, grad, filter_dims, filter, output_dims, output);
    return TT_OK;
}
