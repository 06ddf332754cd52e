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
 * layers train), autodiff (conventional order: gradients stored, the optimizer step at the end),
 * prune (dead code), reorder (fuse each update into its gradient op), fuse conv + depthwise where
 * the intermediate is not needed; then memory planning ({@code runtime.MemoryPlan}) and code
 * generation take the result. The verifier checks every pass's result.
 */
public final class TrainingCompiler {

    private TrainingCompiler() {
    }

    /** A named graph-to-graph pass. */
    public record Pass(String name, UnaryOperator<Graph> run) {
    }

    /** The passes after autodiff, in order, with every option on. */
    public static List<Pass> passes() {
        return passes(CompileOptions.DEFAULT);
    }

    /** The passes after autodiff, in order. */
    public static List<Pass> passes(CompileOptions options) {
        List<Pass> p = new java.util.ArrayList<>();
        p.add(new Pass("dead-code", DeadCode::eliminate));
        if (options.reorder()) {
            p.add(new Pass("reorder", Reorder::fuseUpdates));
        }
        if (options.fuse()) {
            p.add(new Pass("fuse-conv-depthwise", FuseConvDepthwise::fuse));
        }
        return List.copyOf(p);
    }

    public static TrainingProgram compile(Graph forward, SparseScheme scheme, TrainConfig config) {
        return compile(forward, scheme, config, CompileOptions.DEFAULT);
    }

    public static TrainingProgram compile(Graph forward, SparseScheme scheme, TrainConfig config,
                                          CompileOptions options) {
        List<Op> layers = WeightLayers.of(forward);
        List<TrainedLayer> trained = SchemeResolver.resolve(forward, layers, scheme);
        Autodiff.Result r = Autodiff.differentiate(forward, trained, config.qas());
        Graph g = r.graph();
        for (Pass p : passes(options)) {
            g = p.run().apply(g);
            Verifier.verify(g);
        }
        return new TrainingProgram(g, forward, scheme, trained, config, options, r.image(), r.label(), r.logits(),
                r.loss());
    }
}
