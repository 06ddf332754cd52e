/* tt_conv2d_s8: general 2-D convolution (any kernel, stride, padding); pointwise cases go to 1x1. */
#include "../support/tt_internal.h"
#include "../support/tt_avx2.h"

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
