package dev.tinytrain.kernel;

import dev.tinytrain.quant.QuantMath;
import dev.tinytrain.tensor.Dims;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The oracle: plain loops that state the numerics directly. Every other backend must produce
 * the same bits. Accumulation: {@code acc = sum (x + inputOffset) * w} in int32, bias added with
 * saturation, {@link QuantMath#requantize}, output offset, clamp.
 */
public final class ReferenceBackend implements KernelBackend {

    public static final String NAME = "reference";

    private static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    /** Service provider: always available, lowest priority. */
    public static final class Provider implements KernelBackendProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public KernelBackend create() {
            return new ReferenceBackend();
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "reference (pure Java loops, the oracle)";
    }

    @Override
    public void conv2d(ConvParams p, ChannelQuant q, Dims in, MemorySegment input, Dims fd, MemorySegment filter,
                       MemorySegment bias, Dims out, MemorySegment output) {
        KernelChecks.conv2d(p, q, in, input, fd, filter, bias, out, output);
        int cin = in.c();
        for (int b = 0; b < in.n(); b++) {
            for (int oy = 0; oy < out.h(); oy++) {
                for (int ox = 0; ox < out.w(); ox++) {
                    for (int oc = 0; oc < out.c(); oc++) {
                        int acc = 0;
                        for (int ky = 0; ky < fd.h(); ky++) {
                            int iy = oy * p.strideH() - p.padH() + ky;
                            if (iy < 0 || iy >= in.h()) {
                                continue;
                            }
                            for (int kx = 0; kx < fd.w(); kx++) {
                                int ix = ox * p.strideW() - p.padW() + kx;
                                if (ix < 0 || ix >= in.w()) {
                                    continue;
                                }
                                long inBase = (((long) b * in.h() + iy) * in.w() + ix) * cin;
                                long fBase = (((long) oc * fd.h() + ky) * fd.w() + kx) * cin;
                                for (int ic = 0; ic < cin; ic++) {
                                    acc += (input.get(I8, inBase + ic) + p.inputOffset()) * filter.get(I8, fBase + ic);
                                }
                            }
                        }
                        long o = (((long) b * out.h() + oy) * out.w() + ox) * out.c() + oc;
                        output.set(I8, o, finish(acc, bias, oc, q, p.outputOffset(), p.activation()));
                    }
                }
            }
        }
    }

    @Override
    public void depthwiseConv2d(ConvParams p, ChannelQuant q, Dims in, MemorySegment input, Dims fd,
                                MemorySegment filter, MemorySegment bias, Dims out, MemorySegment output) {
        KernelChecks.depthwiseConv2d(p, q, in, input, fd, filter, bias, out, output);
        int ch = in.c();
        for (int b = 0; b < in.n(); b++) {
            for (int oy = 0; oy < out.h(); oy++) {
                for (int ox = 0; ox < out.w(); ox++) {
                    for (int c = 0; c < ch; c++) {
                        int acc = 0;
                        for (int ky = 0; ky < fd.h(); ky++) {
                            int iy = oy * p.strideH() - p.padH() + ky;
                            if (iy < 0 || iy >= in.h()) {
                                continue;
                            }
                            for (int kx = 0; kx < fd.w(); kx++) {
                                int ix = ox * p.strideW() - p.padW() + kx;
                                if (ix < 0 || ix >= in.w()) {
                                    continue;
                                }
                                long i = (((long) b * in.h() + iy) * in.w() + ix) * ch + c;
                                long f = ((long) ky * fd.w() + kx) * ch + c;
                                acc += (input.get(I8, i) + p.inputOffset()) * filter.get(I8, f);
                            }
                        }
                        long o = (((long) b * out.h() + oy) * out.w() + ox) * ch + c;
                        output.set(I8, o, finish(acc, bias, c, q, p.outputOffset(), p.activation()));
                    }
                }
            }
        }
    }

    @Override
    public void fullyConnected(FcParams p, ChannelQuant q, Dims in, MemorySegment input, Dims fd,
                               MemorySegment filter, MemorySegment bias, Dims out, MemorySegment output) {
        KernelChecks.fullyConnected(p, q, in, input, fd, filter, bias, out, output);
        int features = fd.c();
        for (int b = 0; b < in.n(); b++) {
            for (int oc = 0; oc < fd.n(); oc++) {
                int acc = 0;
                long inBase = (long) b * features;
                long fBase = (long) oc * features;
                for (int i = 0; i < features; i++) {
                    acc += (input.get(I8, inBase + i) + p.inputOffset()) * filter.get(I8, fBase + i);
                }
                output.set(I8, (long) b * fd.n() + oc, finish(acc, bias, oc, q, p.outputOffset(), p.activation()));
            }
        }
    }

    @Override
    public void add(AddParams p, Dims in1, MemorySegment input1, Dims in2, MemorySegment input2, Dims out,
                    MemorySegment output) {
        KernelChecks.add(p, in1, input1, in2, input2, out, output);
        long n = out.elements();
        for (long i = 0; i < n; i++) {
            int a = (input1.get(I8, i) + p.input1Offset()) << p.leftShift();
            int b = (input2.get(I8, i) + p.input2Offset()) << p.leftShift();
            int sa = QuantMath.requantize(a, p.input1Multiplier(), p.input1Shift());
            int sb = QuantMath.requantize(b, p.input2Multiplier(), p.input2Shift());
            int raw = QuantMath.requantize(sa + sb, p.outputMultiplier(), p.outputShift()) + p.outputOffset();
            output.set(I8, i, (byte) QuantMath.clamp(raw, p.activation().min(), p.activation().max()));
        }
    }

    @Override
    public void avgPool2d(PoolParams p, Dims in, MemorySegment input, Dims out, MemorySegment output) {
        KernelChecks.avgPool2d(p, in, input, out, output);
        int ch = in.c();
        for (int b = 0; b < in.n(); b++) {
            for (int oy = 0; oy < out.h(); oy++) {
                int y0 = Math.max(0, oy * p.strideH() - p.padH());
                int y1 = Math.min(in.h(), oy * p.strideH() - p.padH() + p.filterH());
                for (int ox = 0; ox < out.w(); ox++) {
                    int x0 = Math.max(0, ox * p.strideW() - p.padW());
                    int x1 = Math.min(in.w(), ox * p.strideW() - p.padW() + p.filterW());
                    int count = (y1 - y0) * (x1 - x0);
                    for (int c = 0; c < ch; c++) {
                        int sum = 0;
                        for (int y = y0; y < y1; y++) {
                            for (int x = x0; x < x1; x++) {
                                sum += input.get(I8, (((long) b * in.h() + y) * in.w() + x) * ch + c);
                            }
                        }
                        int avg = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
                        long o = (((long) b * out.h() + oy) * out.w() + ox) * ch + c;
                        output.set(I8, o, (byte) QuantMath.clamp(avg, p.activation().min(), p.activation().max()));
                    }
                }
            }
        }
    }

    @Override
    public void mean(MeanParams p, Dims in, MemorySegment input, Dims out, MemorySegment output) {
        KernelChecks.mean(p, in, input, out, output);
        int ch = in.c();
        int count = in.h() * in.w();
        for (int b = 0; b < in.n(); b++) {
            for (int c = 0; c < ch; c++) {
                int sum = 0;
                for (long i = 0; i < count; i++) {
                    sum += input.get(I8, ((long) b * count + i) * ch + c) + p.inputOffset();
                }
                int acc = QuantMath.requantize(sum, p.multiplier(), p.shift());
                acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                int v = acc + p.outputOffset();
                output.set(I8, (long) b * ch + c, (byte) QuantMath.clamp(v, p.activation().min(), p.activation().max()));
            }
        }
    }

    @Override
    public int requantize(int value, int multiplier, int shift) {
        KernelChecks.requantize(multiplier, shift);
        return QuantMath.requantize(value, multiplier, shift);
    }

    private static byte finish(int acc, MemorySegment bias, int channel, ChannelQuant q, int outputOffset,
                               Activation act) {
        if (bias != null) {
            acc = QuantMath.saturatingAdd(acc, bias.get(I32, 4L * channel));
        }
        int v = QuantMath.requantize(acc, q.multiplier()[channel], q.shift()[channel]) + outputOffset;
        return (byte) QuantMath.clamp(v, act.min(), act.max());
    }
}
