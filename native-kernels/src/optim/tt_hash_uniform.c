/* tt_hash_uniform: the counter-based variate of stochastic rounding (mirrored by Java's TrainMath.hashUniform). */
#include "../support/tt_internal.h"

static uint32_t tt__mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

TT_API float tt_hash_uniform(uint32_t seed, uint32_t step, uint32_t tensor_id, uint32_t index)
{
    const uint32_t h = tt__mix32(tt__mix32(tt__mix32(tt__mix32(seed ^ 0x9e3779b9U) ^ step) ^ tensor_id) ^ index);
    return (float)(h >> 8) * 0x1p-24f;
}
