package dev.tinytrain.bench;

import dev.tinytrain.ffm.NativeBackend;
import dev.tinytrain.ffm.NativeIsa;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.ChannelQuant;
import dev.tinytrain.kernel.ConvParams;
import dev.tinytrain.kernel.FcParams;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.ReferenceBackend;
import dev.tinytrain.oracle.TfliteInterpreter;
import dev.tinytrain.tensor.Dims;
import dev.tinytrain.tensor.Quantization;
import dev.tinytrain.tflite.BuiltinOperator;
import dev.tinytrain.tflite.BuiltinOptions;
import dev.tinytrain.tflite.FusedActivation;
import dev.tinytrain.tflite.Padding;
import dev.tinytrain.tflite.TensorType;
import dev.tinytrain.tflite.TfliteModelBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One int8 kernel call per operation, on the layer shapes that dominate the paper's models at 128x128
 * (shared/models/ARCHITECTURES.md), side by side: our C kernels through Panama on each ISA path, the
 * pure-Java reference backend, and TF-Lite 2.20 with its built-in kernels and with the XNNPACK delegate.
 *
 * <p>What one operation is: for {@code native-*} and {@code reference}, one {@link KernelBackend} call
 * (argument checks, the per-call parameter marshalling and the kernel); for {@code tflite*}, one
 * {@code Interpreter::Invoke()} of a one-operator model whose input was set once in setup (TF-Lite's
 * interpreter overhead is small next to these kernels, and it is what a TF-Lite user pays).
 *
 * <p>Correctness is asserted once per trial in {@link #setUp()}: {@code native-*} must equal the
 * reference backend bit for bit; TF-Lite may differ by at most 1 (ruy rounds negative ties of CONV_2D
 * and FULLY_CONNECTED toward +infinity, XNNPACK requantizes in float; see TFLITE-NOTES.md), and the
 * number of differing elements is printed.
 *
 * <p>Stride-2 layers: the models pad them symmetrically (PyTorch), which TF-Lite expresses as PAD + VALID.
 * Here our kernels get pad 1 on the HxW input and TF-Lite's VALID conv gets the same input already padded
 * to (H+2)x(W+2) with the zero point, so both compute exactly the model's layer; the PAD op is not timed.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar KernelBenchmark -f 1 -wi 2 -i 3} (a quick look,
 * a few minutes); the defaults below (3 forks) are for numbers you publish.
 */
// Average time in microseconds: the kernels take 10 us to 10 ms, so a 1 s iteration holds hundreds to
// thousands of calls, enough to average out timer noise while 35 shape x impl forks stay affordable.
// 3 forks by default because JIT and native library placement vary from JVM to JVM.
// Native access is enabled for the forks (the Panama downcalls and JavaCPP's JNI loading); JavaCPP's
// sun.misc.Unsafe use is allowed explicitly so Java 25 does not print its deprecation warning mid-run.
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 3, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Benchmark)
public class KernelBenchmark {

    @Param({"mcunet.conv0_3x3s2", "mcunet.dw3x3s2", "mcunet.pw_expand", "mcunet.pw_project", "mbv2.pw_expand",
            "mcunet.dw7x7", "mcunet.classifier"})
    public String shape;

    @Param({"native-avx2", "native-portable", "reference", "tflite", "tflite-xnnpack"})
    public String impl;

    /** Seed of every weight, bias and input; the same data for every implementation of a shape. */
    private static final long SEED = 0x5EED_2025_0B3EL;

    private enum Kind { CONV, DEPTHWISE, FC }

