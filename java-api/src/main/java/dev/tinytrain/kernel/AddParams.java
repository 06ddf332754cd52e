package dev.tinytrain.kernel;

import dev.tinytrain.quant.Multiplier;
import dev.tinytrain.quant.QuantMath;

import java.util.Objects;

/**
 * Elementwise add of two int8 tensors with their own scales (C: {@code tt_add_params}),
 * TF-Lite's left-shift scheme: each input, offset and shifted left by {@code leftShift}, is
 * scaled by {@code s_i / (2 max(s_1, s_2))}; the sum is scaled by {@code 2 max(s_1, s_2) / (2^leftShift s_out)}.
 */
public record AddParams(int input1Offset, int input2Offset, int leftShift,
                        int input1Multiplier, int input1Shift,
                        int input2Multiplier, int input2Shift,
                        int outputMultiplier, int outputShift,
                        int outputOffset, Activation activation) {

    /** TF-Lite's int8 headroom shift. */
    public static final int INT8_LEFT_SHIFT = 20;

    public AddParams {
        Objects.requireNonNull(activation, "activation");
    }

    /** The parameters TF-Lite's ADD prepares for these quantizations (float math as TF-Lite does it). */
    public static AddParams of(float scale1, int zeroPoint1, float scale2, int zeroPoint2,
                               float outputScale, int outputZeroPoint, Activation activation) {
        float twiceMax = 2 * Math.max(scale1, scale2);
        double real1 = scale1 / (double) twiceMax;
        double real2 = scale2 / (double) twiceMax;
        double realOut = twiceMax / (double) ((1 << INT8_LEFT_SHIFT) * outputScale);
        Multiplier m1 = QuantMath.quantizeMultiplier(real1);
        Multiplier m2 = QuantMath.quantizeMultiplier(real2);
        Multiplier mo = QuantMath.quantizeMultiplier(realOut);
        return new AddParams(-zeroPoint1, -zeroPoint2, INT8_LEFT_SHIFT,
                m1.multiplier(), m1.shift(), m2.multiplier(), m2.shift(),
                mo.multiplier(), mo.shift(), outputZeroPoint, activation);
    }
}
