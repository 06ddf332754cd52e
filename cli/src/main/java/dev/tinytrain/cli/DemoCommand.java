package dev.tinytrain.cli;

import dev.tinytrain.codegen.Board;
import dev.tinytrain.codegen.CodeGenerator;
import dev.tinytrain.compile.CompileOptions;
import dev.tinytrain.compile.TrainingCompiler;
import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.compile.WeightLayers;
import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.DatasetOptions;
import dev.tinytrain.data.Datasets;
import dev.tinytrain.data.Sample;
import dev.tinytrain.data.Splits;
import dev.tinytrain.experiment.Heads;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.KernelBackends;
import dev.tinytrain.plan.Budget;
import dev.tinytrain.plan.MemoryReport;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.runtime.TrainingSession;
import dev.tinytrain.tflite.TfliteImporter;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code tinytrain demo}: on-device-style transfer learning from the shipped model to MNIST, end to end. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The main job, no arguments needed: load the shipped int8 mcunet-5fps (pre-trained on "
                + "Fashion-MNIST), fetch MNIST, measure accuracy, plan the largest released sparse scheme that fits "
                + "the SRAM budget (arena, trained SRAM, flash, vs a full update), train it one image per step "
                + "through the C kernels, measure again, and draw the learning curve and the memory to a PNG.",
                "",
                "Examples:",
                "  tinytrain demo",
                "  tinytrain demo --quick",
                ""})
final class DemoCommand implements Callable<Integer> {

    private static final String MODEL_NAME = "mcunet-5fps-fmnist32";
    private static final String MODEL = "models/" + MODEL_NAME + ".tflite";
    private static final List<String> SCHEMES = List.of("mcunet-148kb", "mcunet-124kb", "mcunet-99kb", "mcunet-74kb",
            "mcunet-49kb");

    @Option(names = "--quick", description = "A 30-second run: fewer steps and test images.")
    boolean quick;

    @Option(names = "--dataset", defaultValue = "mnist", paramLabel = "DATA", description = "Default: ${DEFAULT-VALUE}.")
    String dataset;

    @Option(names = "--steps", paramLabel = "N", description = "Training steps (images). Default: 8000 (--quick: 600).")
    Integer steps;

    @Option(names = "--eval", paramLabel = "N", description = "Test images. Default: 2000 (--quick: 500).")
    Integer eval;

    @Option(names = "--lr", defaultValue = "0.01", paramLabel = "LR", description = "Default: ${DEFAULT-VALUE}.")
    float lr;

    @Option(names = "--budget", defaultValue = "256KB", paramLabel = "SIZE", description = "Default: ${DEFAULT-VALUE}.")
    String budget;

    @Option(names = "--mcu", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also run the first --mcu-steps training steps as Cortex-M7 firmware in QEMU and compare them"
                    + " with the host bit for bit (needs cmake, gcc-arm-none-eabi, libnewlib-arm-none-eabi and"
                    + " qemu-system-arm; skipped with a note when they are missing). Default: on.")
    boolean mcu;

    @Option(names = "--mcu-steps", defaultValue = "4", paramLabel = "N", description = "Default: ${DEFAULT-VALUE}.")
    int mcuSteps;

