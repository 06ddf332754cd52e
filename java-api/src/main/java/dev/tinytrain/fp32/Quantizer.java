package dev.tinytrain.fp32;

import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.Sample;
import dev.tinytrain.models.NetBuilder;
import dev.tinytrain.tensor.Quantization;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Post-training quantization of a trained {@link FloatNet} into an {@link Int8Model} (and so an int8
 * graph), the way the paper's models are made (PAPER.md section 2):
 *
 * <ol>
 *   <li>BatchNorm folded into the conv before it ({@link FoldedNet});</li>
 *   <li>weights symmetric per output channel: {@code s_w[c] = max|w_c| / 127},
 *       {@code q = round(w / s_w[c])} (ties away from zero) in [-127, 127];</li>
 *   <li>bias int32: {@code round(b / (s_in * s_w[c]))}, saturated to the int32 range;</li>
 *   <li>activations per tensor: the input keeps the architectures' input quantization (2/255, 0);
 *       ReLU6 outputs get [0, 6]: scale 6/255, zero point -128 (the int8 clamp is the ReLU6); linear
 *       outputs (pw2, residual sums, logits) a range calibrated by running the folded float network
 *       on calibration images ({@link Rule}); the pool keeps its input's quantization.</li>
 * </ol>
 *
 * A channel whose folded weights are all zero gets a scale that keeps its bias representable.
 */
public final class Quantizer {

    /** How a linear output's range is taken from the calibration values. */
    public sealed interface Rule permits MinMax, Percentile {
        /** Parses {@code minmax} or {@code percentile:<p>} (p in (50, 100], e.g. 99.99). */
        static Rule parse(String s) {
            if (s.equals("minmax")) {
                return new MinMax();
            }
            if (s.startsWith("percentile:")) {
                try {
                    return new Percentile(Double.parseDouble(s.substring("percentile:".length())));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("calibration rule '" + s + "': percentile:<p> needs a number");
                }
            }
            throw new IllegalArgumentException("calibration rule '" + s + "': use minmax or percentile:<p>");
        }
    }

    /** The smallest and largest value seen. */
    public record MinMax() implements Rule {
        @Override
        public String toString() {
            return "minmax";
        }
    }

