package dev.tinytrain.experiment;

import dev.tinytrain.data.SyntheticDataset;
import dev.tinytrain.fp32.FloatNet;
import dev.tinytrain.fp32.Fp32Reference;
import dev.tinytrain.fp32.Quantizer;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.models.NetBuilder;
import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** fp32-full's pieces: the int8 head carried back to the float parent, and the fine-tuning loop. */
class FloatTransferTest {

    static final Quantization IN = Quantization.perTensor(NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT);

    @Test
    void dequantizedHeadIsTheQuantizedFloatClassifierWithinHalfAStep() {
        FloatNet net = FloatNet.create("mcunet-5fps", 32, 3, 5, 3);
        float[] fb = net.param("classifier.bias").data();
        for (int k = 0; k < fb.length; k++) {
            fb[k] = 0.05f * (k - 2);
        }
        SyntheticDataset cal = new SyntheticDataset(5, 16, new int[] {1, 32, 32, 3}, IN, 1, 0);
        Graph g = Quantizer.quantize(net, cal, 16, new Quantizer.MinMax(), new Fp32Reference()).toGraph();
        Heads.FloatHead h = Heads.dequantizedClassifier(g);
        float[] w = net.param("classifier.weight").data();
        assertEquals(w.length, h.weight().length);
        int c = w.length / 5;
        for (int o = 0; o < 5; o++) {
            double maxAbs = 0;
            for (int i = 0; i < c; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(w[o * c + i]));
            }
            double step = maxAbs / 127;   // symmetric per-channel int8
            for (int i = 0; i < c; i++) {
                assertTrue(Math.abs(h.weight()[o * c + i] - w[o * c + i]) <= 0.5 * step * (1 + 1e-5),
                        "weight " + o + "," + i + ": " + h.weight()[o * c + i] + " vs " + w[o * c + i]);
            }
            assertEquals(fb[o], h.bias()[o], 1e-3 * Math.abs(fb[o]) + 1e-6, "bias " + o);
        }
    }

    @Test
    void fineTuningLearnsASyntheticTaskAndDependsOnlyOnItsSeed() {
        FloatNet parent = FloatNet.create("mcunet-5fps", 32, 3, 10, 5);
        SyntheticDataset train = new SyntheticDataset(3, 60, new int[] {1, 32, 32, 3}, IN, 9, 0);
        SyntheticDataset test = new SyntheticDataset(3, 60, new int[] {1, 32, 32, 3}, IN, 9, 2);
        int c = parent.nodes().get(((FloatNet.Classifier) parent.nodes().getLast()).input()).out().c();
        FloatTransfer t = new FloatTransfer(parent, new Heads.FloatHead(new float[3 * c], new float[3]),
                new Fp32Reference());
        double before = t.fineTune(train, test, 1e-9f, 1, 0, false);   // a zero head: every logit equal, class 0
        double after = t.fineTune(train, test, 0.01f, 2, 0, false);
        double again = t.fineTune(train, test, 0.01f, 2, 0, false);
        System.out.printf("[fp32-full] synthetic:3 32x32: %.3f -> %.3f%n", before, after);
        assertTrue(after > 0.6 && after > before + 0.2, before + " -> " + after);
        assertEquals(after, again, "same seed, same run");
        assertTrue(t.memoryBytes() > 4L * parent.trainedParameters() * 2, "weights and gradients at least");
        assertThrows(IllegalArgumentException.class, () -> t.fineTune(train, test, 0f, 1, 0, false));
        SyntheticDataset four = new SyntheticDataset(4, 8, new int[] {1, 32, 32, 3}, IN, 9, 0);
        assertThrows(IllegalArgumentException.class, () -> t.fineTune(four, four, 0.01f, 1, 0, false));
    }

    @Test
    void foldedStepIsSgdOnTheFoldedWeightsAndBiases() {
        FloatNet parent = FloatNet.create("mcunet-5fps", 32, 3, 3, 8);
        // BatchNorm far from the identity, so the folded and the plain steps differ
        java.util.SplittableRandom r = new java.util.SplittableRandom(4);
        for (FloatNet.Node n : parent.nodes()) {
            if (n instanceof FloatNet.ConvBn c) {
                for (int k = 0; k < c.gamma().size(); k++) {
                    c.gamma().data()[k] = (float) r.nextDouble(0.5, 2);
                    c.runningVar().data()[k] = (float) r.nextDouble(0.2, 3);
                    c.runningMean().data()[k] = (float) r.nextDouble(-0.3, 0.3);
                }
            }
        }
        SyntheticDataset one = new SyntheticDataset(3, 1, new int[] {1, 32, 32, 3}, IN, 2, 0);
        int c = parent.nodes().get(((FloatNet.Classifier) parent.nodes().getLast()).input()).out().c();
        float[] hw = new float[3 * c];
        for (int i = 0; i < hw.length; i++) {
            hw[i] = (float) (0.1 * r.nextGaussian());
        }
        FloatTransfer t = new FloatTransfer(parent, new Heads.FloatHead(hw, new float[3]), new Fp32Reference());
        float lr = 0.05f;
        FloatNet before = parent.withClassifier(hw, new float[3]);
        FloatNet after = t.train(one, lr, 1, 0, true);

        // expected: W'_1 = W'_0 - lr * dL/dW', b'_1 = b'_0 - lr * dL/db', with dL/dW' = dL/dW * sigma / gamma
        // and dL/db' = dL/dbeta, from one frozen-statistics backward pass of the start network
        dev.tinytrain.fp32.FloatPass pass = new dev.tinytrain.fp32.FloatPass(before, new Fp32Reference(), 1);
        pass.freezeStatistics(true);
        float[] x = new float[before.inputSize()];
        dev.tinytrain.fp32.FloatTrainer.dequantize(one.get(0).image(), NetBuilder.INPUT_SCALE,
                NetBuilder.INPUT_ZERO_POINT, x, 0);
        pass.forward(x, 0, 1, true);
        pass.backward(new int[] {one.get(0).label()}, 0, 1);
        dev.tinytrain.fp32.FoldedNet f0 = dev.tinytrain.fp32.FoldedNet.fold(before);
        dev.tinytrain.fp32.FoldedNet f1 = dev.tinytrain.fp32.FoldedNet.fold(after);
        int checked = 0;
        for (String name : java.util.List.of("conv0", "block0.dw", "block5.pw1", "block13.pw2")) {
            FloatNet.ConvBn cb = (FloatNet.ConvBn) before.nodes().stream().filter(n -> n.name().equals(name))
                    .findFirst().orElseThrow();
            float[] gw = pass.grad(cb.weight());
            float[] gb = pass.grad(cb.beta());
            float[] w0 = f0.conv(name).weight();
            float[] w1 = f1.conv(name).weight();
            int channels = cb.out().c();
            int per = w0.length / channels;
            for (int k = 0; k < w0.length; k++) {
                int ch = cb.depthwise() ? k % channels : k / per;
                double sigma = Math.sqrt(cb.runningVar().data()[ch] + (double) FloatNet.BN_EPS);
                double want = w0[k] - lr * gw[k] * sigma / cb.gamma().data()[ch];
                assertEquals(want, w1[k], 1e-5 + 1e-4 * Math.abs(want), name + " weight " + k);
                checked++;
            }
            for (int ch = 0; ch < channels; ch++) {
                double want = f0.conv(name).bias()[ch] - lr * gb[ch];
                assertEquals(want, f1.conv(name).bias()[ch], 1e-5 + 1e-4 * Math.abs(want), name + " bias " + ch);
            }
        }
        assertTrue(checked > 1000);
        // gamma is part of W' and stays
        assertEquals(before.param("conv0.bn.gamma").data()[0], after.param("conv0.bn.gamma").data()[0]);
    }
}
