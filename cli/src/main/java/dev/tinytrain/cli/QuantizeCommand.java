package dev.tinytrain.cli;

import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.Sample;
import dev.tinytrain.fp32.FloatCheckpoint;
import dev.tinytrain.fp32.FloatNet;
import dev.tinytrain.fp32.FloatTrainConfig;
import dev.tinytrain.fp32.FloatTrainer;
import dev.tinytrain.fp32.Fp32Backend;
import dev.tinytrain.fp32.Fp32Backends;
import dev.tinytrain.fp32.Int8Model;
import dev.tinytrain.fp32.Int8ModelFile;
import dev.tinytrain.fp32.Quantizer;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.KernelBackends;
import dev.tinytrain.runtime.ForwardInterpreter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** {@code tinytrain quantize}: float checkpoint to int8 graph, with float and int8 test accuracy. */
@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Post-training quantization of a float checkpoint: fold BatchNorm into the convs, int8 weights "
                + "symmetric per output channel, int32 biases, activation ranges calibrated on training images "
                + "(ReLU6 outputs: [0, 6]). Writes the int8 model and reports the float and int8 test accuracy "
                + "(int8 through the forward interpreter on the int8 kernels).",
                "",
                "Example:",
                "  tinytrain quantize --in m.ckpt --calibration synthetic:4 --samples 500 --out m.ttq",
                ""})
final class QuantizeCommand implements Runnable {

    @Option(names = "--in", required = true, paramLabel = "CHECKPOINT", description = "Float checkpoint (tinytrain pretrain).")
    Path in;

    @Option(names = "--calibration", required = true, paramLabel = "DATA",
            description = "Dataset whose training images calibrate the ranges and whose test images measure "
                    + "accuracy: fashion-mnist, mnist, tuxpaint[:categories] or synthetic:<classes>.")
    String calibration;

    @Option(names = "--samples", defaultValue = "1000", paramLabel = "N",
            description = "Calibration images. Default: ${DEFAULT-VALUE}.")
    int samples;

    @Option(names = "--rule", defaultValue = "minmax", paramLabel = "RULE",
            description = "Range of linear outputs: minmax or percentile:<p> (e.g. percentile:99.99). Default: ${DEFAULT-VALUE}.")
    String rule;

    @Option(names = "--out", required = true, paramLabel = "FILE",
            description = "The int8 model to write (tinytrain's int8 model format).")
    Path out;

    @Option(names = "--eval", defaultValue = "1000", paramLabel = "N", description = "Test images. Default: ${DEFAULT-VALUE}.")
    int eval;

    @Option(names = "--seed", paramLabel = "N",
            description = "Seed of synthetic data. Default: the checkpoint's training seed.")
    Long seed;

    @Option(names = "--json", description = "Print one JSON object (accuracies, seconds).")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (samples < 1 || eval < 1) {
            throw new ParameterException(spec.commandLine(), "--samples and --eval must be >= 1");
        }
        Quantizer.Rule r;
        try {
            r = Quantizer.Rule.parse(rule);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter o = spec.commandLine().getOut();
        long start = System.nanoTime();
        FloatCheckpoint.Loaded loaded = FloatCheckpoint.read(in);
        FloatNet net = loaded.net();
        long dataSeed = seed != null ? seed
                : loaded.meta().get("seed") instanceof Number n ? n.longValue() : 1L;
        FloatData data;
        try {
            data = FloatData.open(calibration, net.resolution(), net.inChannels(), dataSeed, Math.max(samples, 1), eval);
        } catch (IllegalArgumentException | dev.tinytrain.data.DatasetException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (data.classes() > net.classes()) {
            throw new ParameterException(spec.commandLine(), calibration + " has " + data.classes() + " classes; "
                    + in + " has " + net.classes() + " outputs");
        }
        Fp32Backend fp = Fp32Backends.best();
        double floatAcc;
        try (FloatTrainer t = new FloatTrainer(net, fp, FloatTrainConfig.defaults(1, dataSeed))) {
            floatAcc = t.accuracy(data.test(), 0);
        }
        Int8Model model = Quantizer.quantize(net, data.train(), samples, r, fp);
        Graph graph = model.toGraph();
        KernelBackend kernels = KernelBackends.best().backend();
        double int8Acc = int8Accuracy(graph, kernels, data.test());
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("checkpoint", in.getFileName().toString());
        meta.put("calibration", calibration);
        meta.put("samples", Math.min(samples, data.train().size()));
        meta.put("rule", r.toString());
        meta.put("floatAccuracy", floatAcc);
        meta.put("int8Accuracy", int8Acc);
        try {
            if (out.getFileName().toString().endsWith(".tflite")) {
                Path parent = out.toAbsolutePath().getParent();
                if (parent != null) {
                    java.nio.file.Files.createDirectories(parent);
                }
                java.nio.file.Files.write(out, dev.tinytrain.tflite.TfliteExporter.export(graph,
                        "tinytrain quantize: " + net.architecture() + " from " + in.getFileName()));
            } else {
                Int8ModelFile.write(out, model, meta);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (json) {
            o.println(Json.object("model", net.architecture(), "resolution", net.resolution(), "rule", r.toString(),
                    "calibrationSamples", Math.min(samples, data.train().size()), "floatAccuracy", floatAcc,
                    "int8Accuracy", int8Acc, "testSamples", data.test().size(), "ops", graph.ops().size(),
                    "kernels", kernels.name(), "seconds", seconds, "out", out.toString()));
        } else {
            o.printf(Locale.ROOT, "%s %dx%dx%d, %d classes: %d ops in the int8 graph; calibration %s on %d images%n",
                    net.architecture(), net.resolution(), net.resolution(), net.inChannels(), net.classes(),
                    graph.ops().size(), r, Math.min(samples, data.train().size()));
            o.printf(Locale.ROOT, "test accuracy on %d images: float %.2f%%, int8 %.2f%% (%s); %.1f s; wrote %s%n",
                    data.test().size(), 100 * floatAcc, 100 * int8Acc, kernels.description(), seconds, out);
        }
        o.flush();
    }

    /** Top-1 accuracy of the int8 graph, one image at a time (the int8 logits' argmax). */
    static double int8Accuracy(Graph graph, KernelBackend kernels, Dataset test) {
        ForwardInterpreter fi = new ForwardInterpreter(graph, kernels);
        int ok = 0;
        for (int i = 0; i < test.size(); i++) {
            Sample s = test.get(i);
            byte[] logits = fi.run(s.image());
            int best = 0;
            for (int c = 1; c < logits.length; c++) {
                if (logits[c] > logits[best]) {
                    best = c;
                }
            }
            if (best == s.label()) {
                ok++;
            }
        }
        return ok / (double) test.size();
    }
}
