package dev.tinytrain.plan;

import dev.tinytrain.graph.Role;

/**
 * One buffer to place in the arena: a value's bytes (rounded up to the alignment), or an op's
 * scratch, and its lifetime as an inclusive interval of schedule positions.
 *
 * @param id    the value's id, or {@link #scratchId(int)} of the op that uses the scratch
 * @param bytes size in bytes, a multiple of the alignment
 * @param first schedule position of the op that writes it (0 for graph inputs)
 * @param last  schedule position of its last reader (the last op for graph outputs)
 * @param role  what it is, for the accounting
 */
public record Buffer(int id, long bytes, int first, int last, Role role) {

    public Buffer {
        if (bytes < 0 || first < 0 || last < first) {
            throw new IllegalArgumentException("bad buffer: id " + id + " bytes " + bytes + " life ["
                    + first + ", " + last + "]");
        }
    }

    /** The id of the scratch buffer of the op at schedule position {@code op} (negative: never a value id). */
    public static int scratchId(int op) {
        return -(op + 1);
    }

    /** Whether the two lifetimes share a schedule position. */
    public boolean livesWith(Buffer o) {
        return first <= o.last && o.first <= last;
    }

    /** {@code %id} for values, {@code scratch@op} for scratch. */
    public String label() {
        return id >= 0 ? "%" + id : "scratch@" + (-id - 1);
    }
}
