package dev.tinytrain.kernel;

import dev.tinytrain.quant.Multiplier;
import dev.tinytrain.quant.QuantMath;

import java.util.Arrays;

/**
 * Per-output-channel requantization of conv, depthwise and fully connected
 * (C: {@code tt_per_channel_quant_params}): Q31 multipliers and exponents.
 */
public record ChannelQuant(int[] multiplier, int[] shift) {

    public ChannelQuant {
        if (multiplier == null || shift == null) {
            throw new KernelArgumentException("quant", "non-null multiplier and shift arrays", "null");
        }
        if (multiplier.length != shift.length) {
            throw new KernelArgumentException("quant.shift", "length " + multiplier.length, "length " + shift.length);
        }
        multiplier = multiplier.clone();
        shift = shift.clone();
    }

    /**
     * TF-Lite's per-channel effective scales {@code s_x * s_w[c] / s_y}, computed in double from
     * the float scales as TF-Lite's {@code PopulateConvolutionQuantizationParams} does.
     */
    public static ChannelQuant of(float inputScale, float[] weightScales, float outputScale) {
        int[] m = new int[weightScales.length];
        int[] s = new int[weightScales.length];
        for (int c = 0; c < weightScales.length; c++) {
            double effective = (double) inputScale * (double) weightScales[c] / (double) outputScale;
            Multiplier q = QuantMath.quantizeMultiplier(effective);
            m[c] = q.multiplier();
            s[c] = q.shift();
        }
        return new ChannelQuant(m, s);
    }

    /** The same multiplier for every channel (per-tensor weights). */
    public static ChannelQuant uniform(int channels, Multiplier q) {
        int[] m = new int[channels];
        int[] s = new int[channels];
        Arrays.fill(m, q.multiplier());
        Arrays.fill(s, q.shift());
        return new ChannelQuant(m, s);
    }

    public int channels() {
        return multiplier.length;
    }

    /** Direct access for backends; callers must not modify. */
    @Override
    public int[] multiplier() {
        return multiplier;
    }

    /** Direct access for backends; callers must not modify. */
    @Override
    public int[] shift() {
        return shift;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChannelQuant q && Arrays.equals(multiplier, q.multiplier) && Arrays.equals(shift, q.shift);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(multiplier) + Arrays.hashCode(shift);
    }

    @Override
    public String toString() {
        return "ChannelQuant[" + multiplier.length + " channels]";
    }
}
