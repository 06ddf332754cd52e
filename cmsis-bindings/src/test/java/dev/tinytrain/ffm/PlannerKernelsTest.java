package dev.tinytrain.ffm;

import dev.tinytrain.ffm.NativeTrainingDifferentialTest.Geometry;
import dev.tinytrain.ffm.raw.TinyTrain;
import dev.tinytrain.ffm.raw.tt_dims;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.AddParams;
import dev.tinytrain.kernel.ChannelQuant;
import dev.tinytrain.kernel.ConvParams;
import dev.tinytrain.kernel.KernelArgumentException;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.KernelChecks;
import dev.tinytrain.kernel.ReferenceBackend;
import dev.tinytrain.kernel.Rounding;
import dev.tinytrain.kernel.SgdParams;
import dev.tinytrain.kernel.SgdState;
import dev.tinytrain.kernel.Windows;
import dev.tinytrain.tensor.Dims;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static dev.tinytrain.ffm.NativeTrainingDifferentialTest.channels;
import static dev.tinytrain.ffm.NativeTrainingDifferentialTest.floats;
import static dev.tinytrain.ffm.NativeTrainingDifferentialTest.maxAbs;
import static dev.tinytrain.ffm.NativeTrainingDifferentialTest.sgd;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernels the memory planner relies on, on both backends (and every ISA path of the native one),
 * against the plain kernels of the Java reference, bit for bit:
 * <ul>
 *   <li>stored gradient + later SGD step == the fused gradient-and-update kernel (weights, biases,
 *       velocity, master; two steps so the state carries over);</li>
 *   <li>fused conv + depthwise == conv2d into a whole intermediate, then depthwise conv2d;</li>
 *   <li>in-place pointwise conv == conv2d into a separate buffer (widening, narrowing, equal);</li>
 *   <li>add, gradScaleMask and addF32 with the output aliasing an input == separate buffers.</li>
 * </ul>
 * Each case has its own seed, printed on failure: replay one with {@code -Dtinytrain.seed=N}.
 */
class PlannerKernelsTest {

    static final int CASES = 200;
    static final long BASE_SEED = Long.getLong("tinytrain.seed", 0x7457_914EL);

    static NativeBackend nativeBackend;
    static final KernelBackend REF = new ReferenceBackend();

    @BeforeAll
    static void load() {
        nativeBackend = new NativeBackend();
    }

    @AfterAll
    static void restore() {
        nativeBackend.selectIsa(nativeBackend.bestIsa());
    }

    /** The backends under test, the native one once per ISA path this machine has. */
    private static List<String> variants() {
        List<String> v = new ArrayList<>(List.of("reference", "native/" + NativeIsa.PORTABLE.label()));
        if (nativeBackend.bestIsa() != NativeIsa.PORTABLE) {
            v.add("native/" + nativeBackend.bestIsa().label());
        }
        return v;
    }

    private static KernelBackend backend(String variant) {
        if (variant.equals("reference")) {
            return REF;
        }
        nativeBackend.selectIsa(variant.endsWith(NativeIsa.PORTABLE.label()) ? NativeIsa.PORTABLE
                : nativeBackend.bestIsa());
        return nativeBackend;
    }

    private static void forCases(String op, Consumer<Long> body) {
        for (int i = 0; i < CASES; i++) {
            body.accept(BASE_SEED + op.hashCode() * 1_000_003L + i * 7919L);
        }
    }

    /** A copy of the array in native memory (offHeap) or on the heap. */
    private static MemorySegment seg(Object proto, boolean offHeap, Arena arena) {
        MemorySegment heap = switch (proto) {
            case null -> null;
            case byte[] b -> MemorySegment.ofArray(b.clone());
            case float[] f -> MemorySegment.ofArray(f.clone());
            case int[] n -> MemorySegment.ofArray(n.clone());
            default -> throw new IllegalArgumentException(proto.toString());
        };
        return heap == null || !offHeap ? heap : arena.allocate(heap.byteSize(), 4).copyFrom(heap);
    }

    private static byte[] bytes(MemorySegment s) {
        return s == null ? null : s.toArray(ValueLayout.JAVA_BYTE);
    }

    // ---- A. stored gradient + later update == fused ------------------------------------------------

    private static final Map<Rounding, int[]> SEEN = new EnumMap<>(Rounding.class);

    @Test
    void convGradientThenUpdateEqualsFused() {
        weightCases("split_conv", false);
    }

    @Test
    void depthwiseGradientThenUpdateEqualsFused() {
        weightCases("split_dw", true);
    }

