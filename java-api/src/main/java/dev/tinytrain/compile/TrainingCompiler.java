package dev.tinytrain.compile;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Verifier;
import dev.tinytrain.train.SchemeResolver;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import dev.tinytrain.train.TrainedLayer;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The training compiler's pipeline, top to bottom: resolve the scheme (which channels of which
 * layers train), autodiff, prune (dead code), then the later passes (reordering, memory planning,
 * code generation) slot in after pruning. With {@code verify} every pass's result is checked.
 */
public final class TrainingCompiler {

    private TrainingCompiler() {
    }

    /** A named graph-to-graph pass. */
    public record Pass(String name, UnaryOperator<Graph> run) {
    }

    /** The passes after autodiff, in order. */
    public static List<Pass> passes() {
        return List.of(new Pass("dead-code", DeadCode::eliminate));
    }

    public static TrainingProgram compile(Graph forward, SparseScheme scheme, TrainConfig config) {
        List<Op> layers = WeightLayers.of(forward);
        List<TrainedLayer> trained = SchemeResolver.resolve(forward, layers, scheme);
        Autodiff.Result r = Autodiff.differentiate(forward, trained, config.qas());
        Graph g = r.graph();
        for (Pass p : passes()) {
            g = p.run().apply(g);
            Verifier.verify(g);
        }
        return new TrainingProgram(g, forward, scheme, trained, config, r.image(), r.label(), r.logits(), r.loss());
    }
}
