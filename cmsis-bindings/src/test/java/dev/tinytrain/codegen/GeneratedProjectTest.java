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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
    Path tmp;

    @BeforeAll
    static void model() {
        forward = Architectures.build("mcunet-5fps", 32, 3, 4, 1);
        convs = WeightLayers.of(forward).size() - 1;
        Value in = forward.inputs().getFirst();
        samples = new SyntheticDataset(4, 3, in.shape(), in.quant(), 1, 0);
    }

    /** What one run printed or computed. */
    record Run(float[] losses, String checksum, byte[] logits) {
        void assertSame(Run other, String what) {
            assertArrayEquals(bits(other.losses), bits(losses), what + ": loss bits per step");
            assertEquals(other.checksum, checksum, what + ": trained parameters");
            assertArrayEquals(other.logits, logits, what + ": logits after training");
        }

        private static int[] bits(float[] f) {
            int[] b = new int[f.length];
            for (int i = 0; i < f.length; i++) {
                b[i] = Float.floatToRawIntBits(f[i]);
            }
            return b;
        }
    }

    static Run session(TrainingProgram p, KernelBackend backend) {
        try (TrainingSession s = new TrainingSession(p, backend, MemoryPlan.of(p))) {
            float[] losses = new float[STEPS];
            for (int i = 0; i < STEPS; i++) {
                Sample smp = samples.get(i % samples.size());
                losses[i] = s.trainStep(smp.image(), smp.label());
            }
            String checksum = ParameterChecksum.hex(ParameterChecksum.of(s.trainedParameters()));
            return new Run(losses, checksum, s.logits(samples.get(0).image()));
        }
    }

    /** Parses the driver's output (format: main.c's header comment). */
    static Run parse(String out) {
        List<Float> losses = new ArrayList<>();
        String checksum = null;
        byte[] logits = null;
        boolean done = false;
        for (String line : out.split("\n")) {
            String[] f = line.strip().split(" ");
            switch (f[0]) {
                case "step" -> {
                    assertEquals(losses.size(), Integer.parseInt(f[1]), line);
                    assertEquals("loss", f[2], line);
                    losses.add(Float.intBitsToFloat(Integer.parseUnsignedInt(f[3], 16)));
                }
                case "checksum" -> checksum = f[1];
                case "logits" -> {
                    logits = new byte[f.length - 1];
                    for (int i = 1; i < f.length; i++) {
                        logits[i - 1] = Byte.parseByte(f[i]);
                    }
                }
                case "done" -> done = true;
                case "error" -> throw new AssertionError("the generated program failed: " + line);
                default -> {
                }
            }
        }
        assertTrue(done, "the driver finished:\n" + out);
        float[] l = new float[losses.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = losses.get(i);
        }
        return new Run(l, checksum, logits);
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
        Assumptions.assumeTrue(tool("cmake", "--version") && (tool("cc", "--version") || tool("gcc", "--version")),
                "cmake and a C compiler are needed to build the generated project (apt-get install cmake gcc)");
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

    private void check(String name, String scheme, TrainConfig config) throws IOException, InterruptedException {
        TrainingProgram p = TrainingCompiler.compile(forward, SparseScheme.named(scheme, convs), config,
                new CompileOptions(true, false, false));
        long t0 = System.nanoTime();
        Path dir = build(p, Target.HOST, tmp.resolve(name));
        long t1 = System.nanoTime();
        Run c = parse(run(dir, dir.resolve("build/tt_train").toString()));
        long t2 = System.nanoTime();
        Run nat = session(p, new NativeBackend());
        Run ref = session(p, new ReferenceBackend());
        long t3 = System.nanoTime();
        assertEquals(STEPS, c.losses().length);
        c.assertSame(nat, name + ", generated C vs the native session");
        c.assertSame(ref, name + ", generated C vs the reference session");
        System.out.printf(Locale.ROOT, "[codegen] %s: generate + build %.1f s, run %.2f s, Java sessions %.1f s;"
                        + " losses %s, checksum %s%n", name, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9,
                Arrays.toString(c.losses()), c.checksum());
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
