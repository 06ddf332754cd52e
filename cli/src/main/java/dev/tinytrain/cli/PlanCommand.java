package dev.tinytrain.cli;

import dev.tinytrain.compile.CompileOptions;
import dev.tinytrain.compile.TrainingCompiler;
import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.compile.WeightLayers;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Role;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.plan.Budget;
import dev.tinytrain.plan.MemoryReport;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tinytrain plan}: the memory a training program needs on the device. */
@Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compile a training program and report its memory: the planned arena (and the live-set lower "
                + "bound), trained parameters in SRAM, frozen parameters in flash, and the arena at its peak by kind.",
                "",
                "Examples:",
                "  tinytrain plan --model mcunet-5fps --resolution 128 --scheme mcunet-49kb --json",
                "  tinytrain plan --model mobilenetv2-w0.35 --scheme mbv2-sparse --png plan.png",
                "  tinytrain plan --model mcunet-5fps --scheme full --budget 256KB      (refused: names the biggest"
                        + " contributors)",
                ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the program fits (or no --budget)", "1:a compile error", "2:bad arguments",
                "3:the program does not fit --budget"})
final class PlanCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "NAME",
            description = "Architecture: mcunet-5fps, mobilenetv2-w0.35, proxylessnas-w0.3.")
    String model;

    @Option(names = "--resolution", defaultValue = "128", paramLabel = "PX", description = "Input size. Default: ${DEFAULT-VALUE}.")
    int resolution;

    @Option(names = "--scheme", defaultValue = "mcunet-49kb", paramLabel = "SCHEME",
            description = "Sparse-update scheme (a name as for train, or a JSON file). Default: ${DEFAULT-VALUE}.")
    String scheme;

    @Option(names = "--classes", defaultValue = "10", paramLabel = "N", description = "Classifier outputs. Default: ${DEFAULT-VALUE}.")
    int classes;

    @Mixin
    MemoryOptions memory;

    @Option(names = "--png", paramLabel = "FILE",
            description = "Draw the buffers' lifetimes (time across, address up, coloured by kind) to a PNG.")
    Path png;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        long budgetBytes = memory.budgetBytes();
        Graph forward = Architectures.build(model, resolution, 3, classes, 1);
        int convs = WeightLayers.of(forward).size() - 1;
        SparseScheme s;
        try {
            s = SparseScheme.resolve(scheme, convs);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--scheme: " + e.getMessage());
        }
        CompileOptions options = memory.options();
        TrainingProgram program = TrainingCompiler.compile(forward, s, TrainConfig.defaults(0.001f), options);
        MemoryPlan plan = MemoryPlan.of(program);
        MemoryReport r = MemoryReport.of(program, plan);
        if (png != null) {
            PlanPicture.write(program, plan, r, png);
        }
        Map<String, Object> breakdown = new LinkedHashMap<>();
        for (Map.Entry<Role, Long> e : r.peakBreakdown().entrySet()) {
            breakdown.put(e.getKey().name().toLowerCase(Locale.ROOT), e.getValue());
        }
        if (json) {
            List<Object> top = new ArrayList<>();
            for (MemoryReport.Item i : r.peakItems().subList(0, Math.min(8, r.peakItems().size()))) {
                top.add(Json.object("name", i.name(), "kind", i.role().name().toLowerCase(Locale.ROOT),
                        "bytes", i.bytes()));
            }
            out.println(Json.object("model", forward.name(), "resolution", resolution, "scheme", s.name(),
                    "reorder", options.reorder(), "fuse", options.fuse(), "inPlace", options.inPlace(),
                    "arenaBytes", r.arenaBytes(), "lowerBoundBytes", r.lowerBoundBytes(),
                    "trainableSramBytes", r.trainableSramBytes(), "totalSramBytes", r.totalSramBytes(),
                    "trainedTensorsBytes", r.trainedTensorsBytes(),
                    "flashBytes", r.flashBytes(), "peakBreakdown", breakdown, "peakOp", r.peakPosition(),
                    "peakBuffers", top, "strategy", r.strategy(),
                    "budgetBytes", budgetBytes < 0 ? null : budgetBytes,
                    "fits", budgetBytes < 0 ? null : r.totalSramBytes() <= budgetBytes));
        } else {
            out.printf(Locale.ROOT, "%s %dx%dx3, %d classes, scheme %s%s%n", forward.name(), resolution, resolution,
                    classes, s.name(), switches(options));
            out.printf(Locale.ROOT, "  arena            %,10d B  (%s; live-set lower bound %,d B)%n", r.arenaBytes(),
                    r.strategy(), r.lowerBoundBytes());
            out.printf(Locale.ROOT, "  trained params   %,10d B  in SRAM (the trained slices; %,d B with partial"
                    + " layers whole, as generated C keeps them today)%n", r.trainableSramBytes(),
                    r.trainedTensorsBytes());
            out.printf(Locale.ROOT, "  total SRAM       %,10d B%n", r.totalSramBytes());
            out.printf(Locale.ROOT, "  frozen params    %,10d B  in flash%n", r.flashBytes());
            out.printf(Locale.ROOT, "  arena at its peak (op %d, %s): %s%n", r.peakPosition(), r.peakOp(), breakdown);
            if (png != null) {
                out.printf("  lifetimes drawn to %s%n", png);
            }
        }
        out.flush();
        if (budgetBytes >= 0) {
            try {
                Budget.check(r, budgetBytes, "scheme " + s.name() + " on " + forward.name() + " at " + resolution
                        + "x" + resolution);
            } catch (Budget.ExceededException e) {
                spec.commandLine().getErr().println("tinytrain: " + e.getMessage());
                spec.commandLine().getErr().flush();
                return 3;
            }
        }
        return 0;
    }

    private static String switches(CompileOptions o) {
        String s = (o.reorder() ? "" : ", no reorder") + (o.fuse() ? "" : ", no fusion")
                + (o.inPlace() ? "" : ", nothing in place");
        return s;
    }
}
