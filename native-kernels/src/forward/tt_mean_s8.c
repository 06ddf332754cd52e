/* tt_mean_s8: mean over H and W per batch and channel (keep dims). */
#include "../support/tt_internal.h"

/* Channels summed together (stack: 4 bytes each). */
#define TT__MEAN_CHANNEL_BLOCK 64

TT_API tt_status tt_mean_s8(const tt_mean_params *mean_params,
                            const tt_dims *input_dims, const int8_t *input,
                            const tt_dims *output_dims, int8_t *output)
{
    const tt_mean_params *p = mean_params;
    int32_t sum[TT__MEAN_CHANNEL_BLOCK];
    int32_t ch, area, b, c0, c, i;
    if (p == NULL || input == NULL || output == NULL) {
        return TT_ARG_ERROR;
    }
    if (!tt__dims_ok(input_dims) || !tt__dims_ok(output_dims) || !tt__activation_ok(p->activation)
        || p->multiplier < 0 || !tt__shift_ok(p->shift)
        || p->input_offset < -127 || p->input_offset > 128
        || p->output_offset < -128 || p->output_offset > 127) {
        return TT_ARG_ERROR;
    }
    /* |sum| <= 255 * H * W must fit in int32 */
    if (output_dims->n != input_dims->n || output_dims->h != 1 || output_dims->w != 1
        || output_dims->c != input_dims->c
        || (int64_t)input_dims->h * input_dims->w > ((int64_t)1 << 24)) {
        return TT_ARG_ERROR;
    }
    ch = input_dims->c;
    area = input_dims->h * input_dims->w;
    for (b = 0; b < input_dims->n; ++b) {
        const int8_t *xb = input + (size_t)b * area * ch;
        for (c0 = 0; c0 < ch; c0 += TT__MEAN_CHANNEL_BLOCK) {
            const int32_t nc = tt__min_s32(TT__MEAN_CHANNEL_BLOCK, ch - c0);
            for (c = 0; c < nc; ++c) {
                sum[c] = 0;
            }
            for (i = 0; i < area; ++i) {
                const int8_t *xr = xb + (size_t)i * ch + c0;
                for (c = 0; c < nc; ++c) {
                    sum[c] += xr[c] + p->input_offset;
                }
            }
            for (c = 0; c < nc; ++c) {
                /* rescale, then divide by the cell count rounding half away from zero (int32 C division) */
                int32_t acc = tt__requantize(sum[c], p->multiplier, p->shift);
                int64_t r;
                acc = acc > 0 ? (acc + area / 2) / area : (acc - area / 2) / area;
                r = (int64_t)acc + p->output_offset;
                r = r < p->activation.min ? p->activation.min
                    : (r > p->activation.max ? p->activation.max : r);
                output[(size_t)b * ch + c0 + c] = (int8_t)r;
            }
        }
    }
    return TT_OK;
}
