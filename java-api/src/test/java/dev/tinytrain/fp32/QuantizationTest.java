package dev.tinytrain.fp32;

import dev.tinytrain.data.SyntheticDataset;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.kernel.ReferenceBackend;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.models.NetBuilder;
import dev.tinytrain.runtime.ForwardInterpreter;
import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BatchNorm folding and post-training quantization: folded == conv + BatchNorm in eval mode; the
 * quantized numbers within half a step of the folded float ones; the int8 graph has the int8
 * builder's structure and computes nearly what the float network computes.
 */
class QuantizationTest {

    static final Fp32Backend REF = new Fp32Reference();

    @Test
    void foldedNetworkEqualsBatchNormInEvalMode() {
        for (String arch : Architectures.names()) {
            FloatNet net = FloatPassTest.randomized(arch, 24, 5, 3);
            int n = 3;
            float[] x = FloatPassTest.images(net, n, 4);
            FloatPass pass = new FloatPass(net, REF, n);
            pass.forward(x, 0, n, false);
            List<float[]> folded = FoldedNet.fold(net).forward(REF, x, n);
            for (FloatNet.Node node : net.nodes()) {
                float[] want = pass.output(node);
                float[] got = folded.get(node.id());
                double scale = 0;
                for (int i = 0; i < got.length; i++) {
                    scale = Math.max(scale, Math.abs(want[i]));
                }
                for (int i = 0; i < got.length; i++) {
                    double tol = 1e-4 * (1 + scale);
                    int fi = i;
                    assertEquals(want[i], got[i], tol, () -> arch + " " + node.name() + " element " + fi);
                }
            }
        }
    }

    @Test
    void weightsAndBiasesWithinHalfAStep() {
        FloatNet net = FloatPassTest.randomized("mcunet-5fps", 32, 4, 9);
        Quantization in = Quantization.perTensor(NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT);
        SyntheticDataset cal = new SyntheticDataset(4, 16, new int[] {1, 32, 32, 3}, in, 1, 0);
        Int8Model m = Quantizer.quantize(net, cal, 16, new Quantizer.MinMax(), REF);
        FoldedNet folded = FoldedNet.fold(net);
        Graph g = m.toGraph();
        int checked = 0;
        for (Op op : Architectures.convs(g)) {
            String name = Architectures.convName(op);
            Int8Model.Layer l = m.layers().get(name);
            float[] w;
            float[] b;
            boolean dw = op instanceof Op.DepthwiseConv2d;
            if (name.equals("classifier")) {
                w = net.param("classifier.weight").data();
                b = net.param("classifier.bias").data();
            } else {
                w = folded.conv(name).weight();
                b = folded.conv(name).bias();
            }
            int channels = l.scales().length;
            int per = w.length / channels;
            float sIn = op.inputs().getFirst().scale();
            for (int c = 0; c < channels; c++) {
                double max = 0;
                for (int i = 0; i < per; i++) {
                    max = Math.max(max, Math.abs(w[dw ? i * channels + c : c * per + i]));
                }
                if (max > 0) {
                    assertEquals(max / 127, l.scales()[c], 1e-6 * max, name + " scale " + c);
                }
                for (int i = 0; i < per; i++) {
                    int j = dw ? i * channels + c : c * per + i;
                    double err = Math.abs(l.weight()[j] * (double) l.scales()[c] - w[j]);
                    assertTrue(err <= 0.5 * l.scales()[c] * (1 + 1e-6), name + " weight " + j + " off by " + err);
                    assertTrue(l.weight()[j] >= -127, name + " weight " + j + " is -128");
                }
                double step = (double) sIn * l.scales()[c];
                assertTrue(Math.abs(l.bias()[c] * step - b[c]) <= 0.5 * step * (1 + 1e-6), name + " bias " + c);
                checked++;
            }
        }
        assertTrue(checked > 1000, "checked " + checked + " channels");
    }

    @Test
    void int8GraphHasTheBuildersStructureAndTracksTheFloatNetwork() {
        for (String arch : List.of("mcunet-5fps", "mobilenetv2-w0.35")) {
            FloatNet net = FloatPassTest.randomized(arch, 32, 6, 21);
            Quantization in = Quantization.perTensor(NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT);
            SyntheticDataset data = new SyntheticDataset(6, 64, new int[] {1, 32, 32, 3}, in, 5, 0);
            Graph g = Quantizer.quantize(net, data, 48, new Quantizer.MinMax(), REF).toGraph();
            Graph built = Architectures.build(arch, 32, 3, 6, 1);
            assertEquals(structure(built), structure(g), arch + ": op structure differs from Architectures.build");

            ForwardInterpreter fi = new ForwardInterpreter(g, new ReferenceBackend());
            FoldedNet folded = FoldedNet.fold(net);
            float logitScale = g.outputs().getFirst().scale();
            int logitZero = g.outputs().getFirst().zeroPoint();
            int agree = 0;
            double err = 0;
            double spread = 0;
            int images = 16;
            for (int i = 48; i < 48 + images; i++) {
                byte[] img = data.get(i).image();
                float[] x = new float[img.length];
                FloatTrainer.dequantize(img, in.scale(), in.zeroPoint(), x, 0);
                List<float[]> outs = folded.forward(REF, x, 1);
                float[] want = outs.getLast();
                byte[] q = fi.run(img);
                float[] got = new float[q.length];
                for (int k = 0; k < q.length; k++) {
                    got[k] = (q[k] - logitZero) * logitScale;
                    err += Math.abs(got[k] - want[k]);
                    spread += Math.abs(want[k] - mean(want));
                }
                if (FloatTrainer.argmax(got, 0, got.length) == FloatTrainer.argmax(want, 0, want.length)) {
                    agree++;
                }
            }
            double rel = err / spread;
            assertTrue(rel < 0.25, arch + ": int8 logits differ from float by " + rel + " of their spread");
            assertTrue(agree >= images * 3 / 4, arch + ": int8 and float agree on " + agree + " of " + images);
        }
    }

    private static double mean(float[] v) {
        double s = 0;
        for (float f : v) {
            s += f;
        }
        return s / v.length;
    }

    /** Ops as mnemonic, attributes and shapes, in order: what quantization must keep. */
    private static String structure(Graph g) {
        StringBuilder sb = new StringBuilder();
        for (Op op : g.ops()) {
            sb.append(op.mnemonic()).append(' ').append(op.attributes());
            for (var v : op.outputs()) {
                sb.append(' ').append(v.name()).append(java.util.Arrays.toString(v.shape()));
            }
            for (var v : op.inputs()) {
                sb.append(' ').append(v.name());
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    @Test
    void percentileRuleClipsTheRange() {
        FloatNet net = FloatPassTest.randomized("mcunet-5fps", 16, 3, 2);
        Quantization in = Quantization.perTensor(NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT);
        SyntheticDataset data = new SyntheticDataset(3, 32, new int[] {1, 16, 16, 3}, in, 5, 0);
        Int8Model a = Quantizer.quantize(net, data, 32, new Quantizer.MinMax(), REF);
        Int8Model b = Quantizer.quantize(net, data, 32, new Quantizer.Percentile(99), REF);
        int narrower = 0;
        for (var e : a.adds().entrySet()) {
            if (b.adds().get(e.getKey()).scale() < e.getValue().scale()) {
                narrower++;
            }
        }
        assertEquals(a.adds().size(), narrower, "every residual range narrows when the 1% tails are clipped");
    }
}
