/* tt_clamp_mask_s8: the 1-bit mask of where a fused clamp was not active. */
#include "../support/tt_float.h"

TT_API tt_status tt_clamp_mask_s8(const tt_activation *activation,
                                  const tt_dims *dims, const int8_t *y,
                                  uint8_t *mask)
{
    size_t n, byte, i;
    if (activation == NULL || y == NULL || mask == NULL || !tt__dims_ok(dims)
        || !tt__activation_ok(*activation)) {
        return TT_ARG_ERROR;
    }
    n = tt__elements(dims);
    for (byte = 0; byte < (n + 7) / 8; ++byte) {
        uint32_t bits = 0;
        for (i = byte * 8; i < n && i < byte * 8 + 8; ++i) {
            if (y[i] > activation->min && y[i] < activation->max) {
                bits |= 1u << (i & 7);
            }
        }
        mask[byte] = (uint8_t)bits;
    }
    return TT_OK;
}
