package dev.tinytrain.compile;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;

import java.util.List;

/** The layers with weights (conv, depthwise, fully connected) in forward order; the last is the classifier. */
public final class WeightLayers {

    private WeightLayers() {
    }

    public static List<Op> of(Graph g) {
        List<Op> l = g.ops().stream()
                .filter(op -> op instanceof Op.Conv2d || op instanceof Op.DepthwiseConv2d
                        || op instanceof Op.FullyConnected)
                .toList();
        if (l.isEmpty()) {
            throw new IllegalArgumentException("graph " + g.name() + " has no conv or fully connected layer to train");
        }
        return l;
    }
}
