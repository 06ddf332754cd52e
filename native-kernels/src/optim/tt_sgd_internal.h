/*
 * tinytrain kernel library: the SGD step shared by the fused gradient + update kernels
 * (private; the contract is tt_sgd_params in tt_backward.h, mirrored by the Java TrainMath).
 *
 * Per trained element, in this order:
 *   g'    = g * qas                      (qas = 1.0f when the kernel got no QAS scales)
 *   v     = momentum * v + g'; g' = v    (only when momentum != 0)
 *   delta = -lr * g'
 *   STOCHASTIC / NEAREST / TRUNCATE: r = floorf(delta + u) / roundf(delta) / truncf(delta),
 *       value = saturate(value + r)
 *   FLOAT_MASTER: master = master + delta, value = saturate(roundf(master))
 * saturate is to [-127, 127] for int8 weights and to the int32 range for biases, computed
 * without overflow; a NaN step or NaN master leaves the value unchanged.
 */
#ifndef TT_SGD_INTERNAL_H
#define TT_SGD_INTERNAL_H

#include "../support/tt_float.h"

/** Channels accumulated together by the fused weight/bias kernels (stack: 4 bytes each). */
#define TT__GRAD_BLOCK 64

/** lr > 0 finite, momentum in [0, 1), a known rounding, and exactly the state buffers it needs. */
static inline int tt__sgd_ok(const tt_sgd_params *sgd, const tt_sgd_state *state)
{
    const float *velocity = state != NULL ? state->velocity : NULL;
    const float *master = state != NULL ? state->master : NULL;
    if (sgd == NULL || !(sgd->lr > 0.0f) || !tt__finitef(sgd->lr)) {
        return 0;
    }
    if (!(sgd->momentum >= 0.0f && sgd->momentum < 1.0f)) {
        return 0;
    }
    if (sgd->rounding < TT_ROUND_STOCHASTIC || sgd->rounding > TT_ROUND_FLOAT_MASTER) {
        return 0;
    }
    return (velocity != NULL) == (sgd->momentum != 0.0f)
           && (master != NULL) == (sgd->rounding == TT_ROUND_FLOAT_MASTER);
}

/** delta = -lr * g'' of element index (updates its velocity). */
static inline float tt__sgd_delta(const tt_sgd_params *sgd, const tt_sgd_state *state, uint32_t index,
                                  float g, float qas)
{
    float step = g * qas;
    if (sgd->momentum != 0.0f) {
        step = sgd->momentum * state->velocity[index] + step;
        state->velocity[index] = step;
    }
    return -sgd->lr * step;
}

/** The integer-valued step of the additive roundings (not FLOAT_MASTER). */
static inline float tt__sgd_round(const tt_sgd_params *sgd, uint32_t index, float delta)
{
    switch (sgd->rounding) {
    case TT_ROUND_STOCHASTIC:
        return floorf(delta + tt_hash_uniform(sgd->seed, sgd->step, sgd->tensor_id, index));
    case TT_ROUND_NEAREST:
        return roundf(delta);
    default:
        return truncf(delta);
    }
}

/** One int8 weight after its step. */
static inline int8_t tt__sgd_apply_s8(const tt_sgd_params *sgd, const tt_sgd_state *state, uint32_t index,
                                      int8_t value, float delta)
{
    float r;
    int32_t v;
    if (sgd->rounding == TT_ROUND_FLOAT_MASTER) {
        const float m = state->master[index] + delta;
        state->master[index] = m;
        r = roundf(m);
        if (r != r) {
            return value;
        }
        return (int8_t)(r >= 127.0f ? 127 : (r <= -127.0f ? -127 : (int32_t)r));
    }
    r = tt__sgd_round(sgd, index, delta);
    if (r != r) {
        return value;
    }
    if (r >= 255.0f) {
        return 127;
    }
    if (r <= -255.0f) {
        return -127;
    }
    v = value + (int32_t)r;
    return (int8_t)(v > 127 ? 127 : (v < -127 ? -127 : v));
}

/** One int32 bias after its step. */
static inline int32_t tt__sgd_apply_s32(const tt_sgd_params *sgd, const tt_sgd_state *state, uint32_t index,
                                        int32_t value, float delta)
{
    float r;
    int64_t v;
    if (sgd->rounding == TT_ROUND_FLOAT_MASTER) {
        const float m = state->master[index] + delta;
        state->master[index] = m;
        r = roundf(m);
        if (r != r) {
            return value;
        }
        /* 2^31 is exact in float; every float below it in magnitude converts exactly */
        return r >= 2147483648.0f ? INT32_MAX : (r <= -2147483648.0f ? INT32_MIN : (int32_t)r);
    }
    r = tt__sgd_round(sgd, index, delta);
    if (r != r) {
        return value;
    }
    if (r >= 4294967296.0f) {
        return INT32_MAX;
    }
    if (r <= -4294967296.0f) {
        return INT32_MIN;
    }
    v = (int64_t)value + (int64_t)r;
    return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v);
}

#endif /* TT_SGD_INTERNAL_H */
