package dev.tinytrain.kernel;

/**
 * How a trained int8 weight or int32 bias absorbs a real-valued step (C: {@code tt_rounding};
 * the ordinals are the C values). See {@link TrainMath} for the exact arithmetic.
 */
public enum Rounding {
    /** {@code floor(delta + u)}, u in [0, 1) from {@link TrainMath#hashUniform} of (seed, step, tensor, index). */
    STOCHASTIC,
    /** Nearest, ties away from zero (C {@code roundf}). */
    NEAREST,
    /** Toward zero (the original engine's {@code int8 -= float}). */
    TRUNCATE,
    /** A float master copy takes the step; the integer is its nearest value. Needs {@link SgdState#master()}. */
    FLOAT_MASTER;

    /** The rule's command-line name: {@code stochastic}, {@code nearest}, {@code truncate}, {@code float-master}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** A rule by its {@link #label()}. */
    public static Rounding parse(String label) {
        for (Rounding r : values()) {
            if (r.label().equals(label)) {
                return r;
            }
        }
        throw new IllegalArgumentException("rounding must be stochastic, nearest, truncate or float-master, got '"
                + label + "'");
    }
}
