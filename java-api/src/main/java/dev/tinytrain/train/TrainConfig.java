package dev.tinytrain.train;

import dev.tinytrain.kernel.Rounding;

import java.util.Objects;

/**
 * How a training program updates its parameters. Everything here is fixed at compile time,
 * because the memory plan counts it (momentum buffers, float master copies).
 *
 * @param qas      Quantization-Aware Scaling (PAPER.md section 4); off only for ablations
 * @param rounding how an int8 weight or int32 bias absorbs a real-valued step
 * @param lr       learning rate; with QAS it is in the units of the real-valued weights (as in
 *                 float SGD), without QAS in integer-domain units
 * @param momentum 0 (plain SGD, the default: no extra memory) or in (0, 1)
 * @param seed     seed of the stochastic rounding
 */
public record TrainConfig(boolean qas, Rounding rounding, float lr, float momentum, int seed) {

    public TrainConfig {
        Objects.requireNonNull(rounding, "rounding");
        if (!(lr > 0) || Float.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and > 0, got " + lr);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
    }

    /** QAS, stochastic rounding, no momentum: the defaults. */
    public static TrainConfig defaults(float lr) {
        return new TrainConfig(true, Rounding.STOCHASTIC, lr, 0f, 0);
    }

    public TrainConfig withQas(boolean on) {
        return new TrainConfig(on, rounding, lr, momentum, seed);
    }

    public TrainConfig withRounding(Rounding r) {
        return new TrainConfig(qas, r, lr, momentum, seed);
    }

    public TrainConfig withMomentum(float m) {
        return new TrainConfig(qas, rounding, lr, m, seed);
    }
}
