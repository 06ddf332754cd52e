package dev.tinytrain.plan;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lifetimes over the linear schedule (the graph's op order), computed apart from placement:
 * a value lives from the op that writes it to the last op that reads it. Graph inputs live from
 * position 0; graph outputs to the last position. Constants are not in the arena.
 */
public final class Lifetimes {

    private Lifetimes() {
    }

    public static List<Buffer> of(Graph g, int alignment) {
        int lastPos = Math.max(g.ops().size() - 1, 0);
        Map<Integer, int[]> life = new LinkedHashMap<>();
        Map<Integer, Value> byId = new HashMap<>();
        for (Value v : g.inputs()) {
            life.put(v.id(), new int[] {0, 0});
            byId.put(v.id(), v);
        }
        List<Op> ops = g.ops();
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            for (Value in : op.inputs()) {
                if (g.isConstant(in)) {
                    continue;
                }
                int[] l = life.get(in.id());
                if (l == null) {
                    throw new IllegalArgumentException(in.ref() + " (" + in.name() + ") is read at op " + i
                            + " before it is written");
                }
                l[1] = Math.max(l[1], i);
            }
            for (Value out : op.outputs()) {
                life.put(out.id(), new int[] {i, i});
                byId.put(out.id(), out);
            }
        }
        for (Value v : g.outputs()) {
            int[] l = life.get(v.id());
            if (l != null) {
                l[1] = lastPos;
            }
        }
        List<Buffer> buffers = new ArrayList<>();
        for (Map.Entry<Integer, int[]> e : life.entrySet()) {
            Value v = byId.get(e.getKey());
            long bytes = (v.byteSize() + alignment - 1) / alignment * alignment;
            buffers.add(new Buffer(v.id(), bytes, e.getValue()[0], e.getValue()[1], v.role()));
        }
        return buffers;
    }

    /** The largest sum of sizes live at one schedule position: no placement can use less. */
    public static long lowerBound(List<Buffer> buffers) {
        int end = buffers.stream().mapToInt(Buffer::last).max().orElse(0);
        long[] live = new long[end + 2];
        for (Buffer b : buffers) {
            live[b.first()] += b.bytes();
            live[b.last() + 1] -= b.bytes();
        }
        long best = 0;
        long cur = 0;
        for (int t = 0; t <= end; t++) {
            cur += live[t];
            best = Math.max(best, cur);
        }
        return best;
    }
}