    @Option(names = "--png", defaultValue = "tinytrain-demo.png", paramLabel = "FILE", description = "Default: ${DEFAULT-VALUE}.")
    Path png;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int nSteps = steps != null ? steps : quick ? 600 : 8000;
        int nEval = eval != null ? eval : quick ? 500 : 2000;
        if (nSteps < 1 || nEval < 1) {
            throw new ParameterException(spec.commandLine(), "--steps and --eval must be >= 1");
        }
        if (mcuSteps < 1 || mcuSteps > nSteps) {
            throw new ParameterException(spec.commandLine(), "--mcu-steps must be in [1, --steps = " + nSteps + "]");
        }
        long budgetBytes;
        try {
            budgetBytes = Budget.parse(budget);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--budget: " + e.getMessage());
        }
        long t0 = System.nanoTime();
        Graph pretrained = TfliteImporter.read(shipped(), MODEL_NAME).graph();
        Value in = pretrained.inputs().getFirst();
        out.printf("1. model  %s (shipped, int8, pre-trained on Fashion-MNIST), input %dx%dx%d%n", pretrained.name(),
                in.shape()[1], in.shape()[2], in.shape()[3]);
        out.flush();
        Splits splits = Datasets.open(dataset, DatasetOptions.forInput(in.shape(), in.quant())
                .withProgress(s -> { err.println("   " + s); err.flush(); }));
        Dataset train = splits.train();
        Dataset test = Datasets.subset(splits.test(), nEval);
        out.printf("2. data   %s: %,d training images, accuracy on %,d test images%n", splits.spec().name(),
                train.size(), test.size());
        Graph model = Heads.replaceClassifier(pretrained, train.classes(), Heads.SEED);
        int convs = WeightLayers.of(model).size() - 1;
        TrainConfig config = TrainConfig.defaults(lr);
        MemoryReport full = report(model, SparseScheme.named("full", convs), config);
        TrainingProgram program = null;
        MemoryReport chosen = null;
        CodeGenerator.Layout layout = null;
        for (String name : SCHEMES) {
            TrainingProgram p = TrainingCompiler.compile(model, SparseScheme.named(name, convs), config,
                    CompileOptions.DEFAULT);
            CodeGenerator.Layout l = CodeGenerator.smallerLayout(p);
            if (l.sramBytes() <= budgetBytes) {     // what the firmware will need, not only the host's plan
                program = p;
                chosen = MemoryReport.of(p, MemoryPlan.of(p));
                layout = l;
                break;
            }
        }
        if (program == null) {
            throw new ParameterException(spec.commandLine(), "no released scheme fits " + budget);
        }
        out.printf(Locale.ROOT, "3. plan   scheme %s within %s: arena %,d B + trained %,d B = %,d B SRAM; frozen %,d B"
                        + " in flash%n", program.scheme().name(), budget, chosen.arenaBytes(),
                chosen.trainableSramBytes(), chosen.totalSramBytes(), chosen.flashBytes());
        out.printf(Locale.ROOT, "         as Cortex-M firmware: %,d B (arena %,d B + trained %,d B, partially trained"
                        + " layers %s)%n", layout.sramBytes(), layout.arenaBytes(), layout.trainedBytes(),
                layout.split() ? "split: trained channels in SRAM, assembled in arena scratch" : "kept whole in SRAM");
        out.printf(Locale.ROOT, "         (full update: %,d B SRAM, %.1fx more)%n", full.totalSramBytes(),
                full.totalSramBytes() / (double) chosen.totalSramBytes());
        out.flush();
        KernelBackend backend = KernelBackends.best().backend();
        List<double[]> curve = new ArrayList<>();
        float[] firstLosses = new float[mcuSteps];
        int[] order = Datasets.trainingOrder(train, nSteps, 1);
        double before;
        double after;
        try (TrainingSession s = new TrainingSession(program, backend)) {
            before = s.evaluate(test);
            out.printf(Locale.ROOT, "4. before %.1f%% (the new classifier is random: chance is %.0f%%)%n", 100 * before,
                    100.0 / train.classes());
            out.flush();
            curve.add(new double[] {0, before});
            Dataset probe = Datasets.subset(splits.validation(), Math.min(300, splits.validation().size()));
            int every = Math.max(1, nSteps / 10);
            double lossAvg = 0;
            for (int i = 0; i < nSteps; i++) {
                Sample smp = train.get(order[i]);
                float loss = s.trainStep(smp.image(), smp.label());
                if (i < mcuSteps) {
                    firstLosses[i] = loss;
                }
                lossAvg = i == 0 ? loss : 0.98 * lossAvg + 0.02 * loss;
                if ((i + 1) % every == 0 || i + 1 == nSteps) {
                    double acc = s.evaluate(probe);
                    curve.add(new double[] {i + 1, acc});
                    Progress.bar(err, i + 1, nSteps, String.format(Locale.ROOT, "loss %.3f, validation %.1f%%",
                            lossAvg, 100 * acc));
                }
            }
            err.println();
            after = s.evaluate(test);
        }
        out.printf(Locale.ROOT, "5. after  %.1f%% after %,d steps on the host (%s)%n", 100 * after, nSteps,
                backend.description());
        out.flush();
        boolean mcuOk = true;
        if (mcu) {
            mcuOk = onMcu(out, err, model, program, config, Datasets.select(train, Arrays.copyOf(order, mcuSteps)),
                    firstLosses, budgetBytes);
        } else {
            out.println("6. MCU    skipped (--no-mcu)");
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        draw(curve, chosen, full, layout, program.scheme().name(), before, after);
        out.printf(Locale.ROOT, "wrote %s; %.0f s in all%n", png, seconds);
        out.flush();
        return after > before && mcuOk ? 0 : 1;
    }

