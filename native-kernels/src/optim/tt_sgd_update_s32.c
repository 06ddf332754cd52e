/* tt_sgd_update_s32: the SGD step of a trained int32 bias from a stored gradient. */
#include "tt_sgd_internal.h"

TT_API tt_status tt_sgd_update_s32(const tt_sgd_params *sgd,
                                   const float *qas_scale,
                                   const float *gradient,
                                   const tt_dims *bias_dims, int32_t *bias,
                                   const tt_sgd_state *state)
{
    int32_t c;
    if (!tt__sgd_ok(sgd, state) || gradient == NULL || bias == NULL || !tt__dims_ok(bias_dims)) {
        return TT_ARG_ERROR;
    }
    if (bias_dims->n != 1 || bias_dims->h != 1 || bias_dims->w != 1) {
        return TT_ARG_ERROR;
    }
    for (c = 0; c < bias_dims->c; ++c) {
        const float qas = qas_scale != NULL ? qas_scale[c] : 1.0f;
        bias[c] = tt__sgd_apply_s32(sgd, state, (uint32_t)c, bias[c],
                                    tt__sgd_delta(sgd, state, (uint32_t)c, gradient[c], qas));
    }
    return TT_OK;
}
