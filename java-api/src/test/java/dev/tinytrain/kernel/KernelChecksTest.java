package dev.tinytrain.kernel;

import dev.tinytrain.quant.Multiplier;
import dev.tinytrain.tensor.Dims;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input names the argument and the expected value (checked on the reference backend). */
class KernelChecksTest {

    private final KernelBackend ref = new ReferenceBackend();
    private static final ChannelQuant Q4 = ChannelQuant.uniform(4, new Multiplier(1 << 30, -3));

    private void expect(String argument, String expected, Runnable call) {
        KernelArgumentException e = assertThrows(KernelArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(argument), () -> "message names " + argument + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(expected), () -> "message says " + expected + ": " + e.getMessage());
    }

    private void conv(ConvParams p, ChannelQuant q, Dims in, int inBytes, Dims f, Dims out, int outBytes) {
        ref.conv2d(p, q, in, MemorySegment.ofArray(new byte[inBytes]), f,
                MemorySegment.ofArray(new byte[(int) f.elements()]), null, out,
                MemorySegment.ofArray(new byte[outBytes]));
    }

    @Test
    void wrongOutputShapeNamesTheRange() {
        ConvParams p = ConvParams.pointwise(0, 0).withStride(2, 2).withPadding(1, 1);
        // 8x8 input, 3x3 filter, stride 2, pad 1: outputs 4 and 5 are valid (last window starts inside), 7 is not.
        expect("output dims.h", "[4, 5]", () -> conv(p, Q4, Dims.of(1, 8, 8, 3), 192, Dims.of(4, 3, 3, 3),
                Dims.of(1, 7, 4, 4), 112));
        expect("filter dims.c", "3", () -> conv(p, Q4, Dims.of(1, 8, 8, 3), 192, Dims.of(4, 3, 3, 2),
                Dims.of(1, 4, 4, 4), 64));
    }

    @Test
    void shortBufferNamesBytes() {
        ConvParams p = ConvParams.pointwise(0, 0);
        expect("input", "at least 48 bytes", () -> conv(p, Q4, Dims.of(1, 4, 4, 3), 47, Dims.of(4, 1, 1, 3),
                Dims.of(1, 4, 4, 4), 64));
        expect("output", "at least 64 bytes", () -> conv(p, Q4, Dims.of(1, 4, 4, 3), 48, Dims.of(4, 1, 1, 3),
                Dims.of(1, 4, 4, 4), 63));
    }

    @Test
    void nullsAndRanges() {
        expect("input", "null", () -> ref.conv2d(ConvParams.pointwise(0, 0), Q4, Dims.of(1, 1, 1, 3), null,
                Dims.of(4, 1, 1, 3), MemorySegment.ofArray(new byte[12]), null, Dims.of(1, 1, 1, 4),
                MemorySegment.ofArray(new byte[4])));
        expect("params.inputOffset", "[-127, 128]", () -> conv(new ConvParams(-128, 0, 1, 1, 0, 0, Activation.NONE),
                Q4, Dims.of(1, 1, 1, 3), 3, Dims.of(4, 1, 1, 3), Dims.of(1, 1, 1, 4), 4));
        expect("params.outputOffset", "[-128, 127]", () -> conv(new ConvParams(0, 128, 1, 1, 0, 0, Activation.NONE),
                Q4, Dims.of(1, 1, 1, 3), 3, Dims.of(4, 1, 1, 3), Dims.of(1, 1, 1, 4), 4));
        ChannelQuant badShift = new ChannelQuant(new int[] {1 << 30, 1 << 30, 1 << 30, 1 << 30}, new int[] {0, 0, 31, 0});
        expect("quant.shift[2]", "[-31, 30]", () -> conv(ConvParams.pointwise(0, 0), badShift, Dims.of(1, 1, 1, 3), 3,
                Dims.of(4, 1, 1, 3), Dims.of(1, 1, 1, 4), 4));
        expect("quant channels", "4", () -> conv(ConvParams.pointwise(0, 0), ChannelQuant.uniform(3,
                new Multiplier(1 << 30, 0)), Dims.of(1, 1, 1, 3), 3, Dims.of(4, 1, 1, 3), Dims.of(1, 1, 1, 4), 4));
        expect("activation", "-128 <= min <= max <= 127", () -> new Activation(10, 5));
        assertThrows(IllegalArgumentException.class, () -> Dims.of(1, 0, 4, 4));
    }

    @Test
    void addAndPoolShapes() {
        AddParams p = AddParams.of(0.1f, 0, 0.2f, 0, 0.3f, 0, Activation.NONE);
        byte[] b = new byte[16];
        expect("input2 dims", "[1,2,2,4]", () -> ref.add(p, Dims.of(1, 2, 2, 4), MemorySegment.ofArray(b),
                Dims.of(1, 4, 1, 4), MemorySegment.ofArray(b), Dims.of(1, 2, 2, 4), MemorySegment.ofArray(b)));
        expect("output", "a writable buffer", () -> ref.add(p, Dims.of(1, 2, 2, 4), MemorySegment.ofArray(b),
                Dims.of(1, 2, 2, 4), MemorySegment.ofArray(b), Dims.of(1, 2, 2, 4),
                MemorySegment.ofArray(b).asReadOnly()));
        expect("pad_h", "[0, 1]", () -> ref.avgPool2d(new PoolParams(2, 2, 1, 1, 2, 0, Activation.NONE),
                Dims.of(1, 2, 2, 4), MemorySegment.ofArray(b), Dims.of(1, 2, 2, 4), MemorySegment.ofArray(b)));
        expect("output dims", "[1,1,1,4]", () -> ref.mean(MeanParams.of(1f, 0, 1f, 0), Dims.of(1, 2, 2, 4),
                MemorySegment.ofArray(b), Dims.of(1, 1, 2, 4), MemorySegment.ofArray(b)));
    }
}
