package dev.tinytrain.experiment;

import dev.tinytrain.data.SyntheticDataset;
import dev.tinytrain.fp32.FloatNet;
import dev.tinytrain.fp32.FloatPass;
import dev.tinytrain.fp32.FloatTrainer;
import dev.tinytrain.fp32.Fp32Reference;
import dev.tinytrain.fp32.Quantizer;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.models.NetBuilder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The weight-to-gradient ratios against a hand-computed classifier gradient and the scales' bounds. */
class GradientScalesTest {

    @Test
    void classifierRatioMatchesTheSoftmaxGradientAndQasTracksFp32WithinTheScaleSpread() {
        FloatNet net = FloatNet.create("mcunet-5fps", 32, 3, 4, 11);
        SyntheticDataset data = new SyntheticDataset(4, 12, new int[] {1, 32, 32, 3}, FloatTransferTest.IN, 3, 0);
        Graph g = Quantizer.quantize(net, data, 12, new Quantizer.MinMax(), new Fp32Reference()).toGraph();
        GradientScales.Report r = GradientScales.measure(g, net, data, 12, new Fp32Reference());
        assertEquals(43, r.layers().size(), "42 convs and the classifier");

        // the classifier's gradient by hand: (softmax - onehot) x pooled features, per image
        Heads.FloatHead head = Heads.dequantizedClassifier(g);
        FloatNet withHead = net.withClassifier(head.weight(), head.bias());
        FloatNet.Classifier k = (FloatNet.Classifier) withHead.nodes().getLast();
        FloatPass pass = new FloatPass(withHead, new Fp32Reference(), 1);
        float[] x = new float[withHead.inputSize()];
        double sumNorm = 0;
        int c = withHead.nodes().get(k.input()).out().c();
        for (int i = 0; i < 12; i++) {
            FloatTrainer.dequantize(data.get(i).image(), NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT, x, 0);
            float[] logits = pass.forward(x, 0, 1, false).clone();
            float[] feat = pass.output(withHead.nodes().get(k.input()));
            double max = Double.NEGATIVE_INFINITY;
            for (int o = 0; o < 4; o++) {
                max = Math.max(max, logits[o]);
            }
            double z = 0;
            for (int o = 0; o < 4; o++) {
                z += Math.exp(logits[o] - max);
            }
            double sq = 0;
            for (int o = 0; o < 4; o++) {
                double d = Math.exp(logits[o] - max) / z - (o == data.get(i).label() ? 1 : 0);
                for (int j = 0; j < c; j++) {
                    sq += d * feat[j] * d * feat[j];
                }
            }
            sumNorm += Math.sqrt(sq);
        }
        double wNorm = 0;
        for (float w : head.weight()) {
            wNorm += (double) w * w;
        }
        double expected = Math.sqrt(wNorm) / (sumNorm / 12);
        GradientScales.Layer cls = r.layers().getLast();
        assertEquals(expected, cls.fp32(), 1e-3 * expected, "classifier ||W'|| / ||G'||");

        // QAS divides the int8 gradient by s^2: its ratio differs from fp32's only by the spread of the
        // per-channel scales; plain SGD's is off by 1 / s^2
        int layer = 0;
        for (Op op : g.ops()) {
            float[] s = op instanceof Op.Conv2d cv ? cv.weight().quant().scales()
                    : op instanceof Op.DepthwiseConv2d dw ? dw.weight().quant().scales() : null;
            if (s == null) {
                continue;
            }
            double lo = Double.MAX_VALUE;
            double hi = 0;
            for (float v : s) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            GradientScales.Layer l = r.layers().get(layer++);
            double q = l.int8Qas() / l.fp32();
            assertTrue(q >= lo / hi * (1 - 1e-4) && q <= hi / lo * (1 + 1e-4), l + ": QAS / fp32 = " + q);
            double sgd = l.int8Sgd() / l.fp32();
            assertTrue(sgd >= 1 / (hi * hi) * (1 - 1e-4) && sgd <= 1 / (lo * lo) * (1 + 1e-4), l + ": SGD / fp32 = "
                    + sgd);
        }
        assertEquals(43, layer);
    }
}
