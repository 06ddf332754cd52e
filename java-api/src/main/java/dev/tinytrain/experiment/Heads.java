package dev.tinytrain.experiment;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Role;
import dev.tinytrain.graph.Value;
import dev.tinytrain.tensor.DType;
import dev.tinytrain.tensor.Quantization;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A new classifier for a downstream task: the pre-trained model's last weight layer (a 1x1 conv
 * on the pooled features, then a reshape to the logits) replaced by one with {@code classes}
 * outputs, small random weights (per-channel scale {@code 3 / sqrt(C) / 127}, so 127 stands for
 * about three standard deviations of a fan-in-scaled init), zero biases, and the old head's output
 * quantization. The rest of the graph is unchanged.
 */
public final class Heads {

    private Heads() {
    }

    /** The seed of the new classifiers the CLI makes (the same head for every command and run). */
    public static final long SEED = 7;

    /**
     * The graph itself when its classifier already has {@code classes} outputs (its trained head is
     * the starting point), else a new classifier ({@link #replaceClassifier}, seed {@link #SEED}).
     */
    public static Graph forClasses(Graph g, int classes) {
        return g.outputs().getFirst().shape()[1] == classes ? g : replaceClassifier(g, classes, SEED);
    }

    public static Graph replaceClassifier(Graph g, int classes, long seed) {
        if (classes < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
        }
        List<Op> ops = g.ops();
        int n = ops.size();
        if (n < 2 || !(ops.get(n - 2) instanceof Op.Conv2d head) || !(ops.get(n - 1) instanceof Op.Reshape r)
                || !head.pointwise() || !r.input().equals(head.output())) {
            throw new IllegalArgumentException("graph " + g.name() + ": expected a 1x1 conv classifier and a reshape"
                    + " to the logits as its last two ops");
        }
        Value pooled = head.input();
        int cin = pooled.shape()[3];
        int batch = pooled.shape()[0];
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] w = new byte[classes * cin];
        for (int i = 0; i < w.length; i++) {
            w[i] = (byte) Math.max(-127, Math.min(127, Math.round(rng.nextGaussian() * 127 / 3)));
        }
        float[] scales = new float[classes];
        java.util.Arrays.fill(scales, (float) (3.0 / Math.sqrt(cin) / 127.0));
        Graph.Builder b = Graph.Builder.from(g);
        Value weight = b.constant("classifier" + classes + ".weight", new int[] {classes, 1, 1, cin},
                Quantization.perChannel(scales, 0), w);
        Value bias = b.constant("classifier" + classes + ".bias", new int[] {classes}, new int[classes]);
        Value out = b.value("classifier" + classes, new int[] {batch, 1, 1, classes}, DType.INT8,
                head.output().quant(), Role.ACTIVATION);
        Value logits = b.value("classifier" + classes + ".logits", new int[] {batch, classes}, DType.INT8,
                head.output().quant(), Role.ACTIVATION);
        List<Op> kept = new ArrayList<>(ops.subList(0, n - 2));
        for (Op op : kept) {
            b.op(op);
        }
        b.op(new Op.Conv2d(pooled, weight, bias, out, 1, 1, 0, 0, head.activation()));
        b.op(new Op.Reshape(out, logits));
        b.outputs(logits);
        return b.build();
    }

    /** A classifier's real-valued weights [classes, C] (row-major) and biases [classes]. */
    public record FloatHead(float[] weight, float[] bias) {
    }

    /**
     * The real values of the graph's classifier (its last 1x1 conv): weight {@code q * s_w[o]} and
     * bias {@code b * s_x * s_w[o]}, the head a float network needs to compute the same function.
     */
    public static FloatHead dequantizedClassifier(Graph g) {
        List<Op> ops = g.ops();
        if (ops.size() < 2 || !(ops.get(ops.size() - 2) instanceof Op.Conv2d head) || !head.pointwise()) {
            throw new IllegalArgumentException("graph " + g.name() + ": expected a 1x1 conv classifier before the"
                    + " reshape to the logits");
        }
        byte[] q = g.int8(head.weight());
        int[] b = g.int32(head.bias());
        int classes = head.weight().shape()[0];
        int cin = head.weight().shape()[3];
        float[] scales = head.weight().quant().scales();
        float sx = head.input().scale();
        float[] w = new float[classes * cin];
        float[] bias = new float[classes];
        for (int o = 0; o < classes; o++) {
            float sw = scales.length == 1 ? scales[0] : scales[o];
            for (int i = 0; i < cin; i++) {
                w[o * cin + i] = q[o * cin + i] * sw;
            }
            bias[o] = (float) ((double) b[o] * sx * sw);
        }
        return new FloatHead(w, bias);
    }
}
