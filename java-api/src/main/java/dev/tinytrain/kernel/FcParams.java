package dev.tinytrain.kernel;

import java.util.Objects;

/**
 * Parameters of fully connected (C: {@code tt_fc_params}).
 *
 * @param inputOffset  minus the input zero point, [-127, 128]
 * @param outputOffset the output zero point, [-128, 127]
 * @param activation   the output clamp
 */
public record FcParams(int inputOffset, int outputOffset, Activation activation) {

    public FcParams {
        Objects.requireNonNull(activation, "activation");
    }
}
