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

    /** The instance the {@link KernelBackend} defaults run. */
    static final ReferenceBackend ORACLE = new ReferenceBackend();

    private static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

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

    // ---- training: plain loops in exactly the order tt_backward.h documents ----------------

    @Override
    public void clampMask(Activation a, Dims dims, MemorySegment y, MemorySegment mask) {
        KernelChecks.clampMask(a, dims, y, mask);
        long n = dims.elements();
        for (long byteIndex = 0; byteIndex < (n + 7) / 8; byteIndex++) {
            int bits = 0;
            for (long i = byteIndex * 8; i < n && i < byteIndex * 8 + 8; i++) {
                byte v = y.get(I8, i);
                if (v > a.min() && v < a.max()) {
                    bits |= 1 << (i & 7);
                }
            }
            mask.set(I8, byteIndex, (byte) bits);
        }
    }

    @Override
    public void gatherChannels(Dims in, MemorySegment input, int[] channels, MemorySegment output) {
        KernelChecks.gatherChannels(in, input, channels, output);
        long pixels = (long) in.n() * in.h() * in.w();
        for (long p = 0; p < pixels; p++) {
            for (int j = 0; j < channels.length; j++) {
                output.set(I8, p * channels.length + j, input.get(I8, p * in.c() + channels[j]));
            }
        }
    }

    @Override
    public void softmaxXent(float scale, int zeroPoint, Dims d, MemorySegment logits, MemorySegment labels,
                            MemorySegment loss, MemorySegment grad) {
        KernelChecks.softmaxXent(scale, zeroPoint, d, logits, labels, loss, grad);
        int classes = d.c();
        for (int b = 0; b < d.n(); b++) {
            long row = (long) b * classes;
            int label = labels.get(I32, 4L * b);
            float m = (float) (logits.get(I8, row) - zeroPoint) * scale;
            for (int i = 1; i < classes; i++) {
                float z = (float) (logits.get(I8, row + i) - zeroPoint) * scale;
                m = z > m ? z : m;
            }
            float s = 0f;
            for (int i = 0; i < classes; i++) {
                float e = TrainMath.expf((float) (logits.get(I8, row + i) - zeroPoint) * scale - m);
                grad.set(F32, 4 * (row + i), e);
                s = s + e;
            }
            if (loss != null) {
                float zl = (float) (logits.get(I8, row + label) - zeroPoint) * scale;
                loss.set(F32, 4L * b, (m + TrainMath.logf(s)) - zl);
            }
            for (int i = 0; i < classes; i++) {
                float p = grad.get(F32, 4 * (row + i));
                grad.set(F32, 4 * (row + i), scale * (p / s - (i == label ? 1f : 0f)));
            }
        }
    }

    @Override
    public void gradScaleMask(float[] scale, Dims dims, MemorySegment grad, MemorySegment mask, MemorySegment out) {
        KernelChecks.gradScaleMask(scale, dims, grad, mask, out);
        long n = dims.elements();
        for (long i = 0; i < n; i++) {
            boolean on = mask == null || ((mask.get(I8, i >>> 3) >> (i & 7)) & 1) != 0;
            out.set(F32, 4 * i, on ? grad.get(F32, 4 * i) * scale[(int) (i % dims.c())] : 0f);
        }
    }

    @Override
    public void meanGrad(float scale, Dims gd, MemorySegment grad, Dims od, MemorySegment output) {
        KernelChecks.meanGrad(scale, gd, grad, od, output);
        float count = (float) (od.h() * od.w());
        long cells = (long) od.h() * od.w();
        for (int b = 0; b < od.n(); b++) {
            for (long p = 0; p < cells; p++) {
                for (int c = 0; c < od.c(); c++) {
                    float g = grad.get(F32, 4 * ((long) b * od.c() + c));
                    output.set(F32, 4 * (((long) b * cells + p) * od.c() + c), g * scale / count);
                }
            }
        }
    }

    @Override
    public void avgPoolGrad(PoolParams p, Dims gd, MemorySegment grad, Dims od, MemorySegment output) {
        KernelChecks.avgPoolGrad(p, gd, grad, od, output);
        output.asSlice(0, 4 * od.elements()).fill((byte) 0);
        int ch = od.c();
        for (int b = 0; b < gd.n(); b++) {
            for (int oy = 0; oy < gd.h(); oy++) {
                int y0 = Math.max(0, oy * p.strideH() - p.padH());
                int y1 = Math.min(od.h(), oy * p.strideH() - p.padH() + p.filterH());
                for (int ox = 0; ox < gd.w(); ox++) {
                    int x0 = Math.max(0, ox * p.strideW() - p.padW());
                    int x1 = Math.min(od.w(), ox * p.strideW() - p.padW() + p.filterW());
                    float count = (float) ((y1 - y0) * (x1 - x0));
                    for (int c = 0; c < ch; c++) {
                        float share = grad.get(F32, 4 * ((((long) b * gd.h() + oy) * gd.w() + ox) * ch + c)) / count;
                        for (int y = y0; y < y1; y++) {
                            for (int x = x0; x < x1; x++) {
                                long o = 4 * ((((long) b * od.h() + y) * od.w() + x) * ch + c);
                                output.set(F32, o, output.get(F32, o) + share);
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void addF32(Dims dims, MemorySegment a, MemorySegment b, MemorySegment out) {
        KernelChecks.addF32(dims, a, b, out);
        long n = dims.elements();
        for (long i = 0; i < n; i++) {
            out.set(F32, 4 * i, a.get(F32, 4 * i) + b.get(F32, 4 * i));
        }
    }

    @Override
    public void conv2dGradInput(ConvParams p, Dims gd, MemorySegment grad, Dims fd, MemorySegment filter, Dims od,
                                MemorySegment output) {
        KernelChecks.conv2dGradInput(p, gd, grad, fd, filter, od, output);
        gradInput(p, gd, grad, fd, filter, od, output, false);
    }

    @Override
    public void depthwiseConv2dGradInput(ConvParams p, Dims gd, MemorySegment grad, Dims fd, MemorySegment filter,
                                         Dims od, MemorySegment output) {
        KernelChecks.depthwiseConv2dGradInput(p, gd, grad, fd, filter, od, output);
        gradInput(p, gd, grad, fd, filter, od, output, true);
    }

    /** Per input cell: taps (ky, kx) row-major, then output channels ascending (depthwise: its own channel). */
    private static void gradInput(ConvParams p, Dims gd, MemorySegment grad, Dims fd, MemorySegment filter, Dims od,
                                  MemorySegment output, boolean depthwise) {
        for (int b = 0; b < od.n(); b++) {
            for (int iy = 0; iy < od.h(); iy++) {
                for (int ix = 0; ix < od.w(); ix++) {
                    for (int ic = 0; ic < od.c(); ic++) {
                        float acc = 0f;
                        for (int ky = 0; ky < fd.h(); ky++) {
                            int ty = iy + p.padH() - ky;
                            if (ty < 0 || ty % p.strideH() != 0 || ty / p.strideH() >= gd.h()) {
                                continue;
                            }
                            int oy = ty / p.strideH();
                            for (int kx = 0; kx < fd.w(); kx++) {
                                int tx = ix + p.padW() - kx;
                                if (tx < 0 || tx % p.strideW() != 0 || tx / p.strideW() >= gd.w()) {
                                    continue;
                                }
                                int ox = tx / p.strideW();
                                long gBase = (((long) b * gd.h() + oy) * gd.w() + ox) * gd.c();
                                if (depthwise) {
                                    byte w = filter.get(I8, ((long) ky * fd.w() + kx) * fd.c() + ic);
                                    acc = acc + (float) w * grad.get(F32, 4 * (gBase + ic));
                                } else {
                                    for (int oc = 0; oc < gd.c(); oc++) {
                                        byte w = filter.get(I8, (((long) oc * fd.h() + ky) * fd.w() + kx) * fd.c() + ic);
                                        acc = acc + (float) w * grad.get(F32, 4 * (gBase + oc));
                                    }
                                }
                            }
                        }
                        output.set(F32, 4 * ((((long) b * od.h() + iy) * od.w() + ix) * od.c() + ic), acc);
                    }
                }
            }
        }
    }

    @Override
    public void conv2dGradWeightUpdate(SgdParams sgd, ConvParams p, float[] qasScale, Dims gd, MemorySegment grad,
                                       Dims sd, MemorySegment saved, int[] channels, Dims fd, MemorySegment filter,
                                       SgdState state) {
        KernelChecks.conv2dGradWeightUpdate(sgd, p, qasScale, gd, grad, sd, saved, channels, fd, filter, state);
        int nch = channels.length;
        for (int oc = 0; oc < fd.n(); oc++) {
            for (int ky = 0; ky < fd.h(); ky++) {
                for (int kx = 0; kx < fd.w(); kx++) {
                    for (int j = 0; j < nch; j++) {
                        float g = weightGradient(p, gd, grad, oc, sd, saved, j, ky, kx);
                        long tap = ((long) oc * fd.h() + ky) * fd.w() + kx;
                        int index = (int) (tap * nch + j);
                        long w = tap * fd.c() + channels[j];
                        float qas = qasScale != null ? qasScale[oc] : 1f;
                        filter.set(I8, w, stepS8(sgd, state, index, filter.get(I8, w), g, qas));
                    }
                }
            }
        }
    }

    @Override
    public void depthwiseConv2dGradWeightUpdate(SgdParams sgd, ConvParams p, float[] qasScale, Dims gd,
                                                MemorySegment grad, Dims sd, MemorySegment saved, int[] channels,
                                                Dims fd, MemorySegment filter, SgdState state) {
        KernelChecks.depthwiseConv2dGradWeightUpdate(sgd, p, qasScale, gd, grad, sd, saved, channels, fd, filter,
                state);
        int nch = channels.length;
        for (int ky = 0; ky < fd.h(); ky++) {
            for (int kx = 0; kx < fd.w(); kx++) {
                for (int j = 0; j < nch; j++) {
                    float g = weightGradient(p, gd, grad, channels[j], sd, saved, j, ky, kx);
                    long tap = (long) ky * fd.w() + kx;
                    int index = (int) (tap * nch + j);
                    long w = tap * fd.c() + channels[j];
                    float qas = qasScale != null ? qasScale[channels[j]] : 1f;
                    filter.set(I8, w, stepS8(sgd, state, index, filter.get(I8, w), g, qas));
                }
            }
        }
    }

    /**
     * Sum over (n, oy, ox) in raster order of (float)(saved[n][iy][ix][j] + inputOffset) * grad[n][oy][ox][gc],
     * cells outside the input skipped.
     */
    private static float weightGradient(ConvParams p, Dims gd, MemorySegment grad, int gc, Dims sd,
                                        MemorySegment saved, int j, int ky, int kx) {
        float acc = 0f;
        for (int b = 0; b < gd.n(); b++) {
            for (int oy = 0; oy < gd.h(); oy++) {
                int iy = oy * p.strideH() - p.padH() + ky;
                if (iy < 0 || iy >= sd.h()) {
                    continue;
                }
                for (int ox = 0; ox < gd.w(); ox++) {
                    int ix = ox * p.strideW() - p.padW() + kx;
                    if (ix < 0 || ix >= sd.w()) {
                        continue;
                    }
                    float g = grad.get(F32, 4 * ((((long) b * gd.h() + oy) * gd.w() + ox) * gd.c() + gc));
                    int x = saved.get(I8, (((long) b * sd.h() + iy) * sd.w() + ix) * sd.c() + j) + p.inputOffset();
                    acc = acc + (float) x * g;
                }
            }
        }
        return acc;
    }

    @Override
    public void biasGradUpdate(SgdParams sgd, float[] qasScale, Dims gd, MemorySegment grad, Dims biasDims,
                               MemorySegment bias, SgdState state) {
        KernelChecks.biasGradUpdate(sgd, qasScale, gd, grad, biasDims, bias, state);
        long pixels = (long) gd.n() * gd.h() * gd.w();
        for (int c = 0; c < gd.c(); c++) {
            float acc = 0f;
            for (long px = 0; px < pixels; px++) {
                acc = acc + grad.get(F32, 4 * (px * gd.c() + c));
            }
            float qas = qasScale != null ? qasScale[c] : 1f;
            bias.set(I32, 4L * c, stepS32(sgd, state, c, bias.get(I32, 4L * c), acc, qas));
        }
    }

    // ---- kernels for the memory planner ------------------------------------------------------

    @Override
    public void conv2dGradWeight(ConvParams p, Dims gd, MemorySegment grad, Dims sd, MemorySegment saved,
                                 int[] channels, Dims fd, MemorySegment output) {
        KernelChecks.conv2dGradWeight(p, gd, grad, sd, saved, channels, fd, output);
        int nch = channels.length;
        for (int oc = 0; oc < fd.n(); oc++) {
            for (int ky = 0; ky < fd.h(); ky++) {
                for (int kx = 0; kx < fd.w(); kx++) {
                    for (int j = 0; j < nch; j++) {
                        long index = (((long) oc * fd.h() + ky) * fd.w() + kx) * nch + j;
                        output.set(F32, 4 * index, weightGradient(p, gd, grad, oc, sd, saved, j, ky, kx));
                    }
                }
            }
        }
    }

    @Override
    public void depthwiseConv2dGradWeight(ConvParams p, Dims gd, MemorySegment grad, Dims sd, MemorySegment saved,
                                          int[] channels, Dims fd, MemorySegment output) {
        KernelChecks.depthwiseConv2dGradWeight(p, gd, grad, sd, saved, channels, fd, output);
        int nch = channels.length;
        for (int ky = 0; ky < fd.h(); ky++) {
            for (int kx = 0; kx < fd.w(); kx++) {
                for (int j = 0; j < nch; j++) {
                    long index = ((long) ky * fd.w() + kx) * nch + j;
                    output.set(F32, 4 * index, weightGradient(p, gd, grad, channels[j], sd, saved, j, ky, kx));
                }
            }
        }
    }

    @Override
    public void biasGrad(Dims gd, MemorySegment grad, MemorySegment output) {
        KernelChecks.biasGrad(gd, grad, output);
        long pixels = (long) gd.n() * gd.h() * gd.w();
        for (int c = 0; c < gd.c(); c++) {
            float acc = 0f;
            for (long px = 0; px < pixels; px++) {
                acc = acc + grad.get(F32, 4 * (px * gd.c() + c));
            }
            output.set(F32, 4L * c, acc);
        }
    }

    @Override
    public void sgdUpdateWeights(SgdParams sgd, float[] qasScale, boolean depthwise, MemorySegment gradient,
                                 int[] channels, Dims fd, MemorySegment filter, SgdState state) {
        KernelChecks.sgdUpdateWeights(sgd, qasScale, depthwise, gradient, channels, fd, filter, state);
        int nch = channels.length;
        int nOut = depthwise ? 1 : fd.n();
        for (int oc = 0; oc < nOut; oc++) {
            for (int ky = 0; ky < fd.h(); ky++) {
                for (int kx = 0; kx < fd.w(); kx++) {
                    long tap = ((long) oc * fd.h() + ky) * fd.w() + kx;
                    for (int j = 0; j < nch; j++) {
                        int index = (int) (tap * nch + j);
                        long w = tap * fd.c() + channels[j];
                        float qas = qasScale == null ? 1f : qasScale[depthwise ? channels[j] : oc];
                        float g = gradient.get(F32, 4L * index);
                        filter.set(I8, w, stepS8(sgd, state, index, filter.get(I8, w), g, qas));
                    }
                }
            }
        }
    }

    @Override
    public void sgdUpdateBias(SgdParams sgd, float[] qasScale, MemorySegment gradient, Dims biasDims,
                              MemorySegment bias, SgdState state) {
        KernelChecks.sgdUpdateBias(sgd, qasScale, gradient, biasDims, bias, state);
        for (int c = 0; c < biasDims.c(); c++) {
            float qas = qasScale != null ? qasScale[c] : 1f;
            bias.set(I32, 4L * c, stepS32(sgd, state, c, bias.get(I32, 4L * c), gradient.get(F32, 4L * c), qas));
        }
    }

    /**
     * Per batch item and intermediate channel: the conv's channel plane into scratch (the conv2d loop above
     * restricted to one output channel), then the depthwise output channel from that plane.
     */
    @Override
    public void convDepthwise(ConvParams cp, ChannelQuant cq, Dims in, MemorySegment input, Dims cfd,
                              MemorySegment convFilter, MemorySegment convBias, Dims mid, ConvParams dp,
                              ChannelQuant dq, Dims dfd, MemorySegment dwFilter, MemorySegment dwBias, Dims out,
                              MemorySegment output, MemorySegment scratch) {
        KernelChecks.convDepthwise(cp, cq, in, input, cfd, convFilter, convBias, mid, dp, dq, dfd, dwFilter, dwBias,
                out, output, scratch);
        int cin = in.c();
        int ch = mid.c();
        for (int b = 0; b < in.n(); b++) {
            for (int c = 0; c < ch; c++) {
                for (int my = 0; my < mid.h(); my++) {
                    for (int mx = 0; mx < mid.w(); mx++) {
                        int acc = 0;
                        for (int ky = 0; ky < cfd.h(); ky++) {
                            int iy = my * cp.strideH() - cp.padH() + ky;
                            if (iy < 0 || iy >= in.h()) {
                                continue;
                            }
                            for (int kx = 0; kx < cfd.w(); kx++) {
                                int ix = mx * cp.strideW() - cp.padW() + kx;
                                if (ix < 0 || ix >= in.w()) {
                                    continue;
                                }
                                long inBase = (((long) b * in.h() + iy) * in.w() + ix) * cin;
                                long fBase = (((long) c * cfd.h() + ky) * cfd.w() + kx) * cin;
                                for (int ic = 0; ic < cin; ic++) {
                                    acc += (input.get(I8, inBase + ic) + cp.inputOffset())
                                            * convFilter.get(I8, fBase + ic);
                                }
                            }
                        }
                        scratch.set(I8, (long) my * mid.w() + mx,
                                finish(acc, convBias, c, cq, cp.outputOffset(), cp.activation()));
                    }
                }
                for (int oy = 0; oy < out.h(); oy++) {
                    for (int ox = 0; ox < out.w(); ox++) {
                        int acc = 0;
                        for (int ky = 0; ky < dfd.h(); ky++) {
                            int my = oy * dp.strideH() - dp.padH() + ky;
                            if (my < 0 || my >= mid.h()) {
                                continue;
                            }
                            for (int kx = 0; kx < dfd.w(); kx++) {
                                int mx = ox * dp.strideW() - dp.padW() + kx;
                                if (mx < 0 || mx >= mid.w()) {
                                    continue;
                                }
                                acc += (scratch.get(I8, (long) my * mid.w() + mx) + dp.inputOffset())
                                        * dwFilter.get(I8, ((long) ky * dfd.w() + kx) * ch + c);
                            }
                        }
                        long o = (((long) b * out.h() + oy) * out.w() + ox) * ch + c;
                        output.set(I8, o, finish(acc, dwBias, c, dq, dp.outputOffset(), dp.activation()));
                    }
                }
            }
        }
    }

    /** Pixel by pixel: the input pixel into scratch, then its output over the region (see KernelBackend). */
    @Override
    public void conv2d1x1InPlace(ConvParams p, ChannelQuant q, Dims in, Dims fd, MemorySegment filter,
                                 MemorySegment bias, Dims out, MemorySegment region, MemorySegment scratch) {
        KernelChecks.conv2d1x1InPlace(p, q, in, fd, filter, bias, out, region, scratch);
        int cin = in.c();
        int cout = out.c();
        long pixels = (long) in.n() * in.h() * in.w();
        long inOffset = KernelChecks.conv2d1x1InPlaceInputOffset(in, out);
        for (long px = 0; px < pixels; px++) {
            MemorySegment.copy(region, inOffset + px * cin, scratch, 0, cin);
            for (int oc = 0; oc < cout; oc++) {
                int acc = 0;
                for (int ic = 0; ic < cin; ic++) {
                    acc += (scratch.get(I8, ic) + p.inputOffset()) * filter.get(I8, (long) oc * cin + ic);
                }
                region.set(I8, px * cout + oc, finish(acc, bias, oc, q, p.outputOffset(), p.activation()));
            }
        }
    }

    /** The SGD step of one int8 weight (state position {@code index}). */
    private static byte stepS8(SgdParams sgd, SgdState state, int index, byte value, float g, float qas) {
        float delta = delta(sgd, state, index, g, qas);
        if (sgd.rounding() == Rounding.FLOAT_MASTER) {
            float m = state.master().get(F32, 4L * index) + delta;
            state.master().set(F32, 4L * index, m);
            return TrainMath.fromMasterS8(value, m);
        }
        return TrainMath.addSaturatedS8(value, TrainMath.roundStep(sgd, index, delta));
    }

    /** The SGD step of one int32 bias (state position {@code index}). */
    private static int stepS32(SgdParams sgd, SgdState state, int index, int value, float g, float qas) {
        float delta = delta(sgd, state, index, g, qas);
        if (sgd.rounding() == Rounding.FLOAT_MASTER) {
            float m = state.master().get(F32, 4L * index) + delta;
            state.master().set(F32, 4L * index, m);
            return TrainMath.fromMasterS32(value, m);
        }
        return TrainMath.addSaturatedS32(value, TrainMath.roundStep(sgd, index, delta));
    }

    /** {@code -lr * g''}: g'' = g * qas, or with momentum the new velocity momentum * v + g * qas. */
    private static float delta(SgdParams sgd, SgdState state, int index, float g, float qas) {
        float step = g * qas;
        if (sgd.momentum() != 0f) {
            step = sgd.momentum() * state.velocity().get(F32, 4L * index) + step;
            state.velocity().set(F32, 4L * index, step);
        }
        return -sgd.lr() * step;
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
