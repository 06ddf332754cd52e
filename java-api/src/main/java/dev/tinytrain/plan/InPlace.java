package dev.tinytrain.plan;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Value;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An op that writes its output over its input, and where the input sits inside the output's
 * bytes. Legal where the input dies at that op and the kernel allows it:
 * <ul>
 *   <li>a pointwise (1x1, stride 1, unpadded) conv: pixels are walked in order, each input
 *       pixel copied to scratch before its output is written; a widening conv keeps its input
 *       at the end of the output region ({@code inputOffset = out - in}), a narrowing one at the
 *       start, so no unread input pixel is ever overwritten;</li>
 *   <li>elementwise ops whose kernels allow aliasing: int8 add, gradient add, gradient
 *       scale-and-mask; and reshape (the same bytes).</li>
 * </ul>
 *
 * @param op          schedule position
 * @param input       the value overwritten
 * @param output      the value written
 * @param inputOffset bytes from the output's start to the input's start
 */
public record InPlace(int op, Value input, Value output, long inputOffset) {

    /** Whether the output is larger than its input (the input then sits at the output's end). */
    public boolean widening() {
        return output.byteSize() > input.byteSize();
    }

    /** Every in-place op of the schedule (one per op at most), given the values' natural lifetimes. */
    public static List<InPlace> find(Graph g, List<Buffer> lifetimes) {
        Map<Integer, Buffer> life = new HashMap<>();
        for (Buffer b : lifetimes) {
            life.put(b.id(), b);
        }
        List<InPlace> found = new ArrayList<>();
        List<Op> ops = g.ops();
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            InPlace p = switch (op) {
                case Op.Conv2d c when c.pointwise() && c.strideH() == 1 && c.strideW() == 1 && c.padH() == 0
                        && c.padW() == 0 -> candidate(g, life, i, c.input(), c.output());
                case Op.Add a when !a.a().equals(a.b()) -> either(g, life, i, a.a(), a.b(), a.output());
                case Op.Reshape r -> candidate(g, life, i, r.input(), r.output());
                case TrainOp.GradScaleMask s -> candidate(g, life, i, s.grad(), s.out());
                case TrainOp.AddGrads s when !s.a().equals(s.b()) -> either(g, life, i, s.a(), s.b(), s.out());
                default -> null;
            };
            if (p != null) {
                found.add(p);
            }
        }
        return found;
    }

    private static InPlace either(Graph g, Map<Integer, Buffer> life, int op, Value a, Value b, Value out) {
        InPlace p = candidate(g, life, op, a, out);
        return p != null ? p : candidate(g, life, op, b, out);
    }

    private static InPlace candidate(Graph g, Map<Integer, Buffer> life, int op, Value in, Value out) {
        Buffer li = life.get(in.id());
        Buffer lo = life.get(out.id());
        if (li == null || lo == null || g.isConstant(in) || g.inputs().contains(in) || g.outputs().contains(in)) {
            return null;
        }
        if (li.last() != op || lo.last() <= op || li.first() >= op) {
            return null;           // the input is read later, or the output is never read
        }
        long delta = Math.max(0, out.byteSize() - in.byteSize());
        return new InPlace(op, in, out, delta);
    }
}
