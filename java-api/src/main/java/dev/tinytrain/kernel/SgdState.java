package dev.tinytrain.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Per-element optimizer state of a trained slice (C: {@code tt_sgd_state}), float32 arrays laid out
 * like the slice itself (weights: [out channels][kh][kw][trained channels], bias: [channels]).
 *
 * @param velocity momentum buffer, required iff momentum != 0, else {@code null}
 * @param master   float master copy, required iff the rounding is {@link Rounding#FLOAT_MASTER}, else {@code null}
 */
public record SgdState(MemorySegment velocity, MemorySegment master) {

    /** No state: plain SGD with an additive rounding. */
    public static final SgdState NONE = new SgdState(null, null);
}
