package dev.tinytrain.tflite;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Value;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Structural equality of two graphs: dump, values (ids, names, shapes, quantization, roles), ops, data. */
public final class GraphAssert {

    private GraphAssert() {
    }

    public static void assertSameGraph(Graph expected, Graph actual) {
        assertEquals(expected.dump(), actual.dump(), "text dumps differ");
        assertEquals(expected.name(), actual.name());
        assertEquals(expected.values(), actual.values(), "values (ids, names, shapes, dtypes, quantization, roles)");
        assertEquals(expected.ops(), actual.ops(), "ops (records: values, strides, padding, activations)");
        assertEquals(expected.inputs(), actual.inputs());
        assertEquals(expected.outputs(), actual.outputs());
        for (Value v : expected.values()) {
            assertEquals(expected.isConstant(v), actual.isConstant(v), v.toString());
            if (expected.isConstant(v)) {
                switch (expected.constant(v)) {
                    case dev.tinytrain.graph.Constant.Int8 c -> assertArrayEquals(c.data(), actual.int8(v), v.toString());
                    case dev.tinytrain.graph.Constant.Int32 c -> assertArrayEquals(c.data(), actual.int32(v),
                            v.toString() + " " + Arrays.toString(c.data()).length());
                }
            }
        }
    }
}
