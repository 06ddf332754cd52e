package dev.tinytrain.ffm;

import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.AddParams;
import dev.tinytrain.kernel.ChannelQuant;
import dev.tinytrain.kernel.ConvParams;
import dev.tinytrain.kernel.FcParams;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.MeanParams;
import dev.tinytrain.kernel.PoolParams;
import dev.tinytrain.kernel.ReferenceBackend;
import dev.tinytrain.tensor.Dims;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Native kernels (every ISA path this machine has) against the Java reference, bit for bit,
 * over random shapes and boundary fills. Each case has its own seed, printed on failure:
 * replay one with {@code -Dtinytrain.seed=N}.
 */
class NativeDifferentialTest {

    static final int CASES = 320;
    static final long BASE_SEED = Long.getLong("tinytrain.seed", 0x7457_2026L);

    static NativeBackend nativeBackend;
    static final KernelBackend REF = new ReferenceBackend();

    @BeforeAll
    static void load() {
        nativeBackend = new NativeBackend();   // must load: scripts/test builds the library first
    }

    @AfterAll
    static void restore() {
        nativeBackend.selectIsa(nativeBackend.bestIsa());
    }

    static Stream<NativeIsa> paths() {
        NativeBackend nb = new NativeBackend();
        List<NativeIsa> list = new ArrayList<>(List.of(NativeIsa.PORTABLE));
        if (nb.bestIsa() != NativeIsa.PORTABLE) {
            list.add(nb.bestIsa());
        }
        return list.stream();
    }

