package dev.tinytrain.kernel;

/**
 * The one rule for a windowed op's output size along an axis (conv, depthwise, pooling), shared
 * by the kernel checks and the graph verifier: stride and filter >= 1, 0 <= pad < filter, and
 * the output runs from the first window to the last one that starts inside the input, covering
 * the input as far as the stride allows.
 */
public final class Windows {

    private Windows() {
    }

    /** Smallest valid output size. */
    public static long minOutput(int in, int filter, int stride, int pad) {
        return Math.max(1, -Math.floorDiv(-((long) in + pad - filter + 1), stride));
    }

    /** Largest valid output size. */
    public static long maxOutput(int in, int stride, int pad) {
        return Math.floorDiv((long) in + pad - 1, stride) + 1;
    }

    /** Output size with symmetric padding {@code pad} on both sides (PyTorch-style). */
    public static int symmetricOutput(int in, int filter, int stride, int pad) {
        return (in + 2 * pad - filter) / stride + 1;
    }

    /** A description of what is wrong, or {@code null} when the axis is valid. */
    public static String problem(int in, int out, int filter, int stride, int pad) {
        if (stride < 1) {
            return "stride must be >= 1, got " + stride;
        }
        if (filter < 1) {
            return "filter must be >= 1, got " + filter;
        }
        if (pad < 0 || pad >= filter) {
            return "pad must be in [0, " + (filter - 1) + "], got " + pad;
        }
        long lo = minOutput(in, filter, stride, pad);
        long hi = maxOutput(in, stride, pad);
        if (out < lo || out > hi) {
            return "output must be " + (lo == hi ? Long.toString(lo) : "in [" + lo + ", " + hi + "]")
                    + " for input " + in + ", filter " + filter + ", stride " + stride + ", pad " + pad + ", got " + out;
        }
        return null;
    }
}
