package dev.tinytrain.models;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.ReferenceBackend;
import dev.tinytrain.runtime.ForwardInterpreter;
import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The random models behave like real ones: per-channel symmetric weights, the real models'
 * quantization conventions, and activations with a spread through the whole network (64x64 input
 * to keep the test fast), deterministically per seed.
 */
class ModelPlausibilityTest {

    static List<String> names() {
        return Architectures.names();
    }

    private static byte[] randomInput(Value in, long seed) {
        byte[] x = new byte[Math.toIntExact(in.elements())];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < x.length; i++) {
            x[i] = (byte) r.nextInt(-128, 128);
        }
        return x;
    }

    @ParameterizedTest
    @MethodSource("names")
    void everyActivationHasASpread(String name) {
        Graph g = Architectures.build(name, 64, 3, 1000, 7);
        ForwardInterpreter fi = new ForwardInterpreter(g, new ReferenceBackend());
        byte[] out = fi.run(randomInput(g.inputs().getFirst(), 12345));
        assertEquals(1000, out.length);
        StringBuilder report = new StringBuilder();
        int checked = 0;
        for (Op op : g.ops()) {
            Value v = op.outputs().getFirst();
            byte[] b = fi.bytes(v);
            int[] hist = new int[256];
            for (byte e : b) {
                hist[e + 128]++;
            }
            int distinct = (int) Arrays.stream(hist).filter(c -> c > 0).count();
            double atMin = hist[0] / (double) b.length;
            double atMax = hist[255] / (double) b.length;
            int mode = Arrays.stream(hist).max().orElseThrow();
            report.append(String.format("%-22s n=%6d distinct=%3d min=%.2f max=%.2f mode=%.2f%n", v.name(), b.length,
                    distinct, atMin, atMax, mode / (double) b.length));
            // "a spread": many distinct values, no single value dominating, clamps not dominating
            if (distinct < Math.min(16, b.length / 2) || atMin >= 0.5 || atMax >= 0.1 || mode >= 0.5 * b.length) {
                report.append("  ^ implausible\n");
            }
            checked++;
        }
        assertFalse(report.toString().contains("implausible"), name + ":\n" + report);
        assertEquals(g.ops().size(), checked);
    }

    @ParameterizedTest
    @MethodSource("names")
    void quantizationFollowsTheRealModels(String name) {
        Graph g = Architectures.build(name, 32, 3, 10, 5);
        for (Op op : Architectures.convs(g)) {
            Value w = op.inputs().get(1);
            Value bias = op.inputs().get(2);
            Value out = op.outputs().getFirst();
            Quantization q = w.quant();
            boolean dw = op instanceof Op.DepthwiseConv2d;
            int channels = out.shape()[3];
            assertEquals(dw ? 3 : 0, q.axis());
            assertEquals(channels, q.scales().length);
            assertEquals(channels, bias.elements());
            assertTrue(Arrays.stream(q.zeroPoints()).allMatch(z -> z == 0), "symmetric weights");
            // per channel, the largest magnitude is 127 (scale = max|w_c| / 127)
            byte[] data = g.int8(w);
            int per = data.length / channels;
            for (int c = 0; c < channels; c++) {
                int max = 0;
                for (int i = 0; i < per; i++) {
                    int idx = dw ? i * channels + c : c * per + i;
                    max = Math.max(max, Math.abs(data[idx]));
                }
                assertEquals(127, max, Architectures.convName(op) + " channel " + c);
            }
            String n = Architectures.convName(op);
            if (n.endsWith(".pw2") || n.equals("classifier")) {
                assertTrue(Math.abs(out.zeroPoint()) <= 40, n + " linear output zero point near 0: " + out.quant());
            } else {
                assertEquals(6f / 255f, out.scale(), n);
                assertEquals(-128, out.zeroPoint(), n);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void deterministicPerSeed(String name) {
        Graph a = Architectures.build(name, 32, 3, 10, 11);
        Graph b = Architectures.build(name, 32, 3, 10, 11);
        Graph c = Architectures.build(name, 32, 3, 10, 12);
        assertEquals(a.dump(), b.dump());
        byte[] x = randomInput(a.inputs().getFirst(), 99);
        ForwardInterpreter fa = new ForwardInterpreter(a, new ReferenceBackend());
        byte[] first = fa.run(x);
        assertArrayEquals(first, fa.run(x), "same graph, same input, twice");
        assertArrayEquals(first, new ForwardInterpreter(b, new ReferenceBackend()).run(x), "same seed");
        int differ = 0;
        List<Op> ca = Architectures.convs(a);
        List<Op> cc = Architectures.convs(c);
        for (int i = 0; i < ca.size(); i++) {
            Value wa = ca.get(i).inputs().get(1);
            Value wb = Architectures.convs(b).get(i).inputs().get(1);
            assertArrayEquals(a.int8(wa), b.int8(wb));
            assertArrayEquals(a.int32(ca.get(i).inputs().get(2)), b.int32(Architectures.convs(b).get(i).inputs().get(2)));
            if (!Arrays.equals(a.int8(wa), c.int8(cc.get(i).inputs().get(1)))) {
                differ++;
            }
        }
        assertEquals(ca.size(), differ, "a different seed changes every layer's weights");
    }
}
