package dev.tinytrain.quant;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * QuantMath against exact arithmetic (BigInteger / BigDecimal) and hand-worked values. The
 * oracle states the rounding in words: the high multiply rounds a*b/2^31 to nearest with ties
 * toward +infinity; the power-of-two division rounds to nearest with ties away from zero.
 */
class QuantMathTest {

    private static final long SEED = 20261128L;

    private static int highMulOracle(int a, int b) {
        if (a == Integer.MIN_VALUE && b == Integer.MIN_VALUE) {
            return Integer.MAX_VALUE;
        }
        BigInteger ab = BigInteger.valueOf(a).multiply(BigInteger.valueOf(b));
        BigInteger twoPow31 = BigInteger.ONE.shiftLeft(31);
        BigInteger shifted = ab.add(BigInteger.ONE.shiftLeft(30));
        BigInteger[] qr = shifted.divideAndRemainder(twoPow31);
        BigInteger floor = qr[1].signum() < 0 ? qr[0].subtract(BigInteger.ONE) : qr[0];
        return floor.intValueExact();
    }

    private static int divPotOracle(int x, int e) {
        return new BigDecimal(x).divide(BigDecimal.valueOf(2).pow(e)).setScale(0, RoundingMode.HALF_UP)
                .intValueExact();
    }

    @Test
    void highMulHandWorked() {
        assertEquals(1 << 29, QuantMath.saturatingRoundingDoublingHighMul(1 << 30, 1 << 30));
        assertEquals(Integer.MAX_VALUE,
                QuantMath.saturatingRoundingDoublingHighMul(Integer.MIN_VALUE, Integer.MIN_VALUE));
        // a*b = 2^30 is exactly half of 2^31: +0.5 rounds to 1, -0.5 rounds to 0 (ties toward +inf).
        assertEquals(1, QuantMath.saturatingRoundingDoublingHighMul(1 << 15, 1 << 15));
        assertEquals(0, QuantMath.saturatingRoundingDoublingHighMul(-(1 << 15), 1 << 15));
        assertEquals(-1, QuantMath.saturatingRoundingDoublingHighMul(-3 << 14, 1 << 15));  // -0.75
        assertEquals(0, QuantMath.saturatingRoundingDoublingHighMul(-(1 << 14), 1 << 15)); // -0.25
    }

    @Test
    void divideByPotHandWorked() {
        assertEquals(3, QuantMath.roundingDivideByPot(5, 1));    // 2.5 -> 3 (away from zero)
        assertEquals(-3, QuantMath.roundingDivideByPot(-5, 1));  // -2.5 -> -3
        assertEquals(1, QuantMath.roundingDivideByPot(5, 2));    // 1.25 -> 1
        assertEquals(-2, QuantMath.roundingDivideByPot(-6, 2));  // -1.5 -> -2
    }

    @Test
    void highMulMatchesExactArithmetic() {
        SplittableRandom r = new SplittableRandom(SEED);
        int[] edges = {0, 1, -1, 2, -2, 1 << 30, -(1 << 30), Integer.MAX_VALUE, Integer.MIN_VALUE, 1 << 15};
        for (int a : edges) {
            for (int b : edges) {
                assertEquals(highMulOracle(a, b), QuantMath.saturatingRoundingDoublingHighMul(a, b), a + "*" + b);
            }
        }
        for (int i = 0; i < 200_000; i++) {
            int a = r.nextInt();
            int b = r.nextBoolean() ? r.nextInt() : r.nextInt(1 << 30, Integer.MAX_VALUE);
            assertEquals(highMulOracle(a, b), QuantMath.saturatingRoundingDoublingHighMul(a, b),
                    "seed " + SEED + " case " + i + ": " + a + "*" + b);
        }
    }

    @Test
    void divideByPotMatchesExactArithmetic() {
        SplittableRandom r = new SplittableRandom(SEED + 1);
        for (int i = 0; i < 200_000; i++) {
            int e = r.nextInt(0, 32);
            int x = i % 7 == 0 ? (r.nextInt(-1000, 1000) << Math.min(e, 20)) + (e > 0 ? 1 << (e - 1) : 0) : r.nextInt();
            assertEquals(divPotOracle(x, e), QuantMath.roundingDivideByPot(x, e),
                    "seed " + (SEED + 1) + ": " + x + " / 2^" + e);
        }
        assertEquals(divPotOracle(Integer.MIN_VALUE, 31), QuantMath.roundingDivideByPot(Integer.MIN_VALUE, 31));
        assertEquals(divPotOracle(Integer.MAX_VALUE, 31), QuantMath.roundingDivideByPot(Integer.MAX_VALUE, 31));
    }

    @Test
    void quantizeMultiplierHandWorked() {
        assertEquals(new Multiplier(1 << 30, 0), QuantMath.quantizeMultiplier(0.5));
        assertEquals(new Multiplier(1 << 30, 1), QuantMath.quantizeMultiplier(1.0));
        assertEquals(new Multiplier(3 << 29, 0), QuantMath.quantizeMultiplier(0.75));
        assertEquals(new Multiplier(1 << 30, -31), QuantMath.quantizeMultiplier(Math.scalb(1.0, -32)));
        assertEquals(new Multiplier(0, 0), QuantMath.quantizeMultiplier(Math.scalb(1.0, -33)));
        assertEquals(new Multiplier(0, 0), QuantMath.quantizeMultiplier(0.0));
        // a mantissa that rounds up to 2^31 is halved and the exponent bumped
        assertEquals(new Multiplier(1 << 30, 1), QuantMath.quantizeMultiplier(1.0 - Math.scalb(1.0, -40)));
        assertThrows(IllegalArgumentException.class, () -> QuantMath.quantizeMultiplier(-0.1));
        assertThrows(IllegalArgumentException.class, () -> QuantMath.quantizeMultiplier(Double.NaN));
    }

    @Test
    void quantizeMultiplierIsCloseAndNormalized() {
        SplittableRandom r = new SplittableRandom(SEED + 2);
        for (int i = 0; i < 100_000; i++) {
            double real = Math.scalb(r.nextDouble(0.5, 1.0), r.nextInt(-30, 20));
            Multiplier m = QuantMath.quantizeMultiplier(real);
            assertTrue(m.multiplier() >= (1 << 30), "normalized: " + m);
            double err = Math.abs(m.real() - real) / real;
            assertTrue(err <= Math.scalb(1.0, -31), "relative error " + err + " for " + real);
        }
    }

    @Test
    void requantizeIsHighMulThenDivide() {
        SplittableRandom r = new SplittableRandom(SEED + 3);
        for (int i = 0; i < 100_000; i++) {
            int x = r.nextInt(-(1 << 24), 1 << 24);
            int m = r.nextInt(1 << 30, Integer.MAX_VALUE);
            int shift = r.nextInt(-31, 8);
            int expected = shift > 0
                    ? highMulOracle(x << shift, m)
                    : divPotOracle(highMulOracle(x, m), -shift);
            assertEquals(expected, QuantMath.requantize(x, m, shift), x + " " + m + " " + shift);
        }
    }

    @Test
    void saturatingAddClampsAtInt32() {
        assertEquals(Integer.MAX_VALUE, QuantMath.saturatingAdd(Integer.MAX_VALUE - 5, 100));
        assertEquals(Integer.MIN_VALUE, QuantMath.saturatingAdd(Integer.MIN_VALUE + 5, -100));
        assertEquals(7, QuantMath.saturatingAdd(3, 4));
    }
}