    private static void weightCases(String op, boolean depthwise) {
        long[] index = {0};
        forCases(op, seed -> {
            RandomCases r = new RandomCases(seed);
            int cin = r.chance(0.15) ? r.between(64, 150) : r.channels();
            int cout = depthwise ? cin : r.channels();
            Geometry g = Geometry.random(r, cin, cout);
            Dims fd = Dims.of(depthwise ? 1 : cout, g.kh(), g.kw(), cin);
            int[] ch = channels(r, cin);
            Dims sd = Dims.of(g.in().n(), g.in().h(), g.in().w(), ch.length);
            float[] grad = floats(r, g.out().elements(), 1f);
            Rounding rounding = Rounding.values()[(int) (index[0]++ % 4)];
            SgdParams sgd = sgd(r, rounding, maxAbs(grad) * 128 * g.out().h() * g.out().w() / 4);
            float[] qas = r.chance(0.6) ? floats(r, depthwise ? cin : cout, 4f) : null;
            long stateElements = KernelChecks.weightGradientElements(depthwise, ch, fd);
            float[] velocity = sgd.needsVelocity() ? floats(r, stateElements, 1f) : null;
            float[] master = null;
            if (sgd.needsMaster()) {
                master = floats(r, stateElements, 0.5f);
                for (int i = 0; i < master.length; i++) {
                    master[i] += r.between(-127, 127);
                }
            }
            byte[] saved = r.int8(sd.elements());
            byte[] filter = r.int8(fd.elements());
            boolean offHeap = r.chance(0.5);
            SEEN.computeIfAbsent(rounding, k -> new int[1])[0]++;
            String what = (depthwise ? "depthwise " : "conv2d ") + g + " channels=" + ch.length + " " + sgd
                    + " qas=" + (qas != null) + " (seed " + seed + ")";
            byte[][] gradients = new byte[variants().size()][];
            int vi = 0;
            for (String variant : variants()) {
                KernelBackend b = backend(variant);
                byte[][] fused;
                byte[][] split;
                byte[] gradient;
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment gs = seg(grad, offHeap, arena);
                    MemorySegment ss = seg(saved, offHeap, arena);
                    MemorySegment f = seg(filter, offHeap, arena);
                    SgdState st = new SgdState(seg(velocity, offHeap, arena), seg(master, offHeap, arena));
                    for (int step = 0; step < 2; step++) {
                        SgdParams s = sgd.at(sgd.step() + step, sgd.tensorId());
                        if (depthwise) {
                            b.depthwiseConv2dGradWeightUpdate(s, g.params(), qas, g.out(), gs, sd, ss, ch, fd, f, st);
                        } else {
                            b.conv2dGradWeightUpdate(s, g.params(), qas, g.out(), gs, sd, ss, ch, fd, f, st);
                        }
                    }
                    fused = new byte[][] {bytes(f), bytes(st.velocity()), bytes(st.master())};
                }
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment gs = seg(grad, offHeap, arena);
                    MemorySegment ss = seg(saved, offHeap, arena);
                    MemorySegment f = seg(filter, offHeap, arena);
                    SgdState st = new SgdState(seg(velocity, offHeap, arena), seg(master, offHeap, arena));
                    MemorySegment stored = seg(new float[(int) stateElements], offHeap, arena);
                    for (int step = 0; step < 2; step++) {
                        SgdParams s = sgd.at(sgd.step() + step, sgd.tensorId());
                        if (depthwise) {
                            b.depthwiseConv2dGradWeight(g.params(), g.out(), gs, sd, ss, ch, fd, stored);
                        } else {
                            b.conv2dGradWeight(g.params(), g.out(), gs, sd, ss, ch, fd, stored);
                        }
                        b.sgdUpdateWeights(s, qas, depthwise, stored, ch, fd, f, st);
                    }
                    split = new byte[][] {bytes(f), bytes(st.velocity()), bytes(st.master())};
                    gradient = bytes(stored);
                }
                assertArrayEquals(fused[0], split[0], () -> variant + " filter: " + what);
                assertArrayEquals(fused[1], split[1], () -> variant + " velocity: " + what);
                assertArrayEquals(fused[2], split[2], () -> variant + " master: " + what);
                gradients[vi++] = gradient;
            }
            for (int i = 1; i < gradients.length; i++) {
                int k = i;
                assertArrayEquals(gradients[0], gradients[i], () -> variants().get(k) + " gradient vs reference: " + what);
            }
        });
    }

    @Test
    void biasGradientThenUpdateEqualsFused() {
        forCases("split_bias", seed -> {
            RandomCases r = new RandomCases(seed);
            Dims gd = Dims.of(r.between(1, 2), r.between(1, 7), r.between(1, 7),
                    r.chance(0.2) ? r.between(65, 150) : r.channels());
            Dims bd = Dims.vector(gd.c());
            float[] grad = floats(r, gd.elements(), 2f);
            SgdParams sgd = sgd(r, Rounding.values()[(int) Math.floorMod(seed, 4)], maxAbs(grad) * gd.h() * gd.w());
            float[] qas = r.chance(0.6) ? floats(r, gd.c(), 100f) : null;
            int[] bias = new int[gd.c()];
            for (int i = 0; i < bias.length; i++) {
                bias[i] = switch (r.between(0, 9)) {
                    case 0 -> Integer.MAX_VALUE - r.between(0, 3);
                    case 1 -> Integer.MIN_VALUE + r.between(0, 3);
                    default -> r.between(-100_000, 100_000);
                };
            }
            float[] velocity = sgd.needsVelocity() ? floats(r, gd.c(), 1f) : null;
            float[] master = null;
            if (sgd.needsMaster()) {
                master = new float[gd.c()];
                for (int i = 0; i < master.length; i++) {
                    master[i] = bias[i] + floats(r, 1, 0.5f)[0];
                }
            }
            boolean offHeap = r.chance(0.5);
            String what = "bias " + gd + " " + sgd + " (seed " + seed + ")";
            byte[] firstGradient = null;
            for (String variant : variants()) {
                KernelBackend b = backend(variant);
                byte[][] fused;
                byte[][] split;
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment gs = seg(grad, offHeap, arena);
                    MemorySegment bs = seg(bias, offHeap, arena);
                    SgdState st = new SgdState(seg(velocity, offHeap, arena), seg(master, offHeap, arena));
                    for (int step = 0; step < 2; step++) {
                        b.biasGradUpdate(sgd.at(sgd.step() + step, 7), qas, gd, gs, bd, bs, st);
                    }
                    fused = new byte[][] {bytes(bs), bytes(st.velocity()), bytes(st.master())};
                }
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment gs = seg(grad, offHeap, arena);
                    MemorySegment bs = seg(bias, offHeap, arena);
                    SgdState st = new SgdState(seg(velocity, offHeap, arena), seg(master, offHeap, arena));
                    MemorySegment stored = seg(new float[gd.c()], offHeap, arena);
                    for (int step = 0; step < 2; step++) {
                        b.biasGrad(gd, gs, stored);
                        b.sgdUpdateBias(sgd.at(sgd.step() + step, 7), qas, stored, bd, bs, st);
                    }
                    split = new byte[][] {bytes(bs), bytes(st.velocity()), bytes(st.master())};
                    if (firstGradient == null) {
                        firstGradient = bytes(stored);
                    } else {
                        assertArrayEquals(firstGradient, bytes(stored), () -> variant + " gradient: " + what);
                    }
                }
                for (int i = 0; i < 3; i++) {
                    int k = i;
                    assertArrayEquals(fused[i], split[i], () -> variant + " buffer " + k + ": " + what);
                }
            }
        });
    }

    @Test
    void everyRoundingRuleWasExercised() {
        convGradientThenUpdateEqualsFused();
        for (Rounding rounding : Rounding.values()) {
            assertTrue(SEEN.getOrDefault(rounding, new int[1])[0] >= CASES / 5, rounding + " cases");
        }
    }

    /** A hand-computed gradient and step, so both sides of the equality are also right in absolute terms. */
    @Test
    void handComputedSplitUpdate() {
        Dims gd = Dims.of(1, 1, 2, 2);
        Dims sd = Dims.of(1, 1, 2, 2);
        Dims fd = Dims.of(2, 1, 1, 3);
        ConvParams p = new ConvParams(1, 0, 1, 1, 0, 0, Activation.NONE);
        float[] g = {0.5f, -1f, 2f, 0.25f};               // [px][oc]
        byte[] saved = {1, -2, 3, 0};                     // [px][j]; + offset 1 = {2, -1, 4, 1}
        int[] ch = {0, 2};
        for (String variant : variants()) {
            KernelBackend b = backend(variant);
            float[] w = new float[4];
            b.conv2dGradWeight(p, gd, MemorySegment.ofArray(g), sd, MemorySegment.ofArray(saved), ch, fd,
                    MemorySegment.ofArray(w));
            assertArrayEquals(new float[] {9f, 1.5f, -1f, 1.25f}, w, variant);
            byte[] filter = {10, 20, 30, 40, 50, 60};
            b.sgdUpdateWeights(SgdParams.of(1f, Rounding.NEAREST), new float[] {1f, 2f}, false,
                    MemorySegment.ofArray(w), ch, fd, MemorySegment.ofArray(filter), SgdState.NONE);
            assertArrayEquals(new byte[] {1, 20, 28, 42, 50, 57}, filter, variant);
        }
    }

    // ---- B. fused conv + depthwise == the two ops through a whole intermediate -----------------------

    /** One axis of a window: SAME, VALID, or any other valid output size and padding. */
    private record Axis(int out, int pad) {
        static Axis random(RandomCases r, int in, int k, int stride) {
            int mode = r.between(0, 4);
            if (mode <= 1 || (mode <= 3 && in >= k)) {
                boolean same = mode <= 1;
                int pad = same ? RandomCases.samePad(in, k, stride) : 0;
                return new Axis(RandomCases.outSize(in, k, stride, pad, same), pad);
            }
            int pad = r.between(0, k - 1);
            return new Axis((int) r.between((int) Windows.minOutput(in, k, stride, pad),
                    (int) Windows.maxOutput(in, stride, pad)), pad);
        }
    }

    @Test
    void convDepthwiseEqualsConvThenDepthwise() {
        int[] ambiguous = {0};
        int[] pointwise = {0};
        forCases("conv_dw", seed -> {
            RandomCases r = new RandomCases(seed);
            int cin = r.channels();
            int c1 = r.chance(0.4) ? cin * r.between(1, 6) : r.channels();
            boolean oneByOne = r.chance(0.5);
            int kh = oneByOne ? 1 : RandomCases.KERNELS[r.between(0, 2)];
            int kw = oneByOne ? 1 : r.chance(0.75) ? kh : RandomCases.KERNELS[r.between(0, 2)];
            int cs = oneByOne && r.chance(0.6) ? 1 : r.stride();
            int h = Math.max(kh, r.between(1, 12));
            int w = Math.max(kw, r.between(1, 12));
            Axis ch = Axis.random(r, h, kh, cs);
            Axis cw = Axis.random(r, w, kw, cs);
            int zpIn = r.zeroPoint();
            int zpMid = r.zeroPoint();
            int zpOut = r.zeroPoint();
            ConvParams cp = new ConvParams(-zpIn, zpMid, cs, cs, ch.pad(), cw.pad(), r.activation(zpMid));
            Dims in = Dims.of(r.chance(0.2) ? 2 : 1, h, w, cin);
            Dims cfd = Dims.of(c1, kh, kw, cin);
            Dims mid = Dims.of(in.n(), ch.out(), cw.out(), c1);
            int dk = r.kernel();
            int dkw = r.chance(0.75) ? dk : r.kernel();
            int ds = r.stride();
            Axis dh = Axis.random(r, mid.h(), dk, ds);
            Axis dw = Axis.random(r, mid.w(), dkw, ds);
            ConvParams dp = new ConvParams(-zpMid, zpOut, ds, ds, dh.pad(), dw.pad(), r.activation(zpOut));
            Dims dfd = Dims.of(1, dk, dkw, c1);
            Dims out = Dims.of(in.n(), dh.out(), dw.out(), c1);
            ChannelQuant cq = r.quant(c1);
            ChannelQuant dq = r.quant(c1);
            byte[] x = r.int8(in.elements());
            byte[] cf = r.int8(cfd.elements());
            byte[] df = r.int8(dfd.elements());
            int[] cb = r.chance(0.8) ? r.bias(c1, 3000) : null;
            int[] db = r.chance(0.8) ? r.bias(c1, 3000) : null;
            boolean offHeap = r.chance(0.5);
            String what = "conv_depthwise in=" + in + " conv " + cfd + " " + cp + " mid=" + mid + " dw " + dfd + " "
                    + dp + " out=" + out + " (seed " + seed + ")";
            if (oneByOne) {
                pointwise[0]++;
            }

            byte[] midBytes = new byte[(int) mid.elements()];
            byte[] want = new byte[(int) out.elements()];
            REF.conv2d(cp, cq, in, MemorySegment.ofArray(x), cfd, MemorySegment.ofArray(cf),
                    cb == null ? null : MemorySegment.ofArray(cb), mid, MemorySegment.ofArray(midBytes));
            REF.depthwiseConv2d(dp, dq, mid, MemorySegment.ofArray(midBytes), dfd, MemorySegment.ofArray(df),
                    db == null ? null : MemorySegment.ofArray(db), out, MemorySegment.ofArray(want));

            Dims derived = null;
            try {
                derived = KernelChecks.convDepthwiseIntermediate(in, cfd, cp, dfd, dp, out);
                assertEquals(mid, derived, "the derived intermediate: " + what);
            } catch (KernelArgumentException e) {
                assertTrue(e.argument().startsWith("intermediate dims.") && e.getMessage().contains("several"),
                        e.getMessage());
                assertTrue(!oneByOne, "a 1x1 conv's intermediate is always unique: " + e.getMessage());
                ambiguous[0]++;
            }
            long scratchBytes = REF.convDepthwiseScratchBytes(mid);
            assertEquals((long) mid.h() * mid.w(), scratchBytes);
            assertEquals(scratchBytes, nativeBackend.convDepthwiseScratchBytes(mid));
            assertEquals(scratchBytes, cScratch(mid, true), "Java and C agree on the scratch");
            long bound = KernelChecks.convDepthwiseScratchBytes(in, cfd, cp);
            assertTrue(bound >= scratchBytes, "the bound from the conv alone covers the need: " + what);
            if (kh == 1 && kw == 1) {
                assertEquals(scratchBytes, bound, "exact for a 1x1 conv: " + what);
            }

            for (String variant : variants()) {
                KernelBackend b = backend(variant);
                for (int form = 0; form < (derived != null ? 2 : 1); form++) {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment o = seg(new byte[want.length], offHeap, arena);
                        MemorySegment scratch = seg(new byte[(int) scratchBytes], offHeap, arena);
                        if (form == 0) {
                            b.convDepthwise(cp, cq, in, seg(x, offHeap, arena), cfd, seg(cf, offHeap, arena),
                                    seg(cb, offHeap, arena), mid, dp, dq, dfd, seg(df, offHeap, arena),
                                    seg(db, offHeap, arena), out, o, scratch);
                        } else {
                            b.convDepthwise(cp, cq, in, seg(x, offHeap, arena), cfd, seg(cf, offHeap, arena),
                                    seg(cb, offHeap, arena), dp, dq, dfd, seg(df, offHeap, arena),
                                    seg(db, offHeap, arena), out, o, scratch);
                        }
                        int f = form;
                        assertArrayEquals(want, bytes(o), () -> variant + (f == 0 ? "" : " (derived dims)") + ": "
                                + what);
                    }
                }
            }
        });
        assertTrue(pointwise[0] >= CASES / 4, "1x1 first convs: " + pointwise[0]);
        assertTrue(ambiguous[0] >= 1, "cases where the intermediate dims had to be given: " + ambiguous[0]);
    }

    /** The paper's motivating block: MobileNetV2-w0.35 block 1, 64x64x8 expanded x6 then a 3x3 depthwise. */
    @Test
    void mobilenetExpansionBlock() {
        RandomCases r = new RandomCases(BASE_SEED);
        Dims in = Dims.of(1, 64, 64, 8);
        Dims cfd = Dims.of(48, 1, 1, 8);
        Dims mid = Dims.of(1, 64, 64, 48);
        Dims dfd = Dims.of(1, 3, 3, 48);
        Dims out = Dims.of(1, 32, 32, 48);
        ConvParams cp = new ConvParams(5, -128, 1, 1, 0, 0, Activation.relu(-128));
        ConvParams dp = new ConvParams(128, -128, 2, 2, 0, 0, Activation.relu(-128));
        ChannelQuant cq = r.quant(48);
        ChannelQuant dq = r.quant(48);
        MemorySegment x = MemorySegment.ofArray(r.int8(in.elements()));
        MemorySegment cf = MemorySegment.ofArray(r.int8(cfd.elements()));
        MemorySegment df = MemorySegment.ofArray(r.int8(dfd.elements()));
        MemorySegment cb = MemorySegment.ofArray(r.bias(48, 3000));
        MemorySegment db = MemorySegment.ofArray(r.bias(48, 3000));
        byte[] midBytes = new byte[(int) mid.elements()];
        byte[] want = new byte[(int) out.elements()];
        nativeBackend.conv2d(cp, cq, in, x, cfd, cf, cb, mid, MemorySegment.ofArray(midBytes));
        nativeBackend.depthwiseConv2d(dp, dq, mid, MemorySegment.ofArray(midBytes), dfd, df, db, out,
                MemorySegment.ofArray(want));
        assertEquals(4096, nativeBackend.convDepthwiseScratchBytes(in, cfd, cp));   // vs 196,608 B intermediate
        for (String variant : variants()) {
            KernelBackend b = backend(variant);
            byte[] got = new byte[want.length];
            b.convDepthwise(cp, cq, in, x, cfd, cf, cb, dp, dq, dfd, df, db, out, MemorySegment.ofArray(got),
                    MemorySegment.ofArray(new byte[4096]));
            assertArrayEquals(want, got, variant);
        }
    }

    // ---- C. in-place pointwise conv == conv2d into a separate buffer ----------------------------------

    @Test
    void inPlacePointwiseEqualsSeparateBuffers() {
        int[] modes = new int[3];
        forCases("inplace", seed -> {
            RandomCases r = new RandomCases(seed);
            int mode = r.between(0, 3);           // 0: equal, 1-2: widening, 3: narrowing
            int cin;
            int cout;
            if (mode == 0) {
                cin = r.channels();
                cout = cin;
            } else if (mode <= 2) {
                cin = r.channels();
                cout = mode == 1 ? cin * r.between(2, 6) : cin + r.between(1, 40);
            } else {
                cout = r.channels();
                cin = cout * r.between(2, 6) + r.between(0, 3);
            }
            modes[Integer.signum(cout - cin) + 1]++;
            Dims in = Dims.of(r.chance(0.25) ? r.between(2, 3) : 1, r.between(1, 9), r.between(1, 9), cin);
            Dims fd = Dims.of(cout, 1, 1, cin);
            Dims out = Dims.of(in.n(), in.h(), in.w(), cout);
            int zpOut = r.zeroPoint();
            ConvParams p = new ConvParams(-r.zeroPoint(), zpOut, 1, 1, 0, 0, r.activation(zpOut));
            ChannelQuant q = r.quant(cout);
            byte[] x = r.int8(in.elements());
            byte[] f = r.int8(fd.elements());
            int[] bias = r.chance(0.8) ? r.bias(cout, 3000) : null;
            byte[] want = new byte[(int) out.elements()];
            REF.conv2d(p, q, in, MemorySegment.ofArray(x), fd, MemorySegment.ofArray(f),
                    bias == null ? null : MemorySegment.ofArray(bias), out, MemorySegment.ofArray(want));
            long regionBytes = KernelChecks.conv2d1x1InPlaceRegionBytes(in, out);
            long inOffset = KernelChecks.conv2d1x1InPlaceInputOffset(in, out);
            assertEquals(Math.max(x.length, want.length), regionBytes);
            assertEquals(cout > cin ? want.length - x.length : 0, inOffset);
            assertEquals(cin, REF.conv2d1x1InPlaceScratchBytes(in));
            assertEquals(cin, cScratch(in, false), "Java and C agree on the scratch");
            boolean offHeap = r.chance(0.5);
            int tail = 8;
            String what = "conv2d_1x1_inplace in=" + in + " out=" + out + " (seed " + seed + ")";
            for (String variant : variants()) {
                KernelBackend b = backend(variant);
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment whole = seg(new byte[(int) regionBytes + tail], offHeap, arena);
                    whole.fill((byte) 0x5A);
                    MemorySegment.copy(MemorySegment.ofArray(x), 0, whole, inOffset, x.length);
                    MemorySegment scratch = seg(new byte[cin], offHeap, arena);
                    b.conv2d1x1InPlace(p, q, in, fd, seg(f, offHeap, arena), seg(bias, offHeap, arena), out,
                            whole.asSlice(0, regionBytes), scratch);
                    byte[] all = bytes(whole);
                    assertArrayEquals(want, Arrays.copyOf(all, want.length), () -> variant + ": " + what);
                    for (int i = 0; i < tail; i++) {
                        assertEquals((byte) 0x5A, all[(int) regionBytes + i], () -> variant + " wrote past the region: "
                                + what);
                    }
                }
            }
        });
        assertTrue(modes[0] > 10 && modes[1] > 10 && modes[2] > 10, "narrowing, equal, widening: "
                + Arrays.toString(modes));
    }

    /** The C library's own scratch size (what an MCU build allocates) for the intermediate or input dims. */
    private static long cScratch(Dims d, boolean convDepthwise) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = tt_dims.allocate(arena);
            tt_dims.n(s, d.n());
            tt_dims.h(s, d.h());
            tt_dims.w(s, d.w());
            tt_dims.c(s, d.c());
            return convDepthwise ? TinyTrain.tt_conv_depthwise_s8_get_buffer_size(s)
                    : TinyTrain.tt_conv2d_1x1_inplace_s8_get_buffer_size(s);
        }
    }

    // ---- aliasing the planner relies on ---------------------------------------------------------------

    @Test
    void aliasedOutputsEqualSeparateBuffers() {
        forCases("alias", seed -> {
            RandomCases r = new RandomCases(seed);
            Dims d = r.chance(0.2) ? Dims.of(1, 1, 1, r.between(1, 70))
                    : Dims.of(r.between(1, 2), r.between(1, 6), r.between(1, 6), r.chance(0.2) ? r.between(32, 150)
                    : r.channels());
            int n = (int) d.elements();
            int zpOut = r.zeroPoint();
            AddParams ap = AddParams.of((float) (0.01 + r.between(1, 100) * 0.001), r.zeroPoint(),
                    (float) (0.01 + r.between(1, 100) * 0.001), r.zeroPoint(),
                    (float) (0.02 + r.between(1, 100) * 0.002), zpOut, r.activation(zpOut));
            byte[] x1 = r.int8(n);
            byte[] x2 = r.int8(n);
            float[] scale = floats(r, d.c(), 0.1f);
            float[] g1 = floats(r, n, 3f);
            float[] g2 = floats(r, n, 3f);
            byte[] mask = r.chance(0.7) ? r.int8((n + 7) / 8) : null;
            boolean offHeap = r.chance(0.5);
            String what = d + " (seed " + seed + ")";
            for (String variant : variants()) {
                KernelBackend b = backend(variant);
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment a = seg(x1, offHeap, arena);
                    MemorySegment c = seg(x2, offHeap, arena);
                    MemorySegment sep = seg(new byte[n], offHeap, arena);
                    b.add(ap, d, a, d, c, d, sep);
                    b.add(ap, d, a, d, c, d, a);
                    b.add(ap, d, seg(x1, offHeap, arena), d, c, d, c);
                    assertArrayEquals(bytes(sep), bytes(a), () -> variant + " add, output = input1: " + what);
                    assertArrayEquals(bytes(sep), bytes(c), () -> variant + " add, output = input2: " + what);

                    MemorySegment g = seg(g1, offHeap, arena);
                    MemorySegment m = seg(mask, offHeap, arena);
                    MemorySegment sepF = seg(new float[n], offHeap, arena);
                    b.gradScaleMask(scale, d, g, m, sepF);
                    b.gradScaleMask(scale, d, g, m, g);
                    assertArrayEquals(bytes(sepF), bytes(g), () -> variant + " gradScaleMask, out = grad: " + what);

                    MemorySegment fa = seg(g1, offHeap, arena);
                    MemorySegment fb = seg(g2, offHeap, arena);
                    b.addF32(d, fa, fb, sepF);
                    b.addF32(d, fa, fb, fa);
                    b.addF32(d, seg(g1, offHeap, arena), fb, fb);
                    assertArrayEquals(bytes(sepF), bytes(fa), () -> variant + " addF32, out = a: " + what);
                    assertArrayEquals(bytes(sepF), bytes(fb), () -> variant + " addF32, out = b: " + what);
                }
            }
        });
    }

    // ---- bad input: a KernelArgumentException naming the argument, before any downcall ---------------

    private static void expect(String argument, String expected, Executable call) {
        for (KernelBackend b : List.of(REF, nativeBackend)) {
            KernelArgumentException e = assertThrows(KernelArgumentException.class, () -> {
                current = b;
                call.execute();
            });
            assertEquals(argument, e.argument(), e.getMessage());
            assertTrue(e.getMessage().contains(expected), () -> "message says " + expected + ": " + e.getMessage());
        }
    }

    private static KernelBackend current;

    private static MemorySegment b8(long n) {
        return MemorySegment.ofArray(new byte[(int) n]);
    }

    private static MemorySegment f32(long n) {
        return MemorySegment.ofArray(new float[(int) n]);
    }

    @Test
    void splitKernelsRejectBadArguments() {
        Dims gd = Dims.of(1, 3, 3, 2);
        Dims fd = Dims.of(2, 3, 3, 4);
        Dims sd = Dims.of(1, 3, 3, 2);
        ConvParams p = new ConvParams(0, 0, 1, 1, 1, 1, Activation.NONE);
        int[] ch = {0, 3};
        SgdParams plain = SgdParams.of(0.5f, Rounding.NEAREST);
        expect("output", "at least 144 bytes", () -> current.conv2dGradWeight(p, gd, f32(18), sd, b8(18), ch, fd,
                f32(35)));
        expect("channels[1]", "strictly increasing", () -> current.conv2dGradWeight(p, gd, f32(18), sd, b8(18),
                new int[] {3, 3}, fd, f32(72)));
        expect("grad", "at least 144 bytes", () -> current.depthwiseConv2dGradWeight(p, Dims.of(1, 3, 3, 4), f32(17),
                sd, b8(18), ch, Dims.of(1, 3, 3, 4), f32(18)));
        expect("filter dims.n (depth multiplier layout 1HWC)", "1", () -> current.depthwiseConv2dGradWeight(p, gd,
                f32(18), sd, b8(18), ch, fd, f32(72)));
        expect("output", "at least 8 bytes", () -> current.biasGrad(gd, f32(18), f32(1)));
        expect("gradient", "at least 144 bytes", () -> current.sgdUpdateWeights(plain, null, false, f32(35), ch, fd,
                b8(72), null));
        expect("gradient", "at least 72 bytes", () -> current.sgdUpdateWeights(plain, null, true, f32(17), ch,
                Dims.of(1, 3, 3, 4), b8(36), null));
        expect("qasScale.length (output channels)", "2", () -> current.sgdUpdateWeights(plain, new float[4], false,
                f32(72), ch, fd, b8(72), null));
        expect("qasScale.length (channels)", "4", () -> current.sgdUpdateWeights(plain, new float[1], true, f32(18),
                ch, Dims.of(1, 3, 3, 4), b8(36), null));
        expect("filter", "at least 72 bytes", () -> current.sgdUpdateWeights(plain, null, false, f32(72), ch, fd,
                b8(71), null));
        expect("state.velocity", "at least 144 bytes", () -> current.sgdUpdateWeights(
                new SgdParams(0.5f, 0.9f, Rounding.NEAREST, 0, 0, 0), null, false, f32(72), ch, fd, b8(72),
                SgdState.NONE));
        expect("state.master", "null", () -> current.sgdUpdateWeights(plain, null, false, f32(72), ch, fd, b8(72),
                new SgdState(null, f32(72))));
        expect("bias dims", "[1,1,1,c]", () -> current.sgdUpdateBias(plain, null, f32(4), Dims.of(1, 2, 2, 1),
                MemorySegment.ofArray(new int[4]), null));
        expect("bias", "at least 16 bytes", () -> current.sgdUpdateBias(plain, null, f32(4), Dims.vector(4),
                MemorySegment.ofArray(new int[3]), null));
        expect("gradient", "at least 16 bytes", () -> current.sgdUpdateBias(plain, null, f32(3), Dims.vector(4),
                MemorySegment.ofArray(new int[4]), null));
    }

    @Test
    void fusedAndInPlaceRejectBadArguments() {
        Dims in = Dims.of(1, 4, 4, 8);
        Dims cfd = Dims.of(16, 1, 1, 8);
        Dims mid = Dims.of(1, 4, 4, 16);
        Dims dfd = Dims.of(1, 3, 3, 16);
        Dims out = Dims.of(1, 4, 4, 16);
        ConvParams cp = ConvParams.pointwise(0, 0);
        ConvParams dp = ConvParams.pointwise(0, 0).withPadding(1, 1);
        ChannelQuant q16 = new RandomCases(1).quant(16);
        expect("scratch", "at least 16 bytes", () -> current.convDepthwise(cp, q16, in, b8(128), cfd, b8(128), null,
                mid, dp, q16, dfd, b8(144), null, out, b8(256), b8(15)));
        expect("scratch", "a buffer of at least 16 bytes", () -> current.convDepthwise(cp, q16, in, b8(128), cfd,
                b8(128), null, mid, dp, q16, dfd, b8(144), null, out, b8(256), null));
        expect("output", "at least 256 bytes", () -> current.convDepthwise(cp, q16, in, b8(128), cfd, b8(128), null,
                mid, dp, q16, dfd, b8(144), null, out, b8(255), b8(16)));
        expect("dwFilter", "at least 144 bytes", () -> current.convDepthwise(cp, q16, in, b8(128), cfd, b8(128), null,
                mid, dp, q16, dfd, b8(143), null, out, b8(256), b8(16)));
        expect("convBias", "at least 64 bytes", () -> current.convDepthwise(cp, q16, in, b8(128), cfd, b8(128),
                MemorySegment.ofArray(new int[15]), mid, dp, q16, dfd, b8(144), null, out, b8(256), b8(16)));
        expect("intermediate dims.c (conv filter output channels)", "16", () -> current.convDepthwise(cp, q16, in,
                b8(128), cfd, b8(128), null, Dims.of(1, 4, 4, 15), dp, q16, dfd, b8(144), null, out, b8(256), b8(16)));
        expect("intermediate dims.h", "for input 4, filter 1", () -> current.convDepthwise(cp, q16, in, b8(128), cfd,
                b8(128), null, Dims.of(1, 5, 4, 16), dp, q16, dfd, b8(144), null, out, b8(256), b8(16)));
        expect("dwQuant channels", "16", () -> current.convDepthwise(cp, q16, in, b8(128), cfd, b8(128), null, mid, dp,
                new RandomCases(2).quant(15), dfd, b8(144), null, out, b8(256), b8(16)));
        MemorySegment shared = b8(512);
        expect("output", "memory disjoint from input", () -> current.convDepthwise(cp, q16, in, shared, cfd, b8(128),
                null, mid, dp, q16, dfd, b8(144), null, out, shared.asSlice(100, 256), b8(16)));
        expect("scratch", "memory disjoint from output", () -> current.convDepthwise(cp, q16, in, b8(128), cfd,
                b8(128), null, mid, dp, q16, dfd, b8(144), null, out, shared.asSlice(0, 256), shared.asSlice(250, 16)));
        // a 3x3 conv (pad 1) then a padded depthwise: three intermediate sizes fit, the caller must choose
        expect("intermediate dims.h", "several: [3, 4, 5]", () -> current.convDepthwise(
                cp.withPadding(1, 1), new RandomCases(3).quant(16), in, b8(128), Dims.of(16, 3, 3, 8), b8(1152),
                null, dp, q16, dfd, b8(144), null, out, b8(256), b8(25)));

        Dims pin = Dims.of(1, 4, 4, 8);
        Dims pfd = Dims.of(24, 1, 1, 8);
        Dims pout = Dims.of(1, 4, 4, 24);
        ChannelQuant q24 = new RandomCases(4).quant(24);
        expect("region", "at least 384 bytes", () -> current.conv2d1x1InPlace(cp, q24, pin, pfd, b8(192), null, pout,
                b8(383), b8(8)));
        expect("scratch", "at least 8 bytes", () -> current.conv2d1x1InPlace(cp, q24, pin, pfd, b8(192), null, pout,
                b8(384), b8(7)));
        MemorySegment region = b8(400);
        expect("scratch", "memory disjoint from region", () -> current.conv2d1x1InPlace(cp, q24, pin, pfd, b8(192),
                null, pout, region.asSlice(0, 384), region.asSlice(380, 8)));
        expect("filter dims", "[out,1,1,in]", () -> current.conv2d1x1InPlace(cp, q24, pin, Dims.of(24, 3, 3, 8),
                b8(1728), null, pout, b8(384), b8(8)));
        expect("params.strideH", "[1, 1]", () -> current.conv2d1x1InPlace(cp.withStride(2, 2), q24, pin, pfd,
                b8(192), null, pout, b8(384), b8(8)));
        expect("output dims", "the input's n, h, w", () -> current.conv2d1x1InPlace(cp, q24, pin, pfd, b8(192), null,
                Dims.of(1, 2, 2, 24), b8(384), b8(8)));
        expect("bias", "at least 96 bytes", () -> current.conv2d1x1InPlace(cp, q24, pin, pfd, b8(192),
                MemorySegment.ofArray(new int[23]), pout, b8(384), b8(8)));
    }

    /** The defaults of KernelBackend run the Java reference: the native backend must replace every one. */
    @Test
    void nativeBackendImplementsEveryKernel() throws NoSuchMethodException {
        for (Method m : KernelBackend.class.getMethods()) {
            if (java.lang.reflect.Modifier.isStatic(m.getModifiers()) || m.getName().endsWith("ScratchBytes")) {
                continue;
            }
            Method impl = NativeBackend.class.getMethod(m.getName(), m.getParameterTypes());
            boolean derivedDims = m.getName().equals("convDepthwise") && m.getParameterCount() == 15;
            assertEquals(derivedDims ? KernelBackend.class : NativeBackend.class, impl.getDeclaringClass(),
                    m.toString());
        }
    }
}
