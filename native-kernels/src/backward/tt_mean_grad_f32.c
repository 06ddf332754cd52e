/* tt_mean_grad_f32: gradient of the mean over H and W, broadcast back to every cell. */
#include "../support/tt_float.h"

TT_API tt_status tt_mean_grad_f32(float scale,
                                  const tt_dims *grad_dims, const float *grad,
                                  const tt_dims *output_dims, float *output)
{
    size_t cells, p;
    int32_t b, c, ch;
    float count;
    if (grad == NULL || output == NULL || !tt__dims_ok(grad_dims) || !tt__dims_ok(output_dims)) {
        return TT_ARG_ERROR;
    }
    if (grad_dims->h != 1 || grad_dims->w != 1 || grad_dims->n != output_dims->n
        || grad_dims->c != output_dims->c || (int64_t)output_dims->h * output_dims->w > ((int64_t)1 << 24)) {
        return TT_ARG_ERROR;
    }
    if (!(scale > 0.0f) || !tt__finitef(scale)) {
        return TT_ARG_ERROR;
    }
    ch = output_dims->c;
    cells = (size_t)output_dims->h * output_dims->w;
    count = (float)(output_dims->h * output_dims->w);   /* exact: <= 2^24 */
    for (b = 0; b < output_dims->n; ++b) {
        float *out = output + (size_t)b * cells * ch;
        const float *g = grad + (size_t)b * ch;
        for (c = 0; c < ch; ++c) {
            const float v = g[c] * scale / count;
            for (p = 0; p < cells; ++p) {
                out[p * ch + c] = v;
            }
        }
    }
    return TT_OK;
}
