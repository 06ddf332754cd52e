package dev.tinytrain.fp32;

import dev.tinytrain.tensor.Dims;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Java twin of the native float32 kernels and their oracle: plain loops, each output summed in
 * exactly the order {@link Fp32Backend} documents, so the C kernels (portable and AVX2) give the
 * same bits. Heap segments over a {@code float[]} are used in place; other segments are copied.
 */
public final class Fp32Reference implements Fp32Backend {

    public static final String NAME = "reference";

    /** Service provider (priority 0: the fallback). */
    public static final class Provider implements Fp32BackendProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public Fp32Backend create() {
            return new Fp32Reference();
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "reference (Java, plain loops)";
    }

    @Override
    public void conv2d(Window win, Dims in, MemorySegment input, Dims fd, MemorySegment filter, MemorySegment bias,
                       Dims out, MemorySegment output) {
        Fp32Checks.conv2d(win, in, input, fd, filter, bias, out, output);
        Buf x = Buf.of(input, in.elements());
        Buf w = Buf.of(filter, fd.elements());
        Buf b = bias == null ? null : Buf.of(bias, out.c());
        Buf y = Buf.of(output, out.elements());
        conv2d(win, in, x.a, x.off, fd, w.a, w.off, b == null ? null : b.a, b == null ? 0 : b.off, out, y.a, y.off);
        y.writeBack(output);
    }

    @Override
    public void conv2dGradInput(Window win, Dims gd, MemorySegment grad, Dims fd, MemorySegment filter, Dims od,
                                MemorySegment output) {
        Fp32Checks.conv2dGradInput(win, gd, grad, fd, filter, od, output);
        Buf g = Buf.of(grad, gd.elements());
        Buf w = Buf.of(filter, fd.elements());
        Buf y = Buf.of(output, od.elements());
        conv2dGradInput(win, gd, g.a, g.off, fd, w.a, w.off, od, y.a, y.off);
        y.writeBack(output);
    }

    @Override
    public void conv2dGradWeight(Window win, Dims gd, MemorySegment grad, Dims in, MemorySegment input, Dims fd,
                                 MemorySegment output) {
        Fp32Checks.conv2dGradWeight(win, gd, grad, in, input, fd, output);
        Buf g = Buf.of(grad, gd.elements());
        Buf x = Buf.of(input, in.elements());
        Buf y = Buf.of(output, fd.elements());
        conv2dGradWeight(win, gd, g.a, g.off, in, x.a, x.off, fd, y.a, y.off);
        y.writeBack(output);
    }

    @Override
    public void depthwiseConv2d(Window win, Dims in, MemorySegment input, Dims fd, MemorySegment filter,
                                MemorySegment bias, Dims out, MemorySegment output) {
        Fp32Checks.depthwiseConv2d(win, in, input, fd, filter, bias, out, output);
        Buf x = Buf.of(input, in.elements());
        Buf w = Buf.of(filter, fd.elements());
        Buf b = bias == null ? null : Buf.of(bias, out.c());
        Buf y = Buf.of(output, out.elements());
        depthwise(win, in, x.a, x.off, fd, w.a, w.off, b == null ? null : b.a, b == null ? 0 : b.off, out, y.a, y.off);
        y.writeBack(output);
    }

    @Override
    public void depthwiseConv2dGradInput(Window win, Dims gd, MemorySegment grad, Dims fd, MemorySegment filter,
                                         Dims od, MemorySegment output) {
        Fp32Checks.depthwiseConv2dGradInput(win, gd, grad, fd, filter, od, output);
        Buf g = Buf.of(grad, gd.elements());
        Buf w = Buf.of(filter, fd.elements());
        Buf y = Buf.of(output, od.elements());
        depthwiseGradInput(win, gd, g.a, g.off, fd, w.a, w.off, od, y.a, y.off);
        y.writeBack(output);
    }

    @Override
    public void depthwiseConv2dGradWeight(Window win, Dims gd, MemorySegment grad, Dims in, MemorySegment input,
                                          Dims fd, MemorySegment output) {
        Fp32Checks.depthwiseConv2dGradWeight(win, gd, grad, in, input, fd, output);
        Buf g = Buf.of(grad, gd.elements());
        Buf x = Buf.of(input, in.elements());
        Buf y = Buf.of(output, fd.elements());
        depthwiseGradWeight(win, gd, g.a, g.off, in, x.a, x.off, fd, y.a, y.off);
        y.writeBack(output);
    }

    // ---- the loops (arrays with offsets; arguments already checked) ----------------------------

