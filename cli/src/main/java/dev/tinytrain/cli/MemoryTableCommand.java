package dev.tinytrain.cli;

import dev.tinytrain.compile.CompileOptions;
import dev.tinytrain.compile.TrainingCompiler;
import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.compile.WeightLayers;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.plan.MemoryReport;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code tinytrain memory-table}: the README's memory table, reordering off and on, next to the paper's figures. */
@Command(name = "memory-table", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Plan the three models under several schemes, with reordering off and on, and print a Markdown "
                + "table next to the paper's figures (what scripts/memory-table puts in the README).",
                "",
                "Example:",
                "  tinytrain memory-table --resolution 128 --classes 10",
                ""})
final class MemoryTableCommand implements Runnable {

    /** The paper's figures (PAPER.md section 7, KB = 1024 B): full update, sparse, sparse + reorder. */
    private static final Map<String, int[]> PAPER = Map.of("mobilenetv2-w0.35", new int[] {2939, 335, 141},
            "proxylessnas-w0.3", new int[] {2745, 326, 135}, "mcunet-5fps", new int[] {3650, 560, 173});

    private static final Map<String, List<String>> SPARSE = Map.of(
            "mcunet-5fps", List.of("mcunet-49kb", "mcunet-74kb", "mcunet-99kb", "mcunet-124kb", "mcunet-148kb"),
            "mobilenetv2-w0.35", List.of("mbv2-sparse"),
            "proxylessnas-w0.3", List.of("proxyless-sparse"));

    @Option(names = "--models", split = ",", paramLabel = "NAME",
            defaultValue = "mcunet-5fps,mobilenetv2-w0.35,proxylessnas-w0.3", description = "Default: ${DEFAULT-VALUE}.")
    List<String> models;

    @Option(names = "--resolution", defaultValue = "128", paramLabel = "PX", description = "Default: ${DEFAULT-VALUE}.")
    int resolution;

    @Option(names = "--classes", defaultValue = "10", paramLabel = "N", description = "Default: ${DEFAULT-VALUE}.")
    int classes;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "| model | scheme | trained params (SRAM) | reorder off: arena / total | reorder on: arena"
                + " / total | saving | backward peak off / on | on: arena vs lower bound | paper (full / sparse /"
                + " sparse+reorder) |%n");
        out.println("|---|---|---:|---:|---:|---:|---:|---:|---|");
        for (String model : models) {
            Graph forward = Architectures.build(model, resolution, 3, classes, 1);
            int convs = WeightLayers.of(forward).size() - 1;
            List<String> schemes = new java.util.ArrayList<>(List.of("full", "bias-only", "last-layer"));
            schemes.addAll(SPARSE.getOrDefault(model, List.of()));
            int[] paper = PAPER.get(model);
            for (String scheme : schemes) {
                SparseScheme s = SparseScheme.named(scheme, convs);
                MemoryReport off = plan(forward, s, CompileOptions.DEFAULT.withReorder(false));
                MemoryReport on = plan(forward, s, CompileOptions.DEFAULT);
                String paperCell = paper == null ? "" : switch (scheme) {
                    case "full" -> paper[0] + " KB";
                    case "mcunet-49kb", "mbv2-sparse", "proxyless-sparse" -> paper[1] + " KB / " + paper[2] + " KB";
                    default -> "";
                };
                out.printf(Locale.ROOT, "| %s | %s | %s | %s / %s | %s / **%s** | %.2fx | %s / %s | +%.1f%% | %s |%n",
                        model, scheme, kb(on.trainableSramBytes()), kb(off.arenaBytes()), kb(off.totalSramBytes()),
                        kb(on.arenaBytes()), kb(on.totalSramBytes()),
                        off.totalSramBytes() / (double) on.totalSramBytes(), kb(off.backwardPeakBytes()),
                        kb(on.backwardPeakBytes()),
                        100.0 * (on.arenaBytes() - on.lowerBoundBytes()) / Math.max(1, on.lowerBoundBytes()), paperCell);
                out.flush();
            }
        }
    }

    private static MemoryReport plan(Graph forward, SparseScheme s, CompileOptions o) {
        TrainingProgram p = TrainingCompiler.compile(forward, s, TrainConfig.defaults(0.001f), o);
        return MemoryReport.of(p, MemoryPlan.of(p));
    }

    private static String kb(long bytes) {
        return String.format(Locale.ROOT, "%,.1f KB", bytes / 1024.0);
    }
}
