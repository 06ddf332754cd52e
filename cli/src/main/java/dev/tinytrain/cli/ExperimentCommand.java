package dev.tinytrain.cli;

import dev.tinytrain.data.DatasetOptions;
import dev.tinytrain.data.Datasets;
import dev.tinytrain.data.Splits;
import dev.tinytrain.experiment.Heads;
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
import java.util.Map;

/** {@code tinytrain experiment}: the paper's experiments, re-run here. */
@Command(name = "experiment", mixinStandardHelpOptions = true, subcommands = ExperimentCommand.Transfer.class,
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
                    "Methods: fp32-full, int8-sgd-<scheme>, int8-qas-<scheme>[@stochastic|nearest|truncate|float-master]"
                            + " with <scheme> = full, bias, last-layer, last-k:<k> or a sparse scheme name.",
                    "",
                    "Example:",
                    "  tinytrain experiment transfer --pretrained m.tflite --dataset mnist --limit-per-class 10 "
                            + "--methods int8-sgd-full,int8-qas-full,int8-qas-bias --seeds 3 --out results/mnist-10",
                    ""})
    static final class Transfer implements java.util.concurrent.Callable<Integer> {

        @Option(names = "--pretrained", paramLabel = "FILE", description = "The pre-trained int8 model (.tflite).")
        Path pretrained;

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
                description = "Evaluate on the first N validation and test images; 0 = all. Default: ${DEFAULT-VALUE}.")
        int eval;

        @Option(names = "--methods", split = ",", paramLabel = "M",
                description = "Methods (default: the paper's table for the model's sparse scheme).")
        List<String> methods;

        @Option(names = "--scheme", defaultValue = "mcunet-49kb", paramLabel = "S",
                description = "The sparse scheme of the default method list. Default: ${DEFAULT-VALUE}.")
        String sparse;

        @Option(names = "--seeds", defaultValue = "3", paramLabel = "N", description = "Default: ${DEFAULT-VALUE}.")
        int seeds;

        @Option(names = "--epochs", defaultValue = "3", paramLabel = "N", description = "Default: ${DEFAULT-VALUE}.")
        int epochs;

        @Option(names = "--grid-epochs", defaultValue = "1", paramLabel = "N",
                description = "Epochs of each learning-rate trial. Default: ${DEFAULT-VALUE}.")
        int gridEpochs;

        @Option(names = "--qas-grid", split = ",", paramLabel = "LR",
                description = "Learning rates tried for QAS methods. Default: 0.001,0.003,0.01,0.03.")
        float[] qasGrid;

        @Option(names = "--sgd-grid", split = ",", paramLabel = "LR",
                description = "Learning rates tried for plain int8 SGD (integer units). Default: 10,100,1000,10000.")
        float[] sgdGrid;

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
            if (g.outputs().getFirst().shape()[1] != classes) {
                g = Heads.replaceClassifier(g, classes, 7);
            }
            List<Method> ms = new ArrayList<>();
            if (methods == null) {
                ms.addAll(TransferExperiment.paperMethods(List.of(sparse), 6));
                ms.removeIf(Method::fp32);          // the float parent is not part of a .tflite
            } else {
                for (String m : methods) {
                    ms.add(Method.parse(m));
                }
            }
            var val = eval > 0 ? Datasets.subset(splits.validation(), eval) : splits.validation();
            var test = eval > 0 ? Datasets.subset(splits.test(), eval) : splits.test();
            TransferExperiment.Config d = TransferExperiment.Config.defaults();
            TransferExperiment.Config config = new TransferExperiment.Config(epochs, gridEpochs, seeds,
                    qasGrid != null ? qasGrid : d.qasGrid(), sgdGrid != null ? sgdGrid : d.sgdGrid(), d.fp32Grid());
            KernelBackend backend = KernelBackends.best().backend();
            TransferExperiment ex = new TransferExperiment(g, splits.train(), val, test, backend, config, null,
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
            String title = String.format(java.util.Locale.ROOT, "%s on %s%s (%d train images, %d seeds, %d epochs; %.1f"
                            + " min)", g.name(), splits.spec().name(),
                    limitPerClass > 0 ? ", " + limitPerClass + " per class" : "", splits.train().size(), seeds, epochs,
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
    }
}
