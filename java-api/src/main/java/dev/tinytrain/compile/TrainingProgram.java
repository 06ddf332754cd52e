package dev.tinytrain.compile;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Value;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import dev.tinytrain.train.TrainedLayer;

import java.util.List;

/**
 * A compiled training program: the training graph in schedule order (forward with saves, loss,
 * pruned backward with fused updates), what it trains, and the values a runtime binds.
 */
public record TrainingProgram(Graph graph, Graph forward, SparseScheme scheme, List<TrainedLayer> trained,
                              TrainConfig config, CompileOptions options, Value image, Value label, Value logits,
                              Value loss) {

    public TrainingProgram {
        trained = List.copyOf(trained);
    }

    /**
     * Whether the op of {@link #graph()} belongs to the inference pass: an op of the forward graph,
     * or a fusion of forward ops.
     */
    public boolean isForward(dev.tinytrain.graph.Op op) {
        return switch (op) {
            case dev.tinytrain.graph.TrainOp t -> false;
            case dev.tinytrain.graph.Op.ConvDepthwise f -> true;
            default -> forward.ops().contains(op);
        };
    }

    /** Number of classes (the logits' last dimension). */
    public int classes() {
        int[] s = logits.shape();
        return s[s.length - 1];
    }
}