    static void conv2d(Window p, Dims in, float[] x, int xo, Dims fd, float[] w, int wo, float[] b, int bo,
                       Dims out, float[] y, int yo) {
        int kh = fd.h();
        int kw = fd.w();
        int ic = in.c();
        int oc = out.c();
        for (int n = 0; n < out.n(); n++) {
            for (int oy = 0; oy < out.h(); oy++) {
                for (int ox = 0; ox < out.w(); ox++) {
                    int yb = yo + ((n * out.h() + oy) * out.w() + ox) * oc;
                    for (int o = 0; o < oc; o++) {
                        float acc = 0.0f;
                        for (int ky = 0; ky < kh; ky++) {
                            int iy = oy * p.strideH() - p.padH() + ky;
                            if (iy < 0 || iy >= in.h()) {
                                continue;
                            }
                            for (int kx = 0; kx < kw; kx++) {
                                int ix = ox * p.strideW() - p.padW() + kx;
                                if (ix < 0 || ix >= in.w()) {
                                    continue;
                                }
                                int xb = xo + ((n * in.h() + iy) * in.w() + ix) * ic;
                                int wb = wo + ((o * kh + ky) * kw + kx) * ic;
                                for (int i = 0; i < ic; i++) {
                                    acc = acc + x[xb + i] * w[wb + i];
                                }
                            }
                        }
                        y[yb + o] = b == null ? acc : acc + b[bo + o];
                    }
                }
            }
        }
    }

