package dev.tinytrain.compile;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Value;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Operator reordering with fused in-place updates (PAPER.md section 6): each stored weight or
 * bias gradient and the optimizer step that applies it at the end become one op at the
 * gradient's place, so the update happens as soon as the layer's output gradient is known and
 * no parameter gradient ever exists. The input gradient, computed before it, has already used
 * the old weights; the pass checks that nothing between the two places reads the parameter.
 */
public final class Reorder {

    private Reorder() {
    }

    public static Graph fuseUpdates(Graph g) {
        List<Op> ops = g.ops();
        Map<Value, Integer> applyAt = new HashMap<>();
        for (int i = 0; i < ops.size(); i++) {
            switch (ops.get(i)) {
                case TrainOp.ApplyWeightGrad a -> applyAt.put(a.gradient(), i);
                case TrainOp.ApplyBiasGrad a -> applyAt.put(a.gradient(), i);
                default -> {
                }
            }
        }
        List<Op> out = new ArrayList<>(ops.size());
        List<Integer> fusedApplies = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            Op fused = switch (op) {
                case TrainOp.WeightGrad w when applyAt.containsKey(w.out()) -> {
                    int at = applyAt.get(w.out());
                    TrainOp.ApplyWeightGrad a = (TrainOp.ApplyWeightGrad) ops.get(at);
                    checkUnread(ops, a.weight(), i, at);
                    fusedApplies.add(at);
                    yield new TrainOp.WeightUpdate(w.grad(), w.saved(), w.weight(), w.channels(), w.strideH(),
                            w.strideW(), w.padH(), w.padW(), w.inputOffset(), a.qas(), w.depthwise(), a.tensorId());
                }
                case TrainOp.BiasGrad b when applyAt.containsKey(b.out()) -> {
                    int at = applyAt.get(b.out());
                    TrainOp.ApplyBiasGrad a = (TrainOp.ApplyBiasGrad) ops.get(at);
                    checkUnread(ops, a.bias(), i, at);
                    fusedApplies.add(at);
                    yield new TrainOp.BiasUpdate(b.grad(), b.bias(), a.qas(), a.tensorId());
                }
                default -> op;
            };
            out.add(fused);
        }
        List<Op> result = new ArrayList<>(out.size());
        for (int i = 0; i < out.size(); i++) {
            if (!fusedApplies.contains(i)) {
                result.add(out.get(i));
            }
        }
        return g.withOps(result);
    }

    private static void checkUnread(List<Op> ops, Value param, int from, int to) {
        for (int k = from + 1; k < to; k++) {
            if (ops.get(k).inputs().contains(param)) {
                throw new IllegalStateException("cannot move the update of " + param.ref() + " (" + param.name()
                        + ") to op " + from + ": op " + k + " (" + ops.get(k).mnemonic() + ") reads it before op " + to);
            }
        }
    }
}
