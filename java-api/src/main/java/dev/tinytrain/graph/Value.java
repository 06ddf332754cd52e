package dev.tinytrain.graph;

import dev.tinytrain.tensor.DType;
import dev.tinytrain.tensor.Dims;
import dev.tinytrain.tensor.Quantization;
import dev.tinytrain.tensor.TensorDesc;

import java.util.Objects;

/** A value of the graph (SSA: defined once): its id, its tensor description and its role. */
public record Value(int id, TensorDesc desc, Role role) {

    public Value {
        Objects.requireNonNull(desc, "desc");
        Objects.requireNonNull(role, "role");
        if (id < 0) {
            throw new IllegalArgumentException("value id must be >= 0, got " + id);
        }
    }

    public String name() {
        return desc.name();
    }

    public DType dtype() {
        return desc.dtype();
    }

    public int[] shape() {
        return desc.shape();
    }

    /** The NHWC view of the shape. */
    public Dims dims() {
        return desc.dims();
    }

    public Quantization quant() {
        return desc.quantization();
    }

    /** Per-tensor scale (int8 activations). */
    public float scale() {
        return desc.quantization().scale();
    }

    /** Per-tensor zero point (int8 activations). */
    public int zeroPoint() {
        return desc.quantization().zeroPoint();
    }

    public long elements() {
        return desc.elements();
    }

    public long byteSize() {
        return desc.byteSize();
    }

    /** {@code %id}, as the text dump names values. */
    public String ref() {
        return "%" + id;
    }

    @Override
    public String toString() {
        return ref() + " " + desc;
    }
}
