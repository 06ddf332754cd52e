package dev.tinytrain.cli;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;
import dev.tinytrain.models.ModelStats;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.tensor.Quantization;
import dev.tinytrain.tflite.ImportedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code tinytrain inspect}: what a {@code .tflite} model becomes in tinytrain, and what it costs. */
@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Import an int8 .tflite model and show its ops with shapes, MACs and parameter bytes, the "
                + "tensors, the totals, and the inference memory plan: the peak arena for running the forward pass "
                + "alone, planned by tinytrain's memory planner over the tensors' lifetimes.",
                "",
                "Example:",
                "  tinytrain inspect m.tflite --json",
                ""})
final class InspectCommand implements Runnable {

    @Parameters(index = "0", paramLabel = "FILE", description = "The .tflite model.")
    Path file;

    @Option(names = "--tensors", description = "Also list every tensor (always in --json).")
    boolean tensors;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        ImportedModel m = ModelFiles.model(file);
        Graph g = m.graph();
        ModelStats stats = ModelStats.of(g);
        long weightBytes = 0;
        long biasBytes = 0;
        for (Value v : g.values()) {
            if (g.isConstant(v)) {
                if (v.dtype() == dev.tinytrain.tensor.DType.INT8) {
                    weightBytes += v.byteSize();
                } else {
                    biasBytes += v.byteSize();
                }
            }
        }
        MemoryPlan plan = MemoryPlan.planned(g);
        long fileBytes = fileSize();
        if (json) {
            List<Object> ops = new ArrayList<>();
            for (int i = 0; i < g.ops().size(); i++) {
                Op op = g.ops().get(i);
                List<Object> ins = new ArrayList<>();
                for (Value v : op.inputs()) {
                    if (!g.isConstant(v)) {
                        ins.add(shape(v));
                    }
                }
                ops.add(Json.object("index", i, "op", op.mnemonic(), "attributes", op.attributes(),
                        "output", op.outputs().getFirst().name(), "inputShapes", ins,
                        "outputShape", shape(op.outputs().getFirst()), "macs", ModelStats.macs(op),
                        "paramBytes", paramBytes(g, op)));
            }
            List<Object> ts = new ArrayList<>();
            for (Value v : g.values()) {
                ts.add(tensor(g, m, v));
            }
            out.println(Json.object("model", g.name(), "file", file.toString(), "fileBytes", fileBytes,
                    "description", m.description(), "tfliteOperators", m.operatorCount(),
                    "tfliteOperatorCounts", m.operatorCounts(), "notes", m.notes(),
                    "inputs", g.inputs().stream().map(v -> tensor(g, m, v)).toList(),
                    "outputs", g.outputs().stream().map(v -> tensor(g, m, v)).toList(),
                    "ops", ops, "tensors", ts, "totalMacs", stats.macs(), "convs", stats.convs(),
                    "paramBytes", weightBytes + biasBytes, "weightBytes", weightBytes, "biasBytes", biasBytes,
                    "arenaBytes", plan.arenaBytes(), "lowerBoundBytes", plan.lowerBoundBytes(),
                    "strategy", plan.strategy()));
            out.flush();
            return;
        }
        out.printf(Locale.ROOT, "%s (%s, %,d bytes): %d TF-Lite operators %s -> %d graph ops%n", g.name(), file,
                fileBytes, m.operatorCount(), counts(m.operatorCounts()), g.ops().size());
        for (String n : m.notes()) {
            out.println("  note: " + n);
        }
        for (Value v : g.inputs()) {
            out.printf("  input  %s %s%n", v.name(), describe(v));
        }
        for (Value v : g.outputs()) {
            out.printf("  output %s %s%n", v.name(), describe(v));
        }
        out.printf(Locale.ROOT, "%n  %4s  %-17s %-26s %-20s %-18s %13s %10s%n", "#", "op", "output", "input",
                "output shape", "MACs", "params B");
        for (int i = 0; i < g.ops().size(); i++) {
            Op op = g.ops().get(i);
            Value x = op.inputs().getFirst();
            Value y = op.outputs().getFirst();
            out.println(String.format(Locale.ROOT, "  %4d  %-17s %-26s %-20s %-18s %,13d %,10d  %s", i, op.mnemonic(),
                    y.name(), Arrays.toString(x.shape()).replace(" ", ""), Arrays.toString(y.shape()).replace(" ", ""),
                    ModelStats.macs(op), paramBytes(g, op), op.attributes()).stripTrailing());
        }
        out.printf(Locale.ROOT, "%n  total: %,d MACs in %d conv/fc layers; parameters %,d B (%,d B int8 weights + %,d B"
                + " int32 biases)%n", stats.macs(), stats.convs(), weightBytes + biasBytes, weightBytes, biasBytes);
        out.printf(Locale.ROOT, "  inference memory plan: peak arena %,d B (%s; live-set lower bound %,d B)%n",
                plan.arenaBytes(), plan.strategy(), plan.lowerBoundBytes());
        if (tensors) {
            out.printf("%n  tensors (%d):%n", g.values().size());
            for (Value v : g.values()) {
                out.printf(Locale.ROOT, "  %5s  %-30s %-9s %,10d B  %s%n", v.ref(), v.name(), v.role().name()
                        .toLowerCase(Locale.ROOT), v.byteSize(), describe(v));
            }
        } else {
            out.printf("  %d tensors (--tensors lists them)%n", g.values().size());
        }
        out.flush();
    }

    private long fileSize() {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    private static long paramBytes(Graph g, Op op) {
        long b = 0;
        for (Value v : op.inputs()) {
            if (g.isConstant(v)) {
                b += v.byteSize();
            }
        }
        return b;
    }

    private static List<Integer> shape(Value v) {
        return Arrays.stream(v.shape()).boxed().toList();
    }

    private static Map<String, Object> tensor(Graph g, ImportedModel m, Value v) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("id", v.id());
        t.put("name", v.name());
        t.put("tfliteIndex", m.tensorOf(v));
        t.put("role", v.role().name().toLowerCase(Locale.ROOT));
        t.put("dtype", v.dtype().name().toLowerCase(Locale.ROOT));
        t.put("shape", shape(v));
        t.put("bytes", v.byteSize());
        Quantization q = v.quant();
        if (q != null && q.isPerTensor()) {
            t.put("scale", (double) q.scale());
            t.put("zeroPoint", q.zeroPoint());
        } else if (q != null) {
            float[] s = q.scales();
            List<Double> scales = new ArrayList<>();
            for (float f : s) {
                scales.add((double) f);
            }
            t.put("scales", scales);
            t.put("axis", q.axis());
        }
        return t;
    }

    private static String describe(Value v) {
        String s = v.dtype().name().toLowerCase(Locale.ROOT) + Arrays.toString(v.shape()).replace(" ", "");
        Quantization q = v.quant();
        if (q == null) {
            return s;
        }
        return s + (q.isPerTensor() ? String.format(Locale.ROOT, " scale %.7g zero point %d", q.scale(), q.zeroPoint())
                : " per-channel x" + q.scales().length + " (axis " + q.axis() + ")");
    }

    private static String counts(Map<String, Integer> c) {
        StringBuilder sb = new StringBuilder("(");
        c.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append(" x").append(v));
        return sb.append(')').toString();
    }
}
