package dev.tinytrain.cli;

import dev.tinytrain.fp32.FloatCheckpoint;
import dev.tinytrain.fp32.FloatNet;
import dev.tinytrain.fp32.FloatTrainConfig;
import dev.tinytrain.fp32.FloatTrainer;
import dev.tinytrain.fp32.Fp32Backend;
import dev.tinytrain.fp32.Fp32Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code tinytrain pretrain}: float training with BatchNorm, written as a float checkpoint. */
@Command(name = "pretrain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a float32 model (BatchNorm, ReLU6) of a built-in architecture from scratch on the host: "
                + "momentum SGD with weight decay, a linear warm-up and a cosine learning-rate decay, mini-batches "
                + "split across threads. Prints each epoch's loss and validation accuracy, then the test accuracy, "
                + "and writes a float checkpoint for 'tinytrain quantize'.",
                "",
                "Example:",
                "  tinytrain pretrain --model mcunet-5fps --resolution 32 --dataset synthetic:4 --epochs 3 --out m.ckpt",
                ""})
final class PretrainCommand implements Runnable {

    @Option(names = "--model", required = true, paramLabel = "NAME",
            description = "Architecture: mcunet-5fps, mobilenetv2-w0.35, proxylessnas-w0.3.")
    String model;

    @Option(names = "--resolution", defaultValue = "32", paramLabel = "PX",
            description = "Input height and width (>= 16). Default: ${DEFAULT-VALUE}.")
    int resolution;

    @Option(names = "--channels", defaultValue = "3", paramLabel = "C",
            description = "Input channels. Default: ${DEFAULT-VALUE} (the paper's models).")
    int channels;

    @Option(names = "--dataset", required = true, paramLabel = "DATA",
            description = "Training data: fashion-mnist, mnist, tuxpaint[:categories] or synthetic:<classes>.")
    String dataset;

    @Option(names = "--epochs", defaultValue = "10", paramLabel = "N", description = "Epochs. Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Checkpoint to write.")
    Path out;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N",
            description = "Seed of the initialization, the data order and synthetic data. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--lr", defaultValue = "0.1", paramLabel = "LR", description = "Peak learning rate. Default: ${DEFAULT-VALUE}.")
    float lr;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "N", description = "Images per step. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--momentum", defaultValue = "0.9", paramLabel = "M", description = "SGD momentum. Default: ${DEFAULT-VALUE}.")
    float momentum;

    @Option(names = "--weight-decay", defaultValue = "5e-5", paramLabel = "WD",
            description = "L2 weight decay of conv and classifier weights. Default: ${DEFAULT-VALUE}.")
    float weightDecay;

    @Option(names = "--warmup", defaultValue = "100", paramLabel = "STEPS",
            description = "Linear warm-up steps before the cosine decay. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--classes", paramLabel = "K", description = "Classifier outputs. Default: the dataset's classes.")
    Integer classes;

    @Option(names = "--shards", defaultValue = "2", paramLabel = "S",
            description = "Parts of each batch, each with its own BatchNorm statistics. Default: ${DEFAULT-VALUE}.")
    int shards;

    @Option(names = "--threads", defaultValue = "2", paramLabel = "T",
            description = "Threads running the parts (same results for any count). Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--train-size", defaultValue = "4096", paramLabel = "N",
            description = "Training images of a synthetic dataset. Default: ${DEFAULT-VALUE}.")
    int trainSize;

    @Option(names = "--eval", defaultValue = "1000", paramLabel = "N",
            description = "Validation and test images. Default: ${DEFAULT-VALUE}.")
    int eval;

    @Option(names = "--backend", paramLabel = "NAME",
            description = "Float32 kernels: native or reference. Default: the best available.")
    String backend;

    @Option(names = "--json", description = "Print one JSON object (epochs, accuracies, seconds).")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (epochs < 1 || batch < 1 || eval < 1 || trainSize < 1) {
            throw new ParameterException(spec.commandLine(), "--epochs, --batch, --eval and --train-size must be >= 1");
        }
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        FloatData data;
        try {
            data = FloatData.open(dataset, resolution, channels, seed, trainSize, eval);
        } catch (IllegalArgumentException | dev.tinytrain.data.DatasetException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        int k = classes == null ? data.classes() : classes;
        FloatTrainConfig cfg;
        FloatNet net;
        try {
            cfg = new FloatTrainConfig(epochs, batch, lr, momentum, weightDecay, warmup, seed, Math.min(shards, batch),
                    threads);
            net = FloatNet.create(model, resolution, channels, k, seed);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Fp32Backend be = backend == null ? Fp32Backends.best() : Fp32Backends.named(backend);
        boolean interactive = !json && System.console() != null;
        if (!json) {
            o.printf(Locale.ROOT, "model %s float32 %dx%dx%d, %d classes, %,d parameters; %s%n", net.architecture(),
                    resolution, resolution, channels, k, net.trainedParameters(), be.description());
            o.printf(Locale.ROOT, "data %s: %d train, %d validation, %d test; batch %d (%d shards, %d threads), lr %s, "
                    + "momentum %s, weight decay %s%n", data.spec(), data.train().size(), data.validation().size(),
                    data.test().size(), batch, cfg.shards(), threads, lr, momentum, weightDecay);
            o.flush();
        }
        List<Object> epochsJson = new ArrayList<>();
        long start = System.nanoTime();
        double testAcc;
        try (FloatTrainer t = new FloatTrainer(net, be, cfg)) {
            t.fit(data.train(), data.validation(), 0, (e, s, steps, loss) -> {
                if (interactive) {
                    Progress.bar(err, s, steps, String.format(Locale.ROOT, "epoch %d/%d loss %.4f", e + 1, epochs, loss));
                }
            }, r -> {
                if (interactive) {
                    err.print("\r\033[K");
                    err.flush();
                }
                if (!json) {
                    o.printf(Locale.ROOT, "epoch %d/%d  loss %.4f  validation %.2f%%  %.1f s%n", r.epoch(), epochs,
                            r.loss(), 100 * r.validationAccuracy(), r.seconds());
                    o.flush();
                }
                epochsJson.add(Json.object("epoch", r.epoch(), "loss", r.loss(),
                        "validationAccuracy", r.validationAccuracy(), "seconds", r.seconds()));
            });
            testAcc = t.accuracy(data.test(), 0);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("dataset", dataset);
        meta.put("seed", seed);
        meta.put("epochs", epochs);
        meta.put("batch", batch);
        meta.put("lr", (double) lr);
        meta.put("testAccuracy", testAcc);
        try {
            FloatCheckpoint.write(out, net, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + out + ": " + e.getMessage(), e);
        }
        if (json) {
            o.println(Json.object("model", net.architecture(), "resolution", resolution, "classes", k,
                    "dataset", dataset, "backend", be.name(), "epochs", epochsJson, "testAccuracy", testAcc,
                    "testSamples", data.test().size(), "seconds", seconds, "checkpoint", out.toString()));
        } else {
            o.printf(Locale.ROOT, "test accuracy %.2f%% on %d images; %.1f s; wrote %s%n", 100 * testAcc,
                    data.test().size(), seconds, out);
        }
        o.flush();
    }
}
