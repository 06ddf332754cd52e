/* tt_conv2d_s8: general 2-D convolution (any kernel, stride, padding); pointwise cases go to 1x1. */
#include "../support/tt_internal.h"
#include "../support/tt_avx2.h"
#include "../support/tt_dsp.h"

#if TT_HAVE_ARM_DSP
/* Receptive fields up to this many values (kh * kw * in_c) go through the window below. */
#define TT__CONV_DSP_MAX_DEPTH 256
/* Output channels whose requantization is prepared once per call (on the stack, 20 bytes each). */
#define TT__CONV_DSP_MAX_RQ 16

/** Four weight bytes at w, of which only the first n (1..3) are read; the others are 0. */
static inline uint32_t tt__conv_dsp_partial4(const int8_t *w, int32_t n)
{
    uint32_t v = (uint8_t)w[0];
    if (n > 1) {
        v |= (uint32_t)(uint8_t)w[1] << 8;
    }
    if (n > 2) {
        v |= (uint32_t)(uint8_t)w[2] << 16;
    }
    return v;
}

/*
 * Per output pixel the receptive field is copied once into an int8 window (taps outside the input get
 * the zero point, i.e. -input_offset, which is an int8; the window is padded with it to a multiple of
 * four), then widened four values at a time by SXTAB16 into int16 pairs (x + input_offset) in the order
 * SXTB16 unpacks weights: (v0, v2), (v1, v3). Every output channel pair then takes one word of weights
 * per four values (two SXTB16 and two SMLAD per channel) against the shared window; the last partial
 * word of weights is assembled from its bytes (padding values are 0, so the missing weights do not
 * matter). About 1.1 KB of stack; deeper fields take the portable loop.
 */
