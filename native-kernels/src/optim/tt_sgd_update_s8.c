/* tt_sgd_update_s8: the SGD step of a trained weight slice from a stored gradient. */
#include "tt_sgd_internal.h"

TT_API tt_status tt_sgd_update_s8(const tt_sgd_params *sgd,
                                  const float *qas_scale,
                                  int32_t depthwise,
                                  const float *gradient,
                                  int32_t n_channels, const int32_t *channels,
                                  const tt_dims *filter_dims, int8_t *filter,
                                  const tt_sgd_state *state)
{
    int32_t oc, n_out, j;
    size_t tap, taps_per_oc, t;
    if (!tt__sgd_ok(sgd, state) || gradient == NULL || filter == NULL || !tt__dims_ok(filter_dims)
        || (depthwise != 0 && depthwise != 1)) {
        return TT_ARG_ERROR;
    }
    if ((depthwise && filter_dims->n != 1) || !tt__channels_ok(n_channels, channels, filter_dims->c)) {
        return TT_ARG_ERROR;
    }
    n_out = filter_dims->n;
    taps_per_oc = (size_t)filter_dims->h * filter_dims->w;
    /* element (tap, j), tap = (oc*KH + ky)*KW + kx: the fused kernels' state position and stochastic
       index tap*n_channels + j, their qas index (oc, or the channel itself for depthwise), their weight */
    for (oc = 0; oc < n_out; ++oc) {
        for (t = 0; t < taps_per_oc; ++t) {
            tap = (size_t)oc * taps_per_oc + t;
            for (j = 0; j < n_channels; ++j) {
                const uint32_t index = (uint32_t)(tap * (size_t)n_channels + (size_t)j);
                const float qas = qas_scale == NULL ? 1.0f : qas_scale[depthwise ? channels[j] : oc];
                int8_t *w = filter + tap * filter_dims->c + channels[j];
                *w = tt__sgd_apply_s8(sgd, state, index, *w, tt__sgd_delta(sgd, state, index, gradient[index], qas));
            }
        }
    }
    return TT_OK;
}
