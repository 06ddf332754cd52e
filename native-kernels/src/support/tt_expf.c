/* tt_expf: exp(x) in float32 by the fixed formula of tt_backward.h (mirrored by Java's TrainMath.expf). */
#include "tt_float.h"

#define TT__EXP_LO    (-0x1.5d51ecp+6f)  /* -87.33f: below it the result is 0 */
#define TT__EXP_HI    0x1.62e148p+6f     /* 88.72f: above it the result is +inf */
#define TT__LOG2E     0x1.715476p+0f     /* log2(e) */
#define TT__LN2_HI    0x1.63p-1f         /* 0.693359375, 9 significant bits: k * LN2_HI is exact */
#define TT__LN2_LO    (-0x1.bd0106p-13f) /* ln 2 - LN2_HI */
#define TT__EXP_C7    0x1.a01a02p-13f    /* 1/5040 */
#define TT__EXP_C6    0x1.6c16c2p-10f    /* 1/720 */
#define TT__EXP_C5    0x1.111112p-7f     /* 1/120 */
#define TT__EXP_C4    0x1.555556p-5f     /* 1/24 */
#define TT__EXP_C3    0x1.555556p-3f     /* 1/6 */

TT_API float tt_expf(float x)
{
    float k, r, p;
    int32_t ki;
    if (x != x) {
        return x;
    }
    if (x < TT__EXP_LO) {
        return 0.0f;
    }
    if (x > TT__EXP_HI) {
        return INFINITY;
    }
    k = roundf(x * TT__LOG2E);     /* in [-126, 128] */
    ki = (int32_t)k;
    r = (x - k * TT__LN2_HI) - k * TT__LN2_LO;
    p = TT__EXP_C7;
    p = p * r + TT__EXP_C6;
    p = p * r + TT__EXP_C5;
    p = p * r + TT__EXP_C4;
    p = p * r + TT__EXP_C3;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    if (ki > 127) {
        return p * tt__pow2f(127) * 2.0f;  /* 2^128 is not a float; (p * 2^127) is exact */
    }
    return p * tt__pow2f(ki);
}
