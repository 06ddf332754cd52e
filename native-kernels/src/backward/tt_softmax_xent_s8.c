/* tt_softmax_xent_s8: softmax cross-entropy of int8 logits, loss and gradient per batch row. */
#include "../support/tt_float.h"

TT_API tt_status tt_softmax_xent_s8(float scale, int32_t zero_point,
                                    const tt_dims *logits_dims, const int8_t *logits,
                                    const int32_t *labels,
                                    float *loss, float *grad)
{
    int32_t b, i, classes;
    if (logits == NULL || labels == NULL || grad == NULL || !tt__dims_ok(logits_dims)
        || logits_dims->h != 1 || logits_dims->w != 1) {
        return TT_ARG_ERROR;
    }
    if (!(scale > 0.0f) || !tt__finitef(scale) || zero_point < -128 || zero_point > 127) {
        return TT_ARG_ERROR;
    }
    classes = logits_dims->c;
    for (b = 0; b < logits_dims->n; ++b) {
        if (labels[b] < 0 || labels[b] >= classes) {
            return TT_ARG_ERROR;
        }
    }
    for (b = 0; b < logits_dims->n; ++b) {
        const int8_t *q = logits + (size_t)b * classes;
        float *g = grad + (size_t)b * classes;
        const int32_t label = labels[b];
        float m = (float)(q[0] - zero_point) * scale;
        float s = 0.0f;
        for (i = 1; i < classes; ++i) {
            const float z = (float)(q[i] - zero_point) * scale;
            m = z > m ? z : m;
        }
        for (i = 0; i < classes; ++i) {
            const float e = tt_expf((float)(q[i] - zero_point) * scale - m);
            g[i] = e;
            s = s + e;
        }
        if (loss != NULL) {
            loss[b] = (m + tt_logf(s)) - (float)(q[label] - zero_point) * scale;
        }
        for (i = 0; i < classes; ++i) {
            g[i] = scale * (g[i] / s - (i == label ? 1.0f : 0.0f));
        }
    }
    return TT_OK;
}
