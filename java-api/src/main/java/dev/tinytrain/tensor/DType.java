package dev.tinytrain.tensor;

/** Element types of tinytrain tensors. */
public enum DType {
    /** Quantized activations and weights. */
    INT8(8),
    /** Biases and accumulators. */
    INT32(32),
    /** Gradients (the backward pass runs in float32). */
    FLOAT32(32),
    /** Clamp masks saved for backward, one bit per element. */
    BIT_MASK(1);

    private final int bits;

    DType(int bits) {
        this.bits = bits;
    }

    /** Bits per element. */
    public int bits() {
        return bits;
    }

    /** Bytes needed to store {@code elements} values (bit masks are packed, rounded up to whole bytes). */
    public long bytesFor(long elements) {
        if (elements < 0) {
            throw new IllegalArgumentException("elements must be >= 0, got " + elements);
        }
        return (elements * bits + 7) / 8;
    }
}
