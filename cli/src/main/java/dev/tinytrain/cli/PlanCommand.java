package dev.tinytrain.cli;

import dev.tinytrain.compile.TrainingCompiler;
import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.compile.WeightLayers;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Role;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.plan.MemoryReport;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** {@code tinytrain plan}: the memory a training program needs on the device. */
@Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compile a training program and report its memory: the planned arena (and the live-set lower "
                + "bound), trained parameters in SRAM, frozen parameters in flash, and the arena at its peak by kind.",
                "",
                "Example:",
                "  tinytrain plan --model mcunet-5fps --resolution 128 --scheme mcunet-49kb --json",
                ""})
final class PlanCommand implements Runnable {

    @Option(names = "--model", required = true, paramLabel = "NAME",
            description = "Architecture: mcunet-5fps, mobilenetv2-w0.35, proxylessnas-w0.3.")
    String model;

    @Option(names = "--resolution", defaultValue = "128", paramLabel = "PX", description = "Input size. Default: ${DEFAULT-VALUE}.")
    int resolution;

    @Option(names = "--scheme", defaultValue = "mcunet-49kb", paramLabel = "SCHEME",
            description = "Sparse-update scheme (as for train). Default: ${DEFAULT-VALUE}.")
    String scheme;

    @Option(names = "--classes", defaultValue = "10", paramLabel = "N", description = "Classifier outputs. Default: ${DEFAULT-VALUE}.")
    int classes;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        Graph forward = Architectures.build(model, resolution, 3, classes, 1);
        java.util.List<Op> layers = WeightLayers.of(forward);
        SparseScheme s = SparseScheme.named(scheme, layers.size() - 1);
        TrainingProgram program = TrainingCompiler.compile(forward, s, TrainConfig.defaults(0.001f));
        MemoryPlan plan = MemoryPlan.planned(program.graph());
        MemoryReport r = MemoryReport.of(program, plan);
        Map<String, Object> breakdown = new LinkedHashMap<>();
        for (Map.Entry<Role, Long> e : r.peakBreakdown().entrySet()) {
            breakdown.put(e.getKey().name().toLowerCase(Locale.ROOT), e.getValue());
        }
        if (json) {
            out.println(Json.object("model", forward.name(), "resolution", resolution, "scheme", s.name(),
                    "arenaBytes", r.arenaBytes(), "lowerBoundBytes", r.lowerBoundBytes(),
                    "trainableSramBytes", r.trainableSramBytes(), "totalSramBytes", r.totalSramBytes(),
                    "flashBytes", r.flashBytes(), "peakBreakdown", breakdown, "strategy", r.strategy()));
        } else {
            out.printf(Locale.ROOT, "%s %dx%dx3, %d classes, scheme %s%n", forward.name(), resolution, resolution,
                    classes, s.name());
            out.printf(Locale.ROOT, "  arena            %,10d B  (%s; live-set lower bound %,d B)%n", r.arenaBytes(),
                    r.strategy(), r.lowerBoundBytes());
            out.printf(Locale.ROOT, "  trained params   %,10d B  in SRAM%n", r.trainableSramBytes());
            out.printf(Locale.ROOT, "  total SRAM       %,10d B%n", r.totalSramBytes());
            out.printf(Locale.ROOT, "  frozen params    %,10d B  in flash%n", r.flashBytes());
            out.printf(Locale.ROOT, "  arena at its peak (op %d): %s%n", r.peakPosition(), breakdown);
        }
        out.flush();
    }
}
