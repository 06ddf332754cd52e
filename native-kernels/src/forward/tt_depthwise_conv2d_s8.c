/* tt_depthwise_conv2d_s8: depthwise convolution, channel multiplier 1, 1HWC filter. */
#include "../support/tt_internal.h"
#include "../support/tt_avx2.h"
#include "../support/tt_dsp.h"

/* Channels accumulated together by the portable path (stack: 4 bytes each). */
#define TT__DW_CHANNEL_BLOCK 64

/* The AVX2 path keeps a channel block's interleaved weights for at most this many taps. */
#define TT__DW_AVX2_MAX_TAPS 64

TT_API int32_t tt_depthwise_conv2d_s8_get_buffer_size(const tt_dims *input_dims, const tt_dims *filter_dims)
{
    (void)input_dims;
    (void)filter_dims;
    return 0;
}

static void tt__dw_portable(const tt_conv_params *p, const tt_per_channel_quant_params *q,
                            const tt_dims *in_dims, const int8_t *input,
                            const tt_dims *f_dims, const int8_t *filter, const int32_t *bias,
                            const tt_dims *out_dims, int8_t *output)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    const int32_t kh = f_dims->h, kw = f_dims->w;
    const int32_t lo = p->activation.min - p->output_offset;
    const int32_t hi = p->activation.max - p->output_offset;
    uint32_t acc[TT__DW_CHANNEL_BLOCK];
    int32_t b, oy, ox, c0, c, ky, kx;

    for (b = 0; b < in_dims->n; ++b) {
        for (oy = 0; oy < out_dims->h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            const int32_t ky0 = tt__max_s32(0, -iy0);
            const int32_t ky1 = tt__min_s32(kh, in_h - iy0);
            for (ox = 0; ox < out_dims->w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                const int32_t kx0 = tt__max_s32(0, -ix0);
                const int32_t kx1 = tt__min_s32(kw, in_w - ix0);
                int8_t *out_px = output + (((size_t)b * out_dims->h + oy) * out_dims->w + ox) * ch;
                for (c0 = 0; c0 < ch; c0 += TT__DW_CHANNEL_BLOCK) {
                    const int32_t nc = tt__min_s32(TT__DW_CHANNEL_BLOCK, ch - c0);
                    for (c = 0; c < nc; ++c) {
                        acc[c] = 0;
                    }
                    for (ky = ky0; ky < ky1; ++ky) {
                        for (kx = kx0; kx < kx1; ++kx) {
                            const int8_t *xr = input + (((size_t)b * in_h + (iy0 + ky)) * in_w + (ix0 + kx)) * ch + c0;
                            const int8_t *wr = filter + ((size_t)ky * kw + kx) * ch + c0;
                            for (c = 0; c < nc; ++c) {
                                acc[c] += (uint32_t)((xr[c] + p->input_offset) * wr[c]);
                            }
                        }
                    }
                    for (c = 0; c < nc; ++c) {
                        out_px[c0 + c] = tt__output_s8(acc[c], bias != NULL ? bias[c0 + c] : 0,
                                                       q->multiplier[c0 + c], q->shift[c0 + c],
                                                       p->output_offset, lo, hi);
                    }
                }
            }
        }
    }
}

#if TT_HAVE_AVX2
/*
 * 16 channels at a time in int16 lanes; two taps are interleaved so one madd computes
 * x_a * w_a + x_b * w_b per channel in an int32 lane ((x + offset) and w both fit in int16).
 * Taps outside the input contribute a zero x vector. Requantization is vectorized per channel.
 */
