package dev.tinytrain.kernel;

import dev.tinytrain.quant.Multiplier;
import dev.tinytrain.quant.QuantMath;

import java.util.Objects;

/**
 * Mean over H and W with kept dims (C: {@code tt_mean_params}), as TF-Lite Micro's reference int8
 * MEAN computes it (what runs on the MCU):
 * {@code acc = requantize(sum (q + inputOffset), multiplier, shift)}, then
 * {@code out = clamp(round_half_away(acc / (H W)) + outputOffset)}.
 *
 * <p>TF-Lite's x86 MEAN computes differently (one fixed-point rescale of the raw sum by
 * {@code s_in / (H W s_out)}, then a rounded zero-point correction) and disagrees in the last bit
 * on a few percent of elements; the oracle test re-derives both and accepts only those differences.
 *
 * @param inputOffset  minus the input zero point, [-127, 128]
 * @param outputOffset the output zero point, [-128, 127]
 * @param multiplier   Q31 multiplier of {@code s_in / s_out}
 * @param shift        its exponent, [-31, 30]
 * @param activation   the output clamp
 */
public record MeanParams(int inputOffset, int outputOffset, int multiplier, int shift, Activation activation) {

    public MeanParams {
        Objects.requireNonNull(activation, "activation");
    }

    /** The parameters for these quantizations ({@code s_in / s_out} in double, as TF-Lite Micro prepares it). */
    public static MeanParams of(float inputScale, int inputZeroPoint, float outputScale, int outputZeroPoint) {
        Multiplier m = QuantMath.quantizeMultiplier((double) inputScale / (double) outputScale);
        return new MeanParams(-inputZeroPoint, outputZeroPoint, m.multiplier(), m.shift(), Activation.NONE);
    }
}
