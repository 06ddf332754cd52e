/* tt_conv2d_f32: float32 convolution, OHWI filter, optional bias. */
#include "tt_fp32_internal.h"

TT_API int32_t tt_conv2d_f32_get_buffer_size(const tt_dims *filter_dims)
{
    if (!tt__dims_ok(filter_dims) || tt__elements(filter_dims) > (size_t)INT32_MAX / 4) {
        return 0;
    }
    return (int32_t)(tt__elements(filter_dims) * 4);
}

static void conv_portable(const tt_window_params *p, const tt_dims *in, const float *x, const tt_dims *f,
                          const float *w, const float *bias, const tt_dims *out, float *y)
{
    int32_t n, oy, ox, oc, ky, kx, ic;
    for (n = 0; n < out->n; ++n) {
        for (oy = 0; oy < out->h; ++oy) {
            for (ox = 0; ox < out->w; ++ox) {
                float *yp = y + (((size_t)n * out->h + oy) * out->w + ox) * out->c;
                for (oc = 0; oc < out->c; ++oc) {
                    float acc = 0.0f;
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
                            wp = w + (((size_t)oc * f->h + ky) * f->w + kx) * in->c;
                            for (ic = 0; ic < in->c; ++ic) {
                                acc = acc + xp[ic] * wp[ic];
                            }
                        }
                    }
                    yp[oc] = bias != NULL ? acc + bias[oc] : acc;
                }
            }
        }
    }
}

#if TT_HAVE_AVX2
/*
 * AVX2: lanes are output channels, so the filter is first transposed to wt[ky][kx][ic][oc]
 * (scratch). Each lane's sum takes its products in the portable order (ky, kx, ic).
 */