static TT_AVX2_FN void tt__dw_avx2(const tt_conv_params *p, const tt_per_channel_quant_params *q,
                                   const tt_dims *in_dims, const int8_t *input,
                                   const tt_dims *f_dims, const int8_t *filter, const int32_t *bias,
                                   const tt_dims *out_dims, int8_t *output)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    const int32_t kh = f_dims->h, kw = f_dims->w, taps = kh * kw;
    const __m256i zero = _mm256_setzero_si256();
    const __m256i voff = _mm256_set1_epi16((int16_t)p->input_offset);
    const __m256i vout = _mm256_set1_epi32(p->output_offset);
    const __m256i vlo = _mm256_set1_epi32(p->activation.min - p->output_offset);
    const __m256i vhi = _mm256_set1_epi32(p->activation.max - p->output_offset);
    __m256i wlo[TT__DW_AVX2_MAX_TAPS / 2 + 1];
    __m256i whi[TT__DW_AVX2_MAX_TAPS / 2 + 1];
    int32_t c0, t, b, oy, ox, ky, kx;

    for (c0 = 0; c0 < ch; c0 += 16) {
        const int32_t nc = tt__min_s32(16, ch - c0);
        const int32_t n_lo = tt__min_s32(8, nc);
        const int32_t n_hi = nc - 8;
        __m256i b_lo, b_hi, m_lo, m_hi, s_lo, s_hi;

        for (t = 0; t < taps; t += 2) {
            const __m256i wa = _mm256_cvtepi8_epi16(tt__avx2_load_s8(filter + (size_t)t * ch + c0, nc));
            const __m256i wb = t + 1 < taps
                ? _mm256_cvtepi8_epi16(tt__avx2_load_s8(filter + (size_t)(t + 1) * ch + c0, nc))
                : zero;
            wlo[t / 2] = _mm256_unpacklo_epi16(wa, wb);
            whi[t / 2] = _mm256_unpackhi_epi16(wa, wb);
        }
        b_lo = bias != NULL ? tt__avx2_load_s32(bias + c0, n_lo) : zero;
        m_lo = tt__avx2_load_s32(q->multiplier + c0, n_lo);
        s_lo = tt__avx2_load_s32(q->shift + c0, n_lo);
        b_hi = n_hi > 0 && bias != NULL ? tt__avx2_load_s32(bias + c0 + 8, n_hi) : zero;
        m_hi = n_hi > 0 ? tt__avx2_load_s32(q->multiplier + c0 + 8, n_hi) : zero;
        s_hi = n_hi > 0 ? tt__avx2_load_s32(q->shift + c0 + 8, n_hi) : zero;

        for (b = 0; b < in_dims->n; ++b) {
            for (oy = 0; oy < out_dims->h; ++oy) {
                const int32_t iy0 = oy * p->stride_h - p->pad_h;
                for (ox = 0; ox < out_dims->w; ++ox) {
                    const int32_t ix0 = ox * p->stride_w - p->pad_w;
                    __m256i acc_a = zero, acc_b = zero, pending = zero, ch0, ch1, r0, r1;
                    int32_t have = 0, pair = 0;
                    for (ky = 0; ky < kh; ++ky) {
                        const int32_t iy = iy0 + ky;
                        const int row_ok = iy >= 0 && iy < in_h;
                        const int8_t *xrow = input + ((size_t)b * in_h + (row_ok ? iy : 0)) * in_w * ch + c0;
                        for (kx = 0; kx < kw; ++kx) {
                            const int32_t ix = ix0 + kx;
                            __m256i xv = zero;
                            if (row_ok && ix >= 0 && ix < in_w) {
                                xv = _mm256_add_epi16(
                                    _mm256_cvtepi8_epi16(tt__avx2_load_s8(xrow + (size_t)ix * ch, nc)), voff);
                            }
                            if (!have) {
                                pending = xv;
                                have = 1;
                            } else {
                                acc_a = _mm256_add_epi32(acc_a, _mm256_madd_epi16(_mm256_unpacklo_epi16(pending, xv), wlo[pair]));
                                acc_b = _mm256_add_epi32(acc_b, _mm256_madd_epi16(_mm256_unpackhi_epi16(pending, xv), whi[pair]));
                                ++pair;
                                have = 0;
                            }
                        }
                    }
                    if (have) {
                        acc_a = _mm256_add_epi32(acc_a, _mm256_madd_epi16(_mm256_unpacklo_epi16(pending, zero), wlo[pair]));
                        acc_b = _mm256_add_epi32(acc_b, _mm256_madd_epi16(_mm256_unpackhi_epi16(pending, zero), whi[pair]));
                    }
                    /* acc_a holds channels 0-3 | 8-11, acc_b 4-7 | 12-15 */
                    ch0 = _mm256_permute2x128_si256(acc_a, acc_b, 0x20);
                    ch1 = _mm256_permute2x128_si256(acc_a, acc_b, 0x31);
                    r0 = tt__avx2_output8(ch0, b_lo, m_lo, s_lo, vout, vlo, vhi);
                    r1 = tt__avx2_output8(ch1, b_hi, m_hi, s_hi, vout, vlo, vhi);
                    tt__avx2_store_s8(output + (((size_t)b * out_dims->h + oy) * out_dims->w + ox) * ch + c0,
                                      tt__avx2_pack16(r0, r1), nc);
                }
            }
        }
    }
}
#endif /* TT_HAVE_AVX2 */

#if TT_HAVE_ARM_DSP
/*
 * Four channels at a time, channel groups outermost so each group's requantization is prepared once:
 * per in-bounds tap one word of inputs and one of weights, widened by SXTAB16 / SXTB16 into the
 * (channel 0, 2) and (channel 1, 3) halfword pairs and multiplied per channel by SMLABB / SMLATT into
 * four accumulators that stay in registers for the whole window. The channels past the last multiple
 * of four take a scalar loop.
 */
