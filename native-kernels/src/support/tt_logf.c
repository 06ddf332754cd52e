/* tt_logf: log(x) in float32 by the fixed formula of tt_backward.h (mirrored by Java's TrainMath.logf). */
#include "tt_float.h"

#define TT__SQRT2   0x1.6a09e6p+0f  /* float nearest sqrt(2), slightly above it */
#define TT__LN2     0x1.62e430p-1f  /* float nearest ln 2 */
#define TT__LOG_C3  0x1.555556p-2f  /* 1/3 */
#define TT__LOG_C5  0x1.99999ap-3f  /* 1/5 */
#define TT__LOG_C7  0x1.24924ap-3f  /* 1/7 */
#define TT__LOG_C9  0x1.c71c72p-4f  /* 1/9 */

TT_API float tt_logf(float x)
{
    uint32_t bits;
    int32_t e = 0;
    float m, f, s, z, q;
    if (x != x) {
        return x;
    }
    if (x < 0.0f) {
        return NAN;
    }
    if (x == 0.0f) {
        return -INFINITY;
    }
    if (x == INFINITY) {
        return x;
    }
    if (x < 0x1p-126f) {           /* subnormal: scale into the normal range (exact) */
        x = x * 0x1p23f;
        e = -23;
    }
    bits = tt__f32_bits(x);
    e += (int32_t)(bits >> 23) - 127;
    m = tt__f32_from_bits((bits & 0x007FFFFFu) | 0x3F800000u);  /* [1, 2) */
    if (m >= TT__SQRT2) {
        m = m * 0.5f;
        e += 1;
    }
    f = m - 1.0f;                  /* exact */
    s = f / (2.0f + f);
    z = s * s;
    q = TT__LOG_C9;
    q = q * z + TT__LOG_C7;
    q = q * z + TT__LOG_C5;
    q = q * z + TT__LOG_C3;
    return (float)e * TT__LN2 + 2.0f * (s + s * (z * q));
}
