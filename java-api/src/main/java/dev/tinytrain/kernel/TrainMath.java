package dev.tinytrain.kernel;

/**
 * The float arithmetic of the training kernels, mirroring the C library operation for operation
 * (tt_backward.h), so that Java and C produce identical bits: Java's float operations are IEEE-754
 * binary32 with round-to-nearest-even, no fused multiply-add, like the C library compiled with
 * {@code -ffp-contract=off}. Every constant is the same float literal as in C.
 */
public final class TrainMath {

    private TrainMath() {
    }

    // tt_expf
    private static final float EXP_LO = -0x1.5d51ecp+6f;   // -87.33f
    private static final float EXP_HI = 0x1.62e148p+6f;    // 88.72f
    private static final float LOG2E = 0x1.715476p+0f;
    private static final float LN2_HI = 0x1.63p-1f;
    private static final float LN2_LO = -0x1.bd0106p-13f;
    private static final float EXP_C7 = 0x1.a01a02p-13f;   // 1/5040
    private static final float EXP_C6 = 0x1.6c16c2p-10f;   // 1/720
    private static final float EXP_C5 = 0x1.111112p-7f;    // 1/120
    private static final float EXP_C4 = 0x1.555556p-5f;    // 1/24
    private static final float EXP_C3 = 0x1.555556p-3f;    // 1/6

    // tt_logf
    private static final float SQRT2 = 0x1.6a09e6p+0f;
    private static final float LN2 = 0x1.62e430p-1f;
    private static final float LOG_C3 = 0x1.555556p-2f;    // 1/3
    private static final float LOG_C5 = 0x1.99999ap-3f;    // 1/5
    private static final float LOG_C7 = 0x1.24924ap-3f;    // 1/7
    private static final float LOG_C9 = 0x1.c71c72p-4f;    // 1/9

    /**
     * exp(x) by the library's formula (C {@code tt_expf}): max error 1.22 ulp, identical bits everywhere.
     * NaN gives NaN, x < -87.33 gives 0, x > 88.72 gives +inf.
     */
    public static float expf(float x) {
        if (Float.isNaN(x)) {
            return x;
        }
        if (x < EXP_LO) {
            return 0f;
        }
        if (x > EXP_HI) {
            return Float.POSITIVE_INFINITY;
        }
        float k = roundf(x * LOG2E);
        int ki = (int) k;
        float r = (x - k * LN2_HI) - k * LN2_LO;
        float p = EXP_C7;
        p = p * r + EXP_C6;
        p = p * r + EXP_C5;
        p = p * r + EXP_C4;
        p = p * r + EXP_C3;
        p = p * r + 0.5f;
        p = p * r + 1f;
        p = p * r + 1f;
        if (ki > 127) {
            return p * Math.scalb(1f, 127) * 2f;
        }
        return p * Math.scalb(1f, ki);
    }

    /**
     * log(x) by the library's formula (C {@code tt_logf}): max error 1.97 ulp. NaN and negative
     * arguments give NaN, zero gives -inf, +inf gives +inf.
     */
    public static float logf(float x) {
        if (Float.isNaN(x)) {
            return x;
        }
        if (x < 0f) {
            return Float.NaN;
        }
        if (x == 0f) {
            return Float.NEGATIVE_INFINITY;
        }
        if (x == Float.POSITIVE_INFINITY) {
            return x;
        }
        int e = 0;
        if (x < 0x1p-126f) {
            x = x * 0x1p23f;
            e = -23;
        }
        int bits = Float.floatToRawIntBits(x);
        e += (bits >>> 23) - 127;
        float m = Float.intBitsToFloat((bits & 0x007FFFFF) | 0x3F800000);
        if (m >= SQRT2) {
            m = m * 0.5f;
            e += 1;
        }
        float f = m - 1f;
        float s = f / (2f + f);
        float z = s * s;
        float q = LOG_C9;
        q = q * z + LOG_C7;
        q = q * z + LOG_C5;
        q = q * z + LOG_C3;
        return (float) e * LN2 + 2f * (s + s * (z * q));
    }

    /**
     * The stochastic-rounding variate in [0, 1), 24 bits (C {@code tt_hash_uniform}); arguments are
     * unsigned 32-bit values in Java ints.
     */
    public static float hashUniform(int seed, int step, int tensorId, int index) {
        int h = mix(mix(mix(mix(seed ^ 0x9e3779b9) ^ step) ^ tensorId) ^ index);
        return (float) (h >>> 8) * 0x1p-24f;
    }

    private static int mix(int x) {
        x ^= x >>> 16;
        x *= 0x7feb352d;
        x ^= x >>> 15;
        x *= 0x846ca68b;
        x ^= x >>> 16;
        return x;
    }

    /** C {@code roundf}: nearest integer, halfway cases away from zero; keeps the sign of zero. */
    public static float roundf(float x) {
        float a = Math.abs(x);
        if (!(a < 0x1p23f)) {
            return x;                       // NaN, infinities and floats that are already integers
        }
        float f = (float) Math.floor(a);    // exact
        if (a - f >= 0.5f) {                // a - f is exact
            f += 1f;
        }
        return Math.copySign(f, x);
    }

    /** C {@code floorf}. */
    public static float floorf(float x) {
        return (float) Math.floor(x);
    }

    /** C {@code truncf}: toward zero, keeps the sign of zero. */
    public static float truncf(float x) {
        return (float) (x < 0f ? Math.ceil(x) : Math.floor(x));
    }

    // ---- the SGD step (see SgdParams) -------------------------------------------------------

    /** The integer-valued step of an additive rounding; {@code index} is the element's state position. */
    public static float roundStep(SgdParams sgd, int index, float delta) {
        return switch (sgd.rounding()) {
            case STOCHASTIC -> floorf(delta + hashUniform(sgd.seed(), sgd.step(), sgd.tensorId(), index));
            case NEAREST -> roundf(delta);
            case TRUNCATE -> truncf(delta);
            case FLOAT_MASTER -> throw new IllegalArgumentException("FLOAT_MASTER has no additive step");
        };
    }

    /** An int8 weight plus an integer-valued step, saturated to [-127, 127]; NaN leaves it unchanged. */
    public static byte addSaturatedS8(byte value, float r) {
        if (Float.isNaN(r)) {
            return value;
        }
        if (r >= 255f) {
            return 127;
        }
        if (r <= -255f) {
            return -127;
        }
        return (byte) Math.clamp(value + (int) r, -127, 127);
    }

    /** An int32 bias plus an integer-valued step, saturated to the int32 range; NaN leaves it unchanged. */
    public static int addSaturatedS32(int value, float r) {
        if (Float.isNaN(r)) {
            return value;
        }
        if (r >= 0x1p32f) {
            return Integer.MAX_VALUE;
        }
        if (r <= -0x1p32f) {
            return Integer.MIN_VALUE;
        }
        return (int) Math.clamp((long) value + (long) r, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    /** The int8 weight of a float master: roundf, saturated to [-127, 127]; NaN keeps {@code value}. */
    public static byte fromMasterS8(byte value, float master) {
        float r = roundf(master);
        if (Float.isNaN(r)) {
            return value;
        }
        return (byte) (r >= 127f ? 127 : r <= -127f ? -127 : (int) r);
    }

    /** The int32 bias of a float master: roundf, saturated to the int32 range; NaN keeps {@code value}. */
    public static int fromMasterS32(int value, float master) {
        float r = roundf(master);
        if (Float.isNaN(r)) {
            return value;
        }
        return r >= 0x1p31f ? Integer.MAX_VALUE : r <= -0x1p31f ? Integer.MIN_VALUE : (int) r;
    }
}
