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

    /** ReLU6: [0, 6] in real terms, as TF-Lite computes it (round(6 / scale) + zero point). */
    public static Activation relu6(float outputScale, int outputZeroPoint) {
        int top = outputZeroPoint + (int) Math.round(6.0 / outputScale);
        return new Activation(QuantMath.clamp(outputZeroPoint, -128, 127), QuantMath.clamp(top, -128, 127));
    }
}
