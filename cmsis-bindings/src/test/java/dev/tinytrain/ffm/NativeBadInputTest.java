package dev.tinytrain.ffm;

import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.AddParams;
import dev.tinytrain.kernel.ChannelQuant;
import dev.tinytrain.kernel.ConvParams;
import dev.tinytrain.kernel.FcParams;
import dev.tinytrain.kernel.KernelArgumentException;
import dev.tinytrain.kernel.MeanParams;
import dev.tinytrain.kernel.PoolParams;
import dev.tinytrain.quant.Multiplier;
import dev.tinytrain.tensor.Dims;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Wrong input through the native backend is a Java exception naming the argument and the
 * expected value, before any downcall: the JVM survives every one of these.
 */
class NativeBadInputTest {

    private final NativeBackend nb = new NativeBackend();
    private static final ChannelQuant Q8 = ChannelQuant.uniform(8, new Multiplier(1 << 30, -4));

    private static void expect(String argument, String expected, Executable call) {
        KernelArgumentException e = assertThrows(KernelArgumentException.class, call);
        assertTrue(e.getMessage().contains(argument) && e.getMessage().contains(expected),
                () -> "expected a message naming '" + argument + "' and '" + expected + "': " + e.getMessage());
    }

    private static MemorySegment bytes(long n) {
        return MemorySegment.ofArray(new byte[(int) n]);
    }

    @Test
    void shortBuffersNeverReachNativeCode() {
        Dims in = Dims.of(1, 16, 16, 8);
        Dims f = Dims.of(8, 3, 3, 8);
        Dims out = Dims.of(1, 16, 16, 8);
        ConvParams p = ConvParams.pointwise(0, 0).withPadding(1, 1);
        try (Arena arena = Arena.ofConfined()) {
            // a native buffer one byte short: the C kernel would write past it
            expect("output", "at least 2048 bytes", () -> nb.conv2d(p, Q8, in, bytes(in.elements()), f,
                    bytes(f.elements()), null, out, arena.allocate(out.elements() - 1)));
            expect("filter", "at least 576 bytes", () -> nb.conv2d(p, Q8, in, bytes(in.elements()), f,
                    arena.allocate(100), null, out, bytes(out.elements())));
            expect("bias", "at least 32 bytes", () -> nb.conv2d(p, Q8, in, bytes(in.elements()), f,
                    bytes(f.elements()), MemorySegment.ofArray(new int[7]), out, bytes(out.elements())));
        }
    }

    @Test
    void wrongShapesAndNulls() {
        expect("output dims.c", "8", () -> nb.depthwiseConv2d(ConvParams.pointwise(0, 0), Q8, Dims.of(1, 4, 4, 8),
                bytes(128), Dims.of(1, 3, 3, 8), bytes(72), null, Dims.of(1, 2, 2, 7), bytes(28)));
        expect("filter dims.c (input features)", "48", () -> nb.fullyConnected(new FcParams(0, 0, Activation.NONE),
                Q8, Dims.of(1, 4, 4, 3), bytes(48), Dims.of(8, 1, 1, 47), bytes(8 * 47), null, Dims.of(1, 1, 1, 8),
                bytes(8)));
        expect("input", "null", () -> nb.mean(MeanParams.of(1f, 0, 1f, 0), Dims.of(1, 2, 2, 4), null,
                Dims.of(1, 1, 1, 4), bytes(4)));
        expect("quant", "null", () -> nb.conv2d(ConvParams.pointwise(0, 0), null, Dims.of(1, 1, 1, 8), bytes(8),
                Dims.of(8, 1, 1, 8), bytes(64), null, Dims.of(1, 1, 1, 8), bytes(8)));
    }

    @Test
    void outOfRangeParameters() {
        Dims d = Dims.of(1, 2, 2, 8);
        expect("params.outputOffset", "[-128, 127]", () -> nb.conv2d(new ConvParams(0, 200, 1, 1, 0, 0,
                Activation.NONE), Q8, d, bytes(32), Dims.of(8, 1, 1, 8), bytes(64), null, d, bytes(32)));
        ChannelQuant badShift = ChannelQuant.uniform(8, new Multiplier(1 << 30, 0));
        badShift.shift()[5] = -40;
        expect("quant.shift[5]", "[-31, 30]", () -> nb.conv2d(ConvParams.pointwise(0, 0), badShift, d, bytes(32),
                Dims.of(8, 1, 1, 8), bytes(64), null, d, bytes(32)));
        AddParams good = AddParams.of(0.1f, 0, 0.1f, 0, 0.1f, 0, Activation.NONE);
        AddParams badZp = new AddParams(-128, 0, 20, good.input1Multiplier(), good.input1Shift(),
                good.input2Multiplier(), good.input2Shift(), good.outputMultiplier(), good.outputShift(), 0,
                Activation.NONE);
        expect("params.input1Offset", "[-127, 128]", () -> nb.add(badZp, d, bytes(32), d, bytes(32), d, bytes(32)));
        expect("stride_h", ">= 1", () -> nb.avgPool2d(new PoolParams(2, 2, 0, 1, 0, 0, Activation.NONE), d,
                bytes(32), Dims.of(1, 1, 1, 8), bytes(8)));
        expect("shift", "[-31, 30]", () -> nb.requantize(5, 1 << 30, 31));
        expect("multiplier", ">= 0", () -> nb.requantize(5, -1, 0));
    }

    @Test
    void closedMemoryIsAnExceptionNotACrash() {
        Dims d = Dims.of(1, 2, 2, 8);
        MemorySegment out;
        try (Arena arena = Arena.ofConfined()) {
            out = arena.allocate(32);
        }
        MemorySegment closed = out;
        assertThrows(IllegalStateException.class, () -> nb.conv2d(ConvParams.pointwise(0, 0), Q8, d, bytes(32),
                Dims.of(8, 1, 1, 8), bytes(64), null, d, closed));
    }
}
