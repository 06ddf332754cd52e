package dev.tinytrain.ffm;

import dev.tinytrain.ffm.raw.TinyTrain;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.ConvParams;
import dev.tinytrain.kernel.KernelArgumentException;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.PoolParams;
import dev.tinytrain.kernel.ReferenceBackend;
import dev.tinytrain.kernel.Rounding;
import dev.tinytrain.kernel.SgdParams;
import dev.tinytrain.kernel.SgdState;
import dev.tinytrain.kernel.TrainMath;
import dev.tinytrain.tensor.Dims;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The training kernels, native against the Java reference, bit for bit: every float output compared
 * by its raw bits, int8 weights, int32 biases, velocity and master buffers exactly, over random shapes
 * (odd channel counts, kernels 1/3/5/7, strides 1/2, padding on and off), random channel subsets,
 * every rounding rule, momentum on and off, heap and native memory. Each case has its own seed, printed
 * on failure: replay one with {@code -Dtinytrain.seed=N}.
 */
class NativeTrainingDifferentialTest {

    static final int CASES = 250;
    static final long BASE_SEED = Long.getLong("tinytrain.seed", 0x7457_7EA1L);

    static NativeBackend nativeBackend;
    static final KernelBackend REF = new ReferenceBackend();

    @BeforeAll
    static void load() {
        nativeBackend = new NativeBackend();
    }

    // ---- harness ----------------------------------------------------------------------------

    /** A buffer of a case: its initial contents (byte[], float[] or int[]; null = no buffer) and whether it is compared. */
    record Buf(String name, Object proto, boolean compared) {
    }

    @FunctionalInterface
    interface Body {
        void run(KernelBackend backend, MemorySegment[] segments);
    }

    /** Runs the body on both backends with fresh copies of the buffers and compares every compared buffer's bytes. */
    private static void compare(String what, long seed, boolean offHeap, List<Buf> bufs, Body body) {
        List<byte[]> expected = run(REF, false, bufs, body);
        List<byte[]> actual = run(nativeBackend, offHeap, bufs, body);
        for (int i = 0; i < bufs.size(); i++) {
            Buf b = bufs.get(i);
            if (!b.compared() || b.proto() == null) {
                continue;
            }
            byte[] e = expected.get(i);
            byte[] a = actual.get(i);
            if (!java.util.Arrays.equals(e, a)) {
                int at = java.util.Arrays.mismatch(e, a);
                String detail = b.proto() instanceof float[]
                        ? "float " + at / 4 + ": reference " + f32(e, at / 4) + ", native " + f32(a, at / 4)
                        : "byte " + at + ": reference " + e[at] + ", native " + a[at];
                fail(what + " (seed " + seed + (offHeap ? ", native memory" : ", heap") + "): " + b.name()
                        + " differs at " + detail);
            }
        }
    }

    private static String f32(byte[] b, int i) {
        float v = MemorySegment.ofArray(b).get(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * i);
        return v + " (0x" + Integer.toHexString(Float.floatToRawIntBits(v)) + ")";
    }