    /** Runs {@code body} on both backends with fresh output buffers and compares them. */
    private static void compare(NativeIsa isa, String what, long seed, int outBytes, boolean nativeMemory,
                                KernelCall body) {
        nativeBackend.selectIsa(isa);
        byte[] expected = new byte[outBytes];
        body.run(REF, MemorySegment.ofArray(expected), false);
        byte[] actual;
        if (nativeMemory) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(outBytes);
                body.run(nativeBackend, out, true);
                actual = out.toArray(ValueLayout.JAVA_BYTE);
            }
        } else {
            actual = new byte[outBytes];
            body.run(nativeBackend, MemorySegment.ofArray(actual), false);
        }
        assertArrayEquals(expected, actual, () -> isa + " " + what + " (seed " + seed + ")");
    }

    @FunctionalInterface
    interface KernelCall {
        /** Runs the kernel on {@code backend} writing {@code out}; {@code offHeap} copies inputs to native memory. */
        void run(KernelBackend backend, MemorySegment out, boolean offHeap);
    }

    /** Input data as a heap segment or a native copy (both downcall forms get exercised). */
    private static MemorySegment data(byte[] b, boolean offHeap, Arena arena) {
        return offHeap ? arena.allocateFrom(ValueLayout.JAVA_BYTE, b) : MemorySegment.ofArray(b);
    }

    private static MemorySegment data(int[] b, boolean offHeap, Arena arena) {
        return b == null ? null : offHeap ? arena.allocateFrom(ValueLayout.JAVA_INT, b) : MemorySegment.ofArray(b);
    }

    private static void forCases(NativeIsa isa, String op, Consumer<Long> body) {
        for (int i = 0; i < CASES; i++) {
            body.accept(BASE_SEED + op.hashCode() * 1_000_003L + i * 7919L + isa.ordinal());
        }
    }

    private static void withArena(Consumer<Arena> body) {
        try (Arena arena = Arena.ofConfined()) {
            body.accept(arena);
        }
    }

    @ParameterizedTest
    @MethodSource("paths")
    void conv2d(NativeIsa isa) {
        forCases(isa, "conv2d", seed -> {
            RandomCases r = new RandomCases(seed);
            int k = r.kernel();
            int kh = r.chance(0.8) ? k : r.kernel();
            int stride = r.stride();
            boolean same = r.chance(0.6);
            int h = r.between(same ? 1 : kh, 12);
            int w = r.between(same ? 1 : k, 12);
            int padH = same ? RandomCases.samePad(h, kh, stride) : 0;
            int padW = same ? RandomCases.samePad(w, k, stride) : 0;
            int cin = r.channels();
            int cout = r.channels();
            int n = r.chance(0.2) ? 2 : 1;
            Dims in = Dims.of(n, h, w, cin);
            Dims f = Dims.of(cout, kh, k, cin);
            Dims out = Dims.of(n, RandomCases.outSize(h, kh, stride, padH, same),
                    RandomCases.outSize(w, k, stride, padW, same), cout);
            int zpIn = r.zeroPoint();
            int zpOut = r.zeroPoint();
            ConvParams params = new ConvParams(-zpIn, zpOut, stride, stride, padH, padW, r.activation(zpOut));
            ChannelQuant q = r.quant(cout);
            byte[] x = r.int8(in.elements());
            byte[] wt = r.int8(f.elements());
            int[] bias = r.chance(0.9) ? r.bias(cout, 1 << 16) : null;
            boolean offHeap = r.chance(0.5);
            compare(isa, "conv2d in=" + in + " f=" + f + " out=" + out + " " + params, seed, (int) out.elements(),
                    offHeap, (b, o, nat) -> withArena(a -> b.conv2d(params, q, in, data(x, nat, a), f,
                            data(wt, nat, a), data(bias, nat, a), out, o)));
        });
    }

    @ParameterizedTest
    @MethodSource("paths")
    void pointwiseConv(NativeIsa isa) {
        forCases(isa, "conv1x1", seed -> {
            RandomCases r = new RandomCases(seed);
            int cin = r.chance(0.3) ? r.between(32, 200) : r.channels();
            int cout = r.chance(0.3) ? r.between(32, 100) : r.channels();
            Dims in = Dims.of(1, r.between(1, 9), r.between(1, 9), cin);
            Dims f = Dims.of(cout, 1, 1, cin);
            Dims out = Dims.of(1, in.h(), in.w(), cout);
            int zpOut = r.zeroPoint();
            ConvParams p = new ConvParams(-r.zeroPoint(), zpOut, 1, 1, 0, 0, r.activation(zpOut));
            ChannelQuant q = r.quant(cout);
            byte[] x = r.int8(in.elements());
            byte[] wt = r.int8(f.elements());
            int[] bias = r.bias(cout, 1 << 18);
            compare(isa, "conv1x1 in=" + in + " f=" + f + " " + p, seed, (int) out.elements(), r.chance(0.5),
                    (b, o, nat) -> withArena(a -> b.conv2d(p, q, in, data(x, nat, a), f, data(wt, nat, a),
                            data(bias, nat, a), out, o)));
        });
    }

    @ParameterizedTest
    @MethodSource("paths")
    void depthwise(NativeIsa isa) {
        forCases(isa, "depthwise", seed -> {
            RandomCases r = new RandomCases(seed);
            int k = r.kernel();
            int stride = r.stride();
            boolean same = r.chance(0.6);
            int h = r.between(same ? 1 : k, 12);
            int w = r.between(same ? 1 : k, 12);
            int pad = same ? RandomCases.samePad(h, k, stride) : 0;
            int padW = same ? RandomCases.samePad(w, k, stride) : 0;
            int c = r.chance(0.3) ? r.between(32, 100) : r.channels();
            int n = r.chance(0.2) ? 2 : 1;
            Dims in = Dims.of(n, h, w, c);
            Dims f = Dims.of(1, k, k, c);
            Dims out = Dims.of(n, RandomCases.outSize(h, k, stride, pad, same),
                    RandomCases.outSize(w, k, stride, padW, same), c);
            int zpOut = r.zeroPoint();
            ConvParams p = new ConvParams(-r.zeroPoint(), zpOut, stride, stride, pad, padW,
                    r.activation(zpOut));
            ChannelQuant q = r.quant(c);
            byte[] x = r.int8(in.elements());
            byte[] wt = r.int8(f.elements());
            int[] bias = r.chance(0.9) ? r.bias(c, 1 << 16) : null;
            compare(isa, "depthwise in=" + in + " f=" + f + " out=" + out + " " + p, seed, (int) out.elements(),
                    r.chance(0.5), (b, o, nat) -> withArena(a -> b.depthwiseConv2d(p, q, in, data(x, nat, a), f,
                            data(wt, nat, a), data(bias, nat, a), out, o)));
        });
    }

    @ParameterizedTest
    @MethodSource("paths")
    void fullyConnected(NativeIsa isa) {
        forCases(isa, "fc", seed -> {
            RandomCases r = new RandomCases(seed);
            int features = r.chance(0.4) ? r.between(32, 400) : r.channels();
            int outs = r.chance(0.3) ? r.between(10, 120) : r.channels();
            int n = r.between(1, 3);
            Dims in = Dims.of(n, 1, 1, features);
            Dims f = Dims.of(outs, 1, 1, features);
            Dims out = Dims.of(n, 1, 1, outs);
            int zpOut = r.zeroPoint();
            FcParams p = new FcParams(-r.zeroPoint(), zpOut, r.activation(zpOut));
            ChannelQuant q = r.quant(outs);
            byte[] x = r.int8(in.elements());
            byte[] wt = r.int8(f.elements());
            int[] bias = r.chance(0.9) ? r.bias(outs, 1 << 18) : null;
            compare(isa, "fc in=" + in + " f=" + f + " " + p, seed, (int) out.elements(), r.chance(0.5),
                    (b, o, nat) -> withArena(a -> b.fullyConnected(p, q, in, data(x, nat, a), f, data(wt, nat, a),
                            data(bias, nat, a), out, o)));
        });
    }

    @ParameterizedTest
    @MethodSource("paths")
    void add(NativeIsa isa) {
        forCases(isa, "add", seed -> {
            RandomCases r = new RandomCases(seed);
            Dims d = Dims.of(r.between(1, 2), r.between(1, 6), r.between(1, 6), r.channels());
            int zpOut = r.zeroPoint();
            AddParams p = AddParams.of((float) (0.01 + r.between(1, 100) * 0.001), r.zeroPoint(),
                    (float) (0.01 + r.between(1, 100) * 0.001), r.zeroPoint(),
                    (float) (0.02 + r.between(1, 100) * 0.002), zpOut, r.activation(zpOut));
            byte[] x1 = r.int8(d.elements());
            byte[] x2 = r.int8(d.elements());
            compare(isa, "add " + d + " " + p, seed, (int) d.elements(), r.chance(0.5),
                    (b, o, nat) -> withArena(a -> b.add(p, d, data(x1, nat, a), d, data(x2, nat, a), d, o)));
        });
    }

    @ParameterizedTest
    @MethodSource("paths")
    void avgPool(NativeIsa isa) {
        forCases(isa, "avgpool", seed -> {
            RandomCases r = new RandomCases(seed);
            int k = r.between(1, 4);
            int stride = r.stride();
            boolean same = r.chance(0.5);
            int h = r.between(same ? 1 : k, 10);
            int w = r.between(same ? 1 : k, 10);
            int padH = same ? RandomCases.samePad(h, k, stride) : 0;
            int padW = same ? RandomCases.samePad(w, k, stride) : 0;
            Dims in = Dims.of(r.between(1, 2), h, w, r.channels());
            Dims out = Dims.of(in.n(), RandomCases.outSize(h, k, stride, padH, same),
                    RandomCases.outSize(w, k, stride, padW, same), in.c());
            PoolParams p = new PoolParams(k, k, stride, stride, padH, padW, r.activation(r.zeroPoint()));
            byte[] x = r.int8(in.elements());
            compare(isa, "avgpool in=" + in + " out=" + out + " " + p, seed, (int) out.elements(), r.chance(0.5),
                    (b, o, nat) -> withArena(a -> b.avgPool2d(p, in, data(x, nat, a), out, o)));
        });
    }

    @ParameterizedTest
    @MethodSource("paths")
    void mean(NativeIsa isa) {
        forCases(isa, "mean", seed -> {
            RandomCases r = new RandomCases(seed);
            Dims in = Dims.of(r.between(1, 2), r.between(1, 9), r.between(1, 9), r.channels());
            Dims out = Dims.of(in.n(), 1, 1, in.c());
            float s = (float) (0.01 + r.between(1, 100) * 0.001);
            MeanParams p = MeanParams.of(s, r.zeroPoint(), r.chance(0.5) ? s : s * 0.7f, r.zeroPoint());
            byte[] x = r.int8(in.elements());
            compare(isa, "mean in=" + in + " " + p, seed, (int) out.elements(), r.chance(0.5),
                    (b, o, nat) -> withArena(a -> b.mean(p, in, data(x, nat, a), out, o)));
        });
    }

    @ParameterizedTest
    @MethodSource("paths")
    void requantize(NativeIsa isa) {
        nativeBackend.selectIsa(isa);
        RandomCases r = new RandomCases(BASE_SEED);
        for (int i = 0; i < 100_000; i++) {
            int x = i % 3 == 0 ? r.between(Integer.MIN_VALUE, Integer.MAX_VALUE - 1) : r.between(-(1 << 20), 1 << 20);
            int m = i % 11 == 0 ? Integer.MIN_VALUE + 1 + r.between(0, 3) : r.between(1 << 30, Integer.MAX_VALUE - 1);
            int shift = r.between(-31, 30);
            if (m < 0) {
                m = 1 << 30;
            }
            int expected = REF.requantize(x, m, shift);
            int actual = nativeBackend.requantize(x, m, shift);
            if (expected != actual) {
                throw new AssertionError("requantize(" + x + ", " + m + ", " + shift + "): reference " + expected
                        + ", native " + actual);
            }
        }
    }
}
