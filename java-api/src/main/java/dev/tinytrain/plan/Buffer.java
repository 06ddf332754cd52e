package dev.tinytrain.plan;

import dev.tinytrain.graph.Role;

/**
 * One buffer to place in the arena: a value's bytes (rounded up to the alignment) and its
 * lifetime as an inclusive interval of schedule positions.
 *
 * @param valueId the value's id
 * @param bytes   size in bytes, a multiple of the alignment
 * @param first   schedule position of the op that writes it (0 for graph inputs)
 * @param last    schedule position of its last reader (the last op for graph outputs)
 * @param role    what it is, for the accounting
 */
public record Buffer(int valueId, long bytes, int first, int last, Role role) {

    public Buffer {
        if (bytes < 0 || first < 0 || last < first) {
            throw new IllegalArgumentException("bad buffer: value " + valueId + " bytes " + bytes + " life ["
                    + first + ", " + last + "]");
        }
    }

    /** Whether the two lifetimes share a schedule position. */
    public boolean livesWith(Buffer o) {
        return first <= o.last && o.first <= last;
    }
}
