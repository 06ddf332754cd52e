package dev.tinytrain.compile;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Value;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Removes ops whose results nothing needs: an op stays when it updates a parameter, writes a
 * graph output, or writes a value a kept op reads. After autodiff this prunes the backward pass
 * to the scheme: input gradients below the earliest trained layer, and the masks and saved
 * channels only they would have used, disappear.
 */
public final class DeadCode {

    private DeadCode() {
    }

    public static Graph eliminate(Graph g) {
        Set<Value> needed = new HashSet<>(g.outputs());
        List<Op> kept = new ArrayList<>();
        List<Op> ops = g.ops();
        for (int i = ops.size() - 1; i >= 0; i--) {
            Op op = ops.get(i);
            boolean live = op instanceof TrainOp t && t.updatesParameter();
            for (Value out : op.outputs()) {
                live |= needed.contains(out);
            }
            if (live) {
                kept.add(op);
                needed.addAll(op.inputs());
            }
        }
        Collections.reverse(kept);
        return g.withOps(kept);
    }
}
