package dev.tinytrain.fp32;

import dev.tinytrain.kernel.KernelArgumentException;
import dev.tinytrain.tensor.Dims;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java float32 kernels against finite differences (the gradients are those of the forward
 * conv) and against a double-precision forward; bad arguments are named.
 */
class Fp32ReferenceTest {

    private static final Fp32Reference REF = new Fp32Reference();

    /** Random geometry: odd channels, kernels 1/3/5/7, strides 1/2, symmetric padding. */
    record Case(Dims in, Dims fd, Dims out, Window win, boolean depthwise) {
        static Case random(SplittableRandom r, boolean depthwise) {
            int[] ks = {1, 3, 5, 7};
            int k = ks[r.nextInt(4)];
            int s = 1 + r.nextInt(2);
            int pad = (k - 1) / 2;
            int h = 1 + r.nextInt(9);
            int w = 1 + r.nextInt(9);
            int[] chans = {1, 3, 5, 7, 8, 15, 16, 17};
            int ic = chans[r.nextInt(chans.length)];
            int oc = depthwise ? ic : chans[r.nextInt(chans.length)];
            int n = 1 + r.nextInt(2);
            int oh = (h + 2 * pad - k) / s + 1;
            int ow = (w + 2 * pad - k) / s + 1;
            if (oh < 1 || ow < 1) {
                return random(r, depthwise);
            }
            return new Case(Dims.of(n, h, w, ic), Dims.of(depthwise ? 1 : oc, k, k, ic), Dims.of(n, oh, ow, oc),
                    Window.symmetric(k, s), depthwise);
        }

        float[] forward(float[] x, float[] w, float[] b) {
            float[] y = new float[(int) out.elements()];
            MemorySegment bs = b == null ? null : MemorySegment.ofArray(b);
            if (depthwise) {
                REF.depthwiseConv2d(win, in, MemorySegment.ofArray(x), fd, MemorySegment.ofArray(w), bs, out,
                        MemorySegment.ofArray(y));
            } else {
                REF.conv2d(win, in, MemorySegment.ofArray(x), fd, MemorySegment.ofArray(w), bs, out,
                        MemorySegment.ofArray(y));
            }
            return y;
        }
    }

