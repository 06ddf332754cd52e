package dev.tinytrain.tensor;

import java.util.Arrays;

/**
 * Affine int8 quantization, TF-Lite style: {@code real = scale * (q - zeroPoint)}.
 * Activations have one scale and zero point; weights have one scale per channel along
 * {@code axis} and zero point 0.
 */
public record Quantization(float[] scales, int[] zeroPoints, int axis) {

    public Quantization {
        if (scales == null || zeroPoints == null || scales.length == 0 || scales.length != zeroPoints.length) {
            throw new IllegalArgumentException("scales and zero points must be non-empty and of equal length");
        }
        for (float s : scales) {
            if (!(s > 0f) || Float.isInfinite(s)) {
                throw new IllegalArgumentException("scale must be finite and > 0, got " + s);
            }
        }
        for (int z : zeroPoints) {
            if (z < -128 || z > 127) {
                throw new IllegalArgumentException("int8 zero point must be in [-128, 127], got " + z);
            }
        }
        scales = scales.clone();
        zeroPoints = zeroPoints.clone();
    }

    /** Per-tensor quantization (activations). */
    public static Quantization perTensor(float scale, int zeroPoint) {
        return new Quantization(new float[] {scale}, new int[] {zeroPoint}, 0);
    }

    /** Symmetric per-channel quantization (weights), zero point 0 along {@code axis}. */
    public static Quantization perChannel(float[] scales, int axis) {
        return new Quantization(scales, new int[scales.length], axis);
    }

    public boolean isPerTensor() {
        return scales.length == 1;
    }

    public float scale() {
        return scales[0];
    }

    public int zeroPoint() {
        return zeroPoints[0];
    }

    @Override
    public float[] scales() {
        return scales.clone();
    }

    @Override
    public int[] zeroPoints() {
        return zeroPoints.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Quantization q && axis == q.axis
                && Arrays.equals(scales, q.scales) && Arrays.equals(zeroPoints, q.zeroPoints);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(scales) + Arrays.hashCode(zeroPoints)) + axis;
    }

    @Override
    public String toString() {
        return isPerTensor()
                ? "q(scale=" + scales[0] + ", zp=" + zeroPoints[0] + ")"
                : "q(per-channel x" + scales.length + ", axis=" + axis + ")";
    }
}