TT_F32_AVX2_FN void conv_avx2(const tt_window_params *p, const tt_dims *in, const float *x, const tt_dims *f,
                              const float *w, const float *bias, const tt_dims *out, float *y, float *wt)
{
    const int32_t oc_n = out->c, ic_n = in->c;
    const int32_t taps = f->h * f->w;
    int32_t o, t, i, n, oy, ox, ky, kx;
    for (o = 0; o < oc_n; ++o) {
        for (t = 0; t < taps; ++t) {
            for (i = 0; i < ic_n; ++i) {
                wt[((size_t)t * ic_n + i) * oc_n + o] = w[((size_t)o * taps + t) * ic_n + i];
            }
        }
    }
    if (tt__f32_pointwise(p, f)) {
        /* a matrix product: blocks of 4 pixels x 16 output channels in 8 registers */
        const size_t pixels = (size_t)in->n * in->h * in->w;
        size_t px = 0;
        for (; px + 4 <= pixels; px += 4) {
            const float *x0 = x + px * ic_n;
            float *y0 = y + px * oc_n;
            int32_t oc = 0;
            for (; oc + 16 <= oc_n; oc += 16) {
                __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00;
                __m256 a20 = a00, a21 = a00, a30 = a00, a31 = a00;
                for (i = 0; i < ic_n; ++i) {
                    const float *wr = wt + (size_t)i * oc_n + oc;
                    const __m256 w0 = _mm256_loadu_ps(wr), w1 = _mm256_loadu_ps(wr + 8);
                    __m256 b = _mm256_broadcast_ss(x0 + i);
                    a00 = _mm256_add_ps(a00, _mm256_mul_ps(b, w0));
                    a01 = _mm256_add_ps(a01, _mm256_mul_ps(b, w1));
                    b = _mm256_broadcast_ss(x0 + ic_n + i);
                    a10 = _mm256_add_ps(a10, _mm256_mul_ps(b, w0));
                    a11 = _mm256_add_ps(a11, _mm256_mul_ps(b, w1));
                    b = _mm256_broadcast_ss(x0 + 2 * (size_t)ic_n + i);
                    a20 = _mm256_add_ps(a20, _mm256_mul_ps(b, w0));
                    a21 = _mm256_add_ps(a21, _mm256_mul_ps(b, w1));
                    b = _mm256_broadcast_ss(x0 + 3 * (size_t)ic_n + i);
                    a30 = _mm256_add_ps(a30, _mm256_mul_ps(b, w0));
                    a31 = _mm256_add_ps(a31, _mm256_mul_ps(b, w1));
                }
                if (bias != NULL) {
                    const __m256 b0 = _mm256_loadu_ps(bias + oc), b1 = _mm256_loadu_ps(bias + oc + 8);
                    a00 = _mm256_add_ps(a00, b0); a01 = _mm256_add_ps(a01, b1);
                    a10 = _mm256_add_ps(a10, b0); a11 = _mm256_add_ps(a11, b1);
                    a20 = _mm256_add_ps(a20, b0); a21 = _mm256_add_ps(a21, b1);
                    a30 = _mm256_add_ps(a30, b0); a31 = _mm256_add_ps(a31, b1);
                }
                _mm256_storeu_ps(y0 + oc, a00); _mm256_storeu_ps(y0 + oc + 8, a01);
                _mm256_storeu_ps(y0 + oc_n + oc, a10); _mm256_storeu_ps(y0 + oc_n + oc + 8, a11);
                _mm256_storeu_ps(y0 + 2 * (size_t)oc_n + oc, a20); _mm256_storeu_ps(y0 + 2 * (size_t)oc_n + oc + 8, a21);
                _mm256_storeu_ps(y0 + 3 * (size_t)oc_n + oc, a30); _mm256_storeu_ps(y0 + 3 * (size_t)oc_n + oc + 8, a31);
            }
            /* remaining channels: one pixel at a time, below */
            if (oc < oc_n) {
                int32_t r;
                for (r = 0; r < 4; ++r) {
                    const float *xr = x0 + (size_t)r * ic_n;
                    float *yr = y0 + (size_t)r * oc_n;
                    int32_t c = oc;
                    for (; c + 8 <= oc_n; c += 8) {
                        __m256 a = _mm256_setzero_ps();
                        for (i = 0; i < ic_n; ++i) {
                            a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_broadcast_ss(xr + i),
                                                               _mm256_loadu_ps(wt + (size_t)i * oc_n + c)));
                        }
                        if (bias != NULL) {
                            a = _mm256_add_ps(a, _mm256_loadu_ps(bias + c));
                        }
                        _mm256_storeu_ps(yr + c, a);
                    }
                    for (; c < oc_n; ++c) {
                        float acc = 0.0f;
                        for (i = 0; i < ic_n; ++i) {
                            acc = acc + xr[i] * wt[(size_t)i * oc_n + c];
                        }
                        yr[c] = bias != NULL ? acc + bias[c] : acc;
                    }
                }
            }
        }
        for (; px < pixels; ++px) {
            const float *xr = x + px * ic_n;
            float *yr = y + px * oc_n;
            int32_t c = 0;
            for (; c + 8 <= oc_n; c += 8) {
                __m256 a = _mm256_setzero_ps();
                for (i = 0; i < ic_n; ++i) {
                    a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_broadcast_ss(xr + i),
                                                       _mm256_loadu_ps(wt + (size_t)i * oc_n + c)));
                }
                if (bias != NULL) {
                    a = _mm256_add_ps(a, _mm256_loadu_ps(bias + c));
                }
                _mm256_storeu_ps(yr + c, a);
            }
            for (; c < oc_n; ++c) {
                float acc = 0.0f;
                for (i = 0; i < ic_n; ++i) {
                    acc = acc + xr[i] * wt[(size_t)i * oc_n + c];
                }
                yr[c] = bias != NULL ? acc + bias[c] : acc;
            }
        }
        return;
    }
    for (n = 0; n < out->n; ++n) {
        for (oy = 0; oy < out->h; ++oy) {
            for (ox = 0; ox < out->w; ++ox) {
                float *yp = y + (((size_t)n * out->h + oy) * out->w + ox) * oc_n;
                int32_t c = 0;
                for (; c < oc_n; c += 8) {
                    const int32_t lanes = oc_n - c < 8 ? oc_n - c : 8;
                    __m256 a = _mm256_setzero_ps();
                    float acc[8];
                    for (ky = 0; ky < f->h; ++ky) {
                        const int32_t iy = oy * p->stride_h - p->pad_h + ky;
                        if (iy < 0 || iy >= in->h) {
                            continue;
                        }
                        for (kx = 0; kx < f->w; ++kx) {
                            const int32_t ix = ox * p->stride_w - p->pad_w + kx;
                            const float *xp, *wr;
                            if (ix < 0 || ix >= in->w) {
                                continue;
                            }
                            xp = x + (((size_t)n * in->h + iy) * in->w + ix) * ic_n;
                            wr = wt + (size_t)(ky * f->w + kx) * ic_n * oc_n + c;
                            if (lanes == 8) {
                                for (i = 0; i < ic_n; ++i) {
                                    a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_broadcast_ss(xp + i),
                                                                       _mm256_loadu_ps(wr + (size_t)i * oc_n)));
                                }
                            } else {
                                int32_t l;
                                _mm256_storeu_ps(acc, a);
                                for (i = 0; i < ic_n; ++i) {
                                    for (l = 0; l < lanes; ++l) {
                                        acc[l] = acc[l] + xp[i] * wr[(size_t)i * oc_n + l];
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
                            yp[c + l] = bias != NULL ? acc[l] + bias[c + l] : acc[l];
                        }
                    }
                }
            }
        }
    }
}
#endif

TT_API tt_status tt_conv2d_f32(const tt_context *ctx, const tt_window_params *window,
                               const tt_dims *input_dims, const float *input,
                               const tt_dims *filter_dims, const float *filter,
                               const float *bias,
                               const tt_dims *output_dims, float *output)
{
    int32_t need;
    if (input == NULL || filter == NULL || output == NULL
        || !tt__f32_window_ok(window, input_dims, filter_dims, output_dims)
        || filter_dims->c != input_dims->c || filter_dims->n != output_dims->c) {
        return TT_ARG_ERROR;
    }
    need = tt_conv2d_f32_get_buffer_size(filter_dims);
    if (need <= 0) {
        return TT_ARG_ERROR;
    }
    if (!tt__context_ok(ctx, need)) {
        return TT_BUFFER_ERROR;
    }
#if TT_HAVE_AVX2
    if (tt__use_avx2()) {
        conv_avx2(window, input_dims, input, filter_dims, filter, bias, output_dims, output, (float *)ctx->buf);
        return TT_OK;
    }
#endif
    conv_portable(window, input_dims, input, filter_dims, filter, bias, output_dims, output);
    return TT_OK;
}
