package dev.tinytrain.codegen;

import dev.tinytrain.compile.CompileOptions;
import dev.tinytrain.compile.TrainingCompiler;
import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.ffm.NativeBackend;
import dev.tinytrain.kernel.ReferenceBackend;
import dev.tinytrain.kernel.Rounding;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Split weight tensors change where a partially trained conv's bytes live (trained channels in SRAM,
 * the whole tensor in flash, assembled in arena scratch before each op that reads it), never the bits:
 * a generated program with them, built with the host's C compiler (warnings as errors) and run, prints
 * what {@code TrainingSession} computes with whole tensors, on the native backend and on the Java
 * reference: every loss, the trained parameters' checksum (read back through the split) and the logits.
 * Covered: the fused updates, the conventional order (the stored gradient applied to the slice),
 * momentum with float master copies (state initialised from the slice), and the fused and in-place forms.
 */
class SplitWeightsProjectTest {

    @TempDir
    static Path tmp;

    /** The kernel library of this class's first CMake build; later projects link it (the same sources). */
    static Path kernelLibrary;

    @BeforeAll
    static void model() {
        GeneratedProjectTest.model();
    }

    private static String build(TrainingProgram p, String name) throws IOException, InterruptedException {
        Path dir = tmp.resolve(name);
        CodeGenerator.Options o = new CodeGenerator.Options(Target.HOST, -1, GeneratedProjectTest.samples,
                GeneratedProjectTest.STEPS).withSplitPartial(true);
        CodeGenerator.Project project = CodeGenerator.generate(p, CodeGenerator.plan(p, o), o,
                KernelSources.fromClasspath(), dir);
        assertTrue(Files.readString(dir.resolve("model.c")).contains("tt_assemble_s8("), name + ": a tensor is split");
        assertEquals(project.sizes().trainedSliceBytes(), project.sizes().trainedSramBytes(), name);
        String log;
        Path exe;
        if (kernelLibrary == null) {
            GeneratedProjectTest.run(dir, "cmake", "-S", ".", "-B", "build", "-DTT_WERROR=ON", "-DCMAKE_BUILD_TYPE=Release");
            log = GeneratedProjectTest.run(dir, "cmake", "--build", "build", "-j", "2");
            kernelLibrary = dir.resolve("build/libtinytrain_kernels.a");
            exe = dir.resolve("build/tt_train");
        } else {
            log = GeneratedProjectTest.run(dir, "cc", "-std=c99", "-O2", "-ffp-contract=off", "-Wall", "-Wextra",
                    "-Werror", "-Ikernels/include", "-o", "tt_train", "model.c", "model_weights.c", "samples.c",
                    "main.c", kernelLibrary.toString(), "-lm");
            exe = dir.resolve("tt_train");
        }
        assertTrue(!log.contains("warning:"), "no compiler warnings:\n" + log);
        return GeneratedProjectTest.run(dir, exe.toString());
    }

    private static void check(String name, String scheme, TrainConfig config, CompileOptions options)
            throws IOException, InterruptedException {
        GeneratedProjectTest.assumeCompilers();
        TrainingProgram p = TrainingCompiler.compile(GeneratedProjectTest.forward,
                SparseScheme.named(scheme, GeneratedProjectTest.convs), config, options);
        // the oracle: sessions on the plain program (whole tensors, reordered, nothing fused or in place)
        TrainingProgram plain = TrainingCompiler.compile(GeneratedProjectTest.forward,
                SparseScheme.named(scheme, GeneratedProjectTest.convs), config, new CompileOptions(true, false, false));
        String printed = build(p, name);
        long arena = CodeGenerator.plan(p, new CodeGenerator.Options(Target.HOST, -1, null, 0).withSplitPartial(true))
                .arenaBytes();
        for (DriverOutput want : new DriverOutput[] {GeneratedProjectTest.session(plain, new NativeBackend()),
                GeneratedProjectTest.session(plain, new ReferenceBackend())}) {
            assertEquals(new DriverOutput(want.model(), want.scheme(), arena, want.losses(), want.checksum(),
                    want.logits()).toString(), printed, name);
        }
        System.out.printf(Locale.ROOT, "[codegen] %s (split): arena %,d B (whole tensors %,d B), same bits%n", name,
                arena, MemoryPlan.of(p).arenaBytes());
    }

    @Test
    void splitTensorsTrainTheSameBits() throws Exception {
        check("split-99kb", "mcunet-99kb", TrainConfig.defaults(0.004f), new CompileOptions(true, false, false));
    }

    @Test
    void splitTensorsWithMomentumAndFloatMastersInTheConventionalOrderTrainTheSameBits() throws Exception {
        check("split-49kb-conventional-master", "mcunet-49kb", TrainConfig.defaults(0.004f).withMomentum(0.9f)
                .withRounding(Rounding.FLOAT_MASTER), new CompileOptions(false, true, true));
    }

    @Test
    void splitTensorsWithTheMemorySavingFormsAndNearestRoundingTrainTheSameBits() throws Exception {
        check("split-99kb-forms-nearest", "mcunet-99kb", TrainConfig.defaults(0.004f).withRounding(Rounding.NEAREST),
                new CompileOptions(true, true, true));
    }
}
