package dev.tinytrain.kernel;

/**
 * The SGD step of one trained tensor (C: {@code tt_sgd_params}), applied per element by the fused
 * update kernels:
 * <pre>
 *   g'    = g * qasScale[channel]                  (1 when the kernel gets no QAS scales)
 *   v     = momentum * v + g'; g' = v              (only when momentum != 0)
 *   delta = -lr * g'
 *   value = saturate(value + rounding(delta))      or, FLOAT_MASTER: master += delta, value = saturate(roundf(master))
 * </pre>
 * each line one float operation; saturation to [-127, 127] (int8 weights) or the int32 range (biases).
 *
 * @param lr       learning rate in the integer domain's units, > 0 and finite
 * @param momentum 0 (plain SGD, no velocity buffer) or in (0, 1)
 * @param rounding the rounding rule
 * @param seed     run seed of stochastic rounding (an unsigned 32-bit value)
 * @param step     training step counter (unsigned 32-bit)
 * @param tensorId stable id of the trained tensor (unsigned 32-bit)
 */
public record SgdParams(float lr, float momentum, Rounding rounding, int seed, int step, int tensorId) {

    public SgdParams {
        if (!(lr > 0f) || Float.isInfinite(lr)) {
            throw new KernelArgumentException("sgd.lr", "a finite value > 0", Float.toString(lr));
        }
        if (!(momentum >= 0f && momentum < 1f)) {
            throw new KernelArgumentException("sgd.momentum", "a value in [0, 1)", Float.toString(momentum));
        }
        if (rounding == null) {
            throw new KernelArgumentException("sgd.rounding", "non-null", "null");
        }
    }

    /** Plain SGD (no momentum) with this rounding; seed, step and tensor id 0. */
    public static SgdParams of(float lr, Rounding rounding) {
        return new SgdParams(lr, 0f, rounding, 0, 0, 0);
    }

    /** The same step at another training step and tensor (stochastic rounding's counters). */
    public SgdParams at(int step, int tensorId) {
        return new SgdParams(lr, momentum, rounding, seed, step, tensorId);
    }

    /** Whether this step needs {@link SgdState#velocity()}. */
    public boolean needsVelocity() {
        return momentum != 0f;
    }

    /** Whether this step needs {@link SgdState#master()}. */
    public boolean needsMaster() {
        return rounding == Rounding.FLOAT_MASTER;
    }
}
