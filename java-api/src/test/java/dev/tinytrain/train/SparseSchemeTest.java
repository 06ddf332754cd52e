package dev.tinytrain.train;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Role;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.tensor.DType;
import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparseSchemeTest {

    @Test
    void releasedSchemesAreThePapers() {
        SparseScheme s = SparseScheme.named("mcunet-99kb", 42);
        assertEquals(22, s.biasCount());
        assertEquals(List.of(21, 24, 27, 30, 36, 39), s.weights().stream().map(SparseScheme.WeightUpdate::conv).toList());
        assertEquals(List.of(1.0, 1.0, 1.0, 1.0, 0.125, 0.25),
                s.weights().stream().map(SparseScheme.WeightUpdate::ratio).toList());
        // 49 KB lists convs 23, 33, 39 with ratio 0: not trained, so not listed
        assertEquals(List.of(24, 27, 30), SparseScheme.named("mcunet-49kb", 42).weights().stream()
                .map(SparseScheme.WeightUpdate::conv).toList());
    }

    @Test
    void modelDependentSchemes() {
        SparseScheme full = SparseScheme.named("full", 5);
        assertEquals(5, full.biasCount());
        assertEquals(5, full.weights().size());
        SparseScheme last2 = SparseScheme.named("last-k:2", 5);
        assertEquals(List.of(3, 4), last2.weights().stream().map(SparseScheme.WeightUpdate::conv).toList());
        assertEquals(2, last2.biasCount());
        assertEquals(0, SparseScheme.named("last-layer", 5).biasCount());
        assertTrue(SparseScheme.named("bias-only", 5).weights().isEmpty());
    }

    @Test
    void jsonRoundTrip() {
        SparseScheme s = SparseScheme.named("mcunet-124kb", 42);
        assertEquals(s, SparseScheme.fromJson(s.toJson()));
        SparseScheme hand = SparseScheme.fromJson("{\"biasCount\": 3, \"weights\": [{\"conv\": 4, \"ratio\": 0.5}]}");
        assertEquals("custom", hand.name());
        assertEquals(new SparseScheme.WeightUpdate(4, 0.5), hand.weights().getFirst());
    }

    @Test
    void badSchemesAreClearErrors() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> SparseScheme.named("mcunet-50kb", 42));
        assertTrue(unknown.getMessage().contains("unknown scheme 'mcunet-50kb'") && unknown.getMessage().contains("mcunet-99kb"));
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                () -> SparseScheme.named("mcunet-99kb", 30));
        assertTrue(outside.getMessage().contains("conv index 30 is outside the model"), outside.getMessage());
        IllegalArgumentException ratio = assertThrows(IllegalArgumentException.class,
                () -> SparseScheme.fromJson("{\"biasCount\": 1, \"weights\": [{\"conv\": 1, \"ratio\": 1.5}]}"));
        assertTrue(ratio.getMessage().contains("must be in (0, 1]"), ratio.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> SparseScheme.fromJson("{\"biasCount\": 1, \"weights\": [{\"conv\": 1, \"ratio\": 0}]}"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SparseScheme.fromJson("{\"weights\": []}"))
                .getMessage().contains("'biasCount' is missing"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SparseScheme.fromJson("{biasCount"))
                .getMessage().contains("not valid JSON"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SparseScheme.named("last-k:x", 5))
                .getMessage().contains("whole number"));
    }

    /** Two 1x1 convs: 4 -> 2 -> 3 channels; the first conv's channel norms are known. */
    private static Graph twoConvs() {
        Graph.Builder b = Graph.builder("t");
        Quantization q = Quantization.perTensor(0.1f, 0);
        Value x = b.input("x", new int[] {1, 2, 2, 4}, DType.INT8, q, Role.INPUT);
        // real weights: output channel 0 scale 1, output channel 1 scale 2;
        // input channel norms^2: ch0 = 1 + 4*1 = 5, ch1 = 9 + 0 = 9, ch2 = 0 + 4*4 = 16, ch3 = 4 + 4*0.25.. (see data)
        Value w1 = b.constant("w1", new int[] {2, 1, 1, 4}, Quantization.perChannel(new float[] {1f, 2f}, 0),
                new byte[] {1, 3, 0, 2, 1, 0, 2, 0});
        Value y = b.value("y", new int[] {1, 2, 2, 2}, DType.INT8, q, Role.ACTIVATION);
        Value w2 = b.constant("w2", new int[] {3, 1, 1, 2}, Quantization.perChannel(new float[] {1f, 1f, 1f}, 0),
                new byte[] {1, 1, 1, 1, 1, 1});
        Value bias2 = b.constant("b2", new int[] {3}, new int[] {0, 0, 0});
        Value z = b.value("z", new int[] {1, 2, 2, 3}, DType.INT8, q, Role.ACTIVATION);
        b.op(new Op.Conv2d(x, w1, null, y, 1, 1, 0, 0, Activation.NONE));
        b.op(new Op.Conv2d(y, w2, bias2, z, 1, 1, 0, 0, Activation.NONE));
        return b.outputs(z).build();
    }

    @Test
    void channelsAreChosenByLargestRealNorm() {
        Graph g = twoConvs();
        List<Op> convs = g.ops();
        // norms^2 of input channels of w1 (real = scale[o] * w): ch0 = 1 + 4 = 5, ch1 = 9 + 0 = 9,
        // ch2 = 0 + 16 = 16, ch3 = 4 + 0 = 4 -> the top half is {1, 2}
        List<TrainedLayer> half = SchemeResolver.resolve(g, convs,
                new SparseScheme("s", 0, List.of(new SparseScheme.WeightUpdate(0, 0.5))));
        assertEquals(2, half.size());
        assertArrayEquals(new int[] {1, 2}, half.get(0).channels());
        assertFalse(half.get(0).bias(), "conv 0 has no bias to train");
        // the classifier (last) trains all its weights and its bias
        assertArrayEquals(new int[] {0, 1}, half.get(1).channels());
        assertTrue(half.get(1).bias());
        List<TrainedLayer> eighth = SchemeResolver.resolve(g, convs,
                new SparseScheme("s", 0, List.of(new SparseScheme.WeightUpdate(0, 0.125))));
        assertArrayEquals(new int[] {2}, eighth.get(0).channels(), "at least one channel, the largest");
    }
}