    static float[] random(SplittableRandom r, long n) {
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextDouble(-1, 1);
        }
        return a;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        long seed = 0xF1_0A7L;
        SplittableRandom r = new SplittableRandom(seed);
        for (int t = 0; t < 60; t++) {
            Case c = Case.random(r, t % 2 == 1);
            float[] x = random(r, c.in.elements());
            float[] w = random(r, c.fd.elements());
            float[] g = random(r, c.out.elements());
            float[] gi = new float[x.length];
            float[] gw = new float[w.length];
            if (c.depthwise) {
                REF.depthwiseConv2dGradInput(c.win, c.out, MemorySegment.ofArray(g), c.fd, MemorySegment.ofArray(w),
                        c.in, MemorySegment.ofArray(gi));
                REF.depthwiseConv2dGradWeight(c.win, c.out, MemorySegment.ofArray(g), c.in, MemorySegment.ofArray(x),
                        c.fd, MemorySegment.ofArray(gw));
            } else {
                REF.conv2dGradInput(c.win, c.out, MemorySegment.ofArray(g), c.fd, MemorySegment.ofArray(w), c.in,
                        MemorySegment.ofArray(gi));
                REF.conv2dGradWeight(c.win, c.out, MemorySegment.ofArray(g), c.in, MemorySegment.ofArray(x), c.fd,
                        MemorySegment.ofArray(gw));
            }
            // L = <conv(x, w), g>; central differences at a few random coordinates of x and of w
            for (int probe = 0; probe < 4; probe++) {
                int i = r.nextInt(x.length);
                check(c, seed, t, "dL/dx[" + i + "]", gi[i], fd(c, x, w, g, i, true));
                int j = r.nextInt(w.length);
                check(c, seed, t, "dL/dw[" + j + "]", gw[j], fd(c, x, w, g, j, false));
            }
        }
    }

    private static double fd(Case c, float[] x, float[] w, float[] g, int i, boolean wrtX) {
        float[] a = wrtX ? x : w;
        float keep = a[i];
        float h = 0.25f;                          // the loss is linear in each argument: any step is exact up to rounding
        a[i] = keep + h;
        double plus = dot(c.forward(x, w, null), g);
        a[i] = keep - h;
        double minus = dot(c.forward(x, w, null), g);
        a[i] = keep;
        return (plus - minus) / (2 * h);
    }

    private static void check(Case c, long seed, int t, String what, float got, double want) {
        assertTrue(Math.abs(got - want) <= 1e-4 * (1 + Math.abs(want)),
                () -> "seed " + seed + " case " + t + " " + c + ": " + what + " " + got + " vs finite difference " + want);
    }

    @Test
    void forwardIsTheConvolutionInDoubleWithinRounding() {
        SplittableRandom r = new SplittableRandom(77);
        for (int t = 0; t < 40; t++) {
            Case c = Case.random(r, t % 2 == 0);
            float[] x = random(r, c.in.elements());
            float[] w = random(r, c.fd.elements());
            float[] b = random(r, c.out.c());
            float[] y = c.forward(x, w, b);
            for (int n = 0; n < c.out.n(); n++) {
                for (int oy = 0; oy < c.out.h(); oy++) {
                    for (int ox = 0; ox < c.out.w(); ox++) {
                        for (int o = 0; o < c.out.c(); o++) {
                            double s = b[o];
                            for (int ky = 0; ky < c.fd.h(); ky++) {
                                for (int kx = 0; kx < c.fd.w(); kx++) {
                                    int iy = oy * c.win.strideH() - c.win.padH() + ky;
                                    int ix = ox * c.win.strideW() - c.win.padW() + kx;
                                    if (iy < 0 || ix < 0 || iy >= c.in.h() || ix >= c.in.w()) {
                                        continue;
                                    }
                                    int xb = ((n * c.in.h() + iy) * c.in.w() + ix) * c.in.c();
                                    if (c.depthwise) {
                                        s += (double) x[xb + o] * w[(ky * c.fd.w() + kx) * c.in.c() + o];
                                    } else {
                                        for (int i = 0; i < c.in.c(); i++) {
                                            s += (double) x[xb + i] * w[((o * c.fd.h() + ky) * c.fd.w() + kx) * c.in.c() + i];
                                        }
                                    }
                                }
                            }
                            float got = y[((n * c.out.h() + oy) * c.out.w() + ox) * c.out.c() + o];
                            assertEquals(s, got, 1e-5 * (1 + c.fd.elements()), c.toString());
                        }
                    }
                }
            }
        }
    }

    @Test
    void badArgumentsAreNamed() {
        Dims in = Dims.of(1, 4, 4, 3);
        Dims fd = Dims.of(2, 3, 3, 3);
        Dims out = Dims.of(1, 4, 4, 2);
        MemorySegment x = MemorySegment.ofArray(new float[48]);
        MemorySegment w = MemorySegment.ofArray(new float[54]);
        MemorySegment y = MemorySegment.ofArray(new float[32]);
        Window win = Window.symmetric(3, 1);
        KernelArgumentException e = assertThrows(KernelArgumentException.class,
                () -> REF.conv2d(win, in, x, fd, w, null, out, MemorySegment.ofArray(new float[31])));
        assertTrue(e.getMessage().contains("conv2d_f32: output"), e.getMessage());
        e = assertThrows(KernelArgumentException.class,
                () -> REF.conv2d(win, in, x, Dims.of(2, 3, 3, 4), w, null, out, y));
        assertTrue(e.getMessage().contains("filter dims.c"), e.getMessage());
        e = assertThrows(KernelArgumentException.class,
                () -> REF.conv2d(new Window(1, 1, 3, 1), in, x, fd, w, null, out, y));
        assertTrue(e.getMessage().contains("window h"), e.getMessage());
        e = assertThrows(KernelArgumentException.class,
                () -> REF.depthwiseConv2dGradWeight(win, Dims.of(1, 4, 4, 3), y, in, x, Dims.of(2, 3, 3, 3), w));
        assertTrue(e.getMessage().contains("1HWC"), e.getMessage());
    }
}
