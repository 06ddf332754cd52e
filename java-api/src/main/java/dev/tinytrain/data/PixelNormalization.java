package dev.tinytrain.data;

/**
 * How an 8-bit pixel value {@code p} in [0, 255] becomes the real value the model's input
 * quantization encodes ({@code real = scale * (q - zeroPoint)}).
 */
public enum PixelNormalization {

    /**
     * {@code real = (p - 128) / 127.5}: the [-1, 1] normalization of the paper's models, offset by
     * half a level so that with the built-in architectures' input quantization (scale 2/255, zero
     * point 0) it is exactly {@code q = p - 128}, the byte an MCU gets from a camera pixel by flipping
     * its top bit: no two pixel values collide and no rounding tie occurs. The default.
     */
    SIGNED,

    /** {@code real = p / 255}, for imported models whose input expects [0, 1] (often scale 1/255, zero point -128). */
    UNIT;

    /** The real value of pixel value {@code p} (p may be fractional after resizing). */
    public double real(double p) {
        return switch (this) {
            case SIGNED -> (p - 128) / 127.5;
            case UNIT -> p / 255;
        };
    }
}
