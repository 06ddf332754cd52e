package dev.tinytrain.tflite;

import dev.tinytrain.kernel.Activation;

/**
 * TF-Lite's fused activations as the clamp of a quantized kernel, both ways. TF-Lite turns a fused
 * activation into an int8 range with the output's scale {@code s} and zero point {@code z}
 * ({@code CalculateActivationRangeQuantized}): a real bound {@code r} becomes
 * {@code z + round(r / s)}, the quotient in float and rounded half away from zero, clamped to
 * [-128, 127]. NONE is [-128, 127]; RELU [z, 127]; RELU6 [z, z + round(6 / s)]; RELU_N1_TO_1
 * [z + round(-1 / s), z + round(1 / s)]. tinytrain's {@link Activation} is that clamp range.
 */
public final class TfliteActivations {

    private TfliteActivations() {
    }

    /** The clamp TF-Lite applies for {@code a} on an output quantized with {@code scale}, {@code zeroPoint}. */
    public static Activation clamp(FusedActivation a, float scale, int zeroPoint) {
        return switch (a) {
            case NONE -> Activation.NONE;
            case RELU -> new Activation(bound(zeroPoint), 127);
            case RELU6 -> new Activation(bound(zeroPoint), bound(zeroPoint + roundAway(6f / scale)));
            case RELU_N1_TO_1 -> new Activation(bound(zeroPoint + roundAway(-1f / scale)),
                    bound(zeroPoint + roundAway(1f / scale)));
        };
    }

    /**
     * The fused activation whose clamp is {@code clamp} on this output, the first in schema order (NONE,
     * RELU, RELU_N1_TO_1, RELU6) that matches (on an output of scale 6/255 and zero point -128, [-128, 127]
     * is NONE, RELU and RELU6 at once: NONE is chosen), or null when TF-Lite has none.
     */
    public static FusedActivation fused(Activation clamp, float scale, int zeroPoint) {
        for (FusedActivation a : FusedActivation.values()) {
            if (clamp(a, scale, zeroPoint).equals(clamp)) {
                return a;
            }
        }
        return null;
    }

    /** The member with schema code {@code code}, or null (TANH, SIGN_BIT and unknown codes). */
    static FusedActivation ofCode(int code) {
        for (FusedActivation a : FusedActivation.values()) {
            if (a.code() == code) {
                return a;
            }
        }
        return null;
    }

    private static long roundAway(float x) {
        double r = Math.floor(Math.abs((double) x) + 0.5);
        return (long) (x < 0 ? -r : r);
    }

    private static int bound(long v) {
        return (int) Math.clamp(v, -128L, 127L);
    }
}
