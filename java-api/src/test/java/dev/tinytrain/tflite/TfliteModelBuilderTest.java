package dev.tinytrain.tflite;

import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The writer's tables read back with a few lines of raw flatbuffer decoding (independent of the
 * writer's constants where it matters: the slot numbers below are schema.fbs' field positions).
 * TF-Lite itself loading these models is tested by cmsis-bindings' oracle tests.
 */
class TfliteModelBuilderTest {

    /** A CONV_2D with per-channel weights and a bias. */
    private static byte[] convModel() {
        TfliteModelBuilder b = new TfliteModelBuilder();
        int x = b.addTensor("x", new int[] {1, 4, 4, 3}, TensorType.INT8, Quantization.perTensor(0.05f, -3), null);
        int w = b.addTensor("w", new int[] {2, 3, 3, 3}, TensorType.INT8,
                Quantization.perChannel(new float[] {0.01f, 0.02f}, 0), new byte[54]);
        int bias = b.addInt32Tensor("b", new int[] {2}, Quantization.perChannel(new float[] {5e-4f, 1e-3f}, 0),
                new int[] {7, -9});
        int y = b.addTensor("y", new int[] {1, 4, 4, 2}, TensorType.INT8, Quantization.perTensor(0.1f, 4), null);
        b.addOperator(BuiltinOperator.CONV_2D, 3, new int[] {x, w, bias}, new int[] {y},
                new BuiltinOptions.Conv2D(Padding.SAME, 1, 2, FusedActivation.RELU6));
        return b.inputs(x).outputs(y).build();
    }

    @Test
    void writesTheModelTables() {
        ByteBuffer bb = ByteBuffer.wrap(convModel()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("TFL3", new String(convModel(), 4, 4, StandardCharsets.US_ASCII));
        int model = bb.getInt(0);
        assertEquals(3, bb.getInt(field(bb, model, 0)));                       // Model.version

        int opcode = vectorTable(bb, field(bb, model, 1), 0);                   // Model.operator_codes[0]
        assertEquals(3, bb.get(field(bb, opcode, 0)));                          // deprecated_builtin_code
        assertEquals(3, bb.getInt(field(bb, opcode, 2)));                       // version
        assertEquals(3, bb.getInt(field(bb, opcode, 3)));                       // builtin_code

        int buffers = indirect(bb, field(bb, model, 4));                        // Model.buffers
        assertEquals(3, bb.getInt(buffers));                                    // sentinel, w, b (none for x, y)
        assertEquals(0, field(bb, vectorTable(bb, field(bb, model, 4), 0), 0)); // buffer 0 has no data
        int biasData = indirect(bb, field(bb, vectorTable(bb, field(bb, model, 4), 2), 0));
        assertEquals(8, bb.getInt(biasData));
        assertEquals(0, (biasData + 4) % 16, "buffer data is 16-byte aligned");
        assertEquals(7, bb.getInt(biasData + 4));
        assertEquals(-9, bb.getInt(biasData + 8));

        int subgraph = vectorTable(bb, field(bb, model, 2), 0);
        int weights = vectorTable(bb, field(bb, subgraph, 0), 1);              // SubGraph.tensors[1]
        assertArrayEquals(new int[] {2, 3, 3, 3}, intVector(bb, field(bb, weights, 0)));
        assertEquals(9, bb.get(field(bb, weights, 1)));                        // type INT8
        assertEquals(1, bb.getInt(field(bb, weights, 2)));                     // buffer
        int q = indirect(bb, field(bb, weights, 4));
        int scales = indirect(bb, field(bb, q, 2));
        assertEquals(2, bb.getInt(scales));
        assertEquals(0.02f, bb.getFloat(scales + 8));
        int zeroPoints = indirect(bb, field(bb, q, 3));
        assertEquals(0L, bb.getLong(zeroPoints + 4));
        assertEquals(0, field(bb, q, 6), "quantized_dimension 0 is the default, left out");

        int op = vectorTable(bb, field(bb, subgraph, 3), 0);
        assertArrayEquals(new int[] {0, 1, 2}, intVector(bb, field(bb, op, 1)));
        assertEquals(1, bb.get(field(bb, op, 3)));                             // union type Conv2DOptions
        int options = indirect(bb, field(bb, op, 4));
        assertEquals(0, field(bb, options, 0), "padding SAME (0) is the default, left out");
        assertEquals(1, bb.getInt(field(bb, options, 1)));                     // stride_w
        assertEquals(2, bb.getInt(field(bb, options, 2)));                     // stride_h
        assertEquals(3, bb.get(field(bb, options, 3)));                        // RELU6
        assertArrayEquals(new int[] {0}, intVector(bb, field(bb, subgraph, 1)));
        assertArrayEquals(new int[] {3}, intVector(bb, field(bb, subgraph, 2)));
    }

    @Test
    void isDeterministic() {
        assertArrayEquals(convModel(), convModel());
    }

    @Test
    void padsLikeTfLite() {
        assertEquals(4, Padding.SAME.outputSize(7, 3, 2));
        assertEquals(1, Padding.SAME.padBefore(7, 3, 2));        // total max(3*2 + 3 - 7, 0) = 2
        assertEquals(1, Padding.SAME.padBefore(7, 4, 1));        // total 3, the smaller half before
        assertEquals(3, Padding.VALID.outputSize(7, 3, 2));
        assertEquals(0, Padding.VALID.padBefore(7, 3, 2));
        assertEquals(2, Padding.SAME.padBefore(1, 5, 2));
    }

    @Test
    void rejectsInconsistentTensorsAndIndices() {
        TfliteModelBuilder b = new TfliteModelBuilder();
        assertThrows(IllegalArgumentException.class, () -> b.addTensor("w", new int[] {3, 2}, TensorType.INT8,
                Quantization.perChannel(new float[] {1f, 1f}, 0), new byte[6]));
        assertThrows(IllegalArgumentException.class, () -> b.addTensor("w", new int[] {3, 2}, TensorType.INT8,
                null, new byte[5]));
        int x = b.addTensor("x", new int[] {1, 2}, TensorType.INT8, Quantization.perTensor(1f, 0), null);
        assertThrows(IllegalArgumentException.class, () -> b.addOperator(BuiltinOperator.ADD,
                new int[] {x, 5}, new int[] {x}, new BuiltinOptions.Add(FusedActivation.NONE)));
        assertThrows(IllegalArgumentException.class, () -> b.outputs(-1));
    }

    // ---- raw flatbuffer reading ----------------------------------------------------------------------

    /** Absolute position of a table's field, or 0 when absent. */
    private static int field(ByteBuffer bb, int table, int slot) {
        int vtable = table - bb.getInt(table);
        int vtableSize = bb.getShort(vtable);
        int entry = 4 + 2 * slot;
        if (entry >= vtableSize) {
            return 0;
        }
        int offset = bb.getShort(vtable + entry);
        return offset == 0 ? 0 : table + offset;
    }

    private static int indirect(ByteBuffer bb, int pos) {
        return pos + bb.getInt(pos);
    }

    private static int vectorTable(ByteBuffer bb, int vectorField, int index) {
        int vector = indirect(bb, vectorField);
        return indirect(bb, vector + 4 + 4 * index);
    }

    private static int[] intVector(ByteBuffer bb, int vectorField) {
        int vector = indirect(bb, vectorField);
        int[] v = new int[bb.getInt(vector)];
        for (int i = 0; i < v.length; i++) {
            v[i] = bb.getInt(vector + 4 + 4 * i);
        }
        return v;
    }
}
