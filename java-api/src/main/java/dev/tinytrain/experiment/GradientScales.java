package dev.tinytrain.experiment;

import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.Sample;
import dev.tinytrain.fp32.FloatNet;
import dev.tinytrain.fp32.FloatPass;
import dev.tinytrain.fp32.FloatTrainer;
import dev.tinytrain.fp32.FoldedNet;
import dev.tinytrain.fp32.Fp32Backend;
import dev.tinytrain.fp32.Param;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;
import dev.tinytrain.models.NetBuilder;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The paper's weight-to-gradient norm ratio ({@code ||W|| / ||G||}) per weight layer, in the three
 * parametrizations the transfer methods train (PAPER.md section 4):
 * <ul>
 *   <li>{@code fp32}: the real-valued folded weights {@code W' = s * Wbar} and their gradient
 *       {@code G'};</li>
 *   <li>{@code int8 SGD}: the int8 values {@code Wbar} and their gradient {@code s * G'}, which plain
 *       int8 SGD steps along;</li>
 *   <li>{@code int8 QAS}: {@code Wbar} and the QAS-scaled gradient {@code (s * G') / s^2}.</li>
 * </ul>
 * {@code G'} comes from the float parent (frozen BatchNorm, the int8 model's head dequantized onto
 * it, as {@code fp32-full} trains it): {@code G' = G_W * sigma / gamma} per output channel, exact
 * for the folded form {@code W' = W * gamma / sigma}. A gradient norm is the mean over images of
 * the per-image (batch 1) norm, the size of one step. A single learning rate suits every layer
 * when the ratios are alike across layers; their spread (largest over smallest) says how far apart
 * the layers' effective step sizes are.
 */
public final class GradientScales {

    /** One layer's ratios. */
    public record Layer(String name, double fp32, double int8Sgd, double int8Qas) {
    }

    /** Ratios of every weight layer, in forward order, and their spreads. */
    public record Report(List<Layer> layers, int images) {
        public double spread(java.util.function.ToDoubleFunction<Layer> f) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = 0;
            for (Layer l : layers) {
                double v = f.applyAsDouble(l);
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            return hi / lo;
        }
    }

    private GradientScales() {
    }

    /**
     * @param int8   the int8 model (its classifier already replaced for {@code data}'s classes)
     * @param parent the float parent (any classifier; the int8 model's is put on it)
     * @param data   the images, the first {@code images} of them
     */
    public static Report measure(Graph int8, FloatNet parent, Dataset data, int images, Fp32Backend backend) {
        if (images < 1) {
            throw new IllegalArgumentException("images must be >= 1, got " + images);
        }
        Heads.FloatHead head = Heads.dequantizedClassifier(int8);
        FloatNet net = parent.withClassifier(head.weight(), head.bias());
        Map<String, Value> weights = new HashMap<>();
        List<String> order = new ArrayList<>();
        for (Op op : int8.ops()) {
            Value w = switch (op) {
                case Op.Conv2d c -> c.weight();
                case Op.DepthwiseConv2d d -> d.weight();
                default -> null;
            };
            if (w != null) {
                String name = op.outputs().getFirst().name();
                weights.put(name, w);
                order.add(name);
            }
        }
        int n = Math.min(images, data.size());
        FloatPass pass = new FloatPass(net, backend, 1);
        pass.freezeStatistics(true);
        float[] x = new float[net.inputSize()];
        int[] label = new int[1];
        Map<String, double[]> sums = new HashMap<>();    // per layer: sum of ||G'||, ||s G'||, ||G' / s||
        Map<String, float[]> perChannelFactor = new HashMap<>();
        Map<String, Param> floatWeight = new HashMap<>();   // int8 layer name -> the float weight it folds from
        Map<String, FloatNet.Node> byName = new HashMap<>();
        for (FloatNet.Node node : net.nodes()) {
            byName.put(node.name(), node);
        }
        for (String name : order) {
            // the new classifier has its own name in the int8 graph; it is the float network's last node
            FloatNet.Node node = name.equals(order.getLast()) ? net.nodes().getLast() : byName.get(name);
            if (node == null) {
                throw new IllegalArgumentException("the float parent has no layer '" + name + "' of the int8 model");
            }
            int channels = weights.get(name).quant().scales().length;
            float[] fold = foldFactor(node, channels);
            if (fold.length != channels) {
                throw new IllegalArgumentException(name + ": per-channel weight scales expected, the model has "
                        + channels + " for " + fold.length + " channels");
            }
            perChannelFactor.put(name, fold);
            floatWeight.put(name, node instanceof FloatNet.ConvBn c ? c.weight() : ((FloatNet.Classifier) node).weight());
            sums.put(name, new double[3]);
        }
        for (int i = 0; i < n; i++) {
            Sample s = data.get(i);
            FloatTrainer.dequantize(s.image(), NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT, x, 0);
            label[0] = s.label();
            pass.forward(x, 0, 1, true);
            pass.backward(label, 0, 1);
            for (String name : order) {
                float[] g = pass.grad(floatWeight.get(name));
                Value w = weights.get(name);
                float[] scales = w.quant().scales();
                int channels = scales.length;
                boolean depthwise = w.quant().axis() == 3;
                float[] fold = perChannelFactor.get(name);
                double a = 0;
                double b = 0;
                double c = 0;
                for (int k = 0; k < g.length; k++) {
                    int ch = Param.outputChannel(depthwise, k, g.length, channels);
                    double gf = g[k] * (double) fold[ch];   // G'
                    double sc = scales[ch];
                    a += gf * gf;
                    b += (sc * gf) * (sc * gf);
                    c += (gf / sc) * (gf / sc);
                }
                double[] sum = sums.get(name);
                sum[0] += Math.sqrt(a);
                sum[1] += Math.sqrt(b);
                sum[2] += Math.sqrt(c);
            }
        }
        List<Layer> layers = new ArrayList<>();
        for (String name : order) {
            Value w = weights.get(name);
            byte[] q = int8.int8(w);
            float[] scales = w.quant().scales();
            int channels = scales.length;
            boolean depthwise = w.quant().axis() == 3;
            double real = 0;
            double ints = 0;
            for (int k = 0; k < q.length; k++) {
                int ch = Param.outputChannel(depthwise, k, q.length, channels);
                double v = q[k] * (double) scales[ch];
                real += v * v;
                ints += (double) q[k] * q[k];
            }
            double[] sum = sums.get(name);
            layers.add(new Layer(name, Math.sqrt(real) / (sum[0] / n), Math.sqrt(ints) / (sum[1] / n),
                    Math.sqrt(ints) / (sum[2] / n)));
        }
        return new Report(layers, n);
    }

    /** {@code sigma / gamma} per output channel of a conv + BatchNorm ({@code dL/dW' = dL/dW * sigma / gamma}); 1 for the classifier. */
    private static float[] foldFactor(FloatNet.Node node, int channels) {
        if (node instanceof FloatNet.ConvBn c) {
            double[] s = FoldedNet.scale(c);
            float[] f = new float[s.length];
            for (int k = 0; k < f.length; k++) {
                f[k] = (float) (1 / s[k]);
            }
            return f;
        }
        float[] ones = new float[channels];
        java.util.Arrays.fill(ones, 1f);
        return ones;
    }
}
