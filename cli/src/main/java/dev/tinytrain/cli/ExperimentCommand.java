package dev.tinytrain.cli;

import dev.tinytrain.data.DatasetOptions;
import dev.tinytrain.data.Datasets;
import dev.tinytrain.data.Splits;
import dev.tinytrain.experiment.FloatTransfer;
import dev.tinytrain.experiment.GradientScales;
import dev.tinytrain.experiment.Heads;
import dev.tinytrain.fp32.FloatCheckpoint;
import dev.tinytrain.fp32.FloatNet;
import dev.tinytrain.fp32.Fp32Backends;
import dev.tinytrain.experiment.Method;
import dev.tinytrain.experiment.TransferExperiment;
import dev.tinytrain.experiment.TransferReport;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.KernelBackends;
import dev.tinytrain.models.Architectures;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code tinytrain experiment}: the paper's experiments, re-run here. */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        subcommands = {ExperimentCommand.Transfer.class, ExperimentCommand.Scales.class, ExperimentCommand.Plot.class},
        description = {"Re-run the paper's experiments. See 'tinytrain experiment transfer --help'.", ""})
final class ExperimentCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "transfer", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Fine-tune a pre-trained int8 model on a downstream dataset with several methods (batch 1, the"
                    + " learning rate of each chosen on a validation split from a small grid, then several seeds) and"
                    + " write a Markdown table, JSON and a PNG plot: test accuracy (mean and spread), planned SRAM,"
                    + " seconds per epoch.",
                    "",
                    "Methods: fp32-full, fp32-folded, int8-sgd-<scheme>, int8-qas-<scheme>[@stochastic|nearest|truncate|float-master]"
                            + " with <scheme> = full, bias, last-layer, last-k:<k> or a sparse scheme name.",
                    "",
                    "Example:",
                    "  tinytrain experiment transfer --pretrained m.tflite --dataset mnist --limit-per-class 10 "
                            + "--methods int8-sgd-full,int8-qas-full,int8-qas-bias --seeds 3 --out results/mnist-10",
                    ""})
    static final class Transfer implements java.util.concurrent.Callable<Integer> {

        @Option(names = "--pretrained", paramLabel = "FILE", description = "The pre-trained int8 model (.tflite).")
        Path pretrained;

        @Option(names = "--float-parent", paramLabel = "FILE",
                description = {"The float parent of --pretrained (a 'tinytrain pretrain' checkpoint), for fp32-full."
                        + " Default: the .ckpt next to the .tflite with the same name, when there is one."})
        Path floatParent;

        @Option(names = "--model", paramLabel = "NAME",
                description = "Without --pretrained: a built-in architecture with seeded random weights (for tests).")
        String model;

        @Option(names = "--resolution", defaultValue = "32", paramLabel = "PX",
                description = "Input size for --model. Default: ${DEFAULT-VALUE}.")
        int resolution;

        @Option(names = "--dataset", required = true, paramLabel = "DATA",
                description = "mnist, fashion-mnist, tuxpaint[:categories] or synthetic:<classes>.")
        String dataset;

        @Option(names = "--limit-per-class", defaultValue = "0", paramLabel = "K",
                description = "Training images per class (few-shot); 0 = all. Default: ${DEFAULT-VALUE}.")
        int limitPerClass;

        @Option(names = "--eval", defaultValue = "0", paramLabel = "N",
                description = "Test on the first N test images; 0 = all. Default: ${DEFAULT-VALUE}.")
        int eval;

        @Option(names = "--validation", paramLabel = "N",
                description = "Choose learning rates on the first N validation images; 0 = all. Default: as --eval.")
        Integer validation;

        @Option(names = "--methods", split = ",", paramLabel = "M",
                description = "Methods (default: the paper's table for the model's sparse scheme).")
        List<String> methods;

        @Option(names = "--schemes", split = ",", paramLabel = "S",
                description = {"The sparse schemes of the default method list; the first is also run with each"
                        + " update rounding rule. Default: the model's own (mcunet-49kb,...,mcunet-148kb for"
                        + " mcunet-5fps; mbv2-sparse; proxyless-sparse)."})
        List<String> schemes;

        @Option(names = "--seeds", defaultValue = "3", paramLabel = "N", description = "Default: ${DEFAULT-VALUE}.")
        int seeds;

        @Option(names = "--epochs", defaultValue = "3", paramLabel = "N", description = "Default: ${DEFAULT-VALUE}.")
        int epochs;

        @Option(names = "--grid-epochs", defaultValue = "1", paramLabel = "N",
                description = "Epochs of each learning-rate trial. Default: ${DEFAULT-VALUE}.")
        int gridEpochs;

        @Option(names = "--qas-grid", split = ",", paramLabel = "LR",
                description = "Learning rates tried for QAS methods. Default: 0.0003,0.001,0.003,0.01,0.03,0.1,0.3.")
        float[] qasGrid;

        @Option(names = "--sgd-grid", split = ",", paramLabel = "LR",
                description = "Learning rates tried for plain int8 SGD (integer units). Default: 10,30,100,300,1000,3000.")
        float[] sgdGrid;

        @Option(names = "--fp32-grid", split = ",", paramLabel = "LR",
                description = "Learning rates tried for fp32-full. Default: as --qas-grid.")
        float[] fp32Grid;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the table, JSON and plot go.")
        Path out;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PrintWriter o = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Graph g = pretrained != null ? ModelFiles.model(pretrained).graph()
                    : model != null ? Architectures.build(model, resolution, 3, 10, 1)
                    : null;
            if (g == null) {
                throw new ParameterException(spec.commandLine(), "give --pretrained FILE.tflite (or --model NAME)");
            }
            Value in = g.inputs().getFirst();
            DatasetOptions options = DatasetOptions.forInput(in.shape(), in.quant()).withLimitPerClass(limitPerClass)
                    .withProgress(err::println);
            Splits splits = Datasets.open(dataset, options);
            int classes = splits.train().classes();
            g = Heads.forClasses(g, classes);
            Path parent = floatParent != null ? floatParent : siblingCheckpoint(pretrained);
            List<Method> ms = new ArrayList<>();
            if (methods == null) {
                ms.addAll(TransferExperiment.paperMethods(schemes != null ? schemes : defaultSchemes(g), 6));
                if (parent == null) {
                    ms.removeIf(Method::fp32);
                    err.println("note: fp32-full and fp32-folded left out: no float parent (give --float-parent FILE.ckpt)");
                }
            } else {
                for (String m : methods) {
                    ms.add(Method.parse(m));
                }
            }
            FloatTransfer fp32 = null;
            if (ms.stream().anyMatch(Method::fp32)) {
                if (parent == null) {
                    throw new ParameterException(spec.commandLine(), "methods fp32-full and fp32-folded need the float parent model:"
                            + " give --float-parent FILE.ckpt (the checkpoint 'tinytrain pretrain' wrote)");
                }
                FloatNet net = floatParent(parent, in);
                fp32 = new FloatTransfer(net, Heads.dequantizedClassifier(g), Fp32Backends.best());
            }
            int valSize = validation != null ? validation : eval;
            var val = valSize > 0 ? Datasets.subset(splits.validation(), valSize) : splits.validation();
            var test = eval > 0 ? Datasets.subset(splits.test(), eval) : splits.test();
            TransferExperiment.Config d = TransferExperiment.Config.defaults();
            TransferExperiment.Config config = new TransferExperiment.Config(epochs, gridEpochs, seeds,
                    qasGrid != null ? qasGrid : d.qasGrid(), sgdGrid != null ? sgdGrid : d.sgdGrid(),
                    fp32Grid != null ? fp32Grid : d.fp32Grid());
            KernelBackend backend = KernelBackends.best().backend();
            TransferExperiment ex = new TransferExperiment(g, splits.train(), val, test, backend, config, fp32,
                    s -> { err.println("  " + s); err.flush(); });
            o.printf("%s on %s: %d train / %d validation / %d test images, %d classes; %d methods x %d seeds, %d"
                            + " epochs%n", g.name(), splits.spec().name(), splits.train().size(), val.size(), test.size(),
                    classes, ms.size(), seeds, epochs);
            o.flush();
            List<TransferExperiment.Result> results = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < ms.size(); i++) {
                Progress.bar(err, i, ms.size(), ms.get(i).name());
                results.add(ex.run(ms.get(i)));
            }
            Progress.bar(err, ms.size(), ms.size(), "done");
            err.println();
            err.flush();
            double minutes = (System.nanoTime() - t0) / 60e9;
            String title = title(g.name(), splits.spec().name(), limitPerClass, splits.train().size(), seeds, epochs,
                    minutes);
            String md = TransferReport.markdown(title, results);
            Map<String, Object> setup = new LinkedHashMap<>();
            setup.put("model", g.name());
            setup.put("dataset", splits.spec().name());
            setup.put("limitPerClass", limitPerClass);
            setup.put("trainImages", splits.train().size());
            setup.put("testImages", test.size());
            setup.put("seeds", seeds);
            setup.put("epochs", epochs);
            setup.put("minutes", minutes);
            Files.createDirectories(out);
            Files.writeString(out.resolve("results.md"), md);
            Files.writeString(out.resolve("results.json"), TransferReport.json(setup, results));
            ExperimentPlot.write(title, results, out.resolve("results.png"));
            o.print(md);
            o.printf("wrote %s, %s, %s%n", out.resolve("results.md"), out.resolve("results.json"),
                    out.resolve("results.png"));
            o.flush();
            return 0;
        }

        /** The released or our own sparse schemes of the model's architecture, told by its name. */
        private List<String> defaultSchemes(Graph g) {
            String n = g.name();
            if (n.startsWith("mcunet")) {
                return List.of("mcunet-49kb", "mcunet-74kb", "mcunet-99kb", "mcunet-124kb", "mcunet-148kb");
            }
            if (n.startsWith("mobilenetv2")) {
                return List.of("mbv2-sparse");
            }
            if (n.startsWith("proxyless")) {
                return List.of("proxyless-sparse");
            }
            throw new ParameterException(spec.commandLine(), "no sparse scheme is known for model '" + n
                    + "': give --schemes (a name or a scheme .json file) or --methods");
        }
    }

    static String title(String model, String dataset, int limitPerClass, int trainImages, int seeds, int epochs,
                        double minutes) {
        return String.format(Locale.ROOT, "%s on %s%s (%d train images, %d seeds, %d epochs; %.1f min)", model, dataset,
                limitPerClass > 0 ? ", " + limitPerClass + " per class" : "", trainImages, seeds, epochs, minutes);
    }

    @Command(name = "plot", mixinStandardHelpOptions = true,
            description = {"Draw a transfer experiment's results.png again from its results.json.", "",
                    "Example:", "  tinytrain experiment plot results/transfer/mnist-10-mcunet-5fps-fmnist32", ""})
    static final class Plot implements java.util.concurrent.Callable<Integer> {

        @picocli.CommandLine.Parameters(paramLabel = "DIR", description = "The folder of results.json.")
        Path dir;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            Path json = dir.resolve("results.json");
            Map<String, Object> root;
            try {
                root = com.fasterxml.jackson.jr.ob.JSON.std.mapFrom(ModelFiles.bytes(json, "results file"));
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                throw new IllegalArgumentException(json + " is not valid JSON: " + e.getOriginalMessage());
            }
            List<TransferExperiment.Result> results = new ArrayList<>();
            if (!(root.get("results") instanceof List<?> rows)) {
                throw new IllegalArgumentException(json + " has no 'results' list: not a transfer experiment's results");
            }
            for (Object row : rows) {
                if (!(row instanceof Map<?, ?> m) || !(m.get("method") instanceof String name)) {
                    throw new IllegalArgumentException(json + ": a result without a method name");
                }
                results.add(new TransferExperiment.Result(Method.parse(name), number(m, "lr", json).floatValue(),
                        numbers(m.get("testAccuracy"), json), numbers(m.get("gridAccuracy"), json),
                        number(m, "sramBytes", json).longValue(), number(m, "secondsPerEpoch", json).doubleValue()));
            }
            String title = title(String.valueOf(root.get("model")), String.valueOf(root.get("dataset")),
                    number(root, "limitPerClass", json).intValue(), number(root, "trainImages", json).intValue(),
                    number(root, "seeds", json).intValue(), number(root, "epochs", json).intValue(),
                    number(root, "minutes", json).doubleValue());
            ExperimentPlot.write(title, results, dir.resolve("results.png"));
            spec.commandLine().getOut().println("wrote " + dir.resolve("results.png"));
            return 0;
        }

        private static Number number(Map<?, ?> m, String key, Path file) {
            if (!(m.get(key) instanceof Number n)) {
                throw new IllegalArgumentException(file + ": '" + key + "' is missing or not a number");
            }
            return n;
        }

        private static double[] numbers(Object o, Path file) {
            if (!(o instanceof List<?> l)) {
                throw new IllegalArgumentException(file + ": expected a list of accuracies");
            }
            double[] v = new double[l.size()];
            for (int i = 0; i < v.length; i++) {
                if (!(l.get(i) instanceof Number n)) {
                    throw new IllegalArgumentException(file + ": expected a list of accuracies");
                }
                v[i] = n.doubleValue();
            }
            return v;
        }
    }

    /** The float parent checkpoint, checked against the int8 model's input. */
    static FloatNet floatParent(Path parent, Value in) {
        FloatNet net = FloatCheckpoint.read(parent).net();
        int[] shape = in.shape();
        if (net.resolution() != shape[1] || net.inChannels() != shape[3]) {
            throw new IllegalArgumentException("float parent " + parent + " takes " + net.resolution() + "x"
                    + net.resolution() + "x" + net.inChannels() + " images, the int8 model " + shape[1] + "x"
                    + shape[2] + "x" + shape[3]);
        }
        return net;
    }

    /** {@code dir/name.ckpt} for {@code dir/name.tflite}, when it exists. */
    static Path siblingCheckpoint(Path tflite) {
        if (tflite == null) {
            return null;
        }
        String name = tflite.getFileName().toString();
        int dot = name.lastIndexOf('.');
        Path ckpt = tflite.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".ckpt");
        return Files.isRegularFile(ckpt) ? ckpt : null;
    }

    @Command(name = "gradient-scales", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"The paper's weight-to-gradient norm ratio ||W|| / ||G|| per weight layer of a pre-trained"
                    + " int8 model on a dataset's images: for the real-valued (fp32) weights, for the int8 values under"
                    + " plain SGD, and under QAS. Gradients come from the float parent (as fp32-full trains it) mapped"
                    + " onto the folded int8 form. One learning rate suits every layer when a column's ratios are"
                    + " alike; the spread row says how far apart they are.",
                    "",
                    "Example:",
                    "  tinytrain experiment gradient-scales --pretrained models/mcunet-5fps-fmnist32.tflite"
                            + " --dataset mnist --images 200",
                    ""})
    static final class Scales implements java.util.concurrent.Callable<Integer> {

        @Option(names = "--pretrained", required = true, paramLabel = "FILE", description = "The int8 model (.tflite).")
        Path pretrained;

        @Option(names = "--float-parent", paramLabel = "FILE",
                description = "Its float parent (.ckpt). Default: the .ckpt next to the .tflite.")
        Path floatParent;

        @Option(names = "--dataset", required = true, paramLabel = "DATA",
                description = "mnist, fashion-mnist, tuxpaint[:categories] or synthetic:<classes>.")
        String dataset;

        @Option(names = "--images", defaultValue = "100", paramLabel = "N",
                description = "Training images to average over. Default: ${DEFAULT-VALUE}.")
        int images;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter o = spec.commandLine().getOut();
            if (images < 1) {
                throw new ParameterException(spec.commandLine(), "--images must be >= 1, got " + images);
            }
            Path parent = floatParent != null ? floatParent : siblingCheckpoint(pretrained);
            if (parent == null) {
                throw new ParameterException(spec.commandLine(), "no float parent next to " + pretrained
                        + ": give --float-parent FILE.ckpt");
            }
            Graph g = ModelFiles.model(pretrained).graph();
            Value in = g.inputs().getFirst();
            Splits splits = Datasets.open(dataset, DatasetOptions.forInput(in.shape(), in.quant())
                    .withProgress(spec.commandLine().getErr()::println));
            g = Heads.forClasses(g, splits.train().classes());
            GradientScales.Report r = GradientScales.measure(g, floatParent(parent, in),
                    Datasets.subset(splits.train(), images), images, Fp32Backends.best());
            if (json) {
                List<Object> rows = new ArrayList<>();
                for (GradientScales.Layer l : r.layers()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("layer", l.name());
                    m.put("fp32", l.fp32());
                    m.put("int8Sgd", l.int8Sgd());
                    m.put("int8Qas", l.int8Qas());
                    rows.add(m);
                }
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("model", pretrained.toString());
                j.put("dataset", splits.spec().name());
                j.put("images", r.images());
                j.put("layers", rows);
                j.put("spreadFp32", r.spread(GradientScales.Layer::fp32));
                j.put("spreadInt8Sgd", r.spread(GradientScales.Layer::int8Sgd));
                j.put("spreadInt8Qas", r.spread(GradientScales.Layer::int8Qas));
                o.println(Json.value(j));
            } else {
                o.printf(Locale.ROOT, "||W|| / ||G|| per weight layer, %s on %d %s images (batch-1 gradient norms)%n",
                        pretrained.getFileName(), r.images(), splits.spec().name());
                o.printf(Locale.ROOT, "%-16s %12s %12s %12s%n", "layer", "fp32", "int8 SGD", "int8 QAS");
                for (GradientScales.Layer l : r.layers()) {
                    o.printf(Locale.ROOT, "%-16s %12.4g %12.4g %12.4g%n", l.name(), l.fp32(), l.int8Sgd(), l.int8Qas());
                }
                o.printf(Locale.ROOT, "%-16s %12.4g %12.4g %12.4g%n", "spread (max/min)",
                        r.spread(GradientScales.Layer::fp32), r.spread(GradientScales.Layer::int8Sgd),
                        r.spread(GradientScales.Layer::int8Qas));
            }
            o.flush();
            return 0;
        }
    }
}
