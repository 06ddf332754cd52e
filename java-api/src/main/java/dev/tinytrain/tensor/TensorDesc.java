package dev.tinytrain.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor's static description: name, shape (any rank, NHWC for 4-D activations), element
 * type and, for int8, its quantization. The graph IR and the .tflite reader reuse it.
 */
public record TensorDesc(String name, int[] shape, DType dtype, Quantization quantization) {

    public TensorDesc {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        if (shape == null || shape.length == 0) {
            throw new IllegalArgumentException("tensor " + name + ": shape must have rank >= 1");
        }
        for (int d : shape) {
            if (d < 1) {
                throw new IllegalArgumentException("tensor " + name + ": every dimension must be >= 1, got "
                        + Arrays.toString(shape));
            }
        }
        if (dtype == DType.INT8 && quantization == null) {
            throw new IllegalArgumentException("tensor " + name + ": int8 tensors need quantization parameters");
        }
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public long elements() {
        long e = 1;
        for (int d : shape) {
            e *= d;
        }
        return e;
    }

    public long byteSize() {
        return dtype.bytesFor(elements());
    }

    /** The NHWC view of a rank-1 to rank-4 shape (missing leading dims are 1; rank 2 is [n, 1, 1, c]). */
    public Dims dims() {
        return switch (shape.length) {
            case 1 -> Dims.of(1, 1, 1, shape[0]);
            case 2 -> Dims.of(shape[0], 1, 1, shape[1]);
            case 3 -> Dims.of(1, shape[0], shape[1], shape[2]);
            case 4 -> Dims.of(shape[0], shape[1], shape[2], shape[3]);
            default -> throw new IllegalArgumentException("tensor " + name + ": rank " + shape.length
                    + " has no NHWC view");
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorDesc t && name.equals(t.name) && Arrays.equals(shape, t.shape)
                && dtype == t.dtype && Objects.equals(quantization, t.quantization);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(shape), dtype, quantization);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + ":" + dtype.name().toLowerCase()
                + (quantization == null ? "" : " " + quantization);
    }
}
