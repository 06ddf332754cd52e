package dev.tinytrain.cli;

import dev.tinytrain.codegen.CodeGenerator;
import dev.tinytrain.codegen.CodegenException;
import dev.tinytrain.codegen.DriverOutput;
import dev.tinytrain.codegen.KernelSources;
import dev.tinytrain.codegen.ParameterChecksum;
import dev.tinytrain.codegen.Target;
import dev.tinytrain.compile.CompileOptions;
import dev.tinytrain.compile.TrainingCompiler;
import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.compile.WeightLayers;
import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.Sample;
import dev.tinytrain.data.SyntheticDataset;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.KernelBackends;
import dev.tinytrain.kernel.Rounding;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.plan.Budget;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.runtime.TrainingSession;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code tinytrain codegen}: a compiled training program as a self-contained C project. */
@Command(name = "codegen", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compile a model's sparse training program, plan its memory and write it as a C project for "
                + "the host or a Cortex-M: parameters (frozen in flash, trained in SRAM), one static arena, "
                + "tt_model_forward and tt_model_train_step calling the tinytrain kernels (copied in), a test driver "
                + "that trains on embedded samples, and a CMake build.",
                "",
                "Examples:",
                "  tinytrain codegen --model mcunet-5fps --resolution 128 --scheme mcunet-49kb --dataset synthetic:4 "
                        + "--samples 8 --target cortex-m7 --out mcunet-m7",
                "  tinytrain codegen --model mcunet-5fps --resolution 48 --scheme mcunet-99kb --dataset synthetic:4 "
                        + "--target host --out gen --expected      (then: cd gen && cmake -S . -B build && "
                        + "cmake --build build && ./build/tt_train | diff - expected_output.txt)",
                ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the project was written", "1:bad arguments, or an op the kernel library cannot run yet",
                "3:the program does not fit --budget (nothing written)"})
