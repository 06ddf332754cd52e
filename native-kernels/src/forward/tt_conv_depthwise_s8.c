/*
 * tt_conv_depthwise_s8: conv2d then depthwise conv2d, one intermediate channel at a time, so the
 * intermediate tensor never exists whole (only one of its channel planes, in the scratch).
 */
#include "../support/tt_internal.h"
#include "../support/tt_memory.h"

TT_API int32_t tt_conv_depthwise_s8_get_buffer_size(const tt_dims *mid_dims)
{
    if (mid_dims == NULL || mid_dims->h < 1 || mid_dims->w < 1 || (int64_t)mid_dims->h * mid_dims->w > INT32_MAX) {
        return 0;
    }
    return mid_dims->h * mid_dims->w;
}

/*
 * Channel oc of conv2d for batch item b at every output position, into plane (mid h * mid w int8):
 * the arithmetic of tt_conv2d_s8 (int32 sum wrapping mod 2^32 over the in-bounds taps, tt__output_s8),
 * so any order of the products gives its bits.
 */
static void tt__conv_plane(const tt_conv_params *p, const tt_per_channel_quant_params *q,
                           const tt_dims *in_dims, const int8_t *input, const tt_dims *f_dims,
                           const int8_t *filter, const int32_t *bias, const tt_dims *mid_dims,
                           int32_t b, int32_t oc, int8_t *plane)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t kh = f_dims->h, kw = f_dims->w;
    const int32_t lo = p->activation.min - p->output_offset;
    const int32_t hi = p->activation.max - p->output_offset;
    const int32_t bias_c = bias != NULL ? bias[oc] : 0;
    const int8_t *w_oc = filter + (size_t)oc * kh * kw * in_c;
    int32_t oy, ox, ky, i;
    for (oy = 0; oy < mid_dims->h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_h;
        const int32_t ky0 = tt__max_s32(0, -iy0);
        const int32_t ky1 = tt__min_s32(kh, in_h - iy0);
        for (ox = 0; ox < mid_dims->w; ++ox) {
            const int32_t ix0 = ox * p->stride_w - p->pad_w;
            const int32_t kx0 = tt__max_s32(0, -ix0);
            const int32_t kx1 = tt__min_s32(kw, in_w - ix0);
            /* in-bounds taps of one kernel row are contiguous in input and filter */
            const int32_t run = (kx1 - kx0) * in_c;
            uint32_t acc = 0;
            for (ky = ky0; ky < ky1; ++ky) {
                const int8_t *xr = input + (((size_t)b * in_h + (iy0 + ky)) * in_w + (ix0 + kx0)) * in_c;
                const int8_t *wr = w_oc + ((size_t)ky * kw + kx0) * in_c;
                for (i = 0; i < run; ++i) {
                    acc += (uint32_t)((xr[i] + p->input_offset) * wr[i]);
                }
            }
            plane[(size_t)oy * mid_dims->w + ox] = tt__output_s8(acc, bias_c, q->multiplier[oc], q->shift[oc],
                                                                 p->output_offset, lo, hi);
        }
    }
}

