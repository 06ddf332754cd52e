package dev.tinytrain.graph;

import dev.tinytrain.kernel.Activation;
import dev.tinytrain.tensor.DType;
import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.api.Test;

import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The verifier accepts a valid graph, names op and problem for broken ones; the text dump is stable. */
class VerifierTest {

    private static Quantization act(float scale, int zp) {
        return Quantization.perTensor(scale, zp);
    }

    private static Quantization weights(int channels, int axis) {
        float[] s = new float[channels];
        for (int i = 0; i < channels; i++) {
            s[i] = 0.01f * (i + 1);
        }
        return Quantization.perChannel(s, axis);
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 37 - 60);
        }
        return b;
    }

    /**
     * A 3-op graph: conv 3x3 stride 2 pad 1 (8x8x3 -> 4x4x4), mean, reshape to [1, 4].
     * {@code edit} can break it before the ops are added: it receives the builder and the pieces.
     */
    private static Graph small(Consumer<Pieces> edit) {
        Graph.Builder b = Graph.builder("small");
        Pieces p = new Pieces(b);
        p.x = b.input("x", new int[] {1, 8, 8, 3}, DType.INT8, act(0.02f, -3), Role.INPUT);
        p.w = b.constant("w", new int[] {4, 3, 3, 3}, weights(4, 0), bytes(108));
        p.bias = b.constant("b", new int[] {4}, new int[] {10, -20, 30, -40});
        p.y = b.value("y", new int[] {1, 4, 4, 4}, DType.INT8, act(6f / 255f, -128), Role.ACTIVATION);
        p.pooled = b.value("pooled", new int[] {1, 1, 1, 4}, DType.INT8, act(6f / 255f, -128), Role.ACTIVATION);
        p.out = b.value("out", new int[] {1, 4}, DType.INT8, act(6f / 255f, -128), Role.ACTIVATION);
        p.conv = new Op.Conv2d(p.x, p.w, p.bias, p.y, 2, 2, 1, 1, Activation.NONE);
        p.mean = new Op.Mean(p.y, p.pooled);
        p.reshape = new Op.Reshape(p.pooled, p.out);
        edit.accept(p);
        b.op(p.conv).op(p.mean).op(p.reshape).outputs(p.out);
        return b.build();
    }

    private static final class Pieces {
        final Graph.Builder b;
        Value x;
        Value w;
        Value bias;
        Value y;
        Value pooled;
        Value out;
        Op conv;
        Op mean;
        Op reshape;

        Pieces(Graph.Builder b) {
            this.b = b;
        }
    }

    private static String failure(Consumer<Pieces> edit) {
        return assertThrows(GraphException.class, () -> small(edit)).getMessage();
    }

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "expected '" + part + "' in:\n" + message);
        }
    }

    @Test
    void aValidGraphPasses() {
        Graph g = small(p -> { });
        Verifier.verify(g);
        assertEquals(3, g.ops().size());
    }

    @Test
    void wrongOutputShapeNamesTheValidRange() {
        String m = failure(p -> {
            p.y = p.b.value("y6", new int[] {1, 6, 4, 4}, DType.INT8, act(6f / 255f, -128), Role.ACTIVATION);
            p.conv = new Op.Conv2d(p.x, p.w, p.bias, p.y, 2, 2, 1, 1, Activation.NONE);
            p.mean = new Op.Mean(p.y, p.pooled);
        });
        assertContains(m, "op 0 (conv2d)", "height", "output must be in [4, 5] for input 8, filter 3, stride 2, pad 1, got 6");
    }

    @Test
    void undefinedInputIsNamed() {
        String m = failure(p -> {
            Value ghost = p.b.value("ghost", new int[] {1, 4, 4, 4}, DType.INT8, act(0.1f, 0), Role.ACTIVATION);
            p.mean = new Op.Mean(ghost, p.pooled);
        });
        assertContains(m, "op 1 (mean)", "(ghost) is read before it is defined");
    }

    @Test
    void valueDefinedTwiceIsNamed() {
        String m = failure(p -> p.mean = new Op.Mean(p.y, p.y));
        assertContains(m, "op 1 (mean)", "(y) is defined twice");
    }

    @Test
    void weightChannelMismatchIsNamed() {
        String m = failure(p -> {
            p.w = p.b.constant("w5", new int[] {4, 3, 3, 5}, weights(4, 0), bytes(180));
            p.conv = new Op.Conv2d(p.x, p.w, p.bias, p.y, 2, 2, 1, 1, Activation.NONE);
        });
        assertContains(m, "op 0 (conv2d)", "weight input channels 5 != input channels 3");
    }

    @Test
    void nonSymmetricWeightIsNamed() {
        String m = failure(p -> {
            Quantization asym = new Quantization(new float[] {0.1f, 0.1f, 0.1f, 0.1f}, new int[] {0, 3, 0, 0}, 0);
            p.w = p.b.constant("wz", new int[] {4, 3, 3, 3}, asym, bytes(108));
            p.conv = new Op.Conv2d(p.x, p.w, p.bias, p.y, 2, 2, 1, 1, Activation.NONE);
        });
        assertContains(m, "op 0 (conv2d)", "(wz) must be symmetric (zero point 0), got 3");
    }

    @Test
    void textDumpIsStable() {
        String expected = """
                graph small
                  input %0 x int8[1,8,8,3] q(0.02,-3)
                  const %1 w int8[4,3,3,3] q(per-channel x4 axis 0)
                  const %2 b int32[4]
                  %3 = conv2d %0, %1, %2 stride=2,2 pad=1,1 -> y int8[1,4,4,4] q(0.023529412,-128)
                  %4 = mean %3 axes=h,w -> pooled int8[1,1,1,4] q(0.023529412,-128)
                  %5 = reshape %4 -> out int8[1,4] q(0.023529412,-128)
                  output %5
                """;
        assertEquals(expected, small(p -> { }).dump());
    }
}