static void tt__conv_dsp(const tt_conv_params *p, const tt_per_channel_quant_params *q,
                         const tt_dims *in_dims, const int8_t *input, const tt_dims *f_dims, const int8_t *filter,
                         const int32_t *bias, const tt_dims *out_dims, int8_t *output)
{
    int8_t win8[TT__CONV_DSP_MAX_DEPTH + 4];
    int32_t win16[TT__CONV_DSP_MAX_DEPTH / 2 + 2];
    tt__dsp_rq rqs[TT__CONV_DSP_MAX_RQ];
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t kh = f_dims->h, kw = f_dims->w, out_c = out_dims->c;
    const int32_t depth = kh * kw * in_c, full = depth / 4, tail = depth - 4 * full;
    const int32_t groups = full + (tail != 0);
    const int32_t row_bytes = kw * in_c;
    const int32_t lo = p->activation.min - p->output_offset;
    const int32_t hi = p->activation.max - p->output_offset;
    const int32_t off2 = tt__dsp_offset2(p->input_offset);
    const int8_t zero_point = (int8_t)-p->input_offset;   /* in [-128, 127]: input_offset is in [-127, 128] */
    const int prepared = out_c <= TT__CONV_DSP_MAX_RQ;
    int32_t b, oy, ox, ky, i, oc, g;

    for (oc = 0; prepared && oc < out_c; ++oc) {
        rqs[oc] = tt__dsp_rq_of(bias, q->multiplier, q->shift, oc);
    }
    for (i = depth; i < 4 * groups; ++i) {
        win8[i] = zero_point;
    }
    for (b = 0; b < in_dims->n; ++b) {
        for (oy = 0; oy < out_dims->h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            for (ox = 0; ox < out_dims->w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                const int32_t first = tt__max_s32(0, -ix0) * in_c;                 /* inside: [first, last) */
                const int32_t last = tt__min_s32(kw, in_w - ix0) * in_c;
                int8_t *y = output + (((size_t)b * out_dims->h + oy) * out_dims->w + ox) * out_c;
                int8_t *wp = win8;
                for (ky = 0; ky < kh; ++ky, wp += row_bytes) {
                    const int32_t iy = iy0 + ky;
                    if (iy < 0 || iy >= in_h) {
                        for (i = 0; i < row_bytes; ++i) {
                            wp[i] = zero_point;
                        }
                    } else {
                        /* the first inside tap's pixel; window byte i takes src[i - first] */
                        const int8_t *src = input + (((size_t)b * in_h + iy) * in_w + ix0) * in_c + first;
                        for (i = 0; i < first; ++i) {
                            wp[i] = zero_point;
                        }
                        for (; i < last; ++i) {
                            wp[i] = src[i - first];
                        }
                        for (; i < row_bytes; ++i) {
                            wp[i] = zero_point;
                        }
                    }
                }
                for (g = 0; g < groups; ++g) {
                    const uint32_t v = tt__dsp_load4(win8 + 4 * g);
                    win16[2 * g] = __sxtab16(off2, (int32_t)v);
                    win16[2 * g + 1] = tt__dsp_sxtab16_ror8(off2, v);
                }
                for (oc = 0; oc < out_c; oc += 2) {
                    const int pair = oc + 1 < out_c;
                    const int8_t *w0 = filter + (size_t)oc * depth;
                    const int8_t *w1 = pair ? w0 + depth : w0;
                    int32_t a0 = 0, a1 = 0;
                    tt__dsp_rq rq;
                    for (g = 0; g < full; ++g) {
                        const uint32_t wv0 = tt__dsp_load4(w0 + 4 * g), wv1 = tt__dsp_load4(w1 + 4 * g);
                        const int32_t xe = win16[2 * g], xo = win16[2 * g + 1];
                        a0 = __smlad(xe, __sxtb16((int32_t)wv0), a0);
                        a0 = __smlad(xo, tt__dsp_sxtb16_ror8(wv0), a0);
                        a1 = __smlad(xe, __sxtb16((int32_t)wv1), a1);
                        a1 = __smlad(xo, tt__dsp_sxtb16_ror8(wv1), a1);
                    }
                    if (tail != 0) {
                        const uint32_t wv0 = tt__conv_dsp_partial4(w0 + 4 * full, tail);
                        const uint32_t wv1 = tt__conv_dsp_partial4(w1 + 4 * full, tail);
                        const int32_t xe = win16[2 * full], xo = win16[2 * full + 1];
                        a0 = __smlad(xe, __sxtb16((int32_t)wv0), a0);
                        a0 = __smlad(xo, tt__dsp_sxtb16_ror8(wv0), a0);
                        a1 = __smlad(xe, __sxtb16((int32_t)wv1), a1);
                        a1 = __smlad(xo, tt__dsp_sxtb16_ror8(wv1), a1);
                    }
                    rq = prepared ? rqs[oc] : tt__dsp_rq_of(bias, q->multiplier, q->shift, oc);
                    y[oc] = tt__dsp_output_s8((uint32_t)a0, &rq, p->output_offset, lo, hi);
                    if (pair) {
                        rq = prepared ? rqs[oc + 1] : tt__dsp_rq_of(bias, q->multiplier, q->shift, oc + 1);
                        y[oc + 1] = tt__dsp_output_s8((uint32_t)a1, &rq, p->output_offset, lo, hi);
                    }
                }
            }
        }
    }
}
#endif /* TT_HAVE_ARM_DSP */

TT_API int32_t tt_conv2d_s8_get_buffer_size(const tt_dims *input_dims, const tt_dims *filter_dims)
{
    (void)input_dims;
    (void)filter_dims;
    return 0;
}

