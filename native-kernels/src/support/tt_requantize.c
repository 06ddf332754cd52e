/* tt_requantize: TF-Lite's MultiplyByQuantizedMultiplier (the kernels inline tt__requantize). */
#include "tt_internal.h"

TT_API int32_t tt_requantize(int32_t value, int32_t multiplier, int32_t shift)
{
    /* outside the documented [-31, 30] the shift is clamped, so no call is undefined behaviour */
    if (shift > 30) {
        shift = 30;
    } else if (shift < -31) {
        shift = -31;
    }
    return tt__requantize(value, multiplier, shift);
}
