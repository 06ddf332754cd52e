/* tt_avgpool2d_s8: average pooling over the in-bounds cells of each window. */
#include "../support/tt_internal.h"

/* Channels summed together (stack: 4 bytes each). */
#define TT__POOL_CHANNEL_BLOCK 64

TT_API int32_t tt_avgpool2d_s8_get_buffer_size(const tt_dims *output_dims)
{
    (void)output_dims;
    return 0;
}

TT_API tt_status tt_avgpool2d_s8(const tt_context *ctx,
                                 const tt_pool_params *pool_params,
                                 const tt_dims *input_dims, const int8_t *input,
                                 const tt_dims *output_dims, int8_t *output)
{
    const tt_pool_params *p = pool_params;
    int32_t sum[TT__POOL_CHANNEL_BLOCK];
    int32_t in_h, in_w, ch, b, oy, ox, c0, c, ky, kx;
    if (p == NULL || input == NULL || output == NULL) {
        return TT_ARG_ERROR;
    }
    if (!tt__dims_ok(input_dims) || !tt__dims_ok(output_dims) || !tt__activation_ok(p->activation)) {
        return TT_ARG_ERROR;
    }
    if (output_dims->n != input_dims->n || output_dims->c != input_dims->c
        || !tt__window_ok(input_dims->h, output_dims->h, p->filter_h, p->stride_h, p->pad_h)
        || !tt__window_ok(input_dims->w, output_dims->w, p->filter_w, p->stride_w, p->pad_w)
        || (int64_t)p->filter_h * p->filter_w > ((int64_t)1 << 24)) {
        return TT_ARG_ERROR;
    }
    if (!tt__context_ok(ctx, tt_avgpool2d_s8_get_buffer_size(output_dims))) {
        return TT_BUFFER_ERROR;
    }
    in_h = input_dims->h;
    in_w = input_dims->w;
    ch = input_dims->c;
    for (b = 0; b < input_dims->n; ++b) {
        for (oy = 0; oy < output_dims->h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            const int32_t ky0 = tt__max_s32(0, -iy0);
            const int32_t ky1 = tt__min_s32(p->filter_h, in_h - iy0);
            for (ox = 0; ox < output_dims->w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                const int32_t kx0 = tt__max_s32(0, -ix0);
                const int32_t kx1 = tt__min_s32(p->filter_w, in_w - ix0);
                const int32_t count = (ky1 - ky0) * (kx1 - kx0); /* >= 1 by the window check */
                int8_t *out_px = output + (((size_t)b * output_dims->h + oy) * output_dims->w + ox) * ch;
                for (c0 = 0; c0 < ch; c0 += TT__POOL_CHANNEL_BLOCK) {
                    const int32_t nc = tt__min_s32(TT__POOL_CHANNEL_BLOCK, ch - c0);
                    for (c = 0; c < nc; ++c) {
                        sum[c] = 0;
                    }
                    for (ky = ky0; ky < ky1; ++ky) {
                        for (kx = kx0; kx < kx1; ++kx) {
                            const int8_t *xr = input + (((size_t)b * in_h + (iy0 + ky)) * in_w + (ix0 + kx)) * ch + c0;
                            for (c = 0; c < nc; ++c) {
                                sum[c] += xr[c];
                            }
                        }
                    }
                    for (c = 0; c < nc; ++c) {
                        /* rounded half away from zero; C division truncates */
                        int32_t avg = sum[c] > 0 ? (sum[c] + count / 2) / count
                                                 : (sum[c] - count / 2) / count;
                        avg = avg < p->activation.min ? p->activation.min
                              : (avg > p->activation.max ? p->activation.max : avg);
                        out_px[c0 + c] = (int8_t)avg;
                    }
                }
            }
        }
    }
    return TT_OK;
}
