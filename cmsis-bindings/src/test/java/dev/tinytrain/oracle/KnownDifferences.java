package dev.tinytrain.oracle;

import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.ChannelQuant;
import dev.tinytrain.oracle.OracleCases.MeanCase;

import java.util.function.IntUnaryOperator;

/**
 * Where TF-Lite 2.20's x86 kernels compute differently from the reference arithmetic tinytrain
 * specifies (TFLITE-NOTES.md), each re-derived in long arithmetic so the oracle tests can accept a
 * difference only where it is exactly one of these: ruy's rounding of a negative tie (CONV_2D,
 * FULLY_CONNECTED) and MEAN's one-multiply rescale. Used by the single-op and the whole-model oracles.
 */
final class KnownDifferences {

    private KnownDifferences() {
    }

    /** Per element: the reference kernel's value (what backends must compute) and TF-Lite x86's. */
    interface KnownDifference {
        /** Short name for the summary line, e.g. "ruy-tie". */
        String label();

        /** The value of TF-Lite's reference kernel (and TF-Lite Micro's): what every backend computes. */
        int reference(int i);

        /** The value TF-Lite's x86 kernel computes. */
        int tflite(int i);

        /** The inputs of the element's computation, for a failure message. */
        String explain(int i);

        /** Whether a difference is of the documented kind (beyond being where the two models differ). */
        default boolean plausible(int tfliteValue, int backendValue) {
            return true;
        }
    }

    /**
     * MEAN: TF-Lite's x86 kernel rescales the raw sum by {@code s_in / (H W s_out)} in one fixed-point
     * multiply and adds {@code z_out - round(z_in s_in / s_out)}; TF-Lite Micro's reference kernel (what
     * tinytrain computes) sums {@code q - z_in}, rescales by {@code s_in / s_out}, divides by {@code H W}
     * rounding half away from zero, and adds {@code z_out}. Both re-derived here in long arithmetic.
     */
    record MeanRounding(MeanCase c) implements KnownDifference {
        @Override
        public String label() {
            return "MEAN x86-vs-reference";
        }

        private long sum(int i, int zeroPoint) {
            int b = i / c.channels();
            int ch = i % c.channels();
            long s = 0;
            for (int p = 0; p < c.h() * c.w(); p++) {
                s += c.x()[(b * c.h() * c.w() + p) * c.channels() + ch] - zeroPoint;
            }
            return s;
        }

        @Override
        public int reference(int i) {
            var m = dev.tinytrain.quant.QuantMath.quantizeMultiplier(
                    (double) c.input().scale() / (double) c.output().scale());
            long scaled = TfliteRounding.reference(Math.toIntExact(sum(i, c.input().zeroPoint())), m.multiplier(),
                    m.shift());
            long n = (long) c.h() * c.w();
            long q = (Math.abs(scaled) * 2 + n) / (2 * n);                  // nearest, ties away from zero
            return Math.clamp((scaled < 0 ? -q : q) + c.output().zeroPoint(), -128, 127);
        }

        @Override
        public int tflite(int i) {
            float sIn = c.input().scale();
            float sOut = c.output().scale();
            var m = dev.tinytrain.quant.QuantMath.quantizeMultiplier(sIn / (c.h() * c.w() * sOut));
            float correction = c.input().zeroPoint() * sIn / sOut;
            long offset = c.output().zeroPoint() - Math.round((double) Math.abs(correction)) * (long) Math.signum(correction);
            long v = TfliteRounding.reference(Math.toIntExact(sum(i, 0)), m.multiplier(), m.shift()) + offset;
            return Math.clamp(v, -128, 127);
        }

        @Override
        public String explain(int i) {
            return "sum(q)=" + sum(i, 0) + " sum(q-z_in)=" + sum(i, c.input().zeroPoint()) + " reference="
                    + reference(i) + " tfliteX86=" + tflite(i);
        }
    }

    /**
     * Per element of a ruy-rounded op: the accumulator, re-derived by the test, and its channel's
     * requantization, so each element's reference and ruy results can be computed independently.
     */
    record RuyTies(IntUnaryOperator acc, int channels, ChannelQuant quant, int zeroPoint, Activation act)
            implements KnownDifference {

        /** With every element's accumulator computed up front. */
        RuyTies(int[] acc, int channels, ChannelQuant quant, int zeroPoint, Activation act) {
            this(i -> acc[i], channels, quant, zeroPoint, act);
        }

        @Override
        public String label() {
            return "ruy-tie";
        }

        @Override
        public boolean plausible(int tfliteValue, int backendValue) {
            return Math.abs(tfliteValue - backendValue) == 1;
        }

        @Override
        public int tflite(int i) {
            return ruy(i);
        }

        @Override
        public int reference(int i) {
            int c = i % channels;
            return finish(TfliteRounding.reference(acc.applyAsInt(i), quant.multiplier()[c], quant.shift()[c]));
        }

        int ruy(int i) {
            int c = i % channels;
            return finish(TfliteRounding.ruy(acc.applyAsInt(i), quant.multiplier()[c], quant.shift()[c]));
        }

        @Override
        public String explain(int i) {
            int c = i % channels;
            return "acc=" + acc.applyAsInt(i) + " multiplier=" + quant.multiplier()[c] + " shift=" + quant.shift()[c]
                    + " referenceRounding=" + reference(i) + " ruyRounding=" + ruy(i);
        }

        private int finish(int v) {
            return Math.clamp((long) v + zeroPoint, act.min(), act.max());
        }
    }
}