    private static List<byte[]> run(KernelBackend backend, boolean offHeap, List<Buf> bufs, Body body) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment[] segs = new MemorySegment[bufs.size()];
            for (int i = 0; i < segs.length; i++) {
                Object p = bufs.get(i).proto();
                MemorySegment heap = switch (p) {
                    case null -> null;
                    case byte[] b -> MemorySegment.ofArray(b.clone());
                    case float[] f -> MemorySegment.ofArray(f.clone());
                    case int[] n -> MemorySegment.ofArray(n.clone());
                    default -> throw new IllegalArgumentException(p.toString());
                };
                segs[i] = heap == null || !offHeap ? heap : arena.allocate(heap.byteSize(), 4).copyFrom(heap);
            }
            body.run(backend, segs);
            List<byte[]> out = new ArrayList<>();
            for (MemorySegment s : segs) {
                out.add(s == null ? null : s.toArray(ValueLayout.JAVA_BYTE));
            }
            return out;
        }
    }

    private static void forCases(String op, Consumer<Long> body) {
        for (int i = 0; i < CASES; i++) {
            body.accept(BASE_SEED + op.hashCode() * 1_000_003L + i * 7919L);
        }
    }

    // ---- random data --------------------------------------------------------------------------

    /** Floats over many magnitudes, with exact zeros, negative zeros and integers among them. */
    static float[] floats(RandomCases r, long n, float scale) {
        float[] f = new float[Math.toIntExact(n)];
        int mode = r.between(0, 3);
        for (int i = 0; i < f.length; i++) {
            int kind = r.between(0, 19);
            f[i] = switch (kind) {
                case 0 -> 0f;
                case 1 -> -0f;
                case 2 -> r.between(-3, 3);
                default -> (float) ((r.between(-1 << 24, 1 << 24) / (double) (1 << 24)) * scale
                        * (mode == 0 ? Math.pow(10, r.between(-4, 4)) : 1));
            };
        }
        return f;
    }

    /** A strictly increasing, non-empty subset of [0, c). */
    static int[] channels(RandomCases r, int c) {
        List<Integer> list = new ArrayList<>();
        boolean all = r.chance(0.25);
        for (int i = 0; i < c; i++) {
            if (all || r.chance(0.4)) {
                list.add(i);
            }
        }
        if (list.isEmpty()) {
            list.add(r.between(0, c - 1));
        }
        return list.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A conv geometry as the forward tests make them: SAME (TF-Lite padding) or VALID. */
    record Geometry(Dims in, Dims out, int kh, int kw, ConvParams params) {
        static Geometry random(RandomCases r, int inC, int outC) {
            int k = r.kernel();
            int kh = r.chance(0.8) ? k : r.kernel();
            int stride = r.stride();
            boolean same = r.chance(0.6);
            int h = r.between(same ? 1 : kh, kh + 6);
            int w = r.between(same ? 1 : k, k + 6);
            int padH = same ? RandomCases.samePad(h, kh, stride) : 0;
            int padW = same ? RandomCases.samePad(w, k, stride) : 0;
            int n = r.chance(0.2) ? 2 : 1;
            Dims in = Dims.of(n, h, w, inC);
            Dims out = Dims.of(n, RandomCases.outSize(h, kh, stride, padH, same),
                    RandomCases.outSize(w, k, stride, padW, same), outC);
            ConvParams p = new ConvParams(-r.zeroPoint(), r.zeroPoint(), stride, stride, padH, padW, Activation.NONE);
            return new Geometry(in, out, kh, k, p);
        }

        @Override
        public String toString() {
            return "in=" + in + " out=" + out + " k=" + kh + "x" + kw + " stride=" + params.strideH() + " pad="
                    + params.padH() + "," + params.padW() + " inputOffset=" + params.inputOffset();
        }
    }

    static SgdParams sgd(RandomCases r, Rounding rounding, double typicalGradient) {
        double target = r.chance(0.15) ? 500 : 0.2 + 3 * r.between(0, 1000) / 1000.0;   // sometimes saturating
        float lr = (float) (target / Math.max(typicalGradient, 1e-6));
        float momentum = r.chance(0.4) ? r.between(1, 99) / 100f : 0f;
        return new SgdParams(lr, momentum, rounding, r.between(Integer.MIN_VALUE, Integer.MAX_VALUE - 1),
                r.between(0, 1 << 20), r.between(0, 100));
    }

    static float maxAbs(float[] f) {
        float m = 0;
        for (float v : f) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    static Rounding rounding(long caseIndex) {
        return Rounding.values()[(int) Math.floorMod(caseIndex, 4)];
    }

    // ---- the library's math ---------------------------------------------------------------------

    @Test
    void expLogAndHashAreTheSameBitsInJavaAndC() {
        SplittableRandom r = new SplittableRandom(BASE_SEED);
        for (int i = 0; i < 400_000; i++) {
            float x = i < 200_000 ? Float.intBitsToFloat(r.nextInt()) : (float) (r.nextDouble() * 200 - 100);
            assertSameBits("tt_expf(" + x + ")", TrainMath.expf(x), TinyTrain.tt_expf(x));
            assertSameBits("tt_logf(" + x + ")", TrainMath.logf(x), TinyTrain.tt_logf(x));
            int seed = r.nextInt(), step = r.nextInt(), tensor = r.nextInt(), index = r.nextInt();
            assertSameBits("tt_hash_uniform", TrainMath.hashUniform(seed, step, tensor, index),
                    TinyTrain.tt_hash_uniform(seed, step, tensor, index));
        }
        for (float x : new float[] {0f, -0f, 1f, 88.72f, 88.73f, -87.33f, -87.34f, Float.MIN_VALUE, Float.MIN_NORMAL,
                Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0.5f, 0.70710677f, 1.4142135f}) {
            assertSameBits("tt_expf(" + x + ")", TrainMath.expf(x), TinyTrain.tt_expf(x));
            assertSameBits("tt_logf(" + x + ")", TrainMath.logf(x), TinyTrain.tt_logf(x));
        }
    }

    private static void assertSameBits(String what, float java, float c) {
        if (Float.isNaN(java) && Float.isNaN(c)) {
            return;
        }
        if (Float.floatToRawIntBits(java) != Float.floatToRawIntBits(c)) {
            fail(what + ": Java " + java + " (0x" + Integer.toHexString(Float.floatToRawIntBits(java)) + "), C " + c
                    + " (0x" + Integer.toHexString(Float.floatToRawIntBits(c)) + ")");
        }
    }

    // ---- forward-time helpers, loss, plumbing ---------------------------------------------------

    @Test
    void clampMask() {
        forCases("clamp_mask", seed -> {
            RandomCases r = new RandomCases(seed);
            Dims d = Dims.of(r.between(1, 2), r.between(1, 6), r.between(1, 6), r.channels());
            Activation act = r.activation(r.zeroPoint());
            byte[] y = r.int8(d.elements());
            compare("clamp_mask " + d + " " + act, seed, r.chance(0.5),
                    List.of(new Buf("y", y, false), new Buf("mask", new byte[(int) ((d.elements() + 7) / 8)], true)),
                    (b, s) -> b.clampMask(act, d, s[0], s[1]));
        });
    }

    @Test
    void gatherChannels() {
        forCases("gather", seed -> {
            RandomCases r = new RandomCases(seed);
            Dims d = Dims.of(r.between(1, 2), r.between(1, 6), r.between(1, 6),
                    r.chance(0.2) ? r.between(32, 150) : r.channels());
            int[] ch = channels(r, d.c());
            compare("gather " + d, seed, r.chance(0.5), List.of(new Buf("input", r.int8(d.elements()), false),
                            new Buf("output", new byte[(int) (d.elements() / d.c() * ch.length)], true)),
                    (b, s) -> b.gatherChannels(d, s[0], ch, s[1]));
        });
    }

    @Test
    void softmaxXent() {
        forCases("softmax", seed -> {
            RandomCases r = new RandomCases(seed);
            int n = r.between(1, 4);
            int classes = r.chance(0.25) ? r.between(100, 1000) : r.between(1, 40);
            Dims d = Dims.of(n, 1, 1, classes);
            float scale = (float) (0.005 + r.between(1, 10000) / 10000.0 * (r.chance(0.3) ? 2 : 0.3));
            int zp = r.zeroPoint();
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = r.between(0, classes - 1);
            }
            boolean withLoss = r.chance(0.8);
            compare("softmax " + d + " scale=" + scale + " zp=" + zp, seed, r.chance(0.5),
                    List.of(new Buf("logits", r.int8(d.elements()), false), new Buf("labels", labels, false),
                            new Buf("loss", withLoss ? new float[n] : null, true),
                            new Buf("grad", new float[n * classes], true)),
                    (b, s) -> b.softmaxXent(scale, zp, d, s[0], s[1], s[2], s[3]));
        });
    }

    @Test
    void gradScaleMaskAddAndMean() {
        forCases("plumbing", seed -> {
            RandomCases r = new RandomCases(seed);
            Dims d = Dims.of(r.between(1, 2), r.between(1, 6), r.between(1, 6), r.channels());
            float[] scale = floats(r, d.c(), 0.1f);
            float[] g = floats(r, d.elements(), 3f);
            float[] g2 = floats(r, d.elements(), 3f);
            byte[] mask = r.chance(0.7) ? r.int8((d.elements() + 7) / 8) : null;
            boolean inPlace = r.chance(0.3);
            boolean offHeap = r.chance(0.5);
            compare("grad_scale_mask " + d + (inPlace ? " in place" : ""), seed, offHeap,
                    List.of(new Buf("grad", g, true), new Buf("mask", mask, false),
                            new Buf("out", new float[g.length], true)),
                    (b, s) -> b.gradScaleMask(scale, d, s[0], s[1], inPlace ? s[0] : s[2]));
            compare("add_f32 " + d + (inPlace ? " aliased" : ""), seed, offHeap,
                    List.of(new Buf("a", g, true), new Buf("b", g2, true), new Buf("out", new float[g.length], true)),
                    (b, s) -> b.addF32(d, s[0], s[1], inPlace ? s[1] : s[2]));
            Dims gd = Dims.of(d.n(), 1, 1, d.c());
            float meanScale = (float) (0.05 + r.between(1, 1000) / 300.0);
            compare("mean_grad " + d, seed, offHeap,
                    List.of(new Buf("grad", floats(r, gd.elements(), 5f), false),
                            new Buf("output", new float[g.length], true)),
                    (b, s) -> b.meanGrad(meanScale, gd, s[0], d, s[1]));
        });
    }

    @Test
    void avgPoolGrad() {
        forCases("avgpool_grad", seed -> {
            RandomCases r = new RandomCases(seed);
            int k = r.between(1, 5);
            int stride = r.stride();
            boolean same = r.chance(0.5);
            int h = r.between(same ? 1 : k, k + 6);
            int w = r.between(same ? 1 : k, k + 6);
            int padH = same ? RandomCases.samePad(h, k, stride) : 0;
            int padW = same ? RandomCases.samePad(w, k, stride) : 0;
            Dims in = Dims.of(r.between(1, 2), h, w, r.channels());
            Dims out = Dims.of(in.n(), RandomCases.outSize(h, k, stride, padH, same),
                    RandomCases.outSize(w, k, stride, padW, same), in.c());
            PoolParams p = new PoolParams(k, k, stride, stride, padH, padW, Activation.NONE);
            compare("avgpool_grad in=" + in + " out=" + out + " " + p, seed, r.chance(0.5),
                    List.of(new Buf("grad", floats(r, out.elements(), 2f), false),
                            new Buf("output", floats(r, in.elements(), 1f), true)),
                    (b, s) -> b.avgPoolGrad(p, out, s[0], in, s[1]));
        });
    }

    // ---- conv input gradients -------------------------------------------------------------------

    @Test
    void conv2dGradInput() {
        forCases("conv_grad_input", seed -> {
            RandomCases r = new RandomCases(seed);
            int cin = r.channels();
            int cout = r.channels();
            Geometry g = Geometry.random(r, cin, cout);
            Dims fd = Dims.of(cout, g.kh(), g.kw(), cin);
            compare("conv2d_grad_input " + g, seed, r.chance(0.5),
                    List.of(new Buf("grad", floats(r, g.out().elements(), 1f), false),
                            new Buf("filter", r.int8(fd.elements()), false),
                            new Buf("output", new float[(int) g.in().elements()], true)),
                    (b, s) -> b.conv2dGradInput(g.params(), g.out(), s[0], fd, s[1], g.in(), s[2]));
        });
    }

    @Test
    void depthwiseConv2dGradInput() {
        forCases("dw_grad_input", seed -> {
            RandomCases r = new RandomCases(seed);
            int c = r.chance(0.2) ? r.between(32, 100) : r.channels();
            Geometry g = Geometry.random(r, c, c);
            Dims fd = Dims.of(1, g.kh(), g.kw(), c);
            compare("depthwise_grad_input " + g, seed, r.chance(0.5),
                    List.of(new Buf("grad", floats(r, g.out().elements(), 1f), false),
                            new Buf("filter", r.int8(fd.elements()), false),
                            new Buf("output", new float[(int) g.in().elements()], true)),
                    (b, s) -> b.depthwiseConv2dGradInput(g.params(), g.out(), s[0], fd, s[1], g.in(), s[2]));
        });
    }

    // ---- fused weight / bias updates --------------------------------------------------------------

    private static final Map<Rounding, int[]> SEEN = new EnumMap<>(Rounding.class);

    @Test
    void conv2dGradWeightUpdate() {
        long[] index = {0};
        forCases("conv_update", seed -> {
            RandomCases r = new RandomCases(seed);
            int cin = r.chance(0.15) ? r.between(64, 150) : r.channels();
            int cout = r.channels();
            Geometry g = Geometry.random(r, cin, cout);
            Dims fd = Dims.of(cout, g.kh(), g.kw(), cin);
            int[] ch = channels(r, cin);
            Dims sd = Dims.of(g.in().n(), g.in().h(), g.in().w(), ch.length);
            float[] grad = floats(r, g.out().elements(), 1f);
            SgdParams sgd = sgd(r, rounding(index[0]++), maxAbs(grad) * 128 * g.out().h() * g.out().w() / 4);
            float[] qas = r.chance(0.6) ? floats(r, cout, 4f) : null;
            updateCase("conv2d_grad_weight_update " + g + " channels=" + ch.length + " " + sgd, seed, r, sgd, grad,
                    r.int8(sd.elements()), r.int8(fd.elements()), (long) cout * g.kh() * g.kw() * ch.length,
                    (b, s, st) -> b.conv2dGradWeightUpdate(sgd, g.params(), qas, g.out(), s[0], sd, s[1], ch, fd,
                            s[2], st));
        });
    }

    @Test
    void depthwiseConv2dGradWeightUpdate() {
        long[] index = {0};
        forCases("dw_update", seed -> {
            RandomCases r = new RandomCases(seed);
            int c = r.chance(0.15) ? r.between(64, 150) : r.channels();
            Geometry g = Geometry.random(r, c, c);
            Dims fd = Dims.of(1, g.kh(), g.kw(), c);
            int[] ch = channels(r, c);
            Dims sd = Dims.of(g.in().n(), g.in().h(), g.in().w(), ch.length);
            float[] grad = floats(r, g.out().elements(), 1f);
            SgdParams sgd = sgd(r, rounding(index[0]++), maxAbs(grad) * 128 * g.out().h() * g.out().w() / 4);
            float[] qas = r.chance(0.6) ? floats(r, c, 4f) : null;
            updateCase("depthwise_grad_weight_update " + g + " channels=" + ch.length + " " + sgd, seed, r, sgd, grad,
                    r.int8(sd.elements()), r.int8(fd.elements()), (long) g.kh() * g.kw() * ch.length,
                    (b, s, st) -> b.depthwiseConv2dGradWeightUpdate(sgd, g.params(), qas, g.out(), s[0], sd, s[1], ch,
                            fd, s[2], st));
        });
    }

    @FunctionalInterface
    interface UpdateBody {
        void run(KernelBackend backend, MemorySegment[] segments, SgdState state);
    }

    /** Buffers grad, saved, filter, velocity, master; two consecutive steps so state carries over. */
    private static void updateCase(String what, long seed, RandomCases r, SgdParams sgd, float[] grad, byte[] saved,
                                   byte[] filter, long stateElements, UpdateBody body) {
        float[] velocity = sgd.needsVelocity() ? floats(r, stateElements, 1f) : null;
        float[] master = null;
        if (sgd.needsMaster()) {
            master = floats(r, stateElements, 0.5f);
            for (int i = 0; i < master.length; i++) {
                master[i] += r.between(-127, 127);
            }
        }
        SEEN.computeIfAbsent(sgd.rounding(), k -> new int[1])[0]++;
        compare(what, seed, r.chance(0.5),
                List.of(new Buf("grad", grad, false), new Buf("saved", saved, false), new Buf("filter", filter, true),
                        new Buf("velocity", velocity, true), new Buf("master", master, true)),
                (b, s) -> {
                    SgdState st = new SgdState(s[3], s[4]);
                    body.run(b, s, st);
                    body.run(b, s, st);
                });
    }

    @Test
    void biasGradUpdate() {
        forCases("bias_update", seed -> {
            RandomCases r = new RandomCases(seed);
            Dims gd = Dims.of(r.between(1, 2), r.between(1, 7), r.between(1, 7),
                    r.chance(0.2) ? r.between(65, 150) : r.channels());
            float[] grad = floats(r, gd.elements(), 2f);
            SgdParams sgd = sgd(r, rounding(seed), maxAbs(grad) * gd.h() * gd.w());
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
            compare("bias_grad_update " + gd + " " + sgd, seed, r.chance(0.5),
                    List.of(new Buf("grad", grad, false), new Buf("bias", bias, true),
                            new Buf("velocity", velocity, true), new Buf("master", master, true)),
                    (b, s) -> b.biasGradUpdate(sgd, qas, gd, s[0], Dims.vector(gd.c()), s[1],
                            new SgdState(s[2], s[3])));
        });
    }

    @Test
    void everyRoundingRuleWasExercised() {
        conv2dGradWeightUpdate();
        for (Rounding rounding : Rounding.values()) {
            assertTrue(SEEN.getOrDefault(rounding, new int[1])[0] >= CASES / 5, rounding + " cases");
        }
    }

    // ---- Java checks run before the downcall -----------------------------------------------------

    @Test
    void badArgumentsAreNamedBeforeTheDowncall() {
        Dims gd = Dims.of(1, 3, 3, 2);
        Dims fd = Dims.of(2, 3, 3, 4);
        Dims sd = Dims.of(1, 3, 3, 2);
        ConvParams p = new ConvParams(0, 0, 1, 1, 1, 1, Activation.NONE);
        MemorySegment grad = MemorySegment.ofArray(new float[18]);
        MemorySegment saved = MemorySegment.ofArray(new byte[18]);
        MemorySegment filter = MemorySegment.ofArray(new byte[72]);
        SgdParams plain = SgdParams.of(0.5f, Rounding.NEAREST);
        KernelArgumentException e = assertThrows(KernelArgumentException.class, () -> nativeBackend
                .conv2dGradWeightUpdate(plain, p, null, gd, grad, sd, saved, new int[] {2, 1}, fd, filter, null));
        assertEquals("channels[1]", e.argument());
        e = assertThrows(KernelArgumentException.class, () -> nativeBackend.conv2dGradWeightUpdate(
                new SgdParams(0.5f, 0.9f, Rounding.NEAREST, 0, 0, 0), p, null, gd, grad, sd, saved, new int[] {0, 3},
                fd, filter, SgdState.NONE));
        assertEquals("state.velocity", e.argument());
        e = assertThrows(KernelArgumentException.class, () -> nativeBackend.softmaxXent(0.1f, 0, Dims.of(1, 1, 1, 3),
                MemorySegment.ofArray(new byte[3]), MemorySegment.ofArray(new int[] {3}), null,
                MemorySegment.ofArray(new float[3])));
        assertEquals("labels[0]", e.argument());
    }
}
