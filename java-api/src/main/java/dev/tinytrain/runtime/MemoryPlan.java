package dev.tinytrain.runtime;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;
import dev.tinytrain.plan.Buffer;
import dev.tinytrain.plan.Lifetimes;
import dev.tinytrain.plan.Placement;

import java.util.List;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Where every non-constant value of a program lives in the one arena: byte offsets and the arena
 * size. {@link #simple} gives every value its own slot (no reuse), the correct baseline that the
 * memory planner's plans are checked against; {@link #planned} reuses memory across lifetimes with
 * the best of several placement strategies.
 */
public final class MemoryPlan {

    /** Slot alignment in bytes. */
    public static final int ALIGN = 16;

    private final Map<Integer, Long> offsets;
    private final long arenaBytes;
    private final String strategy;
    private final long lowerBoundBytes;

    public MemoryPlan(Map<Integer, Long> offsets, long arenaBytes, String strategy, long lowerBoundBytes) {
        this.offsets = Map.copyOf(offsets);
        this.arenaBytes = arenaBytes;
        this.strategy = strategy;
        this.lowerBoundBytes = lowerBoundBytes;
    }

    /**
     * Lifetimes over the schedule, then every placement strategy; the smallest arena wins (ties:
     * the first strategy). The result is checked for overlaps of simultaneously live buffers.
     */
    public static MemoryPlan planned(Graph g) {
        List<Buffer> buffers = Lifetimes.of(g, ALIGN);
        long bound = Lifetimes.lowerBound(buffers);
        Map<Integer, Long> best = null;
        long bestBytes = Long.MAX_VALUE;
        Placement bestStrategy = null;
        for (Placement p : Placement.values()) {
            Map<Integer, Long> offsets = p.place(buffers);
            long bytes = Placement.arenaBytes(buffers, offsets);
            if (bytes < bestBytes) {
                best = offsets;
                bestBytes = bytes;
                bestStrategy = p;
            }
        }
        Placement.checkNoOverlap(buffers, best);
        return new MemoryPlan(best, bestBytes, bestStrategy.label(), bound);
    }

    /** The live-set lower bound of the schedule this plan was made for (0 when not computed). */
    public long lowerBoundBytes() {
        return lowerBoundBytes;
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
        return new MemoryPlan(offsets, next, "simple (no reuse)", 0);
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
