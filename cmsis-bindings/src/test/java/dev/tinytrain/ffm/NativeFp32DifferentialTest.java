package dev.tinytrain.ffm;

import dev.tinytrain.fp32.Fp32Backend;
import dev.tinytrain.fp32.Fp32Backends;
import dev.tinytrain.fp32.Fp32Reference;
import dev.tinytrain.fp32.Window;
import dev.tinytrain.kernel.KernelArgumentException;
import dev.tinytrain.tensor.Dims;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native float32 kernels (every ISA path) against the Java twin, bit for bit, over odd shapes,
 * heap and native segments; and the Java checks before the downcall.
 */
class NativeFp32DifferentialTest {

    private static final NativeBackend ISA = new NativeBackend();
    private static final NativeFp32Backend NATIVE = new NativeFp32Backend();
    private static final Fp32Reference REF = new Fp32Reference();

    @AfterAll
    static void restoreIsa() {
        ISA.selectIsa(ISA.bestIsa());
    }

    @Test
    void serviceLoaderPicksTheNativeBackend() {
        assertInstanceOf(NativeFp32Backend.class, Fp32Backends.best());
    }

    @Test
    void bitExactWithTheJavaTwinOnEveryIsaPath() {
        List<NativeIsa> paths = new ArrayList<>(List.of(NativeIsa.PORTABLE));
        if (ISA.bestIsa() != NativeIsa.PORTABLE) {
            paths.add(ISA.bestIsa());
        }
        long seed = 0x5EED_F32L;
        int[] chans = {1, 3, 5, 7, 8, 15, 16, 17, 31, 33, 48};
        int[] ks = {1, 1, 3, 5, 7};
        for (NativeIsa isa : paths) {
            ISA.selectIsa(isa);
            SplittableRandom r = new SplittableRandom(seed);
            for (int t = 0; t < 150; t++) {
                boolean dw = t % 3 == 2;
                int k = ks[r.nextInt(ks.length)];
                int s = k == 1 && r.nextBoolean() ? 1 : 1 + r.nextInt(2);
                int pad = (k - 1) / 2;
                int h = 1 + r.nextInt(11);
                int w = 1 + r.nextInt(11);
                int ic = chans[r.nextInt(chans.length)];
                int oc = dw ? ic : chans[r.nextInt(chans.length)];
                int n = 1 + r.nextInt(3);
                int oh = (h + 2 * pad - k) / s + 1;
                int ow = (w + 2 * pad - k) / s + 1;
                if (oh < 1 || ow < 1) {
                    continue;
                }
                Dims in = Dims.of(n, h, w, ic);
                Dims fd = Dims.of(dw ? 1 : oc, k, k, ic);
                Dims out = Dims.of(n, oh, ow, oc);
                Window win = Window.symmetric(k, s);
                float[] x = rnd(r, in.elements());
                float[] wt = rnd(r, fd.elements());
                float[] b = r.nextBoolean() ? rnd(r, oc) : null;
                float[] g = rnd(r, out.elements());
                String what = "seed " + seed + " isa " + isa + " case " + t + " in " + in + " filter " + fd + " stride " + s;
                boolean nativeMemory = t % 4 == 0;
                float[][] ref = run(REF, dw, win, in, x, fd, wt, b, out, g, false);
                float[][] nat = run(NATIVE, dw, win, in, x, fd, wt, b, out, g, nativeMemory);
                String[] names = {"forward", "grad input", "grad weight"};
                for (int i = 0; i < 3; i++) {
                    int d = firstDiff(ref[i], nat[i]);
                    int fi = i;
                    assertEquals(-1, d, () -> what + ": " + names[fi] + " differs at " + d + ": "
                            + (d >= 0 ? nat[fi][d] + " vs Java " + ref[fi][d] : ""));
                }
            }
        }
    }

    private static float[][] run(Fp32Backend be, boolean dw, Window win, Dims in, float[] x, Dims fd, float[] w,
                                 float[] b, Dims out, float[] g, boolean nativeMemory) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = seg(arena, x, nativeMemory);
            MemorySegment ws = seg(arena, w, nativeMemory);
            MemorySegment bs = b == null ? null : seg(arena, b, nativeMemory);
            MemorySegment gs = seg(arena, g, nativeMemory);
            MemorySegment ys = seg(arena, new float[(int) out.elements()], nativeMemory);
            MemorySegment gis = seg(arena, new float[(int) in.elements()], nativeMemory);
            MemorySegment gws = seg(arena, new float[(int) fd.elements()], nativeMemory);
            if (dw) {
                be.depthwiseConv2d(win, in, xs, fd, ws, bs, out, ys);
                be.depthwiseConv2dGradInput(win, out, gs, fd, ws, in, gis);
                be.depthwiseConv2dGradWeight(win, out, gs, in, xs, fd, gws);
            } else {
                be.conv2d(win, in, xs, fd, ws, bs, out, ys);
                be.conv2dGradInput(win, out, gs, fd, ws, in, gis);
                be.conv2dGradWeight(win, out, gs, in, xs, fd, gws);
            }
            return new float[][] {ys.toArray(ValueLayout.JAVA_FLOAT), gis.toArray(ValueLayout.JAVA_FLOAT),
                    gws.toArray(ValueLayout.JAVA_FLOAT)};
        }
    }

    private static MemorySegment seg(Arena arena, float[] a, boolean nativeMemory) {
        return nativeMemory ? arena.allocateFrom(ValueLayout.JAVA_FLOAT, a) : MemorySegment.ofArray(a);
    }

    private static float[] rnd(SplittableRandom r, long n) {
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextInt(16) == 0 ? 0f : (float) r.nextDouble(-2, 2);
        }
        return a;
    }

    private static int firstDiff(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                return i;
            }
        }
        return a.length == b.length ? -1 : a.length;
    }

    @Test
    void shortBuffersAreCaughtBeforeTheDowncall() {
        Dims in = Dims.of(1, 8, 8, 16);
        Dims fd = Dims.of(32, 1, 1, 16);
        Dims out = Dims.of(1, 8, 8, 32);
        KernelArgumentException e = assertThrows(KernelArgumentException.class, () -> NATIVE.conv2d(
                Window.symmetric(1, 1), in, MemorySegment.ofArray(new float[1024]), fd,
                MemorySegment.ofArray(new float[512]), null, out, MemorySegment.ofArray(new float[100])));
        assertTrue(e.getMessage().contains("conv2d_f32: output"), e.getMessage());
        e = assertThrows(KernelArgumentException.class, () -> NATIVE.depthwiseConv2dGradInput(
                Window.symmetric(3, 2), Dims.of(1, 4, 4, 16), MemorySegment.ofArray(new float[256]),
                Dims.of(1, 3, 3, 16), MemorySegment.ofArray(new float[144]), Dims.of(1, 8, 8, 16),
                MemorySegment.ofArray(new float[10])));
        assertTrue(e.getMessage().contains("output"), e.getMessage());
    }
}
