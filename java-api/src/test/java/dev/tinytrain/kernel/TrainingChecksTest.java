package dev.tinytrain.kernel;

import dev.tinytrain.tensor.Dims;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad arguments of the training kernels name the argument and the expected value. */
class TrainingChecksTest {

    private final KernelBackend ref = new ReferenceBackend();

    private static void expect(String argument, String expected, Runnable call) {
        KernelArgumentException e = assertThrows(KernelArgumentException.class, call::run);
        assertEquals(argument, e.argument(), e.getMessage());
        assertTrue(e.getMessage().contains(expected), () -> "message says " + expected + ": " + e.getMessage());
    }

    private static MemorySegment floats(long n) {
        return MemorySegment.ofArray(new float[(int) n]);
    }

    private static MemorySegment bytes(long n) {
        return MemorySegment.ofArray(new byte[(int) n]);
    }

    private static final Dims GD = Dims.of(1, 5, 5, 3);
    private static final Dims FD = Dims.of(3, 3, 3, 4);
    private static final Dims IN = Dims.of(1, 5, 5, 4);
    private static final ConvParams SAME = new ConvParams(0, 0, 1, 1, 1, 1, Activation.NONE);

    private void convUpdate(SgdParams sgd, float[] qas, Dims sd, int[] channels, SgdState state) {
        ref.conv2dGradWeightUpdate(sgd, SAME, qas, GD, floats(GD.elements()), sd, bytes(sd.elements()), channels, FD,
                bytes(FD.elements()), state);
    }

    @Test
    void sgdParams() {
        expect("sgd.lr", "a finite value > 0", () -> SgdParams.of(0f, Rounding.NEAREST));
        expect("sgd.lr", "a finite value > 0", () -> SgdParams.of(Float.NaN, Rounding.NEAREST));
        expect("sgd.momentum", "[0, 1)", () -> new SgdParams(1f, 1f, Rounding.NEAREST, 0, 0, 0));
        expect("sgd.rounding", "non-null", () -> SgdParams.of(1f, null));
    }

    @Test
    void weightUpdateArguments() {
        Dims sd = Dims.of(1, 5, 5, 2);
        SgdParams plain = SgdParams.of(0.5f, Rounding.TRUNCATE);
        convUpdate(plain, null, sd, new int[] {0, 3}, null);
        expect("channels[1]", "strictly increasing", () -> convUpdate(plain, null, sd, new int[] {3, 3}, null));
        expect("channels[1]", "[1, 3]", () -> convUpdate(plain, null, sd, new int[] {0, 4}, null));
        expect("channels.length", "[1, 4]", () -> convUpdate(plain, null, Dims.of(1, 5, 5, 1), new int[0], null));
        expect("saved dims.c (trained channels)", "2", () -> convUpdate(plain, null, Dims.of(1, 5, 5, 3),
                new int[] {0, 1}, null));
        expect("qasScale.length (output channels)", "3", () -> convUpdate(plain, new float[2], sd, new int[] {0, 1},
                null));
        SgdParams momentum = new SgdParams(0.5f, 0.9f, Rounding.NEAREST, 0, 0, 0);
        expect("state.velocity", "at least 216 bytes", () -> convUpdate(momentum, null, sd, new int[] {0, 1},
                new SgdState(floats(10), null)));
        expect("state.velocity", "null (momentum is 0)", () -> convUpdate(plain, null, sd, new int[] {0, 1},
                new SgdState(floats(54), null)));
        expect("state.master", "a buffer of at least 216 bytes", () -> convUpdate(SgdParams.of(1f,
                Rounding.FLOAT_MASTER), null, sd, new int[] {0, 1}, SgdState.NONE));
        expect("state.master", "null (rounding NEAREST)", () -> convUpdate(SgdParams.of(1f, Rounding.NEAREST), null,
                sd, new int[] {0, 1}, new SgdState(null, floats(54))));
        expect("output dims.h", "5", () -> ref.depthwiseConv2dGradWeightUpdate(plain, SAME, null,
                Dims.of(1, 5, 5, 4), floats(100), Dims.of(1, 7, 5, 1), bytes(35), new int[] {2}, Dims.of(1, 3, 3, 4),
                bytes(36), null));
        expect("bias dims", "[1,1,1,3]", () -> ref.biasGradUpdate(plain, null, GD, floats(75), Dims.vector(4),
                MemorySegment.ofArray(new int[4]), null));
        expect("bias", "a writable buffer", () -> ref.biasGradUpdate(plain, null, GD, floats(75), Dims.vector(3),
                MemorySegment.ofArray(new int[3]).asReadOnly(), null));
    }

    @Test
    void gradientArguments() {
        expect("grad dims.c (filter output channels)", "3", () -> ref.conv2dGradInput(SAME, Dims.of(1, 5, 5, 2),
                floats(50), FD, bytes(FD.elements()), IN, floats(100)));
        expect("output", "at least 400 bytes", () -> ref.conv2dGradInput(SAME, GD, floats(75), FD,
                bytes(FD.elements()), IN, floats(99)));
        expect("labels[1]", "[0, 2]", () -> ref.softmaxXent(0.1f, 0, Dims.of(2, 1, 1, 3), bytes(6),
                MemorySegment.ofArray(new int[] {0, 3}), null, floats(6)));
        expect("scale", "a finite value > 0", () -> ref.softmaxXent(0f, 0, Dims.of(1, 1, 1, 3), bytes(3),
                MemorySegment.ofArray(new int[] {0}), null, floats(3)));
        expect("logits dims", "[n,1,1,classes]", () -> ref.softmaxXent(0.1f, 0, Dims.of(1, 2, 1, 3), bytes(6),
                MemorySegment.ofArray(new int[] {0}), null, floats(6)));
        expect("scale.length (channels)", "3", () -> ref.gradScaleMask(new float[2], GD, floats(75), null,
                floats(75)));
        expect("mask", "at least 10 bytes", () -> ref.gradScaleMask(new float[3], GD, floats(75), bytes(9),
                floats(75)));
        expect("grad dims", "[1,1,1,3]", () -> ref.meanGrad(1f, Dims.of(1, 1, 1, 4), floats(4), GD, floats(75)));
        expect("output dims.h", "for input", () -> ref.avgPoolGrad(new PoolParams(2, 2, 2, 2, 0, 0, Activation.NONE),
                Dims.of(1, 4, 2, 3), floats(24), Dims.of(1, 4, 4, 3), floats(48)));
        expect("mask", "at least 10 bytes", () -> ref.clampMask(Activation.NONE, GD, bytes(75), bytes(9)));
        expect("channels[0]", "[0, 2]", () -> ref.gatherChannels(GD, bytes(75), new int[] {-1}, bytes(25)));
        expect("out", "at least 300 bytes", () -> ref.addF32(GD, floats(75), floats(75), floats(74)));
    }
}
