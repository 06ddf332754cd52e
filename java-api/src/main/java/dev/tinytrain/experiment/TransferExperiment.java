package dev.tinytrain.experiment;

import dev.tinytrain.compile.TrainingCompiler;
import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.compile.WeightLayers;
import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.Sample;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.plan.MemoryReport;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.runtime.TrainingSession;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Fine-tunes a pre-trained model on a downstream task with several methods, the way the paper's
 * transfer-learning table was made: batch size 1, several epochs, the learning rate of each method
 * chosen from a small grid by accuracy on a validation split (one seed, the grid's epochs), then
 * every seed trained with that rate and evaluated on the test split.
 *
 * <p>int8 methods run the compiled training program on a {@link KernelBackend} (the planned arena,
 * exactly what the device runs); {@code fp32-full} runs the float parent model through a
 * {@link FloatFineTuner}, when one is given.
 */
public final class TransferExperiment {

    /** Fine-tunes the float parent model; returns test accuracy. */
    public interface FloatFineTuner {
        /**
         * Accuracy on {@code eval} after {@code epochs} epochs at {@code lr} with this seed; {@code folded}:
         * SGD on the BatchNorm-folded weights (the int8 graph's parametrization) instead of the parent's.
         */
        double fineTune(Dataset train, Dataset eval, float lr, int epochs, long seed, boolean folded);

        /** Bytes one training step of the float model needs (for the table), or -1 when unknown. */
        long memoryBytes();

        /** Seconds the training part of the last {@link #fineTune} took (without the evaluation). */
        double lastTrainingSeconds();
    }

    /**
     * @param epochs     epochs of the final runs
     * @param gridEpochs epochs of each learning-rate trial
     * @param seeds      seeds of the final runs (0, 1, ...)
     * @param qasGrid    learning rates tried for QAS methods (real-valued units)
     * @param sgdGrid    learning rates tried for plain int8 SGD (integer units)
     * @param fp32Grid   learning rates tried for fp32-full
     */
    public record Config(int epochs, int gridEpochs, int seeds, float[] qasGrid, float[] sgdGrid, float[] fp32Grid) {
        public Config {
            if (epochs < 1 || gridEpochs < 1 || seeds < 1) {
                throw new IllegalArgumentException("epochs, grid epochs and seeds must be >= 1");
            }
            if (qasGrid.length == 0 || sgdGrid.length == 0 || fp32Grid.length == 0) {
                throw new IllegalArgumentException("every learning-rate grid needs at least one value");
            }
        }

        public static Config defaults() {
            // QAS and fp32 learning rates are in the same real-valued units: one grid for both
            float[] real = {0.0003f, 0.001f, 0.003f, 0.01f, 0.03f, 0.1f, 0.3f};
            return new Config(3, 1, 3, real, new float[] {10f, 30f, 100f, 300f, 1000f, 3000f}, real.clone());
        }
    }

    /** The outcome of one method. */
    public record Result(Method method, float lr, double[] testAccuracy, double[] gridAccuracy, long sramBytes,
                         double secondsPerEpoch) {
        public double mean() {
            double s = 0;
            for (double a : testAccuracy) {
                s += a;
            }
            return s / testAccuracy.length;
        }

        /** Sample standard deviation over seeds (0 for one seed). */
        public double std() {
            if (testAccuracy.length < 2) {
                return 0;
            }
            double m = mean();
            double s = 0;
            for (double a : testAccuracy) {
                s += (a - m) * (a - m);
            }
            return Math.sqrt(s / (testAccuracy.length - 1));
        }
    }

    private final Graph model;
    private final Dataset train;
    private final Dataset val;
    private final Dataset test;
    private final KernelBackend backend;
    private final Config config;
    private final FloatFineTuner fp32;
    private final Consumer<String> log;

    public TransferExperiment(Graph model, Dataset train, Dataset val, Dataset test, KernelBackend backend,
                              Config config, FloatFineTuner fp32, Consumer<String> log) {
        this.model = Objects.requireNonNull(model, "model");
        this.train = Objects.requireNonNull(train, "train");
        this.val = Objects.requireNonNull(val, "val");
        this.test = Objects.requireNonNull(test, "test");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.config = Objects.requireNonNull(config, "config");
        this.fp32 = fp32;
        this.log = log == null ? s -> { } : log;
        int classes = model.outputs().getFirst().shape()[1];
        if (train.classes() != classes || test.classes() != classes || val.classes() != classes) {
            throw new IllegalArgumentException("the model has " + classes + " classes, the data "
                    + train.classes() + "; replace the classifier first (Heads.replaceClassifier)");
        }
    }

    public Result run(Method m) {
        if (m.fp32()) {
            if (fp32 == null) {
                throw new IllegalArgumentException("method " + m.name() + " needs the float parent model");
            }
            return runFloat(m);
        }
        int convs = WeightLayers.of(model).size() - 1;
        SparseScheme scheme = SparseScheme.named(m.scheme(), convs);
        float[] grid = m.qas() ? config.qasGrid() : config.sgdGrid();
        double[] gridAcc = new double[grid.length];
        int best = 0;
        for (int i = 0; i < grid.length; i++) {
            gridAcc[i] = trainInt8(scheme, m, grid[i], config.gridEpochs(), 0, val).accuracy;
            log.accept(String.format(java.util.Locale.ROOT, "%s: lr %s -> validation %.3f", m.name(), Float.toString(grid[i]), gridAcc[i]));
            if (gridAcc[i] > gridAcc[best]) {
                best = i;
            }
        }
        double[] acc = new double[config.seeds()];
        double seconds = 0;
        long sram = 0;
        for (int s = 0; s < config.seeds(); s++) {
            Outcome o = trainInt8(scheme, m, grid[best], config.epochs(), s, test);
            acc[s] = o.accuracy;
            seconds += o.seconds / config.epochs();
            sram = o.sram;
            log.accept(String.format(java.util.Locale.ROOT, "%s: lr %s seed %d -> test %.3f", m.name(), Float.toString(grid[best]), s, acc[s]));
        }
        return new Result(m, grid[best], acc, gridAcc, sram, seconds / config.seeds());
    }

    private record Outcome(double accuracy, double seconds, long sram) {
    }

    private Outcome trainInt8(SparseScheme scheme, Method m, float lr, int epochs, long seed, Dataset eval) {
        TrainConfig c = new TrainConfig(m.qas(), m.rounding(), lr, 0f, (int) seed);
        TrainingProgram p = TrainingCompiler.compile(model, scheme, c);
        MemoryPlan plan = MemoryPlan.of(p);
        long sram = MemoryReport.of(p, plan).totalSramBytes();
        try (TrainingSession session = new TrainingSession(p, backend, plan)) {
            long t0 = System.nanoTime();
            for (int e = 0; e < epochs; e++) {
                for (int i : order(train.size(), seed * 1000 + e)) {
                    Sample smp = train.get(i);
                    session.trainStep(smp.image(), smp.label());
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            return new Outcome(session.evaluate(eval), seconds, sram);
        }
    }

    private Result runFloat(Method m) {
        float[] grid = config.fp32Grid();
        double[] gridAcc = new double[grid.length];
        int best = 0;
        for (int i = 0; i < grid.length; i++) {
            gridAcc[i] = fp32.fineTune(train, val, grid[i], config.gridEpochs(), 0, m.folded());
            log.accept(String.format(java.util.Locale.ROOT, "%s: lr %s -> validation %.3f", m.name(), Float.toString(grid[i]), gridAcc[i]));
            if (gridAcc[i] > gridAcc[best]) {
                best = i;
            }
        }
        double[] acc = new double[config.seeds()];
        double seconds = 0;
        for (int s = 0; s < config.seeds(); s++) {
            acc[s] = fp32.fineTune(train, test, grid[best], config.epochs(), s, m.folded());
            seconds += fp32.lastTrainingSeconds();
            log.accept(String.format(java.util.Locale.ROOT, "%s: lr %s seed %d -> test %.3f", m.name(), Float.toString(grid[best]), s, acc[s]));
        }
        return new Result(m, grid[best], acc, gridAcc, fp32.memoryBytes(), seconds / config.seeds() / config.epochs());
    }

    /** A seeded permutation of 0..n-1. */
    static int[] order(int n, long seed) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }

    /**
     * The methods of the paper's table for a model whose sparse schemes are {@code sparse}, and
     * {@code fp32-folded} (float SGD in the int8 graph's parametrization) beside {@code fp32-full}.
     */
    public static List<Method> paperMethods(List<String> sparse, int lastK) {
        List<Method> m = new ArrayList<>();
        for (String s : List.of("fp32-full", "fp32-folded", "int8-sgd-full", "int8-qas-full", "int8-qas-bias", "int8-qas-last-layer",
                "int8-qas-last-k:" + lastK)) {
            m.add(Method.parse(s));
        }
        for (String s : sparse) {
            m.add(Method.parse("int8-qas-" + s));
        }
        if (!sparse.isEmpty()) {
            for (String r : List.of("nearest", "truncate", "float-master")) {
                m.add(Method.parse("int8-qas-" + sparse.getFirst() + "@" + r));
            }
        }
        return m;
    }
}
