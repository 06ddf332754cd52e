package dev.tinytrain.oracle;

/**
 * The two requantizations TF-Lite 2.20 runs on x86, re-derived here with long arithmetic so the oracle
 * tests do not lean on the code under test (see TFLITE-NOTES.md):
 *
 * <ul>
 *   <li>{@link #reference}: TF-Lite's reference rounding ({@code MultiplyByQuantizedMultiplier}): the
 *       doubling high multiply rounding to nearest with ties toward +infinity (gemmlowp's nudge of
 *       {@code 2^30} or {@code 1 - 2^30} before a truncating division), then a right shift rounding half
 *       away from zero. DEPTHWISE_CONV_2D, TF-Lite Micro, CMSIS-NN and tinytrain compute this.</li>
 *   <li>{@link #ruy}: CONV_2D and FULLY_CONNECTED through ruy: the same high multiply, then a right
 *       shift rounding half toward +infinity ({@code (h + 2^(r-1)) >> r}).</li>
 * </ul>
 *
 * They differ by exactly 1 where the high product is a negative tie for the shift (observed: this is the
 * only place they differ); {@link #isRuyTie} names those accumulators.
 */
final class TfliteRounding {

    private TfliteRounding() {
    }

    /** round(x * m / 2^31) with ties toward +infinity, i.e. floor(x m / 2^31 + 1/2); MIN * MIN saturates. */
    static long doublingHighMul(int x, int m) {
        if (x == Integer.MIN_VALUE && m == Integer.MIN_VALUE) {
            return Integer.MAX_VALUE;
        }
        long p = (long) x * m;
        return Math.floorDiv(p + (1L << 30), 1L << 31);
    }

    /** TF-Lite's reference requantization of an int32 accumulator. */
    static int reference(int acc, int multiplier, int shift) {
        int left = Math.max(shift, 0);
        int right = Math.max(-shift, 0);
        long h = doublingHighMul(acc << left, multiplier);
        if (right == 0) {
            return (int) h;
        }
        long q = (Math.abs(h) + (1L << (right - 1))) >> right;    // half away from zero
        return (int) (h < 0 ? -q : q);
    }

    /** ruy's requantization (TF-Lite's x86 CONV_2D and FULLY_CONNECTED). */
    static int ruy(int acc, int multiplier, int shift) {
        int left = Math.max(shift, 0);
        int right = Math.max(-shift, 0);
        long h = doublingHighMul(acc << left, multiplier);
        if (right == 0) {
            return (int) h;
        }
        return (int) Math.floorDiv(h + (1L << (right - 1)), 1L << right); // half toward +infinity
    }

    /** Whether the two roundings of this accumulator differ (a negative tie of the final shift). */
    static boolean isRuyTie(int acc, int multiplier, int shift) {
        return reference(acc, multiplier, shift) != ruy(acc, multiplier, shift);
    }
}
