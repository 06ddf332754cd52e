package dev.tinytrain.quant;

/**
 * A real factor encoded TF-Lite style as a Q31 mantissa and a power-of-two exponent:
 * {@code real ~= multiplier * 2^(shift - 31)}, multiplier in [2^30, 2^31) (or 0), shift in [-31, 30].
 */
public record Multiplier(int multiplier, int shift) {

    public Multiplier {
        if (multiplier < 0) {
            throw new IllegalArgumentException("multiplier must be >= 0, got " + multiplier);
        }
        if (shift < -31 || shift > 30) {
            throw new IllegalArgumentException("shift must be in [-31, 30], got " + shift);
        }
    }

    /** The real value this multiplier stands for. */
    public double real() {
        return multiplier * Math.pow(2.0, shift - 31);
    }
}
