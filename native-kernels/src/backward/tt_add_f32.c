/* tt_add_f32: elementwise sum of two gradient branches. */
#include "../support/tt_float.h"

TT_API tt_status tt_add_f32(const tt_dims *dims, const float *a, const float *b, float *out)
{
    size_t n, i;
    if (a == NULL || b == NULL || out == NULL || !tt__dims_ok(dims)) {
        return TT_ARG_ERROR;
    }
    n = tt__elements(dims);
    for (i = 0; i < n; ++i) {
        out[i] = a[i] + b[i];
    }
    return TT_OK;
}