TT_API tt_status tt_conv2d_s8(const tt_context *ctx,
                              const tt_conv_params *conv_params,
                              const tt_per_channel_quant_params *quant_params,
                              const tt_dims *input_dims, const int8_t *input,
                              const tt_dims *filter_dims, const int8_t *filter,
                              const tt_dims *bias_dims, const int32_t *bias,
                              const tt_dims *output_dims, int8_t *output)
{
    const tt_conv_params *p = conv_params;
    int32_t in_h, in_w, in_c, out_h, out_w, out_c, kh, kw, lo, hi, b, oy, ox, oc;
    if (!tt__conv_args_ok(conv_params, quant_params, input_dims, input, filter_dims, filter,
                          bias_dims, bias, output_dims, output, 0)) {
        return TT_ARG_ERROR;
    }
    if (filter_dims->h == 1 && filter_dims->w == 1 && p->stride_h == 1 && p->stride_w == 1
        && p->pad_h == 0 && p->pad_w == 0 && output_dims->h == input_dims->h
        && output_dims->w == input_dims->w) {
        return tt_conv2d_1x1_s8(ctx, conv_params, quant_params, input_dims, input, filter_dims,
                                filter, bias_dims, bias, output_dims, output);
    }
    if (!tt__context_ok(ctx, tt_conv2d_s8_get_buffer_size(input_dims, filter_dims))) {
        return TT_BUFFER_ERROR;
    }
#if TT_HAVE_AVX2
    /* a single output pixel of a shallow filter is cheaper in the plain loop */
    if (tt__use_avx2() && filter_dims->h * filter_dims->w * input_dims->c <= TT__AVX2_IM2COL_KMAX
        && ((int64_t)input_dims->n * output_dims->h * output_dims->w >= 4
            || filter_dims->h * filter_dims->w * input_dims->c >= 32)) {
        const tt__avx2_geom g = {input, input_dims->n, input_dims->h, input_dims->w, input_dims->c,
                                 output_dims->h, output_dims->w, filter_dims->h, filter_dims->w,
                                 p->stride_h, p->stride_w, p->pad_h, p->pad_w, p->input_offset};
        if (filter_dims->h * filter_dims->w * input_dims->c <= TT__AVX2_PK_DEPTH) {
            tt__avx2_conv_packed(&g, filter, output_dims->c, bias, quant_params->multiplier,
                                 quant_params->shift, p->output_offset, p->activation, output);
        } else {
            tt__avx2_conv_im2col(&g, filter, output_dims->c, bias, quant_params->multiplier,
                                 quant_params->shift, p->output_offset, p->activation, output);
        }
        return TT_OK;
    }
#endif
#if TT_HAVE_ARM_DSP
    if (tt__use_dsp() && filter_dims->h * filter_dims->w * input_dims->c <= TT__CONV_DSP_MAX_DEPTH) {
        tt__conv_dsp(p, quant_params, input_dims, input, filter_dims, filter, bias, output_dims, output);
        return TT_OK;
    }
#endif
    in_h = input_dims->h;
    in_w = input_dims->w;
    in_c = input_dims->c;
    out_h = output_dims->h;
    out_w = output_dims->w;
    out_c = output_dims->c;
    kh = filter_dims->h;
    kw = filter_dims->w;
    lo = p->activation.min - p->output_offset;
    hi = p->activation.max - p->output_offset;

    for (b = 0; b < input_dims->n; ++b) {
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            const int32_t ky0 = tt__max_s32(0, -iy0);
            const int32_t ky1 = tt__min_s32(kh, in_h - iy0);
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                const int32_t kx0 = tt__max_s32(0, -ix0);
                const int32_t kx1 = tt__min_s32(kw, in_w - ix0);
                /* in-bounds taps of one kernel row are contiguous in input and filter */
                const int32_t run = (kx1 - kx0) * in_c;
                int8_t *out_px = output + (((size_t)b * out_h + oy) * out_w + ox) * out_c;
                for (oc = 0; oc < out_c; ++oc) {
                    uint32_t acc = 0;
                    int32_t ky, i;
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int8_t *xr = input + (((size_t)b * in_h + (iy0 + ky)) * in_w + (ix0 + kx0)) * in_c;
                        const int8_t *wr = filter + (((size_t)oc * kh + ky) * kw + kx0) * in_c;
                        for (i = 0; i < run; ++i) {
                            acc += (uint32_t)((xr[i] + p->input_offset) * wr[i]);
                        }
                    }
                    out_px[oc] = tt__output_s8(acc, bias != NULL ? bias[oc] : 0,
                                               quant_params->multiplier[oc], quant_params->shift[oc],
                                               p->output_offset, lo, hi);
                }
            }
        }
    }
    return TT_OK;
}
