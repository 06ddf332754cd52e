/* tt_bias_grad_update_s32: bias gradient (sum over the batch and the image), applied at once. */
#include "../optim/tt_sgd_internal.h"

TT_API tt_status tt_bias_grad_update_s32(const tt_sgd_params *sgd,
                                         const float *qas_scale,
                                         const tt_dims *grad_dims, const float *grad,
                                         const tt_dims *bias_dims, int32_t *bias,
                                         const tt_sgd_state *state)
{
    float acc[TT__GRAD_BLOCK];
    size_t pixels, px;
    int32_t ch, c0, c, nc;
    if (!tt__sgd_ok(sgd, state) || grad == NULL || bias == NULL || !tt__dims_ok(grad_dims)
        || !tt__dims_ok(bias_dims)) {
        return TT_ARG_ERROR;
    }
    if (bias_dims->n != 1 || bias_dims->h != 1 || bias_dims->w != 1 || bias_dims->c != grad_dims->c) {
        return TT_ARG_ERROR;
    }
    ch = grad_dims->c;
    pixels = (size_t)grad_dims->n * grad_dims->h * grad_dims->w;
    for (c0 = 0; c0 < ch; c0 += TT__GRAD_BLOCK) {
        nc = tt__min_s32(TT__GRAD_BLOCK, ch - c0);
        for (c = 0; c < nc; ++c) {
            acc[c] = 0.0f;
        }
        for (px = 0; px < pixels; ++px) {
            const float *g = grad + px * ch + c0;
            for (c = 0; c < nc; ++c) {
                acc[c] = acc[c] + g[c];
            }
        }
        for (c = 0; c < nc; ++c) {
            const uint32_t index = (uint32_t)(c0 + c);
            const float qas = qas_scale != NULL ? qas_scale[c0 + c] : 1.0f;
            bias[c0 + c] = tt__sgd_apply_s32(sgd, state, index, bias[c0 + c],
                                             tt__sgd_delta(sgd, state, index, acc[c], qas));
        }
    }
    return TT_OK;
}
