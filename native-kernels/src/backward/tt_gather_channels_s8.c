/* tt_gather_channels_s8: keeps the trained input channels of an activation for the weight gradient. */
#include "../support/tt_float.h"

TT_API tt_status tt_gather_channels_s8(const tt_dims *input_dims, const int8_t *input,
                                       int32_t n_channels, const int32_t *channels,
                                       int8_t *output)
{
    size_t pixels, p;
    int32_t j;
    if (input == NULL || output == NULL || !tt__dims_ok(input_dims)
        || !tt__channels_ok(n_channels, channels, input_dims->c)) {
        return TT_ARG_ERROR;
    }
    pixels = (size_t)input_dims->n * input_dims->h * input_dims->w;
    for (p = 0; p < pixels; ++p) {
        const int8_t *x = input + p * input_dims->c;
        int8_t *out = output + p * n_channels;
        for (j = 0; j < n_channels; ++j) {
            out[j] = x[channels[j]];
        }
    }
    return TT_OK;
}
