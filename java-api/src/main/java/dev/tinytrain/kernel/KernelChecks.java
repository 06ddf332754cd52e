package dev.tinytrain.kernel;

import dev.tinytrain.tensor.Dims;

import java.lang.foreign.MemorySegment;

/**
 * Argument checks shared by every backend, run in Java before any kernel touches memory, so
 * that a wrong shape, a short buffer, a null or an out-of-range parameter is an exception that
 * names the argument and the expected value, never a crash in native code.
 */
public final class KernelChecks {

    private KernelChecks() {
    }

    public static void conv2d(ConvParams p, ChannelQuant q, Dims in, MemorySegment input, Dims filter,
                              MemorySegment filterData, MemorySegment bias, Dims out, MemorySegment output) {
        String op = "conv2d";
        notNull(op, "params", p);
        notNull(op, "quant", q);
        dims(op, in, filter, out);
        equal(op, "filter dims.c (input channels)", in.c(), filter.c());
        equal(op, "output dims.c", filter.n(), out.c());
        equal(op, "output dims.n (batch)", in.n(), out.n());
        convCommon(op, p, q, in, input, filter, filterData, bias, out, output, filter.n());
    }

    public static void depthwiseConv2d(ConvParams p, ChannelQuant q, Dims in, MemorySegment input, Dims filter,
                                       MemorySegment filterData, MemorySegment bias, Dims out, MemorySegment output) {
        String op = "depthwise_conv2d";
        notNull(op, "params", p);
        notNull(op, "quant", q);
        dims(op, in, filter, out);
        equal(op, "filter dims.n (depth multiplier layout 1HWC)", 1, filter.n());
        equal(op, "filter dims.c", in.c(), filter.c());
        equal(op, "output dims.c", in.c(), out.c());
        equal(op, "output dims.n (batch)", in.n(), out.n());
        convCommon(op, p, q, in, input, filter, filterData, bias, out, output, in.c());
    }

    public static void fullyConnected(FcParams p, ChannelQuant q, Dims in, MemorySegment input, Dims filter,
                                      MemorySegment filterData, MemorySegment bias, Dims out, MemorySegment output) {
        String op = "fully_connected";
        notNull(op, "params", p);
        notNull(op, "quant", q);
        dims(op, in, filter, out);
        if (filter.h() != 1 || filter.w() != 1) {
            throw new KernelArgumentException(op, "filter dims", "[out,1,1,in]", filter.toString());
        }
        if (filter.c() != in.rowElements()) {
            throw new KernelArgumentException(op, "filter dims.c (input features)",
                    Long.toString(in.rowElements()) + " (input h*w*c)", Integer.toString(filter.c()));
        }
        Dims expectedOut = Dims.of(in.n(), 1, 1, filter.n());
        if (!out.equals(expectedOut)) {
            throw new KernelArgumentException(op, "output dims", expectedOut.toString(), out.toString());
        }
        offsets(op, p.inputOffset(), p.outputOffset());
        quant(op, q, filter.n());
        segments(op, in, input, filter, filterData, bias, filter.n(), out, output);
    }

    public static void add(AddParams p, Dims in1, MemorySegment input1, Dims in2, MemorySegment input2,
                           Dims out, MemorySegment output) {
        String op = "add";
        notNull(op, "params", p);
        notNull(op, "input1 dims", in1);
        notNull(op, "input2 dims", in2);
        notNull(op, "output dims", out);
        if (!in1.equals(in2)) {
            throw new KernelArgumentException(op, "input2 dims", in1 + " (same as input1)", in2.toString());
        }
        if (!in1.equals(out)) {
            throw new KernelArgumentException(op, "output dims", in1 + " (same as inputs)", out.toString());
        }
        range(op, "params.input1Offset", p.input1Offset(), -127, 128);
        range(op, "params.input2Offset", p.input2Offset(), -127, 128);
        range(op, "params.outputOffset", p.outputOffset(), -128, 127);
        range(op, "params.leftShift", p.leftShift(), 0, 22);
        multiplier(op, "params.input1Multiplier", p.input1Multiplier());
        multiplier(op, "params.input2Multiplier", p.input2Multiplier());
        multiplier(op, "params.outputMultiplier", p.outputMultiplier());
        range(op, "params.input1Shift", p.input1Shift(), -31, 0);
        range(op, "params.input2Shift", p.input2Shift(), -31, 0);
        range(op, "params.outputShift", p.outputShift(), -31, 30);
        segment(op, "input1", input1, in1.elements(), false);
        segment(op, "input2", input2, in2.elements(), false);
        segment(op, "output", output, out.elements(), true);
    }

    public static void avgPool2d(PoolParams p, Dims in, MemorySegment input, Dims out, MemorySegment output) {
        String op = "avgpool2d";
        notNull(op, "params", p);
        notNull(op, "input dims", in);
        notNull(op, "output dims", out);
        equal(op, "output dims.n (batch)", in.n(), out.n());
        equal(op, "output dims.c", in.c(), out.c());
        window(op, "h", in.h(), out.h(), p.filterH(), p.strideH(), p.padH());
        window(op, "w", in.w(), out.w(), p.filterW(), p.strideW(), p.padW());
        if ((long) p.filterH() * p.filterW() > (1 << 24)) {
            throw new KernelArgumentException(op, "params.filter", "filterH*filterW <= 2^24 (int32 sum)",
                    p.filterH() + "x" + p.filterW());
        }
        segment(op, "input", input, in.elements(), false);
        segment(op, "output", output, out.elements(), true);
    }

