package dev.tinytrain.quant;

/**
 * The fixed-point arithmetic of TF-Lite's reference int8 kernels, which TF-Lite Micro and
 * CMSIS-NN also run on microcontrollers. Every backend (this Java reference, the host C
 * library, the Cortex-M build) computes exactly these functions.
 */
public final class QuantMath {

    private QuantMath() {
    }

    /**
     * TF-Lite's {@code QuantizeMultiplier}: frexp, then the mantissa times 2^31 rounded half away
     * from zero; a mantissa that rounds up to 2^31 is halved and the exponent incremented;
     * exponents below -31 flush to zero. Only non-negative factors are meaningful here.
     */
    public static Multiplier quantizeMultiplier(double real) {
        if (!(real >= 0) || Double.isInfinite(real)) {
            throw new IllegalArgumentException("multiplier must be finite and >= 0, got " + real);
        }
        if (real == 0.0) {
            return new Multiplier(0, 0);
        }
        int exponent = Math.getExponent(real) + 1;     // frexp: real = q * 2^exponent, q in [0.5, 1)
        if (real < Double.MIN_NORMAL) {
            return new Multiplier(0, 0);                // subnormal: far below 2^-31
        }
        double q = Math.scalb(real, -exponent);
        long qFixed = Math.round(q * (1L << 31));      // q > 0: half up == half away from zero
        if (qFixed == (1L << 31)) {
            qFixed /= 2;
            exponent++;
        }
        if (exponent < -31) {
            return new Multiplier(0, 0);
        }
        if (exponent > 30) {
            throw new IllegalArgumentException("multiplier too large to encode: " + real);
        }
        return new Multiplier((int) qFixed, exponent);
    }

    /** gemmlowp's {@code SaturatingRoundingDoublingHighMul}: round(a * b / 2^31), saturating MIN*MIN. */
    public static int saturatingRoundingDoublingHighMul(int a, int b) {
        if (a == b && a == Integer.MIN_VALUE) {
            return Integer.MAX_VALUE;
        }
        long ab = (long) a * b;
        long nudge = ab >= 0 ? (1L << 30) : (1L - (1L << 30));
        return (int) ((ab + nudge) / (1L << 31));      // Java division truncates toward zero, like C
    }

    /** gemmlowp's {@code RoundingDivideByPOT}: x / 2^exponent, ties away from zero. exponent in [0, 31]. */
    public static int roundingDivideByPot(int x, int exponent) {
        int mask = (int) ((1L << exponent) - 1);
        int remainder = x & mask;
        int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
        return (x >> exponent) + (remainder > threshold ? 1 : 0);
    }

    /**
     * TF-Lite's {@code MultiplyByQuantizedMultiplier} (C: {@code tt_requantize}): x * 2^max(shift, 0)
     * with two's-complement wrap, the doubling high multiply, then a rounding right shift by
     * max(-shift, 0).
     */
    public static int requantize(int x, int multiplier, int shift) {
        int left = shift > 0 ? shift : 0;
        int right = shift > 0 ? 0 : -shift;
        return roundingDivideByPot(saturatingRoundingDoublingHighMul(x << left, multiplier), right);
    }

    /** {@link #requantize(int, int, int)} with a {@link Multiplier}. */
    public static int requantize(int x, Multiplier m) {
        return requantize(x, m.multiplier(), m.shift());
    }

    /** Adds a bias to an accumulator saturating at the int32 range (tinytrain's rule for dead channels). */
    public static int saturatingAdd(int acc, int bias) {
        long s = (long) acc + bias;
        return s > Integer.MAX_VALUE ? Integer.MAX_VALUE : s < Integer.MIN_VALUE ? Integer.MIN_VALUE : (int) s;
    }

    /** Clamps to [min, max]. */
    public static int clamp(int v, int min, int max) {
        return v < min ? min : Math.min(v, max);
    }
}
