package dev.tinytrain.kernel;

import dev.tinytrain.quant.QuantMath;

/** A fused activation as the output clamp, in the output's int8 domain (C: {@code tt_activation}). */
public record Activation(int min, int max) {

    /** No activation: the full int8 range. */
    public static final Activation NONE = new Activation(-128, 127);

    public Activation {
        if (min < -128 || max > 127 || min > max) {
            throw new KernelArgumentException("activation", "-128 <= min <= max <= 127", "[" + min + ", " + max + "]");
        }
    }

    /** ReLU: clamp below at the output zero point. */
    public static Activation relu(int outputZeroPoint) {
        return new Activation(QuantMath.clamp(outputZeroPoint, -128, 127), 127);
    }

    /**
     * ReLU6: [0, 6] in real terms, as TF-Lite's CalculateActivationRangeQuantized computes it:
     * {@code zero point + round(6f / scale)} with the quotient in float (a double quotient can round
     * the other way when the float one lands on a half).
     */
    public static Activation relu6(float outputScale, int outputZeroPoint) {
        long top = outputZeroPoint + (long) Math.round(6f / outputScale);
        return new Activation(QuantMath.clamp(outputZeroPoint, -128, 127), Math.clamp(top, -128, 127));
    }
}
