package dev.tinytrain.oracle;

import dev.tinytrain.tensor.Quantization;
import dev.tinytrain.tflite.BuiltinOperator;
import dev.tinytrain.tflite.BuiltinOptions;
import dev.tinytrain.tflite.FusedActivation;
import dev.tinytrain.tflite.TensorType;
import dev.tinytrain.tflite.TfliteModelBuilder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The TF-Lite wrapper on a hand-checkable model, with and without the XNNPACK delegate. */
class TfliteInterpreterTest {

    /** ADD of two [1, 2, 2, 3] tensors, all scales 0.5 and zero points 0: y = x1 + x2, clamped. */
    private static byte[] addModel() {
        TfliteModelBuilder b = new TfliteModelBuilder();
        Quantization q = Quantization.perTensor(0.5f, 0);
        int[] shape = {1, 2, 2, 3};
        int x1 = b.addTensor("x1", shape, TensorType.INT8, q, null);
        int x2 = b.addTensor("x2", shape, TensorType.INT8, q, null);
        int y = b.addTensor("y", shape, TensorType.INT8, q, null);
        b.addOperator(BuiltinOperator.ADD, 2, new int[] {x1, x2}, new int[] {y}, new BuiltinOptions.Add(FusedActivation.NONE));
        return b.inputs(x1, x2).outputs(y).build();
    }

    @Test
    void runsBuiltinAndXnnpackKernels() {
        byte[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, -100};
        byte[] c = {1, 1, 1, 1, 1, 1, -1, -1, -1, -1, 100, -100};
        byte[] expected = {2, 3, 4, 5, 6, 7, 6, 7, 8, 9, 127, -128};
        for (TfliteInterpreter.Kernels k : TfliteInterpreter.Kernels.values()) {
            try (TfliteInterpreter t = TfliteInterpreter.create(addModel(), k)) {
                assertEquals(2, t.inputCount());
                assertEquals(1, t.outputCount());
                assertArrayEquals(new int[] {1, 2, 2, 3}, t.outputShape(0));
                assertArrayEquals(expected, t.run(a, c), k.name());
                assertArrayEquals(expected, t.run(a, c), k.name() + ", second invoke");
            }
        }
    }

    @Test
    void rejectsWrongInputs() {
        try (TfliteInterpreter t = TfliteInterpreter.create(addModel())) {
            assertThrows(IllegalArgumentException.class, () -> t.setInput(0, new byte[5]));
            assertThrows(IllegalArgumentException.class, () -> t.run(new byte[12]));
            assertThrows(IndexOutOfBoundsException.class, () -> t.setInput(2, new byte[12]));
        }
        assertThrows(IllegalArgumentException.class, () -> TfliteInterpreter.create(new byte[] {1, 2, 3, 4}));
    }
}
