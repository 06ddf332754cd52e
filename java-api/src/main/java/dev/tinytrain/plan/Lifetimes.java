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

    /**
     * The placement blocks of a schedule: every value's bytes, the in-place ops' inputs and
     * outputs tied into one block each (an input's part ends where its output's begins: a
     * widening op's output covers its input at that position, otherwise the input covers the
     * output), and each op's scratch, live at that op only.
     */
    public static List<Block> blocks(Graph g, int alignment, List<InPlace> inPlace) {
        return blocks(g, alignment, inPlace, Map.of());
    }

    /**
     * {@link #blocks(Graph, int, List)} with more scratch at some ops: {@code extraScratch} maps a
     * schedule position to bytes its op needs beyond the kernel's own scratch (generated code that
     * assembles a weight tensor there, for example). That op's scratch block is the kernel's bytes,
     * aligned, followed by these.
     */
    public static List<Block> blocks(Graph g, int alignment, List<InPlace> inPlace, Map<Integer, Long> extraScratch) {
        List<Buffer> natural = of(g, alignment);
        Map<Integer, InPlace> byInput = new HashMap<>();
        Map<Integer, InPlace> byOutput = new HashMap<>();
        Map<Integer, Integer> group = new HashMap<>();      // value id -> group root id
        Map<Integer, Long> rel = new HashMap<>();           // value id -> offset from the root's start
        for (InPlace p : inPlace) {
            byInput.put(p.input().id(), p);
            byOutput.put(p.output().id(), p);
        }
        for (Buffer b : natural) {
            InPlace p = byOutput.get(b.id());
            if (p != null && group.containsKey(p.input().id())) {
                int in = p.input().id();
                group.put(b.id(), group.get(in));
                rel.put(b.id(), rel.get(in) - p.inputOffset());
            } else {
                group.put(b.id(), b.id());
                rel.put(b.id(), 0L);
            }
        }
        Map<Integer, List<Block.Member>> members = new LinkedHashMap<>();
        for (Buffer b : natural) {
            int first = b.first();
            int last = b.last();
            InPlace out = byOutput.get(b.id());
            InPlace in = byInput.get(b.id());
            if (out != null && !out.widening()) {
                first++;                       // the input covers this output at its first position
            }
            if (in != null && in.widening()) {
                last--;                        // the output covers this input at its last position
            }
            Buffer part = first <= last ? new Buffer(b.id(), b.bytes(), first, last, b.role()) : null;
            members.computeIfAbsent(group.get(b.id()), k -> new ArrayList<>())
                    .add(new Block.Member(b.id(), rel.get(b.id()), part));
        }
        List<Block> blocks = new ArrayList<>();
        for (List<Block.Member> ms : members.values()) {
            long min = ms.stream().mapToLong(Block.Member::offset).min().orElse(0);
            blocks.add(new Block(ms.stream().map(m -> new Block.Member(m.id(), m.offset() - min, m.part())).toList()));
        }
        java.util.Set<Integer> inPlaceOps = new java.util.HashSet<>();
        for (InPlace p : inPlace) {
            inPlaceOps.add(p.op());
        }
        List<Op> ops = g.ops();
        for (int i = 0; i < ops.size(); i++) {
            long bytes = Scratch.bytes(ops.get(i), inPlaceOps.contains(i));
            long extra = extraScratch.getOrDefault(i, 0L);
            if (extra < 0) {
                throw new IllegalArgumentException("op " + i + ": extra scratch must be >= 0 bytes, got " + extra);
            }
            if (bytes > 0 || extra > 0) {
                long aligned = (bytes + alignment - 1) / alignment * alignment
                        + (extra + alignment - 1) / alignment * alignment;
                blocks.add(Block.of(new Buffer(Buffer.scratchId(i), aligned, i, i, dev.tinytrain.graph.Role.SCRATCH)));
            }
        }
        return blocks;
    }

    /** Every part of the blocks: the buffers that occupy bytes, with their (possibly cut) lifetimes. */
    public static List<Buffer> parts(List<Block> blocks) {
        List<Buffer> parts = new ArrayList<>();
        for (Block b : blocks) {
            for (Block.Member m : b.members()) {
                if (m.part() != null) {
                    parts.add(m.part());
                }
            }
        }
        return parts;
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
