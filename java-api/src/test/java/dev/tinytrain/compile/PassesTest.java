package dev.tinytrain.compile;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Value;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reordering and fusion passes on a real model. */
class PassesTest {

    private static TrainingProgram compile(String scheme, CompileOptions o) {
        Graph forward = Architectures.build("mcunet-5fps", 64, 3, 10, 1);
        int convs = WeightLayers.of(forward).size() - 1;
        return TrainingCompiler.compile(forward, SparseScheme.named(scheme, convs), TrainConfig.defaults(0.01f), o);
    }

    /** Records holding arrays compare by identity: compare what the dump shows instead. */
    private static String sig(Op op) {
        return op.mnemonic() + " " + op.attributes() + " " + op.inputs() + " -> " + op.outputs();
    }

    @Test
    void withoutReorderingEveryUpdateWaitsForTheEnd() {
        List<Op> ops = compile("mcunet-99kb", CompileOptions.DEFAULT.withReorder(false)).graph().ops();
        int firstApply = -1;
        int grads = 0;
        int applies = 0;
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            boolean apply = op instanceof TrainOp.ApplyWeightGrad || op instanceof TrainOp.ApplyBiasGrad;
            if (apply) {
                applies++;
                if (firstApply < 0) {
                    firstApply = i;
                }
            } else {
                assertTrue(firstApply < 0, "op " + i + " " + op.mnemonic() + " after an optimizer step");
            }
            grads += op instanceof TrainOp.WeightGrad || op instanceof TrainOp.BiasGrad ? 1 : 0;
            assertFalse(op instanceof TrainOp.WeightUpdate || op instanceof TrainOp.BiasUpdate);
        }
        assertEquals(grads, applies);
        assertEquals(22 + 6 + 1 + 1, applies, "22 biases, 6 weights, the classifier's weight and bias");
    }

    @Test
    void reorderingFusesEveryUpdateAtItsGradient() {
        TrainingProgram off = compile("mcunet-99kb", CompileOptions.DEFAULT.withReorder(false).withFuse(false));
        TrainingProgram on = compile("mcunet-99kb", CompileOptions.DEFAULT.withFuse(false));
        List<Op> a = off.graph().ops();
        List<Op> b = on.graph().ops();
        int fused = 0;
        int j = 0;
        for (Op op : a) {
            if (op instanceof TrainOp.ApplyWeightGrad || op instanceof TrainOp.ApplyBiasGrad) {
                continue;
            }
            Op other = b.get(j++);
            switch (op) {
                case TrainOp.WeightGrad w -> {
                    TrainOp.WeightUpdate u = (TrainOp.WeightUpdate) other;
                    assertTrue(u.weight().equals(w.weight()) && u.grad().equals(w.grad()) && u.saved().equals(w.saved()));
                    fused++;
                }
                case TrainOp.BiasGrad g -> {
                    TrainOp.BiasUpdate u = (TrainOp.BiasUpdate) other;
                    assertTrue(u.bias().equals(g.bias()) && u.grad().equals(g.grad()));
                    fused++;
                }
                default -> assertEquals(sig(op), sig(other));
            }
        }
        assertEquals(b.size(), j);
        assertEquals(30, fused);
    }

    @Test
    void fusionOnlyWhereTheIntermediateIsNotNeededForBackward() {
        Graph g = compile("full", CompileOptions.DEFAULT).graph();
        assertTrue(g.ops().stream().noneMatch(op -> op instanceof Op.ConvDepthwise), "full update needs every activation");
        Graph s = compile("mcunet-49kb", CompileOptions.DEFAULT).graph();
        Graph u = compile("mcunet-49kb", CompileOptions.DEFAULT.withFuse(false)).graph();
        long fused = s.ops().stream().filter(op -> op instanceof Op.ConvDepthwise).count();
        assertTrue(fused >= 8, "fused " + fused);
        assertEquals(u.ops().size() - fused, s.ops().size());
        for (Op op : s.ops()) {
            if (op instanceof Op.ConvDepthwise f) {
                Value mid = f.intermediate();
                assertEquals(1, u.consumers(mid).size(), mid.name() + " is read by more than the depthwise conv");
                for (Op other : s.ops()) {
                    assertFalse(other.inputs().contains(mid) || other.outputs().contains(mid), mid.name()
                            + " still exists after fusion");
                }
            }
        }
    }
}
