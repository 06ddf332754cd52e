package dev.tinytrain.kernel;

import dev.tinytrain.quant.Multiplier;
import dev.tinytrain.quant.QuantMath;
import dev.tinytrain.tensor.Dims;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Small cases worked out by hand, so the oracle itself is checked against arithmetic on paper. */
class ReferenceBackendTest {

    private final ReferenceBackend ref = new ReferenceBackend();
    private static final Multiplier HALF = new Multiplier(1 << 30, 0);   // x 0.5

    private static MemorySegment seg(byte... b) {
        return MemorySegment.ofArray(b);
    }

    @Test
    void conv3x3WithPaddingHandWorked() {
        // 1x2x2x1 input [1,2;3,4], zero point -1 (offset +1) -> centred values [2,3;4,5].
        // 3x3 all-ones filter, pad 1, stride 1: each output sums the whole 2x2 input = 14.
        // bias 2 -> 16, times 0.5 -> 8, output zero point 3 -> 11.
        byte[] out = new byte[4];
        byte[] filter = new byte[9];
        java.util.Arrays.fill(filter, (byte) 1);
        ref.conv2d(new ConvParams(1, 3, 1, 1, 1, 1, Activation.NONE), ChannelQuant.uniform(1, HALF),
                Dims.of(1, 2, 2, 1), seg((byte) 1, (byte) 2, (byte) 3, (byte) 4), Dims.of(1, 3, 3, 1), seg(filter),
                MemorySegment.ofArray(new int[] {2}), Dims.of(1, 2, 2, 1), seg(out));
        assertArrayEquals(new byte[] {11, 11, 11, 11}, out);
    }

    @Test
    void strideTwoValidPicksCorners() {
        // 1x3x3x1 input 0..8, 1x1 filter weight 2, stride 2 -> inputs 0,2,6,8 doubled, x0.5 -> 0,2,6,8.
        byte[] in = {0, 1, 2, 3, 4, 5, 6, 7, 8};
        byte[] out = new byte[4];
        ref.conv2d(new ConvParams(0, 0, 2, 2, 0, 0, Activation.NONE), ChannelQuant.uniform(1, HALF),
                Dims.of(1, 3, 3, 1), seg(in), Dims.of(1, 1, 1, 1), seg((byte) 2), null, Dims.of(1, 2, 2, 1), seg(out));
        assertArrayEquals(new byte[] {0, 2, 6, 8}, out);
    }

    @Test
    void depthwiseKeepsChannelsApart() {
        // 1x1x2x2 input: pixel0 (c0=10, c1=-10), pixel1 (c0=20, c1=-20); 1x2 filter per channel:
        // c0 weights (1, 1) -> 30, c1 weights (2, -1) -> -20 + 20 = 0; times 0.5 -> 15, 0.
        byte[] in = {10, -10, 20, -20};
        byte[] filter = {1, 2, 1, -1};          // 1HWC: [kx=0: c0,c1][kx=1: c0,c1]
        byte[] out = new byte[2];
        ref.depthwiseConv2d(new ConvParams(0, 0, 1, 1, 0, 0, Activation.NONE), ChannelQuant.uniform(2, HALF),
                Dims.of(1, 1, 2, 2), seg(in), Dims.of(1, 1, 2, 2), seg(filter), null, Dims.of(1, 1, 1, 2), seg(out));
        assertArrayEquals(new byte[] {15, 0}, out);
    }

    @Test
    void fullyConnectedAndClamp() {
        // input (100, 100) zp 0; weights row0 (1, 1) -> 200 -> x0.5 = 100 -> clamp max 90.
        byte[] out = new byte[2];
        ref.fullyConnected(new FcParams(0, 0, new Activation(-128, 90)), ChannelQuant.uniform(2, HALF),
                Dims.of(1, 1, 1, 2), seg((byte) 100, (byte) 100), Dims.of(2, 1, 1, 2),
                seg((byte) 1, (byte) 1, (byte) -1, (byte) 0), null, Dims.of(1, 1, 1, 2), seg(out));
        assertArrayEquals(new byte[] {90, -50}, out);
    }

    @Test
    void addOfEqualScalesIsTheSum() {
        // s1 = s2 = s_out: out = (x1 - z1) + (x2 - z2) + z_out.
        AddParams p = AddParams.of(0.1f, 5, 0.1f, -3, 0.1f, 1, Activation.NONE);
        byte[] out = new byte[3];
        ref.add(p, Dims.of(1, 1, 1, 3), seg((byte) 5, (byte) 10, (byte) -20), Dims.of(1, 1, 1, 3),
                seg((byte) -3, (byte) 0, (byte) 7), Dims.of(1, 1, 1, 3), seg(out));
        assertArrayEquals(new byte[] {1, 1 + 5 + 3, 1 - 25 + 10}, out);
    }

    @Test
    void avgPoolRoundsHalfAwayFromZeroAndSkipsPadding() {
        // 1x1x2x1 input (1, 2): window 1x3 pad 1 -> output 0 sees {1,2} (count 2) = 1.5 -> 2;
        // input (-1, -2) -> -1.5 -> -2.
        byte[] out = new byte[1];
        PoolParams p = new PoolParams(1, 3, 1, 1, 0, 1, Activation.NONE);
        ref.avgPool2d(p, Dims.of(1, 1, 2, 1), seg((byte) 1, (byte) 2), Dims.of(1, 1, 1, 1), seg(out));
        assertEquals(2, out[0]);
        ref.avgPool2d(p, Dims.of(1, 1, 2, 1), seg((byte) -1, (byte) -2), Dims.of(1, 1, 1, 1), seg(out));
        assertEquals(-2, out[0]);
    }

    @Test
    void meanOfEqualQuantizationIsTheRoundedMean() {
        // 2x2 plane (1, 2, 3, 5), zero point 7: centred (-6, -5, -4, -2) = -17 / 4 = -4.25 -> -4, + 7 = 3.
        MeanParams p = MeanParams.of(0.05f, 7, 0.05f, 7);
        byte[] out = new byte[1];
        ref.mean(p, Dims.of(1, 2, 2, 1), seg((byte) 1, (byte) 2, (byte) 3, (byte) 5), Dims.of(1, 1, 1, 1), seg(out));
        assertEquals(3, out[0]);
    }

    @Test
    void biasSaturatesInsteadOfWrapping() {
        // A dead channel: bias near INT32_MAX plus a positive accumulation must not wrap negative.
        byte[] out = new byte[1];
        ref.fullyConnected(new FcParams(0, 0, Activation.NONE), ChannelQuant.uniform(1, HALF),
                Dims.of(1, 1, 1, 1), seg((byte) 127), Dims.of(1, 1, 1, 1), seg((byte) 127),
                MemorySegment.ofArray(new int[] {Integer.MAX_VALUE - 10}), Dims.of(1, 1, 1, 1), seg(out));
        assertEquals(127, out[0]);
        assertEquals(QuantMath.requantize(Integer.MAX_VALUE, HALF), ref.requantize(Integer.MAX_VALUE, 1 << 30, 0));
    }
}
