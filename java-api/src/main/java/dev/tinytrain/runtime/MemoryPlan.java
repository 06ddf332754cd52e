package dev.tinytrain.runtime;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Where every non-constant value of a program lives in the one arena: byte offsets and the arena
 * size. {@link #simple} gives every value its own slot (no reuse), the correct baseline that the
 * memory planner's plans are checked against.
 */
public final class MemoryPlan {

    /** Slot alignment in bytes. */
    public static final int ALIGN = 16;

    private final Map<Integer, Long> offsets;
    private final long arenaBytes;
    private final String strategy;

    public MemoryPlan(Map<Integer, Long> offsets, long arenaBytes, String strategy) {
        this.offsets = Map.copyOf(offsets);
        this.arenaBytes = arenaBytes;
        this.strategy = strategy;
    }

    /** Every value read or written by an op (and every graph input) in its own aligned slot. */
    public static MemoryPlan simple(Graph g) {
        Set<Value> values = new LinkedHashSet<>(g.inputs());
        for (Op op : g.ops()) {
            values.addAll(op.inputs());
            values.addAll(op.outputs());
        }
        Map<Integer, Long> offsets = new HashMap<>();
        long next = 0;
        for (Value v : values) {
            if (g.isConstant(v)) {
                continue;
            }
            offsets.put(v.id(), next);
            next += (v.byteSize() + ALIGN - 1) / ALIGN * ALIGN;
        }
        return new MemoryPlan(offsets, next, "simple (no reuse)");
    }

    public long offset(Value v) {
        Long o = offsets.get(v.id());
        if (o == null) {
            throw new IllegalArgumentException(v.ref() + " (" + v.name() + ") has no place in the memory plan");
        }
        return o;
    }

    public long arenaBytes() {
        return arenaBytes;
    }

    public String strategy() {
        return strategy;
    }
}
