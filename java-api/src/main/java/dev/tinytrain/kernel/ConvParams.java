package dev.tinytrain.kernel;

import java.util.Objects;

/**
 * Parameters of conv2d and depthwise conv2d (C: {@code tt_conv_params}).
 *
 * @param inputOffset  minus the input zero point, [-127, 128]
 * @param outputOffset the output zero point, [-128, 127]
 * @param strideH      vertical stride, >= 1
 * @param strideW      horizontal stride, >= 1
 * @param padH         padding rows above the input (read as the zero point), >= 0
 * @param padW         padding columns left of the input, >= 0
 * @param activation   the output clamp
 */
public record ConvParams(int inputOffset, int outputOffset, int strideH, int strideW, int padH, int padW,
                         Activation activation) {

    public ConvParams {
        Objects.requireNonNull(activation, "activation");
    }

    /** Stride 1, no padding, no activation. */
    public static ConvParams pointwise(int inputZeroPoint, int outputZeroPoint) {
        return new ConvParams(-inputZeroPoint, outputZeroPoint, 1, 1, 0, 0, Activation.NONE);
    }

    public ConvParams withStride(int strideH, int strideW) {
        return new ConvParams(inputOffset, outputOffset, strideH, strideW, padH, padW, activation);
    }

    public ConvParams withPadding(int padH, int padW) {
        return new ConvParams(inputOffset, outputOffset, strideH, strideW, padH, padW, activation);
    }

    public ConvParams withActivation(Activation activation) {
        return new ConvParams(inputOffset, outputOffset, strideH, strideW, padH, padW, activation);
    }
}
