/* tt_grad_scale_mask_f32: per-channel scale of a gradient, zeroed where a clamp was active. */
#include "../support/tt_float.h"

TT_API tt_status tt_grad_scale_mask_f32(const float *scale,
                                        const tt_dims *dims, const float *grad,
                                        const uint8_t *mask,
                                        float *out)
{
    size_t pixels, p, i;
    int32_t c, ch;
    if (scale == NULL || grad == NULL || out == NULL || !tt__dims_ok(dims)) {
        return TT_ARG_ERROR;
    }
    ch = dims->c;
    pixels = (size_t)dims->n * dims->h * dims->w;
    for (p = 0; p < pixels; ++p) {
        for (c = 0; c < ch; ++c) {
            i = p * ch + c;
            if (mask != NULL && ((mask[i >> 3] >> (i & 7)) & 1u) == 0) {
                out[i] = 0.0f;
            } else {
                out[i] = grad[i] * scale[c];
            }
        }
    }
    return TT_OK;
}
