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
        double before = t.fineTune(train, test, 1e-9f, 1, 0);   // a zero head: every logit equal, class 0
        double after = t.fineTune(train, test, 0.01f, 2, 0);
        double again = t.fineTune(train, test, 0.01f, 2, 0);
        System.out.printf("[fp32-full] synthetic:3 32x32: %.3f -> %.3f%n", before, after);
        assertTrue(after > 0.6 && after > before + 0.2, before + " -> " + after);
        assertEquals(after, again, "same seed, same run");
        assertTrue(t.memoryBytes() > 4L * parent.trainedParameters() * 2, "weights and gradients at least");
        assertThrows(IllegalArgumentException.class, () -> t.fineTune(train, test, 0f, 1, 0));
        SyntheticDataset four = new SyntheticDataset(4, 8, new int[] {1, 32, 32, 3}, IN, 9, 0);
        assertThrows(IllegalArgumentException.class, () -> t.fineTune(four, four, 0.01f, 1, 0));
    }
}