static void tt__dw_dsp(const tt_conv_params *p, const tt_per_channel_quant_params *q,
                       const tt_dims *in_dims, const int8_t *input,
                       const tt_dims *f_dims, const int8_t *filter, const int32_t *bias,
                       const tt_dims *out_dims, int8_t *output)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    const int32_t kw = f_dims->w;
    const int32_t lo = p->activation.min - p->output_offset;
    const int32_t hi = p->activation.max - p->output_offset;
    const int32_t off2 = tt__dsp_offset2(p->input_offset);
    const size_t row_step = (size_t)in_w * ch;
    int32_t c0, b, oy, ox, ky, kx;

    for (c0 = 0; c0 < ch; c0 += 4) {
        const int32_t nc = tt__min_s32(4, ch - c0);
        tt__dsp_rq rq[4];
        int32_t c;
        for (c = 0; c < nc; ++c) {
            rq[c] = tt__dsp_rq_of(bias, q->multiplier, q->shift, c0 + c);
        }
        for (b = 0; b < in_dims->n; ++b) {
            for (oy = 0; oy < out_dims->h; ++oy) {
                const int32_t iy0 = oy * p->stride_h - p->pad_h;
                const int32_t ky0 = tt__max_s32(0, -iy0);
                const int32_t ky1 = tt__min_s32(f_dims->h, in_h - iy0);
                int8_t *out_row = output + ((size_t)b * out_dims->h + oy) * out_dims->w * ch + c0;
                for (ox = 0; ox < out_dims->w; ++ox) {
                    const int32_t ix0 = ox * p->stride_w - p->pad_w;
                    const int32_t kx0 = tt__max_s32(0, -ix0);
                    const int32_t kx1 = tt__min_s32(kw, in_w - ix0);
                    const int8_t *x_tap = input + (((size_t)b * in_h + (iy0 + ky0)) * in_w + (ix0 + kx0)) * ch + c0;
                    const int8_t *w_tap = filter + ((size_t)ky0 * kw + kx0) * ch + c0;
                    int8_t *y = out_row + (size_t)ox * ch;
                    if (nc == 4) {
                        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                        const int32_t run = (kx1 - kx0) * ch;   /* one kernel row's taps, in bytes */
                        for (ky = ky0; ky < ky1; ++ky) {
                            int32_t k;
                            for (k = 0; k != run; k += ch) {
                                const uint32_t xv = tt__dsp_load4(x_tap + k), wv = tt__dsp_load4(w_tap + k);
                                const int32_t xe = __sxtab16(off2, (int32_t)xv);
                                const int32_t xo = tt__dsp_sxtab16_ror8(off2, xv);
                                const int32_t we = __sxtb16((int32_t)wv), wo = tt__dsp_sxtb16_ror8(wv);
                                a0 = __smlabb(xe, we, a0);
                                a2 = __smlatt(xe, we, a2);
                                a1 = __smlabb(xo, wo, a1);
                                a3 = __smlatt(xo, wo, a3);
                            }
                            x_tap += row_step;
                            w_tap += (size_t)kw * ch;
                        }
                        y[0] = tt__dsp_output_s8((uint32_t)a0, &rq[0], p->output_offset, lo, hi);
                        y[1] = tt__dsp_output_s8((uint32_t)a1, &rq[1], p->output_offset, lo, hi);
                        y[2] = tt__dsp_output_s8((uint32_t)a2, &rq[2], p->output_offset, lo, hi);
                        y[3] = tt__dsp_output_s8((uint32_t)a3, &rq[3], p->output_offset, lo, hi);
                    } else {
                        for (c = 0; c < nc; ++c) {
                            uint32_t acc = 0;
                            const int8_t *xrow = x_tap + c, *wrow = w_tap + c;
                            for (ky = ky0; ky < ky1; ++ky) {
                                for (kx = 0; kx < kx1 - kx0; ++kx) {
                                    acc += tt__dsp_term(xrow[(size_t)kx * ch], p->input_offset, wrow[(size_t)kx * ch]);
                                }
                                xrow += row_step;
                                wrow += (size_t)kw * ch;
                            }
                            y[c] = tt__dsp_output_s8(acc, &rq[c], p->output_offset, lo, hi);
                        }
                    }
                }
            }
        }
    }
}
#endif /* TT_HAVE_ARM_DSP */

TT_API tt_status tt_depthwise_conv2d_s8(const tt_context *ctx,
                                        const tt_conv_params *conv_params,
                                        const tt_per_channel_quant_params *quant_params,
                                        const tt_dims *input_dims, const int8_t *input,
                                        const tt_dims *filter_dims, const int8_t *filter,
                                        const tt_dims *bias_dims, const int32_t *bias,
                                        const tt_dims *output_dims, int8_t *output)
{
    if (!tt__conv_args_ok(conv_params, quant_params, input_dims, input, filter_dims, filter,
                          bias_dims, bias, output_dims, output, 1)) {
        return TT_ARG_ERROR;
    }
    if (!tt__context_ok(ctx, tt_depthwise_conv2d_s8_get_buffer_size(input_dims, filter_dims))) {
        return TT_BUFFER_ERROR;
    }
#if TT_HAVE_AVX2
    if (tt__use_avx2() && (int64_t)filter_dims->h * filter_dims->w <= TT__DW_AVX2_MAX_TAPS) {
        tt__dw_avx2(conv_params, quant_params, input_dims, input, filter_dims, filter, bias,
                    output_dims, output);
        return TT_OK;
    }
#endif
#if TT_HAVE_ARM_DSP
    if (tt__use_dsp()) {
        tt__dw_dsp(conv_params, quant_params, input_dims, input, filter_dims, filter, bias, output_dims, output);
        return TT_OK;
    }
#endif
    tt__dw_portable(conv_params, quant_params, input_dims, input, filter_dims, filter, bias,
                    output_dims, output);
    return TT_OK;
}
