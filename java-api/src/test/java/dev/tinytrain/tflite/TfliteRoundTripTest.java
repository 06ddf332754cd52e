package dev.tinytrain.tflite;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Role;
import dev.tinytrain.graph.Value;
import dev.tinytrain.graph.Verifier;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.tensor.DType;
import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static dev.tinytrain.tflite.GraphAssert.assertSameGraph;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Export then import gives back the same graph: values (ids, names, shapes, quantization), ops
 * (strides, padding, activation clamps) and constant data, for the three architectures and for
 * random small graphs that use every op and padding form. The exporter's PADs, fused activations
 * and operator layout are read back from the bytes by the importer, whose own tests check it against
 * files written by other tools (the paper's models).
 */
class TfliteRoundTripTest {

    static List<String> architectures() {
        return Architectures.names();
    }

    @ParameterizedTest
    @MethodSource("architectures")
    void architecturesRoundTrip(String name) {
        Graph g = Architectures.build(name, 32, 3, 10, 5);
        byte[] bytes = TfliteExporter.export(g);
        ImportedModel m = TfliteImporter.read(bytes, g.name());
        assertSameGraph(g, m.graph());
        assertEquals(5, m.foldedPads(), "the five stride-2 layers pad symmetrically: PAD + VALID");
        assertFalse(m.softmaxDropped());
        assertArrayEquals(bytes, TfliteExporter.export(m.graph()), "export(import(bytes)) == bytes");
        // every value is a tensor of the file
        for (Value v : m.graph().values()) {
            assertTrue(m.tensorOf(v) >= 0, v.toString());
        }
    }

    @Test
    void randomGraphsRoundTrip() {
        Map<FusedActivation, Integer> activations = new EnumMap<>(FusedActivation.class);
        int pads = 0;
        int ops = 0;
        for (int i = 0; i < 300; i++) {
            long seed = 0xC0FFEE00L + i;
            Graph g = RandomGraphs.build(seed);
            byte[] bytes;
            ImportedModel m;
            try {
                bytes = TfliteExporter.export(g);
                m = TfliteImporter.read(bytes, g.name());
            } catch (RuntimeException e) {
                throw new AssertionError("seed 0x" + Long.toHexString(seed) + ":\n" + g.dump(), e);
            }
            assertSameGraph(g, m.graph());
            Verifier.verify(m.graph());
            pads += m.foldedPads();
            ops += g.ops().size();
            for (Op op : g.ops()) {
                Activation a = switch (op) {
                    case Op.Conv2d c -> c.activation();
                    case Op.DepthwiseConv2d d -> d.activation();
                    case Op.FullyConnected f -> f.activation();
                    case Op.Add ad -> ad.activation();
                    case Op.AvgPool2d p -> p.activation();
                    default -> null;
                };
                if (a != null) {
                    Value y = op.outputs().getFirst();
                    activations.merge(TfliteActivations.fused(a, y.scale(), y.zeroPoint()), 1, Integer::sum);
                }
            }
        }
        System.out.println("[round trip] 300 random graphs, " + ops + " ops, " + pads + " PADs folded, activations "
                + activations);
        assertTrue(pads > 20, "symmetric padding exercised");
        assertEquals(FusedActivation.values().length, activations.size(), "every fused activation exercised");
    }

    @Test
    void activationsMapBothWays() {
        // ReLU6 on scale 6/255, zero point -128 is the full range: NONE is written and reads back the same clamp.
        assertEquals(FusedActivation.NONE, TfliteActivations.fused(Activation.relu6(6f / 255f, -128), 6f / 255f, -128));
        assertEquals(FusedActivation.RELU6, TfliteActivations.fused(new Activation(-10, 50), 0.1f, -10));
        assertEquals(new Activation(-10, 50), TfliteActivations.clamp(FusedActivation.RELU6, 0.1f, -10));
        assertEquals(new Activation(5, 127), TfliteActivations.clamp(FusedActivation.RELU, 0.05f, 5));
        // RELU_N1_TO_1 rounds -1/s half away from zero: s = 0.4 gives -2.5 -> -3, +2.5 -> 3
        assertEquals(new Activation(-3, 3), TfliteActivations.clamp(FusedActivation.RELU_N1_TO_1, 0.4f, 0));
        assertEquals(Activation.relu6(0.03f, 7), TfliteActivations.clamp(FusedActivation.RELU6, 0.03f, 7));
        assertEquals(null, TfliteActivations.fused(new Activation(-5, 5), 0.1f, 0));
    }

    @Test
    void aClampTfliteCannotExpressIsAnError() {
        Graph.Builder b = Graph.builder("odd-clamp");
        Value x = b.input("x", new int[] {1, 2, 2, 1}, DType.INT8, Quantization.perTensor(0.1f, 0), Role.INPUT);
        Value y = b.value("y", new int[] {1, 2, 2, 1}, DType.INT8, Quantization.perTensor(0.1f, 0), Role.ACTIVATION);
        b.op(new Op.Add(x, x, y, new Activation(-5, 5)));
        Graph g = b.outputs(y).build();
        TfliteExportException e = assertThrows(TfliteExportException.class, () -> TfliteExporter.export(g));
        assertTrue(e.getMessage().contains("op 0 (add -> y)") && e.getMessage().contains("[-5, 5]")
                && e.getMessage().contains("RELU6 [0, 60]"), e.getMessage());
    }

    @Test
    void poolingPaddingThatIsNeitherSameNorValidIsAnError() {
        Graph.Builder b = Graph.builder("pool");
        Quantization q = Quantization.perTensor(0.1f, 0);
        Value x = b.input("x", new int[] {1, 4, 4, 1}, DType.INT8, q, Role.INPUT);
        Value y = b.value("y", new int[] {1, 4, 4, 1}, DType.INT8, q, Role.ACTIVATION);
        b.op(new Op.AvgPool2d(x, y, 2, 2, 1, 1, 1, 1, Activation.NONE));   // SAME would pad 0 before, 1 after
        Graph g = b.outputs(y).build();
        TfliteExportException e = assertThrows(TfliteExportException.class, () -> TfliteExporter.export(g));
        assertTrue(e.getMessage().contains("neither SAME nor VALID"), e.getMessage());
    }

    @Test
    void aConvWithoutBiasGetsAZeroBias() {
        Graph.Builder b = Graph.builder("nobias");
        Value x = b.input("x", new int[] {1, 3, 3, 2}, DType.INT8, Quantization.perTensor(0.1f, 3), Role.INPUT);
        Value w = b.constant("w", new int[] {4, 1, 1, 2}, Quantization.perChannel(new float[] {.1f, .2f, .3f, .4f}, 0),
                new byte[8]);
        Value y = b.value("y", new int[] {1, 3, 3, 4}, DType.INT8, Quantization.perTensor(0.2f, -1), Role.ACTIVATION);
        b.op(new Op.Conv2d(x, w, null, y, 1, 1, 0, 0, Activation.NONE));
        Graph g = b.outputs(y).build();
        Graph back = TfliteImporter.read(TfliteExporter.export(g), "nobias").graph();
        Op.Conv2d c = (Op.Conv2d) back.ops().getFirst();
        assertNotNull(c.bias());
        assertArrayEquals(new int[4], back.int32(c.bias()));
        assertEquals("y.zero_bias", c.bias().name());
    }
}
