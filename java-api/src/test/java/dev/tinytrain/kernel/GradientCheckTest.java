package dev.tinytrain.kernel;

import dev.tinytrain.tensor.Dims;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gradients against central finite differences in double (reference backend):
 * <ul>
 *   <li>conv and depthwise input gradients and weight gradients: f = sum(grad_out * conv(x - z_x, w)) is
 *       linear in x and in w, so the central difference with step 1 is exact up to double rounding
 *       (~1e-16 relative). The kernels accumulate n products in float, each sum rounded: |error| <=
 *       n * 2^-24 * sum|terms| (the standard bound), which is the tolerance (plus 1e-30).</li>
 *   <li>the weight gradient is read back through the fused update with FLOAT_MASTER rounding, lr = 1,
 *       momentum 0, no QAS and the master starting at 0: master' = 0 + (-1 * g) = -g exactly.</li>
 *   <li>softmax cross-entropy: the loss is smooth in the logits; step h = 1e-3 (truncation O(h^2 * scale^3)
 *       ~1e-7), tolerance 1e-5 * scale + 1e-6 for float evaluation with tt_expf (1.2 ulp).</li>
 * </ul>
 */
class GradientCheckTest {

    private static final KernelBackend REF = new ReferenceBackend();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private record Conv(Dims in, Dims out, Dims filter, ConvParams p, boolean depthwise) {
        /** Real-valued conv output, double. */
        double[] forward(double[] x, double[] w) {
            double[] y = new double[(int) out.elements()];
            for (int b = 0; b < out.n(); b++) {
                for (int oy = 0; oy < out.h(); oy++) {
                    for (int ox = 0; ox < out.w(); ox++) {
                        for (int oc = 0; oc < out.c(); oc++) {
                            double acc = 0;
                            for (int ky = 0; ky < filter.h(); ky++) {
                                for (int kx = 0; kx < filter.w(); kx++) {
                                    int iy = oy * p.strideH() - p.padH() + ky;
                                    int ix = ox * p.strideW() - p.padW() + kx;
                                    if (iy < 0 || iy >= in.h() || ix < 0 || ix >= in.w()) {
                                        continue;
                                    }
                                    for (int ic = 0; ic < in.c(); ic++) {
                                        if (depthwise && ic != oc) {
                                            continue;
                                        }
                                        int wi = depthwise ? (ky * filter.w() + kx) * filter.c() + ic
                                                : ((oc * filter.h() + ky) * filter.w() + kx) * filter.c() + ic;
                                        acc += x[(((b * in.h()) + iy) * in.w() + ix) * in.c() + ic] * w[wi];
                                    }
                                }
                            }
                            y[((b * out.h() + oy) * out.w() + ox) * out.c() + oc] = acc;
                        }
                    }
                }
            }
            return y;
        }

        static Conv random(SplittableRandom r, boolean depthwise) {
            int k = new int[] {1, 3, 5}[r.nextInt(3)];
            int stride = 1 + r.nextInt(2);
            int cin = 1 + r.nextInt(5);
            int cout = depthwise ? cin : 1 + r.nextInt(5);
            int h = k + r.nextInt(4);
            int w = k + r.nextInt(4);
            int pad = r.nextBoolean() ? k / 2 : 0;
            Dims in = Dims.of(1 + r.nextInt(2), h, w, cin);
            Dims out = Dims.of(in.n(), (h + 2 * pad - k) / stride + 1, (w + 2 * pad - k) / stride + 1, cout);
            Dims filter = depthwise ? Dims.of(1, k, k, cin) : Dims.of(cout, k, k, cin);
            ConvParams p = new ConvParams(r.nextInt(-127, 129), 0, stride, stride, pad, pad, Activation.NONE);
            return new Conv(in, out, filter, p, depthwise);
        }
    }

