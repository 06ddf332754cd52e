package dev.tinytrain.plan;

import dev.tinytrain.compile.CompileOptions;
import dev.tinytrain.compile.TrainingCompiler;
import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.compile.WeightLayers;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Role;
import dev.tinytrain.graph.Value;
import dev.tinytrain.models.NetBuilder;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The planner's invariants on random inverted-residual networks, random schemes and every
 * combination of the memory-saving options: the schedule reads every value after it is written;
 * no two buffers live at one position overlap (checked here again, independently of the
 * planner's own check, on the values' natural lifetimes, allowing only the declared in-place
 * pairs); arena >= lower bound; an in-place op's input sits where the kernel expects it.
 */
class PlannerPropertyTest {

    /** A random network: a stem conv, inverted-residual blocks (expansion, depthwise, projection, residual add). */
    static Graph randomNet(SplittableRandom r, int index) {
        NetBuilder nb = new NetBuilder("random-" + index, r.nextLong());
        int res = 8 * r.nextInt(2, 5);
        Value x = nb.input("image", 1, res, res, 3);
        int c = 4 * r.nextInt(1, 5);
        x = nb.conv("stem", x, 3, 2, c, true);
        int blocks = r.nextInt(1, 6);
        for (int b = 0; b < blocks; b++) {
            int expand = r.nextInt(1, 7);
            int stride = x.shape()[1] > 2 && r.nextInt(3) == 0 ? 2 : 1;
            int out = 4 * r.nextInt(1, 7);
            Value in = x;
            Value y = expand > 1 ? nb.pointwise("b" + b + ".pw1", x, c * expand, true) : x;
            y = nb.depthwise("b" + b + ".dw", y, r.nextInt(2) == 0 ? 3 : 5, stride, true);
            y = nb.pointwise("b" + b + ".pw2", y, out, false);
            if (stride == 1 && out == c && r.nextBoolean()) {
                y = nb.add("b" + b + ".add", in, y);
            }
            x = y;
            c = out;
        }
        Value pooled = nb.mean("pool", x);
        return nb.outputs(nb.classifier("classifier", pooled, r.nextInt(2, 11))).build();
    }

    static SparseScheme randomScheme(SplittableRandom r, int convs) {
        return switch (r.nextInt(5)) {
            case 0 -> SparseScheme.named("full", convs);
            case 1 -> SparseScheme.named("bias-only", convs);
            case 2 -> SparseScheme.named("last-layer", convs);
            case 3 -> SparseScheme.named("last-k:" + r.nextInt(1, convs + 1), convs);
            default -> {
                List<SparseScheme.WeightUpdate> w = new ArrayList<>();
                double[] ratios = {0.125, 0.25, 0.5, 1};
                for (int i = 0; i < convs; i++) {
                    if (r.nextInt(3) == 0) {
                        w.add(new SparseScheme.WeightUpdate(i, ratios[r.nextInt(4)]));
                    }
                }
                yield new SparseScheme("random", r.nextInt(0, convs + 1), w);
            }
        };
    }

    @Test
    void randomNetworksSchemesAndOptions() {
        long seed = 0x91A4;
        SplittableRandom r = new SplittableRandom(seed);
        int inPlaceSeen = 0;
        int fusedSeen = 0;
        for (int n = 0; n < 120; n++) {
            Graph forward = randomNet(r, n);
            int convs = WeightLayers.of(forward).size() - 1;
            SparseScheme scheme = randomScheme(r, convs);
            CompileOptions options = new CompileOptions(r.nextBoolean(), r.nextBoolean(), r.nextBoolean());
            String what = "case " + n + " (seed " + seed + ", " + scheme.name() + ", " + options + ")";
            TrainingProgram p = TrainingCompiler.compile(forward, scheme, TrainConfig.defaults(0.01f), options);
            Graph g = p.graph();
            checkDependencies(g, what);
            MemoryPlan plan = MemoryPlan.of(p);
            assertTrue(plan.arenaBytes() >= plan.lowerBoundBytes(), what);
            checkNoOverlap(g, plan, what);
            for (int i = 0; i < g.ops().size(); i++) {
                InPlace ip = plan.inPlace(i);
                if (ip != null) {
                    inPlaceSeen++;
                    assertEquals(plan.offset(ip.output()) + ip.inputOffset(), plan.offset(ip.input()), what);
                }
                if (g.ops().get(i) instanceof Op.ConvDepthwise) {
                    fusedSeen++;
                }
            }
        }
        assertTrue(inPlaceSeen > 50 && fusedSeen > 20, "the cases exercise in-place ops (" + inPlaceSeen
                + ") and fusions (" + fusedSeen + ")");
    }

