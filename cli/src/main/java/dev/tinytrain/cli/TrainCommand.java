package dev.tinytrain.cli;

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
import dev.tinytrain.runtime.TrainingSession;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import picocli.CommandLine.Command;
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
            description = "Training data: synthetic:<classes> (class patterns plus noise).")
    String dataset;

    @Option(names = "--steps", defaultValue = "300", paramLabel = "N", description = "Training steps. Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--lr", defaultValue = "0.004", paramLabel = "LR",
            description = "Learning rate (with QAS: in real-weight units, as in float SGD). Default: ${DEFAULT-VALUE}.")
    float lr;

    @Option(names = "--momentum", defaultValue = "0", paramLabel = "M",
            description = "SGD momentum in [0, 1); 0 keeps no momentum buffer. Default: ${DEFAULT-VALUE}.")
    float momentum;

    @Option(names = "--rounding", defaultValue = "stochastic", paramLabel = "RULE",
            description = "How int8 weights absorb updates: stochastic, nearest, truncate, float-master. Default: ${DEFAULT-VALUE}.")
    String rounding;

    @Option(names = "--no-qas", description = "Turn Quantization-Aware Scaling off (ablation).")
    boolean noQas;

    @Option(names = "--backend", paramLabel = "NAME",
            description = "Kernel backend: native or reference. Default: the best available.")
    String backend;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seed of the model weights, the data and the rounding. Default: ${DEFAULT-VALUE}.")
    int seed;

    @Option(names = "--eval", defaultValue = "200", paramLabel = "N", description = "Held-out samples for the accuracy. Default: ${DEFAULT-VALUE}.")
    int eval;

    @Option(names = "--json", description = "Print one JSON object (losses, accuracy, weightsChecksum, ...).")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (steps < 1) {
            throw new ParameterException(spec.commandLine(), "--steps must be >= 1, got " + steps);
        }
        if (eval < 1) {
            throw new ParameterException(spec.commandLine(), "--eval must be >= 1, got " + eval);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int classes = datasetClasses();
        Graph forward = Architectures.build(model, resolution, 3, classes, seed);
        int convs = WeightLayers.of(forward).size() - 1;
        SparseScheme s = scheme(convs);
        TrainConfig config = new TrainConfig(!noQas, rounding(), lr, momentum, seed);
        TrainingProgram program = TrainingCompiler.compile(forward, s, config);
        Value in = forward.inputs().getFirst();
        Dataset train = SyntheticDataset.parse(dataset, steps, in.shape(), in.quant(), seed, 0);
        Dataset test = SyntheticDataset.parse(dataset, eval, in.shape(), in.quant(), seed, 1);
        KernelBackend kernels = backend == null ? KernelBackends.best().backend() : KernelBackends.named(backend);
        boolean interactive = !json && System.console() != null;
        if (!json) {
            out.printf("model %s %dx%dx3, %d classes; scheme %s (%d layers train); %s%n", forward.name(), resolution,
                    resolution, classes, s.name(), program.trained().size(), kernels.description());
            out.printf("QAS %s, rounding %s, lr %s, momentum %s%n", noQas ? "off" : "on", rounding, lr, momentum);
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
                Sample smp = train.get(i);
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
                    "backend", kernels.name(), "qas", !noQas, "rounding", rounding, "lr", (double) lr,
                    "steps", steps, "losses", losses.stream().map(Float::doubleValue).toList(),
                    "accuracyBefore", before, "accuracy", after, "evalSamples", eval,
                    "weightsChecksum", checksum, "seconds", seconds));
        } else {
            out.printf(Locale.ROOT, "accuracy on %d held-out samples: %.1f%% before, %.1f%% after %d steps (%.1f s)%n",
                    eval, 100 * before, 100 * after, steps, seconds);
            out.printf("trained parameters checksum %s%n", checksum);
        }
        out.flush();
    }

    private int datasetClasses() {
        if (!dataset.startsWith("synthetic:")) {
            throw new ParameterException(spec.commandLine(), "dataset '" + dataset + "' is not available yet: "
                    + "use synthetic:<classes> (real datasets arrive with the datasets work)");
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
        Path file = Path.of(scheme);
        if (scheme.endsWith(".json") || Files.isRegularFile(file)) {
            try {
                SparseScheme s = SparseScheme.fromJson(Files.readString(file));
                s.checkFits(convs);
                return s;
            } catch (IOException e) {
                throw new ParameterException(spec.commandLine(), "cannot read scheme file " + file + ": " + e.getMessage());
            }
        }
        return SparseScheme.named(scheme, convs);
    }

    private Rounding rounding() {
        return switch (rounding) {
            case "stochastic" -> Rounding.STOCHASTIC;
            case "nearest" -> Rounding.NEAREST;
            case "truncate" -> Rounding.TRUNCATE;
            case "float-master" -> Rounding.FLOAT_MASTER;
            default -> throw new ParameterException(spec.commandLine(), "--rounding must be stochastic, nearest, "
                    + "truncate or float-master, got '" + rounding + "'");
        };
    }
}
