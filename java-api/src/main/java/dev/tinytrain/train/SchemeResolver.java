package dev.tinytrain.train;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Resolves a {@link SparseScheme} against a graph: which layers train their bias, and which input
 * channels of which layers train their weights, the channels chosen by the largest L2 norm of the
 * real-valued weights (scale-aware: {@code s_w[o] * w}), ties to the lower index.
 */
public final class SchemeResolver {

    private SchemeResolver() {
    }

    /**
     * @param convs the graph's weight layers in forward order, classifier last (it is not indexed by
     *              schemes and is always trained)
     * @return one entry per trained layer, in forward order
     */
    public static List<TrainedLayer> resolve(Graph graph, List<Op> convs, SparseScheme scheme) {
        if (convs.isEmpty()) {
            throw new IllegalArgumentException("graph " + graph.name() + " has no weight layers to train");
        }
        int indexed = convs.size() - 1;
        scheme.checkFits(indexed);
        List<TrainedLayer> out = new ArrayList<>();
        for (int i = 0; i < convs.size(); i++) {
            Op op = convs.get(i);
            boolean classifier = i == indexed;
            boolean bias = classifier || i >= indexed - scheme.biasCount();
            int[] channels = new int[0];
            if (classifier) {
                channels = IntStream.range(0, inputChannels(op)).toArray();
            } else {
                for (SparseScheme.WeightUpdate u : scheme.weights()) {
                    if (u.conv() == i) {
                        channels = largestNorm(graph, op, u.count(inputChannels(op)));
                    }
                }
            }
            if (bias && biasOf(op) == null) {
                bias = false;
            }
            if (bias || channels.length > 0) {
                out.add(new TrainedLayer(op, i, bias, channels));
            }
        }
        return out;
    }

    /** Input channels a ratio applies to: conv OHWI axis 3, depthwise 1HWC axis 3, FC [O, F] axis 1. */
    public static int inputChannels(Op op) {
        return switch (op) {
            case Op.Conv2d c -> c.weight().shape()[3];
            case Op.DepthwiseConv2d d -> d.weight().shape()[3];
            case Op.FullyConnected f -> f.weight().shape()[1];
            default -> throw new IllegalArgumentException(op.mnemonic() + " has no weights to train");
        };
    }

    private static Value biasOf(Op op) {
        return switch (op) {
            case Op.Conv2d c -> c.bias();
            case Op.DepthwiseConv2d d -> d.bias();
            case Op.FullyConnected f -> f.bias();
            default -> null;
        };
    }

    /** The {@code count} input channels with the largest L2 norm of real weights, ascending. */
    static int[] largestNorm(Graph graph, Op op, int count) {
        Value w = switch (op) {
            case Op.Conv2d c -> c.weight();
            case Op.DepthwiseConv2d d -> d.weight();
            case Op.FullyConnected f -> f.weight();
            default -> throw new IllegalArgumentException(op.mnemonic() + " has no weights to train");
        };
        byte[] data = graph.int8(w);
        int[] shape = w.shape();
        int channels = shape[shape.length - 1];
        float[] scales = w.quant().scales();
        int quantAxis = w.quant().axis();
        double[] norm = new double[channels];
        int inner = channels;
        for (int i = 0; i < data.length; i++) {
            int ch = i % inner;
            int scaleIndex = scales.length == 1 ? 0 : quantAxis == shape.length - 1 ? ch : i / rowSize(shape);
            double real = scales[scaleIndex] * data[i];
            norm[ch] += real * real;
        }
        Integer[] order = new Integer[channels];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -norm[i]).thenComparingInt(i -> i));
        return Arrays.stream(order).limit(count).mapToInt(Integer::intValue).sorted().toArray();
    }

    private static int rowSize(int[] shape) {
        int s = 1;
        for (int i = 1; i < shape.length; i++) {
            s *= shape[i];
        }
        return s;
    }
}