    /**
     * One layer: input HxWxCin -> output, kernel k, stride, our padding before (rows above = columns left;
     * TF-Lite gets the same computation as described in the class comment), activation quantization
     * from ARCHITECTURES.md. For FC, h = w = k = 1 and cin/cout are features/units.
     */
    private record Layer(Kind kind, int h, int w, int cin, int cout, int k, int stride, int pad,
                         float inScale, int inZero, float outScale, int outZero) {

        int outH() {
            return (h + 2 * pad - k) / stride + 1;
        }

        int outW() {
            return (w + 2 * pad - k) / stride + 1;
        }

        /** Taps summed into one accumulator. */
        int depth() {
            return switch (kind) {
                case CONV -> k * k * cin;
                case DEPTHWISE -> k * k;
                case FC -> cin;
            };
        }

        long macs() {
            return (long) outH() * outW() * cout * depth();
        }

        /** Whether TF-Lite needs the input pre-padded (stride > 1 with padding: PAD + VALID in the models). */
        boolean prePadded() {
            return pad > 0 && stride > 1;
        }
    }

    private static Layer layer(String name) {
        return switch (name) {
            // mcunet-5fps layer 0, first_conv: 128x128x3 -> 64x64x16, 3x3 s2 pad 1.
            case "mcunet.conv0_3x3s2" -> new Layer(Kind.CONV, 128, 128, 3, 16, 3, 2, 1,
                    0.00784314f, 0, 0.0235294f, -128);
            // mcunet-5fps layer 4, block 1 dw: 64x64x32 -> 32x32x32, 3x3 s2 pad 1.
            case "mcunet.dw3x3s2" -> new Layer(Kind.DEPTHWISE, 64, 64, 32, 32, 3, 2, 1,
                    0.0235294f, -128, 0.0235294f, -128);
            // mcunet-5fps layer 3, block 1 pw1: 64x64x8 -> 64x64x32.
            case "mcunet.pw_expand" -> new Layer(Kind.CONV, 64, 64, 8, 32, 1, 1, 0,
                    0.0757207f, -6, 0.0235294f, -128);
            // mcunet-5fps layer 2, block 0 pw2: 64x64x16 -> 64x64x8.
            case "mcunet.pw_project" -> new Layer(Kind.CONV, 64, 64, 16, 8, 1, 1, 0,
                    0.0235294f, -128, 0.0757207f, -6);
            // mbv2-w0.35 layer 3, block 1 pw1: 64x64x8 -> 64x64x48.
            case "mbv2.pw_expand" -> new Layer(Kind.CONV, 64, 64, 8, 48, 1, 1, 0,
                    0.102445f, -4, 0.0235294f, -128);
            // mcunet-5fps layer 19, block 6 dw: 8x8x160, 7x7 s1 SAME (pad 3).
            case "mcunet.dw7x7" -> new Layer(Kind.DEPTHWISE, 8, 8, 160, 160, 7, 1, 3,
                    0.0104245f, -128, 0.0155185f, -128);
            // mcunet-5fps layer 42, classifier: 160 -> 1000.
            case "mcunet.classifier" -> new Layer(Kind.FC, 1, 1, 160, 1000, 1, 1, 0,
                    0.147143f, -1, 0.169803f, -34);
            default -> throw new IllegalArgumentException("unknown shape " + name);
        };
    }

    // ---- the state of one trial (non-final so the JIT cannot constant-fold it) ---------------------------

    private Layer layer;
    private Arena arena;
    private KernelBackend backend;
    private ConvParams convParams;
    private FcParams fcParams;
    private ChannelQuant quant;
    private Dims inputDims;
    private Dims filterDims;
    private Dims outputDims;
    private MemorySegment input;
    private MemorySegment filter;
    private MemorySegment bias;
    private MemorySegment output;
    private TfliteInterpreter tflite;