final class CodegenCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "NAME",
            description = "Architecture: mcunet-5fps, mobilenetv2-w0.35, proxylessnas-w0.3.")
    String model;

    @Option(names = "--resolution", defaultValue = "128", paramLabel = "PX", description = "Input size. Default: ${DEFAULT-VALUE}.")
    int resolution;

    @Option(names = "--scheme", defaultValue = "mcunet-49kb", paramLabel = "SCHEME",
            description = "Sparse-update scheme (a name as for train, or a JSON file). Default: ${DEFAULT-VALUE}.")
    String scheme;

    @Option(names = "--dataset", paramLabel = "DATA",
            description = "Samples for the test driver: synthetic:<classes>. Without it the driver trains nothing.")
    String dataset;

    @Option(names = "--samples", defaultValue = "4", paramLabel = "N", description = "Samples to embed. Default: ${DEFAULT-VALUE}.")
    int samples;

    @Option(names = "--steps", paramLabel = "N", description = "Steps the driver trains. Default: one per sample.")
    Integer steps;

    @Option(names = "--classes", paramLabel = "N",
            description = "Classifier outputs without --dataset (with one: its classes). Default: 10.")
    Integer classes;

    @Option(names = "--target", defaultValue = "host", paramLabel = "TARGET",
            description = "host, cortex-m3, cortex-m4 or cortex-m7. Default: ${DEFAULT-VALUE}.")
    String target;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Folder to write (new, empty, or one codegen wrote before).")
    Path out;

    @Mixin
    MemoryOptions memory;

    @Mixin
    UpdateRuleOptions rule;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N",
            description = "Seed of the model weights, the samples and the rounding. Default: ${DEFAULT-VALUE}.")
    int seed;

    @Option(names = "--split-partial", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Keep each partially trained conv weight split: its trained input channels in SRAM, the "
                    + "whole tensor in flash, assembled in planned arena scratch before each op that reads it. "
                    + "Default: whole tensors in SRAM.")
    boolean splitPartial;

    @Option(names = "--expected", description = "Also train on the host (best kernel backend) and write what the "
            + "driver must print to DIR/expected_output.txt.")
    boolean expected;

    @Option(names = "--kernels", paramLabel = "DIR",
            description = "The kernel library's folder to copy (with include/ and src/). Default: the sources "
                    + "packed in this tool.")
    Path kernelsDir;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter o = spec.commandLine().getOut();
        Target t;
        try {
            t = Target.parse(target);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--target: " + e.getMessage());
        }
        long budgetBytes;
        try {
            budgetBytes = memory.budgetBytes();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--budget: " + e.getMessage());
        }
        if (samples < 1) {
            throw new ParameterException(spec.commandLine(), "--samples must be >= 1, got " + samples);
        }
        if (steps != null && steps < 0) {
            throw new ParameterException(spec.commandLine(), "--steps must be >= 0, got " + steps);
        }
        int k = dataset == null ? (classes == null ? 10 : classes) : datasetClasses();
        if (dataset != null && classes != null && classes != k) {
            throw new ParameterException(spec.commandLine(), "--classes " + classes + " disagrees with --dataset "
                    + dataset + " (" + k + " classes)");
        }
        Graph forward = Architectures.build(model, resolution, 3, k, seed);
        int convs = WeightLayers.of(forward).size() - 1;
        SparseScheme s = scheme(convs);
        TrainConfig config = rule.config(seed);
        KernelSources sources = kernelsDir == null ? KernelSources.fromClasspath() : KernelSources.fromDirectory(kernelsDir);
        CompileOptions options = memory.options();
        TrainingProgram program = TrainingCompiler.compile(forward, s, config, options);
        Value in = forward.inputs().getFirst();
        Dataset data = dataset == null ? null : SyntheticDataset.parse(dataset, samples, in.shape(), in.quant(), seed, 0);
        int driverSteps = data == null ? 0 : steps == null ? samples : steps;
        CodeGenerator.Options generated = new CodeGenerator.Options(t, budgetBytes, data, driverSteps)
                .withSplitPartial(splitPartial);
        MemoryPlan plan = CodeGenerator.plan(program, generated);
        CodeGenerator.Project project;
        try {
            project = CodeGenerator.generate(program, plan, generated, sources, out);
        } catch (CodegenException.OverBudget e) {
            spec.commandLine().getErr().println("tinytrain: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return 3;
        }
        String expectedChecksum = null;
        if (expected && data != null) {
            DriverOutput d = hostRun(forward, s, config, plan.arenaBytes(), data, driverSteps);
            Files.writeString(out.resolve("expected_output.txt"), d.toString());
            expectedChecksum = ParameterChecksum.hex(d.checksum());
        }
        CodeGenerator.Sizes z = project.sizes();
        if (json) {
            o.println(Json.object("model", forward.name(), "resolution", resolution, "scheme", s.name(),
                    "target", t.label(), "out", out.toString(), "files", project.files().size(),
                    "arenaBytes", z.arenaBytes(), "trainedSramBytes", z.trainedSramBytes(),
                    "trainedSliceBytes", z.trainedSliceBytes(), "stateSramBytes", z.stateSramBytes(),
                    "sramBytes", z.sramBytes(), "frozenFlashBytes", z.frozenFlashBytes(),
                    "paramFlashBytes", z.paramFlashBytes(), "sampleFlashBytes", z.sampleFlashBytes(),
                    "samples", data == null ? 0 : data.size(), "steps", driverSteps,
                    "expectedChecksum", expectedChecksum));
        } else {
            o.printf(Locale.ROOT, "%s %dx%dx3, %d classes, scheme %s -> %s (%s, %d files)%n", forward.name(),
                    resolution, resolution, k, s.name(), out, t.label(), project.files().size());
            o.printf(Locale.ROOT, "  SRAM  arena           %,10d B%n", z.arenaBytes());
            o.printf(Locale.ROOT, "        trained params  %,10d B  (%s; the trained slices are %,d B)%n",
                    z.trainedSramBytes(), splitPartial ? "partially trained convs split" : "whole tensors",
                    z.trainedSliceBytes());
            o.printf(Locale.ROOT, "        optimizer state %,10d B%n", z.stateSramBytes());
            o.printf(Locale.ROOT, "        total           %,10d B%n", z.sramBytes());
            o.printf(Locale.ROOT, "  flash frozen params   %,10d B, kernel parameters %,d B, samples %,d B (plus code)%n",
                    z.frozenFlashBytes(), z.paramFlashBytes(), z.sampleFlashBytes());
            o.printf("  build: cd %s && cmake -S . -B build && cmake --build build && ./build/tt_train%n", out);
            if (expectedChecksum != null) {
                o.printf("  expected output (host run): %s, checksum %s%n", out.resolve("expected_output.txt"),
                        expectedChecksum);
            }
        }
        o.flush();
        return 0;
    }

    /**
     * What the driver must print, computed by a host session. The session runs the same scheme and
     * rule compiled in the fused-update order without the memory-saving forms (fused conv +
     * depthwise, in-place convs, the conventional order compute the same bits: the generated-code
     * tests check it), so it works whatever forms the host runtime supports; the arena line is the
     * generated program's.
     */
    private static DriverOutput hostRun(Graph forward, SparseScheme scheme, TrainConfig config, long arenaBytes,
                                        Dataset data, int steps) {
        return hostRun(forward, scheme, config, arenaBytes, data, steps, KernelBackends.best().backend());
    }

    /** {@link #hostRun(Graph, SparseScheme, TrainConfig, long, Dataset, int)} on these kernels ({@code mcu run}). */
    static DriverOutput hostRun(Graph forward, SparseScheme scheme, TrainConfig config, long arenaBytes,
                                Dataset data, int steps, KernelBackend kernels) {
        TrainingProgram plain = TrainingCompiler.compile(forward, scheme, config, new CompileOptions(true, false, false));
        try (TrainingSession session = new TrainingSession(plain, kernels, MemoryPlan.of(plain))) {
            float[] losses = new float[steps];
            for (int i = 0; i < steps; i++) {
                Sample smp = data.get(i % data.size());
                losses[i] = session.trainStep(smp.image(), smp.label());
            }
            return new DriverOutput(plain.graph().name(), plain.scheme().name(), arenaBytes, losses,
                    ParameterChecksum.of(session.trainedParameters()), session.logits(data.get(0).image()));
        }
    }

    private int datasetClasses() {
        if (!dataset.startsWith("synthetic:")) {
            throw new ParameterException(spec.commandLine(), "dataset '" + dataset + "' is not available yet: "
                    + "use synthetic:<classes>");
        }
        try {
            int k = Integer.parseInt(dataset.substring("synthetic:".length()));
            if (k < 2) {
                throw new ParameterException(spec.commandLine(), "synthetic:<classes> needs at least 2 classes");
            }
            return k;
        } catch (NumberFormatException e) {
            throw new ParameterException(spec.commandLine(), "synthetic:<classes> needs a whole number, got '"
                    + dataset + "'");
        }
    }

    private SparseScheme scheme(int convs) {
        try {
            return SparseScheme.resolve(scheme, convs);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--scheme: " + e.getMessage());
        }
    }
}
