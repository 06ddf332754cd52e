package dev.tinytrain.kernel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The library's exp, log, hash and roundings in Java (C: tt_expf, tt_logf, tt_hash_uniform, roundf ...). */
class TrainMathTest {

    /** |got - exact| in units of the last place of the float nearest exact (subnormal spacing below 2^-126). */
    static double ulpError(float got, double exact) {
        if (Double.isInfinite(exact) && got == exact) {
            return 0;
        }
        int e = Math.max(Math.getExponent(exact), -126);
        return Math.abs(got - exact) / Math.scalb(1.0, e - 23);
    }

    @Test
    void expfWithinItsStatedErrorOverASweep() {
        double worst = 0;
        for (long u = 0; u < 0xFF80_0000L; u += 257) {
            float x = Float.intBitsToFloat((int) u);
            if (Float.isNaN(x) || x < -87.33f || x > 88.72f) {
                continue;
            }
            worst = Math.max(worst, ulpError(TrainMath.expf(x), Math.exp(x)));
        }
        assertTrue(worst <= 1.25, "max error " + worst + " ulp (exhaustively measured in C: 1.22)");
    }

    @Test
    void logfWithinItsStatedErrorOverASweep() {
        double worst = 0;
        for (long u = 1; u < 0x7F80_0000L; u += 251) {
            float x = Float.intBitsToFloat((int) u);
            worst = Math.max(worst, ulpError(TrainMath.logf(x), Math.log(x)));
        }
        assertTrue(worst <= 2.0, "max error " + worst + " ulp (exhaustively measured in C: 1.97)");
    }

    @Test
    void specialValues() {
        assertEquals(1f, TrainMath.expf(0f));
        assertEquals(0f, TrainMath.expf(-87.34f));
        assertEquals(Float.POSITIVE_INFINITY, TrainMath.expf(88.73f));
        assertTrue(Float.isFinite(TrainMath.expf(88.72f)));
        assertTrue(Float.isNaN(TrainMath.expf(Float.NaN)));
        assertEquals(0f, TrainMath.logf(1f));
        assertEquals(Float.NEGATIVE_INFINITY, TrainMath.logf(0f));
        assertTrue(Float.isNaN(TrainMath.logf(-1f)));
        assertEquals(Float.POSITIVE_INFINITY, TrainMath.logf(Float.POSITIVE_INFINITY));
        assertTrue(ulpError(TrainMath.logf(Float.MIN_VALUE), Math.log(Float.MIN_VALUE)) <= 2);
    }

    @Test
    void hashValuesComputedByHand() {
        // the header's formula evaluated with Python integers masked to 32 bits (as in the C test)
        assertEquals(0x41f39e * 0x1p-24f, TrainMath.hashUniform(0, 0, 0, 0));
        assertEquals(0x8f0ba4 * 0x1p-24f, TrainMath.hashUniform(1, 2, 3, 4));
        assertEquals(0xe5be8b * 0x1p-24f, TrainMath.hashUniform(0xdeadbeef, 1000, 7, 123456));
        assertEquals(0x7272f4 * 0x1p-24f, TrainMath.hashUniform(-1, -1, -1, -1));
        double sum = 0;
        for (int i = 0; i < 100_000; i++) {
            float u = TrainMath.hashUniform(42, i, 3, i * 31);
            assertTrue(u >= 0f && u < 1f);
            sum += u;
        }
        assertEquals(0.5, sum / 100_000, 0.005);
    }

    @Test
    void roundingsAreCs() {
        // roundf: ties away from zero, exact near the tie, sign of zero kept
        assertEquals(1f, TrainMath.roundf(0.5f));
        assertEquals(-1f, TrainMath.roundf(-0.5f));
        assertEquals(3f, TrainMath.roundf(2.5f));
        assertEquals(0f, TrainMath.roundf(0.49999997f));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(TrainMath.roundf(-0.3f)));
        assertEquals(8388609f, TrainMath.roundf(8388609f));
        assertEquals(4194305f, TrainMath.roundf(4194304.5f));
        assertTrue(Float.isNaN(TrainMath.roundf(Float.NaN)));
        assertEquals(-2f, TrainMath.floorf(-1.5f));
        assertEquals(-1f, TrainMath.truncf(-1.5f));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(TrainMath.truncf(-0.5f)));
        // saturation
        assertEquals(127, TrainMath.addSaturatedS8((byte) 120, 100f));
        assertEquals(-127, TrainMath.addSaturatedS8((byte) -120, -1e30f));
        assertEquals(-127, TrainMath.addSaturatedS8((byte) -128, 0f));
        assertEquals(5, TrainMath.addSaturatedS8((byte) 5, Float.NaN));
        assertEquals(Integer.MAX_VALUE, TrainMath.addSaturatedS32(Integer.MAX_VALUE - 1, 10f));
        assertEquals(Integer.MIN_VALUE, TrainMath.addSaturatedS32(0, Float.NEGATIVE_INFINITY));
        assertEquals(Integer.MAX_VALUE, TrainMath.fromMasterS32(0, 0x1p31f));
        assertEquals(-127, TrainMath.fromMasterS8((byte) 0, -200.4f));
        assertEquals(3, TrainMath.fromMasterS8((byte) 0, 2.5f));
    }
}
