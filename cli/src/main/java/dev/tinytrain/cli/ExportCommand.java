package dev.tinytrain.cli;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.kernel.KernelBackends;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.models.ModelStats;
import dev.tinytrain.tflite.TfliteExporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** {@code tinytrain export}: a built-in architecture as an int8 {@code .tflite} model. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a built-in architecture, with seeded random int8 weights (BatchNorm-folded scales, "
                + "calibrated on a random image), as an int8 .tflite model that TF-Lite runs and tinytrain imports "
                + "back unchanged.",
                "",
                "Example:",
                "  tinytrain export --model mcunet-5fps --resolution 128 --out m.tflite",
                ""})
final class ExportCommand implements Runnable {

    @Option(names = "--model", required = true, paramLabel = "NAME",
            description = "Architecture: mcunet-5fps, mobilenetv2-w0.35, proxylessnas-w0.3.")
    String model;

    @Option(names = "--resolution", defaultValue = "128", paramLabel = "PX",
            description = "Input height and width (>= 16). Default: ${DEFAULT-VALUE}.")
    int resolution;

    @Option(names = "--channels", defaultValue = "3", paramLabel = "C",
            description = "Input channels (3: RGB, 1: grayscale). Default: ${DEFAULT-VALUE}.")
    int channels;

    @Option(names = "--classes", defaultValue = "1000", paramLabel = "N", description = "Classifier outputs. Default: ${DEFAULT-VALUE}.")
    int classes;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seed of the weights. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The .tflite file to write.")
    Path outFile;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        // Calibration runs on the best backend: every backend computes the same bits, so the model is the same.
        Graph g = Architectures.build(model, resolution, channels, classes, seed, KernelBackends.best().backend());
        byte[] bytes = TfliteExporter.export(g);
        try {
            Files.write(outFile, bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + outFile + ": " + e.getMessage());
        }
        ModelStats st = ModelStats.of(g);
        if (json) {
            out.println(Json.object("model", g.name(), "file", outFile.toString(), "bytes", bytes.length,
                    "resolution", resolution, "channels", channels, "classes", classes, "seed", seed,
                    "ops", g.ops().size(), "convs", st.convs(), "macs", st.macs(), "params", st.params()));
        } else {
            out.printf(Locale.ROOT, "wrote %s: %s %dx%dx%d, %d classes, seed %d; %,d bytes, %d convs, %,d MACs%n",
                    outFile, g.name(), resolution, resolution, channels, classes, seed, bytes.length, st.convs(),
                    st.macs());
        }
        out.flush();
    }
}
