package dev.tinytrain.models;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;

/**
 * Size and cost of a graph's weight layers, counted as models/ARCHITECTURES.md counts them.
 *
 * @param convs       weight layers (conv, depthwise, fully connected), classifier included
 * @param depthwise   of which depthwise
 * @param weights     int8 weight elements
 * @param biases      int32 bias elements
 * @param macs        multiply-accumulates of the weight layers (batch included)
 */
public record ModelStats(int convs, int depthwise, long weights, long biases, long macs) {

    /** Weights plus biases. */
    public long params() {
        return weights + biases;
    }

    public static ModelStats of(Graph g) {
        int convs = 0;
        int dw = 0;
        long weights = 0;
        long biases = 0;
        long macs = 0;
        for (Op op : Architectures.convs(g)) {
            convs++;
            if (op instanceof Op.DepthwiseConv2d) {
                dw++;
            }
            weights += op.inputs().get(1).elements();
            if (op.inputs().size() > 2) {
                biases += op.inputs().get(2).elements();
            }
            macs += macs(op);
        }
        return new ModelStats(convs, dw, weights, biases, macs);
    }

    /** MACs of one op: output elements times the weights each reads (0 for ops without weights). */
    public static long macs(Op op) {
        return switch (op) {
            case Op.Conv2d c -> {
                int[] w = c.weight().shape();
                yield c.output().elements() * w[1] * w[2] * w[3];
            }
            case Op.DepthwiseConv2d d -> {
                int[] w = d.weight().shape();
                yield d.output().elements() * w[1] * w[2];
            }
            case Op.FullyConnected f -> f.output().elements() * f.weight().shape()[1];
            case Op.Add a -> 0;
            case Op.AvgPool2d p -> 0;
            case Op.Mean m -> 0;
            case Op.Reshape r -> 0;
            case Op.ConvDepthwise f -> macs(f.conv()) + macs(f.depthwise());
            case dev.tinytrain.graph.TrainOp t -> 0;   // counted by the training program, not the model
        };
    }
}