    @Setup(Level.Trial)
    public void setUp() {
        layer = layer(shape);
        Data d = data(shape, layer);
        arena = Arena.ofShared();
        input = copyOf(arena, d.x());
        filter = copyOf(arena, d.weights());
        bias = arena.allocate(ValueLayout.JAVA_INT, d.bias().length);
        MemorySegment.copy(d.bias(), 0, bias, ValueLayout.JAVA_INT, 0, d.bias().length);
        output = arena.allocate(layer.outH() * layer.outW() * layer.cout());
        quant = ChannelQuant.of(layer.inScale(), d.weightScales(), layer.outScale());
        convParams = new ConvParams(-layer.inZero(), layer.outZero(), layer.stride(), layer.stride(), layer.pad(),
                layer.pad(), Activation.NONE);
        fcParams = new FcParams(-layer.inZero(), layer.outZero(), Activation.NONE);
        inputDims = Dims.of(1, layer.h(), layer.w(), layer.cin());
        filterDims = switch (layer.kind()) {
            case CONV -> Dims.of(layer.cout(), layer.k(), layer.k(), layer.cin());
            case DEPTHWISE -> Dims.of(1, layer.k(), layer.k(), layer.cout());
            case FC -> Dims.of(layer.cout(), 1, 1, layer.cin());
        };
        outputDims = Dims.of(1, layer.outH(), layer.outW(), layer.cout());

        // The expected output: the reference backend on the same segments.
        MemorySegment expectedSegment = arena.allocate(output.byteSize());
        call(new ReferenceBackend(), expectedSegment);
        byte[] expected = expectedSegment.toArray(ValueLayout.JAVA_BYTE);

        switch (impl) {
            case "native-avx2", "native-portable" -> {
                NativeBackend nb = new NativeBackend();
                NativeIsa isa = impl.equals("native-avx2") ? NativeIsa.AVX2 : NativeIsa.PORTABLE;
                try {
                    nb.selectIsa(isa);
                } catch (IllegalArgumentException e) {
                    throw new IllegalStateException(impl + " cannot run on this machine: " + e.getMessage(), e);
                }
                backend = nb;
                call(backend, output);
                int diffs = countDifferences(expected, output.toArray(ValueLayout.JAVA_BYTE), 0, impl);
                System.out.println("[check] " + shape + " " + impl + ": equals reference (" + expected.length
                        + " outputs, " + diffs + " differences); " + nb.description());
            }
            case "reference" -> {
                backend = new ReferenceBackend();
                call(backend, output);
                int diffs = countDifferences(expected, output.toArray(ValueLayout.JAVA_BYTE), 0, impl);
                System.out.println("[check] " + shape + " " + impl + ": deterministic (" + expected.length
                        + " outputs, " + diffs + " differences between two runs)");
            }
            case "tflite", "tflite-xnnpack" -> {
                TfliteInterpreter.Kernels kernels = impl.equals("tflite")
                        ? TfliteInterpreter.Kernels.BUILTIN : TfliteInterpreter.Kernels.XNNPACK;
                tflite = TfliteInterpreter.create(tfliteModel(layer, d), kernels);
                tflite.setInput(0, layer.prePadded() ? padded(layer, d.x()) : d.x());
                tflite.invoke();
                byte[] actual = tflite.output(0);
                int diffs = countDifferences(expected, actual, 1, impl);
                System.out.println("[check] " + shape + " " + impl + ": max |difference| to reference <= 1, "
                        + diffs + " of " + expected.length + " outputs differ by 1 (rounding at ties)");
            }
            default -> throw new IllegalArgumentException("unknown impl " + impl);
        }
        System.out.println("[shape] " + shape + ": " + layer + ", " + layer.macs() + " MACs");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (tflite != null) {
            tflite.close();
            tflite = null;
        }
        backend = null;
        if (arena != null) {
            arena.close();
            arena = null;
        }
    }

    @Benchmark
    public void kernel(Blackhole bh) {
        if (tflite != null) {
            tflite.invoke();
            bh.consume(tflite);
        } else {
            call(backend, output);
            bh.consume(output);
        }
    }

    private void call(KernelBackend b, MemorySegment out) {
        switch (layer.kind()) {
            case CONV -> b.conv2d(convParams, quant, inputDims, input, filterDims, filter, bias, outputDims, out);
            case DEPTHWISE -> b.depthwiseConv2d(convParams, quant, inputDims, input, filterDims, filter, bias,
                    outputDims, out);
            case FC -> b.fullyConnected(fcParams, quant, inputDims, input, filterDims, filter, bias, outputDims, out);
        }
    }

