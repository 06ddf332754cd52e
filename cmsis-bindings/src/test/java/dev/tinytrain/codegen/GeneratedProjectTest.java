package dev.tinytrain.codegen;

import dev.tinytrain.compile.CompileOptions;
import dev.tinytrain.compile.TrainingCompiler;
import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.compile.WeightLayers;
import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.Sample;
import dev.tinytrain.data.SyntheticDataset;
import dev.tinytrain.ffm.NativeBackend;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.ReferenceBackend;
import dev.tinytrain.kernel.Rounding;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.runtime.TrainingSession;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The proof of code generation: a generated project, built with CMake and the host's C compiler
 * (warnings as errors) and run, trains bit-identically to {@link TrainingSession} on the native
 * backend and on the Java reference: the same loss bits at every step, the same trained
 * parameters (checksum) and the same logits afterwards. Skipped, saying so, without cmake or a C
 * compiler.
 */
class GeneratedProjectTest {

    static final int STEPS = 5;

    static Graph forward;
    static int convs;
    static Dataset samples;

    @TempDir
    static Path tmp;

    /**
     * The kernel library the first CMake build made: later host projects carry the very same kernel
     * sources, so they link it instead of compiling the kernels again (the test's time is the build's).
     */
    static Path kernelLibrary;

    @BeforeAll
    static void model() {
        forward = Architectures.build("mcunet-5fps", 32, 3, 4, 1);
        convs = WeightLayers.of(forward).size() - 1;
        Value in = forward.inputs().getFirst();
        samples = new SyntheticDataset(4, 3, in.shape(), in.quant(), 1, 0);
    }

    /** What a session computes, rendered as the driver prints it. */
    static DriverOutput session(TrainingProgram p, KernelBackend backend) {
        MemoryPlan plan = MemoryPlan.of(p);
        try (TrainingSession s = new TrainingSession(p, backend, plan)) {
            float[] losses = new float[STEPS];
            for (int i = 0; i < STEPS; i++) {
                Sample smp = samples.get(i % samples.size());
                losses[i] = s.trainStep(smp.image(), smp.label());
            }
            return new DriverOutput(p.graph().name(), p.scheme().name(), plan.arenaBytes(), losses,
                    ParameterChecksum.of(s.trainedParameters()), s.logits(samples.get(0).image()));
        }
    }

