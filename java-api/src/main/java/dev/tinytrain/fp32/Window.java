package dev.tinytrain.fp32;

/**
 * Stride and padding of a float convolution (C: {@code tt_window_params}). Padding cells read as 0
 * and are skipped, never multiplied; the output size follows the same rule as the int8 kernels
 * ({@link dev.tinytrain.kernel.Windows}).
 *
 * @param strideH vertical stride, >= 1
 * @param strideW horizontal stride, >= 1
 * @param padH    rows of padding above the input, in [0, kernel height)
 * @param padW    columns of padding left of the input, in [0, kernel width)
 */
public record Window(int strideH, int strideW, int padH, int padW) {

    /** Square stride and symmetric padding {@code (k - 1) / 2}, as the built-in architectures use. */
    public static Window symmetric(int kernel, int stride) {
        return new Window(stride, stride, (kernel - 1) / 2, (kernel - 1) / 2);
    }
}