    static void conv2dGradInput(Window p, Dims gd, float[] g, int go, Dims fd, float[] w, int wo, Dims od,
                                float[] y, int yo) {
        int kh = fd.h();
        int kw = fd.w();
        int ic = od.c();
        int oc = gd.c();
        for (int n = 0; n < od.n(); n++) {
            for (int iy = 0; iy < od.h(); iy++) {
                for (int ix = 0; ix < od.w(); ix++) {
                    int yb = yo + ((n * od.h() + iy) * od.w() + ix) * ic;
                    for (int i = 0; i < ic; i++) {
                        y[yb + i] = 0.0f;
                    }
                    for (int ky = 0; ky < kh; ky++) {
                        int ty = iy + p.padH() - ky;
                        if (ty < 0 || ty % p.strideH() != 0 || ty / p.strideH() >= gd.h()) {
                            continue;
                        }
                        int oy = ty / p.strideH();
                        for (int kx = 0; kx < kw; kx++) {
                            int tx = ix + p.padW() - kx;
                            if (tx < 0 || tx % p.strideW() != 0 || tx / p.strideW() >= gd.w()) {
                                continue;
                            }
                            int ox = tx / p.strideW();
                            int gb = go + ((n * gd.h() + oy) * gd.w() + ox) * oc;
                            for (int o = 0; o < oc; o++) {
                                float gv = g[gb + o];
                                int wb = wo + ((o * kh + ky) * kw + kx) * ic;
                                for (int i = 0; i < ic; i++) {
                                    y[yb + i] = y[yb + i] + w[wb + i] * gv;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static void conv2dGradWeight(Window p, Dims gd, float[] g, int go, Dims in, float[] x, int xo, Dims fd,
                                 float[] y, int yo) {
        int kh = fd.h();
        int kw = fd.w();
        int ic = in.c();
        int oc = gd.c();
        java.util.Arrays.fill(y, yo, yo + (int) fd.elements(), 0.0f);
        for (int n = 0; n < gd.n(); n++) {
            for (int oy = 0; oy < gd.h(); oy++) {
                for (int ox = 0; ox < gd.w(); ox++) {
                    int gb = go + ((n * gd.h() + oy) * gd.w() + ox) * oc;
                    for (int o = 0; o < oc; o++) {
                        float gv = g[gb + o];
                        for (int ky = 0; ky < kh; ky++) {
                            int iy = oy * p.strideH() - p.padH() + ky;
                            if (iy < 0 || iy >= in.h()) {
                                continue;
                            }
                            for (int kx = 0; kx < kw; kx++) {
                                int ix = ox * p.strideW() - p.padW() + kx;
                                if (ix < 0 || ix >= in.w()) {
                                    continue;
                                }
                                int xb = xo + ((n * in.h() + iy) * in.w() + ix) * ic;
                                int yb = yo + ((o * kh + ky) * kw + kx) * ic;
                                for (int i = 0; i < ic; i++) {
                                    y[yb + i] = y[yb + i] + x[xb + i] * gv;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static void depthwise(Window p, Dims in, float[] x, int xo, Dims fd, float[] w, int wo, float[] b, int bo,
                          Dims out, float[] y, int yo) {
        int kh = fd.h();
        int kw = fd.w();
        int c = in.c();
        for (int n = 0; n < out.n(); n++) {
            for (int oy = 0; oy < out.h(); oy++) {
                for (int ox = 0; ox < out.w(); ox++) {
                    int yb = yo + ((n * out.h() + oy) * out.w() + ox) * c;
                    for (int ch = 0; ch < c; ch++) {
                        y[yb + ch] = 0.0f;
                    }
                    for (int ky = 0; ky < kh; ky++) {
                        int iy = oy * p.strideH() - p.padH() + ky;
                        if (iy < 0 || iy >= in.h()) {
                            continue;
                        }
                        for (int kx = 0; kx < kw; kx++) {
                            int ix = ox * p.strideW() - p.padW() + kx;
                            if (ix < 0 || ix >= in.w()) {
                                continue;
                            }
                            int xb = xo + ((n * in.h() + iy) * in.w() + ix) * c;
                            int wb = wo + (ky * kw + kx) * c;
                            for (int ch = 0; ch < c; ch++) {
                                y[yb + ch] = y[yb + ch] + x[xb + ch] * w[wb + ch];
                            }
                        }
                    }
                    if (b != null) {
                        for (int ch = 0; ch < c; ch++) {
                            y[yb + ch] = y[yb + ch] + b[bo + ch];
                        }
                    }
                }
            }
        }
    }

    static void depthwiseGradInput(Window p, Dims gd, float[] g, int go, Dims fd, float[] w, int wo, Dims od,
                                   float[] y, int yo) {
        int kh = fd.h();
        int kw = fd.w();
        int c = od.c();
        for (int n = 0; n < od.n(); n++) {
            for (int iy = 0; iy < od.h(); iy++) {
                for (int ix = 0; ix < od.w(); ix++) {
                    int yb = yo + ((n * od.h() + iy) * od.w() + ix) * c;
                    for (int ch = 0; ch < c; ch++) {
                        y[yb + ch] = 0.0f;
                    }
                    for (int ky = 0; ky < kh; ky++) {
                        int ty = iy + p.padH() - ky;
                        if (ty < 0 || ty % p.strideH() != 0 || ty / p.strideH() >= gd.h()) {
                            continue;
                        }
                        int oy = ty / p.strideH();
                        for (int kx = 0; kx < kw; kx++) {
                            int tx = ix + p.padW() - kx;
                            if (tx < 0 || tx % p.strideW() != 0 || tx / p.strideW() >= gd.w()) {
                                continue;
                            }
                            int ox = tx / p.strideW();
                            int gb = go + ((n * gd.h() + oy) * gd.w() + ox) * c;
                            int wb = wo + (ky * kw + kx) * c;
                            for (int ch = 0; ch < c; ch++) {
                                y[yb + ch] = y[yb + ch] + w[wb + ch] * g[gb + ch];
                            }
                        }
                    }
                }
            }
        }
    }

    static void depthwiseGradWeight(Window p, Dims gd, float[] g, int go, Dims in, float[] x, int xo, Dims fd,
                                    float[] y, int yo) {
        int kh = fd.h();
        int kw = fd.w();
        int c = in.c();
        java.util.Arrays.fill(y, yo, yo + (int) fd.elements(), 0.0f);
        for (int n = 0; n < gd.n(); n++) {
            for (int oy = 0; oy < gd.h(); oy++) {
                for (int ox = 0; ox < gd.w(); ox++) {
                    int gb = go + ((n * gd.h() + oy) * gd.w() + ox) * c;
                    for (int ky = 0; ky < kh; ky++) {
                        int iy = oy * p.strideH() - p.padH() + ky;
                        if (iy < 0 || iy >= in.h()) {
                            continue;
                        }
                        for (int kx = 0; kx < kw; kx++) {
                            int ix = ox * p.strideW() - p.padW() + kx;
                            if (ix < 0 || ix >= in.w()) {
                                continue;
                            }
                            int xb = xo + ((n * in.h() + iy) * in.w() + ix) * c;
                            int yb = yo + (ky * kw + kx) * c;
                            for (int ch = 0; ch < c; ch++) {
                                y[yb + ch] = y[yb + ch] + x[xb + ch] * g[gb + ch];
                            }
                        }
                    }
                }
            }
        }
    }

    /** A float[] view of a segment: the segment's own array when it is one, else a copy. */
    private record Buf(float[] a, int off, boolean copy) {
        static Buf of(MemorySegment s, long floats) {
            Object base = s.heapBase().orElse(null);
            if (base instanceof float[] arr && s.address() % 4 == 0) {
                return new Buf(arr, (int) (s.address() / 4), false);
            }
            float[] a = new float[Math.toIntExact(floats)];
            MemorySegment.copy(s, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, a, 0, a.length);
            return new Buf(a, 0, true);
        }

        void writeBack(MemorySegment s) {
            if (copy) {
                MemorySegment.copy(a, 0, s, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, a.length);
            }
        }
    }
}