    /** The {@code 100 - p} and {@code p} percentiles (clipping the rare extremes). */
    public record Percentile(double p) implements Rule {
        public Percentile {
            if (!(p > 50 && p <= 100)) {
                throw new IllegalArgumentException("percentile must be in (50, 100], got " + p);
            }
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "percentile:%s", p);
        }
    }

    /** Values kept per layer for the percentiles (evenly strided over all calibration values). */
    private static final int MAX_KEPT = 1 << 20;

    private Quantizer() {
    }

    /**
     * Quantizes {@code net} (its BatchNorm in eval mode) with ranges calibrated on the first
     * {@code samples} images of {@code calibration}.
     */
    public static Int8Model quantize(FloatNet net, Dataset calibration, int samples, Rule rule, Fp32Backend backend) {
        FoldedNet folded = FoldedNet.fold(net);
        Map<Integer, double[]> ranges = calibrate(folded, calibration, samples, rule, backend);
        Quantization inputQ = Quantization.perTensor(NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT);
        Quantization relu6 = Quantization.perTensor(NetBuilder.RELU6_SCALE, NetBuilder.RELU6_ZERO_POINT);
        Map<Integer, Quantization> q = new HashMap<>();
        Map<String, Int8Model.Layer> layers = new LinkedHashMap<>();
        Map<String, Quantization> adds = new LinkedHashMap<>();
        for (FloatNet.Node node : net.nodes()) {
            switch (node) {
                case FloatNet.Input in -> q.put(in.id(), inputQ);
                case FloatNet.ConvBn c -> {
                    Quantization out = c.relu6() ? relu6 : range(ranges.get(c.id()));
                    FoldedNet.Conv f = folded.conv(c.name());
                    layers.put(c.name(), layer(f.weight(), c.weight().shape(), f.bias(), c.depthwise(),
                            q.get(c.input()).scale(), out));
                    q.put(c.id(), out);
                }
                case FloatNet.Add a -> {
                    Quantization out = range(ranges.get(a.id()));
                    adds.put(a.name(), out);
                    q.put(a.id(), out);
                }
                case FloatNet.Pool p -> q.put(p.id(), q.get(p.input()));
                case FloatNet.Classifier k -> {
                    Quantization out = range(ranges.get(k.id()));
                    layers.put(k.name(), layer(k.weight().data(), k.weight().shape(), k.bias().data(), false,
                            q.get(k.input()).scale(), out));
                    q.put(k.id(), out);
                }
            }
        }
        return new Int8Model(net.architecture(), net.resolution(), net.inChannels(), net.classes(), inputQ, layers,
                adds);
    }

    /** Symmetric per-channel int8 weights and the int32 bias of one layer. */
    static Int8Model.Layer layer(float[] w, int[] shape, float[] b, boolean depthwise, float inScale,
                                 Quantization out) {
        int channels = depthwise ? shape[3] : shape[0];
        double[] max = new double[channels];
        for (int i = 0; i < w.length; i++) {
            int c = Param.outputChannel(depthwise, i, w.length, channels);
            max[c] = Math.max(max[c], Math.abs(w[i]));
        }
        float[] scales = new float[channels];
        int[] bias = new int[channels];
        for (int c = 0; c < channels; c++) {
            float s = (float) (max[c] / 127.0);
            if (!(s > 0) || !Float.isFinite(s)) {
                // all-zero weights: the output is the bias alone; a scale that puts it near 2^20
                double need = Math.abs(b[c]) / ((double) inScale * (1 << 20));
                s = need > 0 ? (float) need : 1f / 127;
            }
            scales[c] = s;
            double v = roundHalfAway(b[c] / ((double) inScale * s));
            bias[c] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
        }
        byte[] q = new byte[w.length];
        for (int i = 0; i < w.length; i++) {
            int c = Param.outputChannel(depthwise, i, w.length, channels);
            q[i] = (byte) Math.max(-127, Math.min(127, roundHalfAway(w[i] / (double) scales[c])));
        }
        return new Int8Model.Layer(q, shape, scales, bias, out);
    }

    static double roundHalfAway(double v) {
        return Math.signum(v) * Math.floor(Math.abs(v) + 0.5);
    }

    private static Quantization range(double[] lohi) {
        return NetBuilder.rangeQuant(lohi[0], lohi[1]);
    }

    /**
     * Ranges {lo, hi} of the linear outputs (pw2 convs, adds, logits) by node id, from the folded
     * network on the first {@code samples} images.
     */
    static Map<Integer, double[]> calibrate(FoldedNet folded, Dataset data, int samples, Rule rule,
                                            Fp32Backend backend) {
        FloatNet net = folded.net();
        int total = Math.min(samples, data.size());
        if (total < 1) {
            throw new IllegalArgumentException("calibration needs at least one image; " + data.name() + " has "
                    + data.size() + ", asked for " + samples);
        }
        List<FloatNet.Node> nodes = net.nodes();
        Map<Integer, Collector> collectors = new LinkedHashMap<>();
        for (FloatNet.Node node : nodes) {
            boolean linear = (node instanceof FloatNet.ConvBn c && !c.relu6()) || node instanceof FloatNet.Add
                    || node instanceof FloatNet.Classifier;
            if (linear) {
                collectors.put(node.id(), new Collector(total * node.out().elements()));
            }
        }
        int per = net.inputSize();
        int chunk = 64;
        float[] x = new float[chunk * per];
        for (int done = 0; done < total; done += chunk) {
            int n = Math.min(chunk, total - done);
            for (int b = 0; b < n; b++) {
                Sample s = data.get(done + b);
                if (s.image().length != per) {
                    throw new IllegalArgumentException(data.name() + " sample " + (done + b) + " has "
                            + s.image().length + " bytes; the network reads " + per);
                }
                FloatTrainer.dequantize(s.image(), NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT, x, b * per);
            }
            List<float[]> outs = folded.forward(backend, x, n);
            for (Map.Entry<Integer, Collector> e : collectors.entrySet()) {
                float[] v = outs.get(e.getKey());
                e.getValue().add(v, (int) (n * nodes.get(e.getKey()).out().elements()));
            }
        }
        Map<Integer, double[]> out = new HashMap<>();
        for (Map.Entry<Integer, Collector> e : collectors.entrySet()) {
            out.put(e.getKey(), e.getValue().range(rule));
        }
        return out;
    }

    /** Exact min/max of every value, and an evenly strided sample of at most {@link #MAX_KEPT} for percentiles. */
    private static final class Collector {
        private final long stride;
        private float[] kept = new float[1024];
        private int count;
        private long seen;
        private double min = Double.POSITIVE_INFINITY;
        private double max = Double.NEGATIVE_INFINITY;

        Collector(long expected) {
            stride = Math.max(1, (expected + MAX_KEPT - 1) / MAX_KEPT);
        }

        void add(float[] v, int n) {
            for (int i = 0; i < n; i++) {
                min = Math.min(min, v[i]);
                max = Math.max(max, v[i]);
                if (seen++ % stride == 0) {
                    if (count == kept.length) {
                        kept = Arrays.copyOf(kept, Math.min(MAX_KEPT + 1, kept.length * 2));
                    }
                    if (count < kept.length) {
                        kept[count++] = v[i];
                    }
                }
            }
        }

        double[] range(Rule rule) {
            return switch (rule) {
                case MinMax m -> new double[] {min, max};
                case Percentile p -> {
                    float[] s = Arrays.copyOf(kept, count);
                    Arrays.sort(s);
                    int hiIdx = (int) Math.min(count - 1, Math.ceil(p.p() / 100.0 * count) - 1);
                    int loIdx = (int) Math.max(0, Math.floor((100 - p.p()) / 100.0 * count));
                    yield new double[] {s[Math.max(0, loIdx)], s[Math.max(0, hiIdx)]};
                }
            };
        }
    }
}
