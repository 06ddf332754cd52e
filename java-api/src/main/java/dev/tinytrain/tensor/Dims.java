package dev.tinytrain.tensor;

/**
 * NHWC dimensions as the kernels see them (C struct {@code tt_dims}). Filters use the same
 * record: conv OHWI (n = output channels), depthwise 1HWC, fully connected OI (h = w = 1).
 */
public record Dims(int n, int h, int w, int c) {

    public Dims {
        if (n < 1 || h < 1 || w < 1 || c < 1) {
            throw new IllegalArgumentException("dims must all be >= 1, got " + format(n, h, w, c));
        }
    }

    public static Dims of(int n, int h, int w, int c) {
        return new Dims(n, h, w, c);
    }

    /** A per-channel vector such as a bias: [1, 1, 1, c]. */
    public static Dims vector(int c) {
        return new Dims(1, 1, 1, c);
    }

    /** Number of elements, as a long (never overflows). */
    public long elements() {
        return (long) n * h * w * c;
    }

    /** Elements per batch row (h * w * c). */
    public long rowElements() {
        return (long) h * w * c;
    }

    @Override
    public String toString() {
        return format(n, h, w, c);
    }

    private static String format(int n, int h, int w, int c) {
        return "[" + n + "," + h + "," + w + "," + c + "]";
    }
}