    static boolean tool(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), String.join(" ", command) + " timed out");
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + out);
        return out;
    }

    static void assumeCompilers() {
        Assumptions.assumeTrue(tool("cmake", "--version") && tool("cc", "--version"),
                "cmake and a C compiler (cc) are needed to build the generated project (apt-get install cmake gcc)");
    }

    /** Generates, configures with warnings as errors, builds; returns the project folder. */
    static Path build(TrainingProgram p, Target target, Path dir) throws IOException, InterruptedException {
        CodeGenerator.generate(p, MemoryPlan.of(p), new CodeGenerator.Options(target, -1, samples, STEPS),
                KernelSources.fromClasspath(), dir);
        run(dir, "cmake", "-S", ".", "-B", "build", "-DTT_WERROR=ON", "-DCMAKE_BUILD_TYPE=Release");
        String log = run(dir, "cmake", "--build", "build", "-j", "2");
        assertTrue(!log.contains("warning:"), "no compiler warnings:\n" + log);
        return dir;
    }

    /**
     * Generates and builds a host project: with CMake (warnings as errors) the first time, afterwards
     * the model and the driver with the C compiler and CMake's flags, linked to the kernels built first.
     */
    static Path buildHost(TrainingProgram p, Path dir) throws IOException, InterruptedException {
        synchronized (GeneratedProjectTest.class) {
            if (kernelLibrary == null) {
                build(p, Target.HOST, dir);
                kernelLibrary = dir.resolve("build/libtinytrain_kernels.a");
                assertTrue(Files.isRegularFile(kernelLibrary), "CMake built the kernel library");
                return dir.resolve("build/tt_train");
            }
        }
        CodeGenerator.generate(p, MemoryPlan.of(p), new CodeGenerator.Options(Target.HOST, -1, samples, STEPS),
                KernelSources.fromClasspath(), dir);
        String log = run(dir, "cc", "-std=c99", "-O2", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror",
                "-Ikernels/include", "-o", "tt_train", "model.c", "model_weights.c", "samples.c", "main.c",
                kernelLibrary.toString(), "-lm");
        assertTrue(!log.contains("warning:"), "no compiler warnings:\n" + log);
        return dir.resolve("tt_train");
    }

    private void check(String name, String scheme, TrainConfig config) throws IOException, InterruptedException {
        TrainingProgram p = TrainingCompiler.compile(forward, SparseScheme.named(scheme, convs), config,
                new CompileOptions(true, false, false));
        long t0 = System.nanoTime();
        Path exe = buildHost(p, tmp.resolve(name));
        long t1 = System.nanoTime();
        String printed = run(exe.getParent(), exe.toString());
        long t2 = System.nanoTime();
        DriverOutput nat = session(p, new NativeBackend());
        DriverOutput ref = session(p, new ReferenceBackend());
        long t3 = System.nanoTime();
        DriverOutput c = DriverOutput.parse(printed);
        assertEquals(STEPS, c.losses().length);
        // the whole text: model, arena size, every loss's bits, the trained parameters' checksum, the logits
        assertEquals(nat.toString(), printed, name + ": generated C vs the native session");
        assertEquals(ref.toString(), printed, name + ": generated C vs the reference session");
        assertEquals(nat, c);
        System.out.printf(Locale.ROOT, "[codegen] %s: generate + build %.1f s, run %.2f s, Java sessions %.1f s;"
                        + " losses %s, checksum %s%n", name, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9,
                Arrays.toString(c.losses()), ParameterChecksum.hex(c.checksum()));
    }

    @Test
    void mcunet49kbTrainsBitIdenticallyInC() throws Exception {
        assumeCompilers();
        check("mcunet-49kb", "mcunet-49kb", TrainConfig.defaults(0.004f));
    }

    @Test
    void mcunet99kbWithNearestRoundingTrainsBitIdenticallyInC() throws Exception {
        assumeCompilers();
        check("mcunet-99kb-nearest", "mcunet-99kb", TrainConfig.defaults(0.004f).withRounding(Rounding.NEAREST));
    }

    @Test
    void momentumAndFloatMasterStateTrainBitIdenticallyInC() throws Exception {
        assumeCompilers();
        check("mcunet-49kb-momentum-master", "mcunet-49kb", TrainConfig.defaults(0.004f).withMomentum(0.9f)
                .withRounding(Rounding.FLOAT_MASTER));
    }

    /**
     * Fused conv + depthwise, in-place pointwise convs and the conventional order (stored gradients,
     * the SGD step at the end) change where bytes live and when updates happen, never the bits: each
     * generated program prints what the plain program's session computes (only the arena differs).
     * Needs the kernels for them; skipped, naming what is missing, with a library that lacks them.
     */
    @Test
    void memorySavingFormsAndTheConventionalOrderTrainTheSameBitsInC() throws Exception {
        assumeCompilers();
        KernelSources k = KernelSources.fromClasspath();
        List<String> missing = java.util.stream.Stream.of("tt_conv_depthwise_s8", "tt_conv2d_1x1_inplace_s8",
                "tt_conv2d_grad_weight_f32", "tt_depthwise_conv2d_grad_weight_f32", "tt_bias_grad_f32",
                "tt_sgd_update_s8", "tt_sgd_update_s32").filter(n -> !k.declares(n)).toList();
        Assumptions.assumeTrue(missing.isEmpty(), "the kernel library lacks " + missing
                + ": the memory-saving forms are generated once it has them");
        TrainConfig config = TrainConfig.defaults(0.004f).withMomentum(0.9f).withRounding(Rounding.FLOAT_MASTER);
        TrainingProgram plain = TrainingCompiler.compile(forward, SparseScheme.named("mcunet-49kb", convs), config,
                new CompileOptions(true, false, false));
        DriverOutput want = session(plain, new NativeBackend());
        for (CompileOptions o : List.of(new CompileOptions(true, true, true), new CompileOptions(false, true, true),
                new CompileOptions(false, false, false))) {
            TrainingProgram p = TrainingCompiler.compile(forward, SparseScheme.named("mcunet-49kb", convs), config, o);
            String name = "forms-" + o.reorder() + "-" + o.fuse() + "-" + o.inPlace();
            Path exe = buildHost(p, tmp.resolve(name));
            String printed = run(exe.getParent(), exe.toString());
            long arena = MemoryPlan.of(p).arenaBytes();
            assertEquals(new DriverOutput(want.model(), want.scheme(), arena, want.losses(), want.checksum(),
                    want.logits()).toString(), printed, name);
            System.out.printf(Locale.ROOT, "[codegen] %s: arena %,d B (plain %,d B), same bits%n", name, arena,
                    MemoryPlan.of(plain).arenaBytes());
        }
    }

    /** The C compiler reads CWriter's literals back to the same bytes, bits and values. */
    @Test
    void theCCompilerReadsTheWritersLiteralsBack() throws Exception {
        assumeCompilers();
        String text = "quote\" back\\ ??= tab\t \u00e9t\u00e9e1 \u20acab";   // é then hex digits: no \\x escapes
        float[] floats = {0f, -0f, 0.004f, -1.5e-39f, Float.MIN_VALUE, Float.MAX_VALUE, 1f / 3};
        int[] ints = {Integer.MIN_VALUE, Integer.MAX_VALUE, -1, 0};
        CWriter w = new CWriter();
        w.line("#include <stdint.h>").line("#include <stdio.h>").line("#include <string.h>").blank();
        w.array("static const float f[" + floats.length + "]", floats);
        w.array("static const int32_t k[" + ints.length + "]", ints);
        w.function("int main(void)");
        w.line("const char *s = " + CWriter.stringLiteral(text) + ";");
        w.line("size_t i;");
        w.line("uint32_t b;");
        w.line("for (i = 0; i < strlen(s); ++i) printf(\"%02x\", (unsigned)(unsigned char)s[i]);");
        w.line("printf(\"\\n\");");
        w.open("for (i = 0; i < sizeof f / sizeof f[0]; ++i)");
        w.line("memcpy(&b, &f[i], 4);");
        w.line("printf(\"%08lx %ld\\n\", (unsigned long)b, (long)k[i % 4]);");
        w.close();
        w.line("return 0;");
        w.close();
        Path dir = Files.createDirectories(tmp.resolve("literals"));
        Files.writeString(dir.resolve("lit.c"), w.toString());
        run(dir, "cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-o", "lit", "lit.c");
        String[] lines = run(dir, dir.resolve("lit").toString()).split("\n");
        assertEquals(java.util.HexFormat.of().formatHex(text.getBytes(StandardCharsets.UTF_8)), lines[0]);
        for (int i = 0; i < floats.length; i++) {
            assertEquals(String.format(Locale.ROOT, "%08x %d", Float.floatToRawIntBits(floats[i]), ints[i % 4]),
                    lines[i + 1]);
        }
    }

    @Test
    void crossCompilesWarningFreeForCortexM4() throws Exception {
        assumeCompilers();
        Assumptions.assumeTrue(tool("arm-none-eabi-gcc", "--version"), "arm-none-eabi-gcc is needed for the Cortex-M"
                + " build (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)");
        TrainingProgram p = TrainingCompiler.compile(forward, SparseScheme.named("mcunet-49kb", convs),
                TrainConfig.defaults(0.004f), new CompileOptions(true, false, false));
        Path dir = build(p, Target.CORTEX_M4, tmp.resolve("m4"));
        byte[] elf = Files.readAllBytes(dir.resolve("build/tt_train"));
        assertEquals(0x7f, elf[0]);
        assertEquals('E', elf[1]);
        assertEquals(40, elf[18], "e_machine: ARM");
        assertEquals(1, elf[4], "32-bit ELF");
    }
}
