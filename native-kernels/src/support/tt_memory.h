/*
 * tinytrain kernel library: private helpers of the kernels that share memory with their operands
 * (fused and in-place forms for the planner; not installed, not bound).
 */
#ifndef TT_MEMORY_H
#define TT_MEMORY_H

#include "tt_internal.h"

/** 1 when the byte ranges [a, a + a_bytes) and [b, b + b_bytes) share a byte (empty ranges never do). */
static inline int tt__overlap(const void *a, size_t a_bytes, const void *b, size_t b_bytes)
{
    const uintptr_t pa = (uintptr_t)a;
    const uintptr_t pb = (uintptr_t)b;
    if (a == NULL || b == NULL || a_bytes == 0 || b_bytes == 0) {
        return 0;
    }
    return pa < pb + b_bytes && pb < pa + a_bytes;
}

/** Bytes of an int8 tensor (dims already checked by tt__dims_ok, so the count fits in int32). */
static inline size_t tt__bytes_s8(const tt_dims *d)
{
    return (size_t)d->n * (size_t)d->h * (size_t)d->w * (size_t)d->c;
}

#endif /* TT_MEMORY_H */