    /**
     * The demo's first training steps again, as Cortex-M7 firmware in QEMU (the same program, scheme,
     * update rule and images), compared with the host bit for bit: with a fresh host session (as
     * {@code mcu run} does) and with the losses this demo's own first steps gave. False only when
     * the results differ; a missing tool or a failed build is a note.
     */
    private boolean onMcu(PrintWriter out, PrintWriter err, Graph model, TrainingProgram program, TrainConfig config,
                          Dataset first, float[] demoLosses, long budgetBytes) throws IOException {
        int n = first.size();
        Board board = Board.parse("qemu-m7");
        try {
            McuRunCommand.Report r = McuRunCommand.forBoard(board.label(), err).emulate(board,
                    new CodeGenerator.Firmware(board, budgetBytes, Budget.parse("1MB"), Budget.parse("8KB")), model,
                    program.scheme(), config, first, n);
            float[] mcuLosses = r.mcu().driver().losses();
            boolean sameAsDemo = mcuLosses.length == n;
            for (int i = 0; sameAsDemo && i < n; i++) {
                sameAsDemo = Float.floatToRawIntBits(mcuLosses[i]) == Float.floatToRawIntBits(demoLosses[i]);
            }
            boolean exact = r.bitExact() && sameAsDemo;
            out.printf(Locale.ROOT, "6. MCU    the first %d steps as %s firmware in QEMU (%s): %s%n", n,
                    board.target().label(), board.qemuMachine(), exact
                            ? "losses, trained parameters and logits bit-exact with the host"
                            : "DIFFERENT from the host (losses " + Arrays.toString(mcuLosses) + " vs "
                            + Arrays.toString(demoLosses) + "; run 'tinytrain mcu run' for details)");
            out.printf(Locale.ROOT, "         SRAM %,d B of %,d B (.data + .bss + stack peak), flash %,d B; %,.0f"
                            + " instructions per step, %,d per inference%n", r.sramBytes(), budgetBytes,
                    r.elf().flashBytes(), r.instructionsPerStep(), r.inferenceInstructions());
            return exact;
        } catch (McuRunException e) {
            out.println("6. MCU    skipped: " + e.getMessage().lines().findFirst().orElse(""));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running QEMU", e);
        }
    }

    private static MemoryReport report(Graph g, SparseScheme s, TrainConfig c) {
        TrainingProgram p = TrainingCompiler.compile(g, s, c, CompileOptions.DEFAULT);
        return MemoryReport.of(p, MemoryPlan.of(p));
    }

    private static byte[] shipped() throws IOException {
        try (InputStream is = DemoCommand.class.getResourceAsStream("/" + MODEL)) {
            if (is == null) {
                throw new IOException("the shipped model " + MODEL + " is not in this build (it comes from the"
                        + " repository's models/ folder)");
            }
            return is.readAllBytes();
        }
    }

    private void draw(List<double[]> curve, MemoryReport chosen, MemoryReport full, CodeGenerator.Layout layout,
                      String scheme, double before,
                      double after) throws IOException {
        int w = 1200;
        int h = 520;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(String.format(Locale.ROOT, "tinytrain demo: mcunet-5fps, %s on %s: %.1f%% -> %.1f%%", scheme,
                dataset, 100 * before, 100 * after), 40, 30);
        // learning curve
        int x0 = 60;
        int y0 = 60;
        int pw = 620;
        int ph = 400;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawRect(x0, y0, pw, ph);
        double maxStep = curve.getLast()[0];
        for (int k = 0; k <= 10; k++) {
            int y = y0 + ph - ph * k / 10;
            g.drawString(k * 10 + "%", x0 - 35, y + 4);
        }
        g.drawString("validation accuracy vs training steps (batch 1), 0 to " + (long) maxStep, x0 + 120, y0 + ph + 25);
        g.setColor(new Color(0x1f77b4));
        g.setStroke(new BasicStroke(2f));
        for (int i = 1; i < curve.size(); i++) {
            double[] a = curve.get(i - 1);
            double[] b = curve.get(i);
            g.drawLine(x0 + (int) (pw * a[0] / maxStep), y0 + ph - (int) (ph * a[1]),
                    x0 + (int) (pw * b[0] / maxStep), y0 + ph - (int) (ph * b[1]));
        }
        // memory bars
        int bx = 740;
        int bw = 110;
        long max = Math.max(full.totalSramBytes(), 1);
        String[] labels = {"full update", scheme, "as firmware"};
        long[][] bars = {{full.arenaBytes(), full.trainableSramBytes()},
                {chosen.arenaBytes(), chosen.trainableSramBytes()}, {layout.arenaBytes(), layout.trainedBytes()}};
        for (int i = 0; i < bars.length; i++) {
            int x = bx + i * (bw + 35);
            long arena = bars[i][0];
            long trained = bars[i][1];
            int ha = (int) (ph * arena / (double) max);
            int ht = (int) (ph * trained / (double) max);
            g.setColor(new Color(0x1f77b4));
            g.fillRect(x, y0 + ph - ha, bw, ha);
            g.setColor(new Color(0xff7f0e));
            g.fillRect(x, y0 + ph - ha - ht, bw, ht);
            g.setColor(Color.BLACK);
            g.drawString(labels[i], x, y0 + ph + 20);
            g.drawString(String.format(Locale.ROOT, "%,d KB", (arena + trained) / 1024), x, y0 + ph - ha - ht - 6);
        }
        g.drawString("SRAM: arena (blue) + trained parameters (orange)", bx, y0 + ph + 40);
        g.dispose();
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            java.nio.file.Files.createDirectories(parent);
        }
        ImageIO.write(img, "png", png.toFile());
    }
}