    private static double dot(double[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static float[] randomFloats(SplittableRandom r, long n) {
        float[] f = new float[(int) n];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return f;
    }

    private static byte[] randomInt8(SplittableRandom r, long n) {
        byte[] b = new byte[(int) n];
        r.nextBytes(b);
        return b;
    }

    private static void inputGradient(boolean depthwise) {
        SplittableRandom r = new SplittableRandom(depthwise ? 11 : 12);
        for (int t = 0; t < 40; t++) {
            Conv c = Conv.random(r, depthwise);
            byte[] w = randomInt8(r, c.filter().elements());
            float[] gout = randomFloats(r, c.out().elements());
            float[] gin = new float[(int) c.in().elements()];
            if (depthwise) {
                REF.depthwiseConv2dGradInput(c.p(), c.out(), MemorySegment.ofArray(gout), c.filter(),
                        MemorySegment.ofArray(w), c.in(), MemorySegment.ofArray(gin));
            } else {
                REF.conv2dGradInput(c.p(), c.out(), MemorySegment.ofArray(gout), c.filter(), MemorySegment.ofArray(w),
                        c.in(), MemorySegment.ofArray(gin));
            }
            double[] wd = new double[w.length];
            for (int i = 0; i < w.length; i++) {
                wd[i] = w[i];
            }
            double[] x = new double[gin.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextInt(-128, 128);
            }
            int terms = c.filter().h() * c.filter().w() * (depthwise ? 1 : c.out().c());
            for (int i = 0; i < x.length; i++) {
                double[] plus = x.clone();
                double[] minus = x.clone();
                plus[i] += 1;
                minus[i] -= 1;
                double fd = (dot(c.forward(plus, wd), gout) - dot(c.forward(minus, wd), gout)) / 2;
                double bound = terms * 0x1p-24 * 128 * terms + 1e-30;   // |w| <= 128, |g| <= 1 per term
                assertEquals(fd, gin[i], bound, c + " input " + i);
            }
        }
    }

    @Test
    void conv2dInputGradientIsTheFiniteDifference() {
        inputGradient(false);
    }

    @Test
    void depthwiseInputGradientIsTheFiniteDifference() {
        inputGradient(true);
    }

    private static void weightGradient(boolean depthwise) {
        SplittableRandom r = new SplittableRandom(depthwise ? 21 : 22);
        SgdParams readBack = new SgdParams(1f, 0f, Rounding.FLOAT_MASTER, 0, 0, 0);
        for (int t = 0; t < 40; t++) {
            Conv c = Conv.random(r, depthwise);
            byte[] x = randomInt8(r, c.in().elements());
            byte[] w = randomInt8(r, c.filter().elements());
            float[] gout = randomFloats(r, c.out().elements());
            int[] channels = r.nextBoolean() ? new int[] {0} : java.util.stream.IntStream.range(0, c.in().c()).toArray();
            Dims sd = Dims.of(c.in().n(), c.in().h(), c.in().w(), channels.length);
            byte[] saved = new byte[(int) sd.elements()];
            REF.gatherChannels(c.in(), MemorySegment.ofArray(x), channels, MemorySegment.ofArray(saved));
            int outs = depthwise ? 1 : c.out().c();
            float[] master = new float[outs * c.filter().h() * c.filter().w() * channels.length];
            SgdState state = new SgdState(null, MemorySegment.ofArray(master));
            if (depthwise) {
                REF.depthwiseConv2dGradWeightUpdate(readBack, c.p(), null, c.out(), MemorySegment.ofArray(gout), sd,
                        MemorySegment.ofArray(saved), channels, c.filter(), MemorySegment.ofArray(w.clone()), state);
            } else {
                REF.conv2dGradWeightUpdate(readBack, c.p(), null, c.out(), MemorySegment.ofArray(gout), sd,
                        MemorySegment.ofArray(saved), channels, c.filter(), MemorySegment.ofArray(w.clone()), state);
            }
            double[] xd = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                xd[i] = x[i] + c.p().inputOffset();   // x - z_x
            }
            double[] wd = new double[w.length];
            for (int i = 0; i < w.length; i++) {
                wd[i] = w[i];
            }
            int terms = c.out().n() * c.out().h() * c.out().w();
            int s = 0;
            for (int oc = 0; oc < outs; oc++) {
                for (int ky = 0; ky < c.filter().h(); ky++) {
                    for (int kx = 0; kx < c.filter().w(); kx++) {
                        for (int ch : channels) {
                            int wi = ((oc * c.filter().h() + ky) * c.filter().w() + kx) * c.filter().c() + ch;
                            double[] plus = wd.clone();
                            double[] minus = wd.clone();
                            plus[wi] += 1;
                            minus[wi] -= 1;
                            double fd = (dot(c.forward(xd, plus), gout) - dot(c.forward(xd, minus), gout)) / 2;
                            double bound = terms * 0x1p-24 * 256 * terms + 1e-30;   // |x - z_x| <= 256, |g| <= 1
                            assertEquals(fd, -master[s], bound, c + " weight " + wi);
                            s++;
                        }
                    }
                }
            }
        }
    }

    @Test
    void conv2dWeightGradientIsTheFiniteDifference() {
        weightGradient(false);
    }

    @Test
    void depthwiseWeightGradientIsTheFiniteDifference() {
        weightGradient(true);
    }

    @Test
    void biasGradientIsTheFiniteDifference() {
        // f(b) = sum grad_out * (y + b[c]) is linear in b: df/db[c] = sum over n, h, w of grad_out[..][c]
        SplittableRandom r = new SplittableRandom(31);
        Dims gd = Dims.of(2, 3, 4, 5);
        float[] g = randomFloats(r, gd.elements());
        float[] master = new float[5];
        REF.biasGradUpdate(new SgdParams(1f, 0f, Rounding.FLOAT_MASTER, 0, 0, 0), null, gd, MemorySegment.ofArray(g),
                Dims.vector(5), MemorySegment.ofArray(new int[5]), new SgdState(null, MemorySegment.ofArray(master)));
        for (int c = 0; c < 5; c++) {
            double fd = 0;
            for (int i = c; i < g.length; i += 5) {
                fd += ((1.0 * g[i]) - (-1.0 * g[i])) / 2;
            }
            assertEquals(fd, -master[c], 24 * 0x1p-24 * 24);
        }
    }

    @Test
    void softmaxGradientIsTheFiniteDifferenceOfTheLoss() {
        SplittableRandom r = new SplittableRandom(41);
        for (int t = 0; t < 50; t++) {
            int classes = 1 + r.nextInt(30);
            int n = 1 + r.nextInt(3);
            float scale = (float) (0.01 + r.nextDouble() * 0.3);
            int zp = r.nextInt(-128, 128);
            Dims d = Dims.of(n, 1, 1, classes);
            byte[] q = randomInt8(r, d.elements());
            int[] labels = new int[n];
            for (int b = 0; b < n; b++) {
                labels[b] = r.nextInt(classes);
            }
            float[] loss = new float[n];
            float[] grad = new float[(int) d.elements()];
            REF.softmaxXent(scale, zp, d, MemorySegment.ofArray(q), MemorySegment.ofArray(labels),
                    MemorySegment.ofArray(loss), MemorySegment.ofArray(grad));
            for (int b = 0; b < n; b++) {
                double[] z = new double[classes];
                for (int i = 0; i < classes; i++) {
                    z[i] = q[b * classes + i];
                }
                assertEquals(loss(z, scale, zp, labels[b]), loss[b], 1e-5 * (1 + Math.abs(loss[b])));
                double h = 1e-3;
                for (int i = 0; i < classes; i++) {
                    double[] plus = z.clone();
                    double[] minus = z.clone();
                    plus[i] += h;
                    minus[i] -= h;
                    double fd = (loss(plus, scale, zp, labels[b]) - loss(minus, scale, zp, labels[b])) / (2 * h);
                    assertEquals(fd, grad[b * classes + i], 1e-5 * scale + 1e-6, "row " + b + " class " + i);
                }
            }
        }
    }

    private static double loss(double[] q, float scale, int zp, int label) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : q) {
            m = Math.max(m, scale * (v - zp));
        }
        double s = 0;
        for (double v : q) {
            s += Math.exp(scale * (v - zp) - m);
        }
        return m + Math.log(s) - scale * (q[label] - zp);
    }

    @Test
    void qasScalesTheAppliedUpdatePerChannel() {
        // 1x1 conv, one pixel, input x = 2 (zero point 0), two output channels with grad {0.5, -0.25}:
        // g = {1.0, -0.5}; qas {4, 2}; lr 1.5: delta = -lr * g * qas = {-6, +1.5}; nearest (ties away) {-6, +2}.
        Dims gd = Dims.of(1, 1, 1, 2);
        Dims sd = Dims.of(1, 1, 1, 1);
        Dims fd = Dims.of(2, 1, 1, 1);
        byte[] w = {10, 10};
        REF.conv2dGradWeightUpdate(SgdParams.of(1.5f, Rounding.NEAREST), ConvParams.pointwise(0, 0),
                new float[] {4f, 2f}, gd, MemorySegment.ofArray(new float[] {0.5f, -0.25f}), sd,
                MemorySegment.ofArray(new byte[] {2}), new int[] {0}, fd, MemorySegment.ofArray(w), SgdState.NONE);
        assertArrayEquals(new byte[] {4, 12}, w);
        // bias: g = {0.75, -1}; qas {4, 0.5}; lr 2: delta {-6, +1}
        int[] bias = {10, -3};
        REF.biasGradUpdate(SgdParams.of(2f, Rounding.NEAREST), new float[] {4f, 0.5f}, Dims.of(1, 1, 2, 2),
                MemorySegment.ofArray(new float[] {0.25f, 1f, 0.5f, -2f}), Dims.vector(2), MemorySegment.ofArray(bias),
                SgdState.NONE);
        assertArrayEquals(new int[] {4, -2}, bias);
        // with momentum 0.5 and v = {1, -2}: v' = {3.5, -1.5}, delta = {-7, 3}
        float[] v = {1f, -2f};
        bias = new int[] {10, -3};
        REF.biasGradUpdate(new SgdParams(2f, 0.5f, Rounding.NEAREST, 0, 0, 0), new float[] {4f, 0.5f},
                Dims.of(1, 1, 2, 2), MemorySegment.ofArray(new float[] {0.25f, 1f, 0.5f, -2f}), Dims.vector(2),
                MemorySegment.ofArray(bias), new SgdState(MemorySegment.ofArray(v), null));
        assertArrayEquals(new int[] {3, 0}, bias);
        assertArrayEquals(new float[] {3.5f, -1.5f}, v);
    }

    @Test
    void stochasticRoundingUsesTheHashAtTheStateIndex() {
        Dims gd = Dims.of(1, 1, 1, 2);
        byte[] w = {0, 0};
        SgdParams sgd = new SgdParams(1f, 0f, Rounding.STOCHASTIC, 0xdeadbeef, 1000, 7);
        REF.conv2dGradWeightUpdate(sgd, ConvParams.pointwise(0, 0), null, gd,
                MemorySegment.ofArray(new float[] {-0.3f, 0.3f}), Dims.of(1, 1, 1, 1),
                MemorySegment.ofArray(new byte[] {1}), new int[] {0}, Dims.of(2, 1, 1, 1), MemorySegment.ofArray(w),
                SgdState.NONE);
        assertEquals((int) Math.floor(0.3f + TrainMath.hashUniform(0xdeadbeef, 1000, 7, 0)), w[0]);
        assertEquals((int) Math.floor(-0.3f + TrainMath.hashUniform(0xdeadbeef, 1000, 7, 1)), w[1]);
        assertTrue(w[0] == 0 || w[0] == 1);
    }

    @Test
    void avgPoolAndMeanGradientsSpreadTheGradient() {
        // 4x4 input, 2x2 windows stride 2: every input cell gets its window's gradient / 4
        float[] out = new float[16];
        REF.avgPoolGrad(new PoolParams(2, 2, 2, 2, 0, 0, Activation.NONE), Dims.of(1, 2, 2, 1),
                MemorySegment.ofArray(new float[] {4f, 8f, -4f, 1f}), Dims.of(1, 4, 4, 1), MemorySegment.ofArray(out));
        assertEquals(1f, out[0]);
        assertEquals(2f, out[3]);
        assertEquals(-1f, out[12]);
        assertEquals(0.25f, out[15]);
        float[] m = new float[6];
        REF.meanGrad(2f, Dims.of(1, 1, 1, 2), MemorySegment.ofArray(new float[] {3f, -6f}), Dims.of(1, 1, 3, 2),
                MemorySegment.ofArray(m));
        assertArrayEquals(new float[] {2f, -4f, 2f, -4f, 2f, -4f}, m);
        byte[] mask = new byte[2];
        REF.clampMask(new Activation(-1, 1), Dims.of(1, 1, 1, 9), MemorySegment.ofArray(
                new byte[] {0, -1, 1, 0, 5, 0, -5, 0, 0}), MemorySegment.ofArray(mask));
        assertArrayEquals(new byte[] {(byte) 0b1010_1001, 1}, mask);
        float[] masked = new float[9];
        REF.gradScaleMask(new float[] {2f}, Dims.of(1, 3, 3, 1), MemorySegment.ofArray(
                new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1}), MemorySegment.ofArray(mask), MemorySegment.ofArray(masked));
        assertArrayEquals(new float[] {2, 0, 0, 2, 0, 2, 0, 2, 2}, masked);
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(masked[1]));
        MemorySegment seg = MemorySegment.ofArray(masked);
        assertEquals(2f, seg.get(F32, 0));
    }
}