/* Channel c of the depthwise conv of one plane (channel c of the intermediate) into output[b][.][.][c]. */
static void tt__depthwise_plane(const tt_conv_params *p, const tt_per_channel_quant_params *q,
                                const tt_dims *mid_dims, const int8_t *plane, const tt_dims *f_dims,
                                const int8_t *filter, const int32_t *bias, const tt_dims *out_dims,
                                int32_t b, int32_t c, int8_t *output)
{
    const int32_t mid_h = mid_dims->h, mid_w = mid_dims->w, ch = mid_dims->c;
    const int32_t kh = f_dims->h, kw = f_dims->w;
    const int32_t lo = p->activation.min - p->output_offset;
    const int32_t hi = p->activation.max - p->output_offset;
    const int32_t bias_c = bias != NULL ? bias[c] : 0;
    int32_t oy, ox, ky, kx;
    for (oy = 0; oy < out_dims->h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_h;
        const int32_t ky0 = tt__max_s32(0, -iy0);
        const int32_t ky1 = tt__min_s32(kh, mid_h - iy0);
        for (ox = 0; ox < out_dims->w; ++ox) {
            const int32_t ix0 = ox * p->stride_w - p->pad_w;
            const int32_t kx0 = tt__max_s32(0, -ix0);
            const int32_t kx1 = tt__min_s32(kw, mid_w - ix0);
            uint32_t acc = 0;
            for (ky = ky0; ky < ky1; ++ky) {
                const int8_t *xr = plane + (size_t)(iy0 + ky) * mid_w + ix0;
                const int8_t *wr = filter + (size_t)ky * kw * ch + c;
                for (kx = kx0; kx < kx1; ++kx) {
                    acc += (uint32_t)((xr[kx] + p->input_offset) * wr[(size_t)kx * ch]);
                }
            }
            output[(((size_t)b * out_dims->h + oy) * out_dims->w + ox) * ch + c] =
                tt__output_s8(acc, bias_c, q->multiplier[c], q->shift[c], p->output_offset, lo, hi);
        }
    }
}

TT_API tt_status tt_conv_depthwise_s8(const tt_context *ctx,
                                      const tt_conv_params *conv_params,
                                      const tt_per_channel_quant_params *conv_quant,
                                      const tt_conv_params *dw_params,
                                      const tt_per_channel_quant_params *dw_quant,
                                      const tt_dims *input_dims, const int8_t *input,
                                      const tt_dims *conv_filter_dims, const int8_t *conv_filter,
                                      const tt_dims *conv_bias_dims, const int32_t *conv_bias,
                                      const tt_dims *mid_dims,
                                      const tt_dims *dw_filter_dims, const int8_t *dw_filter,
                                      const tt_dims *dw_bias_dims, const int32_t *dw_bias,
                                      const tt_dims *output_dims, int8_t *output)
{
    int8_t *plane;
    size_t plane_bytes;
    int32_t b, c;
    /* the intermediate has no buffer: the checks get a non-NULL stand-in for its pointer */
    if (!tt__conv_args_ok(conv_params, conv_quant, input_dims, input, conv_filter_dims, conv_filter,
                          conv_bias_dims, conv_bias, mid_dims, output, 0)
        || !tt__conv_args_ok(dw_params, dw_quant, mid_dims, input, dw_filter_dims, dw_filter,
                             dw_bias_dims, dw_bias, output_dims, output, 1)) {
        return TT_ARG_ERROR;
    }
    /* output channel c is written while input is still read for the channels after c */
    if (tt__overlap(output, tt__bytes_s8(output_dims), input, tt__bytes_s8(input_dims))) {
        return TT_ARG_ERROR;
    }
    if (!tt__context_ok(ctx, tt_conv_depthwise_s8_get_buffer_size(mid_dims))) {
        return TT_BUFFER_ERROR;
    }
    plane = (int8_t *)ctx->buf;
    plane_bytes = (size_t)mid_dims->h * mid_dims->w;
    if (tt__overlap(plane, plane_bytes, input, tt__bytes_s8(input_dims))
        || tt__overlap(plane, plane_bytes, output, tt__bytes_s8(output_dims))) {
        return TT_BUFFER_ERROR;
    }
    for (b = 0; b < input_dims->n; ++b) {
        for (c = 0; c < mid_dims->c; ++c) {
            tt__conv_plane(conv_params, conv_quant, input_dims, input, conv_filter_dims, conv_filter, conv_bias,
                           mid_dims, b, c, plane);
            tt__depthwise_plane(dw_params, dw_quant, mid_dims, plane, dw_filter_dims, dw_filter, dw_bias,
                                output_dims, b, c, output);
        }
    }
    return TT_OK;
}
