/* tt_bias_grad_f32: bias gradient (sum over the batch and the image), stored for a later update. */
#include "../support/tt_float.h"

/* Channels accumulated together (stack: 4 bytes each); any block size gives the same bits. */
#define TT__BG_BLOCK 64

TT_API tt_status tt_bias_grad_f32(const tt_dims *grad_dims, const float *grad, float *output)
{
    float acc[TT__BG_BLOCK];
    size_t pixels, px;
    int32_t ch, c0, c, nc;
    if (grad == NULL || output == NULL || !tt__dims_ok(grad_dims)) {
        return TT_ARG_ERROR;
    }
    ch = grad_dims->c;
    pixels = (size_t)grad_dims->n * grad_dims->h * grad_dims->w;
    for (c0 = 0; c0 < ch; c0 += TT__BG_BLOCK) {
        nc = tt__min_s32(TT__BG_BLOCK, ch - c0);
        for (c = 0; c < nc; ++c) {
            acc[c] = 0.0f;
        }
        /* pixels in raster order, one add each: tt_bias_grad_update_s32's sum */
        for (px = 0; px < pixels; ++px) {
            const float *g = grad + px * ch + c0;
            for (c = 0; c < nc; ++c) {
                acc[c] = acc[c] + g[c];
            }
        }
        for (c = 0; c < nc; ++c) {
            output[c0 + c] = acc[c];
        }
    }
    return TT_OK;
}