    public static void mean(MeanParams p, Dims in, MemorySegment input, Dims out, MemorySegment output) {
        String op = "mean";
        notNull(op, "params", p);
        notNull(op, "input dims", in);
        notNull(op, "output dims", out);
        Dims expectedOut = Dims.of(in.n(), 1, 1, in.c());
        if (!out.equals(expectedOut)) {
            throw new KernelArgumentException(op, "output dims", expectedOut.toString(), out.toString());
        }
        if (in.h() * (long) in.w() > (1 << 24)) {
            throw new KernelArgumentException(op, "input dims", "h*w <= 2^24 (int32 sum)", in.toString());
        }
        range(op, "params.inputOffset (minus the input zero point)", p.inputOffset(), -127, 128);
        range(op, "params.outputOffset (the output zero point)", p.outputOffset(), -128, 127);
        multiplier(op, "params.multiplier", p.multiplier());
        range(op, "params.shift", p.shift(), -31, 30);
        segment(op, "input", input, in.elements(), false);
        segment(op, "output", output, out.elements(), true);
    }

    public static void requantize(int multiplier, int shift) {
        multiplier("requantize", "multiplier", multiplier);
        range("requantize", "shift", shift, -31, 30);
    }

    // ---- shared pieces ---------------------------------------------------------------------

    private static void convCommon(String op, ConvParams p, ChannelQuant q, Dims in, MemorySegment input,
                                   Dims filter, MemorySegment filterData, MemorySegment bias, Dims out,
                                   MemorySegment output, int outChannels) {
        offsets(op, p.inputOffset(), p.outputOffset());
        window(op, "h", in.h(), out.h(), filter.h(), p.strideH(), p.padH());
        window(op, "w", in.w(), out.w(), filter.w(), p.strideW(), p.padW());
        quant(op, q, outChannels);
        segments(op, in, input, filter, filterData, bias, outChannels, out, output);
    }

    private static void dims(String op, Dims in, Dims filter, Dims out) {
        notNull(op, "input dims", in);
        notNull(op, "filter dims", filter);
        notNull(op, "output dims", out);
    }

    private static void offsets(String op, int inputOffset, int outputOffset) {
        range(op, "params.inputOffset (minus the input zero point)", inputOffset, -127, 128);
        range(op, "params.outputOffset (the output zero point)", outputOffset, -128, 127);
    }

    private static void quant(String op, ChannelQuant q, int channels) {
        equal(op, "quant channels", channels, q.channels());
        int[] m = q.multiplier();
        int[] s = q.shift();
        for (int c = 0; c < channels; c++) {
            if (m[c] < 0) {          // labels are built only on failure: this loop runs on every call
                multiplier(op, "quant.multiplier[" + c + "]", m[c]);
            }
            if (s[c] < -31 || s[c] > 30) {
                range(op, "quant.shift[" + c + "]", s[c], -31, 30);
            }
        }
    }

    private static void segments(String op, Dims in, MemorySegment input, Dims filter, MemorySegment filterData,
                                 MemorySegment bias, int outChannels, Dims out, MemorySegment output) {
        segment(op, "input", input, in.elements(), false);
        segment(op, "filter", filterData, filter.elements(), false);
        if (bias != null) {
            segment(op, "bias", bias, 4L * outChannels, false);
        }
        segment(op, "output", output, out.elements(), true);
    }

    /**
     * One spatial axis of a windowed op: stride and filter >= 1, 0 <= pad < filter, output >= 1,
     * and the last window starts inside the input (so every window sees at least one input cell),
     * while the output covers the input as far as the stride allows.
     */
    private static void window(String op, String axis, int in, int out, int filter, int stride, int pad) {
        range(op, "stride_" + axis, stride, 1, Integer.MAX_VALUE);
        range(op, "filter " + axis, filter, 1, Integer.MAX_VALUE);
        range(op, "pad_" + axis, pad, 0, filter - 1);
        long padAfter = (long) (out - 1) * stride + filter - pad - in;
        if (padAfter > filter - 1 || padAfter <= -stride) {
            long lo = Math.max(1, ceilDiv((long) in + pad - filter + 1, stride)); // padAfter <= -stride excluded
            long hi = Math.floorDiv((long) in + pad - 1, stride) + 1;             // last window starts inside
            throw new KernelArgumentException(op, "output dims." + axis,
                    (lo == hi ? Long.toString(lo) : "a value in [" + lo + ", " + hi + "]")
                            + " for input " + in + ", filter " + filter + ", stride " + stride + ", pad " + pad,
                    Integer.toString(out));
        }
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    private static void segment(String op, String name, MemorySegment s, long bytes, boolean writable) {
        if (s == null) {
            throw new KernelArgumentException(op, name, "a buffer of at least " + bytes + " bytes", "null");
        }
        if (s.byteSize() < bytes) {
            throw new KernelArgumentException(op, name, "at least " + bytes + " bytes", s.byteSize() + " bytes");
        }
        if (writable && s.isReadOnly()) {
            throw new KernelArgumentException(op, name, "a writable buffer", "a read-only segment");
        }
    }

    private static void multiplier(String op, String name, int m) {
        if (m < 0) {
            throw new KernelArgumentException(op, name, "a Q31 multiplier >= 0", Integer.toString(m));
        }
    }

    private static void range(String op, String name, int v, int lo, int hi) {
        if (v < lo || v > hi) {
            throw new KernelArgumentException(op, name,
                    hi == Integer.MAX_VALUE ? ">= " + lo : "a value in [" + lo + ", " + hi + "]", Integer.toString(v));
        }
    }

    private static void equal(String op, String name, long expected, long actual) {
        if (expected != actual) {
            throw new KernelArgumentException(op, name, Long.toString(expected), Long.toString(actual));
        }
    }

    private static void notNull(String op, String name, Object o) {
        if (o == null) {
            throw new KernelArgumentException(op, name, "non-null", "null");
        }
    }
}