    /** Every non-constant input of an op is a graph input or written by an earlier op. */
    static void checkDependencies(Graph g, String what) {
        Set<Integer> written = new HashSet<>();
        for (Value v : g.inputs()) {
            written.add(v.id());
        }
        for (Op op : g.ops()) {
            for (Value in : op.inputs()) {
                if (!g.isConstant(in) && !written.contains(in.id())) {
                    fail(what + ": " + op.mnemonic() + " reads " + in.ref() + " (" + in.name() + ") before it is written");
                }
            }
            for (Value out : op.outputs()) {
                written.add(out.id());
            }
        }
    }

    /**
     * From the values' natural lifetimes (first write to last read), not the planner's parts:
     * two values live at one position must not share a byte, except an in-place op's input and
     * output at that op, where the output must cover exactly what the kernel expects; scratch
     * must not touch anything live at its op.
     */
    static void checkNoOverlap(Graph g, MemoryPlan plan, String what) {
        List<Buffer> natural = Lifetimes.of(g, MemoryPlan.ALIGN);
        for (int i = 0; i < natural.size(); i++) {
            Buffer a = natural.get(i);
            Value va = g.value(a.id());
            long a0 = plan.offset(va);
            long a1 = a0 + va.byteSize();
            for (int j = i + 1; j < natural.size(); j++) {
                Buffer b = natural.get(j);
                if (!a.livesWith(b) || va.byteSize() == 0) {
                    continue;
                }
                Value vb = g.value(b.id());
                long b0 = plan.offset(vb);
                long b1 = b0 + vb.byteSize();
                if (a0 < b1 && b0 < a1 && !declaredInPlace(plan, va, vb, a, b)) {
                    fail(what + ": " + va.name() + " [" + a0 + "," + a1 + ") and " + vb.name() + " [" + b0 + "," + b1
                            + ") overlap while both live");
                }
            }
        }
        for (int op = 0; op < g.ops().size(); op++) {
            long s = plan.scratchOffset(op);
            if (s < 0) {
                continue;
            }
            long bytes = Scratch.bytes(g.ops().get(op), plan.inPlace(op) != null);
            for (Buffer b : natural) {
                if (b.first() <= op && op <= b.last()) {
                    Value v = g.value(b.id());
                    long v0 = plan.offset(v);
                    if (s < v0 + v.byteSize() && v0 < s + bytes) {
                        fail(what + ": scratch of op " + op + " overlaps " + v.name());
                    }
                }
            }
        }
    }

    private static boolean declaredInPlace(MemoryPlan plan, Value x, Value y, Buffer bx, Buffer by) {
        for (Map.Entry<Value, Buffer> e : Map.of(x, bx, y, by).entrySet()) {
            Buffer b = e.getValue();
            InPlace p = plan.inPlace(b.last());
            if (p != null && p.input().equals(e.getKey())) {
                Value out = p.input().equals(x) ? y : x;
                // they meet only at the in-place op itself
                if (p.output().equals(out) && bx.livesWith(by) && Math.max(bx.first(), by.first()) == p.op()
                        && Math.min(bx.last(), by.last()) == p.op()) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void blocksOfTiedBuffersNeverOverlapOthers() {
        long seed = 0xB10C;
        SplittableRandom r = new SplittableRandom(seed);
        for (int c = 0; c < 200; c++) {
            List<Block> blocks = new ArrayList<>();
            int id = 0;
            for (int k = 0; k < r.nextInt(1, 30); k++) {
                int members = r.nextInt(1, 4);
                int t = r.nextInt(0, 25);
                List<Block.Member> ms = new ArrayList<>();
                for (int m = 0; m < members; m++) {
                    int len = r.nextInt(0, 5);
                    ms.add(new Block.Member(id, 16L * r.nextInt(0, 8),
                            new Buffer(id, 16L * r.nextInt(1, 40), t, t + len, Role.ACTIVATION)));
                    id++;
                    t += len + 1;          // members of a block live one after another
                }
                blocks.add(new Block(ms));
            }
            List<Buffer> parts = Lifetimes.parts(blocks);
            long bound = Lifetimes.lowerBound(parts);
            for (Placement p : Placement.values()) {
                Map<Integer, Long> offsets = p.place(blocks);
                Placement.checkNoOverlap(parts, offsets);
                for (Block b : blocks) {
                    long base = offsets.get(b.members().getFirst().id()) - b.members().getFirst().offset();
                    for (Block.Member m : b.members()) {
                        assertEquals(base + m.offset(), offsets.get(m.id()), p + " case " + c + " (seed " + seed + ")");
                    }
                }
                assertTrue(Placement.arenaBytes(parts, offsets) >= bound, p + " case " + c + " (seed " + seed + ")");
            }
        }
    }
}