    // ---- data -------------------------------------------------------------------------------------------

    /** Weights in the layout both sides use (conv OHWI, depthwise 1HWC, FC [out, in]), per-channel scales. */
    private record Data(byte[] x, byte[] weights, float[] weightScales, int[] bias) {
    }

    /**
     * Uniform random int8 inputs and weights. Each channel's weight scale puts the accumulator's standard
     * deviation at 25-100 output steps, and its bias cancels the mean that the input zero point adds (as
     * batch-norm folding does), so outputs spread around the output zero point the way trained layers'
     * do (with zero point -128: half of them at -128, the implicit ReLU), rather than all saturating.
     */
    private static Data data(String name, Layer l) {
        SplittableRandom r = new SplittableRandom(SEED ^ name.hashCode());
        byte[] x = new byte[l.h() * l.w() * l.cin()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (byte) (r.nextInt(256) - 128);
        }
        int depth = l.depth();
        byte[] w = new byte[l.cout() * depth];
        for (int i = 0; i < w.length; i++) {
            w[i] = (byte) (r.nextInt(255) - 127);
        }
        double inputMean = -0.5 - l.inZero();        // mean of (x - z_in) for uniform x in [-128, 127]
        double inputStd = Math.sqrt((256.0 * 256.0 - 1) / 12.0);
        float[] scales = new float[l.cout()];
        int[] bias = new int[l.cout()];
        for (int c = 0; c < l.cout(); c++) {
            long sum = 0;
            long sumSquares = 0;
            for (int t = 0; t < depth; t++) {
                int v = w[weightIndex(l, c, t)];
                sum += v;
                sumSquares += (long) v * v;
            }
            double accStd = inputStd * Math.sqrt(Math.max(sumSquares, 1));
            double steps = 25.0 * Math.pow(4.0, r.nextDouble());
            scales[c] = (float) (steps * l.outScale() / (l.inScale() * accStd));
            bias[c] = (int) Math.round(-inputMean * sum + (r.nextDouble() - 0.5) * accStd);
        }
        return new Data(x, w, scales, bias);
    }

    /** Index of tap t of output channel c in the filter. */
    private static int weightIndex(Layer l, int c, int t) {
        return l.kind() == Kind.DEPTHWISE ? t * l.cout() + c : c * l.depth() + t;
    }

    private static MemorySegment copyOf(Arena arena, byte[] bytes) {
        MemorySegment s = arena.allocate(bytes.length);
        MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return s;
    }

    /** The input with `pad` rows/columns of the zero point on every side, as the models' PAD op writes it. */
    private static byte[] padded(Layer l, byte[] x) {
        int p = l.pad();
        int ph = l.h() + 2 * p;
        int pw = l.w() + 2 * p;
        int c = l.cin();
        byte[] out = new byte[ph * pw * c];
        Arrays.fill(out, (byte) l.inZero());
        for (int y = 0; y < l.h(); y++) {
            System.arraycopy(x, y * l.w() * c, out, ((y + p) * pw + p) * c, l.w() * c);
        }
        return out;
    }

    // ---- TF-Lite ----------------------------------------------------------------------------------------

