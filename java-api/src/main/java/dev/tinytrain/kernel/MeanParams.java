package dev.tinytrain.kernel;

import dev.tinytrain.quant.Multiplier;
import dev.tinytrain.quant.QuantMath;

import java.util.Objects;

/**
 * Mean over H and W with kept dims (C: {@code tt_mean_params}):
 * {@code out = clamp(requantize(sum q, multiplier, shift) + outputOffset)}.
 */
public record MeanParams(int multiplier, int shift, int outputOffset, Activation activation) {

    public MeanParams {
        Objects.requireNonNull(activation, "activation");
    }

    /**
     * TF-Lite's MEAN over H and W: the multiplier encodes {@code s_in / (H W s_out)}, the offset
     * {@code z_out - trunc(z_in s_in / s_out)}, both in float as TF-Lite computes them.
     */
    public static MeanParams of(float inputScale, int inputZeroPoint, float outputScale, int outputZeroPoint,
                                int h, int w) {
        int count = h * w;
        float real = inputScale / (count * outputScale);
        Multiplier m = QuantMath.quantizeMultiplier(real);
        int offset = outputZeroPoint - (int) (inputZeroPoint * inputScale / outputScale);
        return new MeanParams(m.multiplier(), m.shift(), offset, Activation.NONE);
    }
}
