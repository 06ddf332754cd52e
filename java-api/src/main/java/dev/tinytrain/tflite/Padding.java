package dev.tinytrain.tflite;

/** TF-Lite's {@code enum Padding : byte { SAME, VALID }}. */
public enum Padding {
    /** Output size ceil(in / stride); the total padding max((out - 1) stride + k - in, 0), the smaller half first. */
    SAME(0),
    /** No padding: output size ceil((in - k + 1) / stride). */
    VALID(1);

    private final int code;

    Padding(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The output size along one axis. */
    public int outputSize(int in, int kernel, int stride) {
        long out = this == SAME ? ((long) in + stride - 1) / stride : ((long) in - kernel + stride) / stride;
        return (int) Math.clamp(out, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    /** The padding before the input along one axis (TF-Lite's pad_top / pad_left); 0 for VALID. */
    public int padBefore(int in, int kernel, int stride) {
        if (this == VALID) {
            return 0;
        }
        int out = outputSize(in, kernel, stride);
        return (int) (Math.max((long) (out - 1) * stride + kernel - in, 0) / 2);
    }
}
