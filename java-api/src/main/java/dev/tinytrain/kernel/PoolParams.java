package dev.tinytrain.kernel;

import java.util.Objects;

/**
 * Average pooling (C: {@code tt_pool_params}); input and output share scale and zero point.
 * Padded cells are not counted in the average.
 */
public record PoolParams(int filterH, int filterW, int strideH, int strideW, int padH, int padW,
                         Activation activation) {

    public PoolParams {
        Objects.requireNonNull(activation, "activation");
    }
}