    /**
     * The one-operator model as TF-Lite's converter writes it: per-channel symmetric weights, int32 bias
     * with per-channel scale {@code s_in * s_w[c]} (float product), no fused activation (ReLU6 is implicit
     * in the output quantization in these models).
     */
    private static byte[] tfliteModel(Layer l, Data d) {
        TfliteModelBuilder b = new TfliteModelBuilder();
        float[] biasScales = new float[l.cout()];
        for (int c = 0; c < biasScales.length; c++) {
            biasScales[c] = l.inScale() * d.weightScales()[c];
        }
        Quantization in = Quantization.perTensor(l.inScale(), l.inZero());
        Quantization out = Quantization.perTensor(l.outScale(), l.outZero());
        if (l.kind() == Kind.FC) {
            int x = b.addTensor("input", new int[] {1, l.cin()}, TensorType.INT8, in, null);
            int w = b.addTensor("filter", new int[] {l.cout(), l.cin()}, TensorType.INT8,
                    Quantization.perChannel(d.weightScales(), 0), d.weights());
            int bias = b.addInt32Tensor("bias", new int[] {l.cout()}, Quantization.perChannel(biasScales, 0), d.bias());
            int y = b.addTensor("output", new int[] {1, l.cout()}, TensorType.INT8, out, null);
            b.addOperator(BuiltinOperator.FULLY_CONNECTED, 4, new int[] {x, w, bias}, new int[] {y},
                    new BuiltinOptions.FullyConnected(FusedActivation.NONE, false));
            return b.inputs(x).outputs(y).build();
        }
        boolean prePadded = l.prePadded();
        int inH = prePadded ? l.h() + 2 * l.pad() : l.h();
        int inW = prePadded ? l.w() + 2 * l.pad() : l.w();
        Padding padding = prePadded || l.pad() == 0 ? Padding.VALID : Padding.SAME;
        if (padding == Padding.SAME && padding.padBefore(l.h(), l.k(), l.stride()) != l.pad()) {
            throw new IllegalStateException(l + ": TF-Lite SAME padding differs from ours");
        }
        int x = b.addTensor("input", new int[] {1, inH, inW, l.cin()}, TensorType.INT8, in, null);
        int bias;
        int w;
        if (l.kind() == Kind.CONV) {
            w = b.addTensor("filter", new int[] {l.cout(), l.k(), l.k(), l.cin()}, TensorType.INT8,
                    Quantization.perChannel(d.weightScales(), 0), d.weights());
        } else {
            w = b.addTensor("filter", new int[] {1, l.k(), l.k(), l.cout()}, TensorType.INT8,
                    Quantization.perChannel(d.weightScales(), 3), d.weights());
        }
        bias = b.addInt32Tensor("bias", new int[] {l.cout()}, Quantization.perChannel(biasScales, 0), d.bias());
        int y = b.addTensor("output", new int[] {1, l.outH(), l.outW(), l.cout()}, TensorType.INT8, out, null);
        if (l.kind() == Kind.CONV) {
            b.addOperator(BuiltinOperator.CONV_2D, 3, new int[] {x, w, bias}, new int[] {y},
                    new BuiltinOptions.Conv2D(padding, l.stride(), l.stride(), FusedActivation.NONE));
        } else {
            b.addOperator(BuiltinOperator.DEPTHWISE_CONV_2D, 3, new int[] {x, w, bias}, new int[] {y},
                    new BuiltinOptions.DepthwiseConv2D(padding, l.stride(), l.stride(), FusedActivation.NONE));
        }
        return b.inputs(x).outputs(y).build();
    }

    /**
     * Counts the elements where {@code actual} differs from {@code expected}; throws when a difference
     * exceeds {@code tolerance} (or the lengths differ), naming the first offending element.
     */
    private int countDifferences(byte[] expected, byte[] actual, int tolerance, String who) {
        if (expected.length != actual.length) {
            throw new IllegalStateException(shape + " " + who + ": " + actual.length + " outputs, expected "
                    + expected.length);
        }
        int diffs = 0;
        int worst = 0;
        int first = -1;
        for (int i = 0; i < expected.length; i++) {
            int diff = Math.abs(expected[i] - actual[i]);
            if (diff != 0) {
                diffs++;
                if (diff > worst) {
                    worst = diff;
                }
                if (diff > tolerance && first < 0) {
                    first = i;
                }
            }
        }
        if (first >= 0) {
            throw new IllegalStateException(shape + " " + who + " differs from the reference backend: " + diffs
                    + " of " + expected.length + " outputs differ, max |difference| " + worst + " (tolerance "
                    + tolerance + "); first at " + first + " (channel " + (first % layer.cout()) + "): "
                    + actual[first] + " vs " + expected[first]);
        }
        return diffs;
    }
}
