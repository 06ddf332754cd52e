package dev.tinytrain.cli;

import dev.tinytrain.codegen.Board;
import dev.tinytrain.codegen.CodeGenerator;
import dev.tinytrain.codegen.CodegenException;
import dev.tinytrain.codegen.DriverOutput;
import dev.tinytrain.codegen.FirmwareReport;
import dev.tinytrain.codegen.KernelSources;
import dev.tinytrain.codegen.ParameterChecksum;
import dev.tinytrain.compile.TrainingCompiler;
import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.compile.WeightLayers;
import dev.tinytrain.data.DataCache;
import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.SyntheticDataset;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.KernelBackends;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.plan.Budget;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code tinytrain mcu run}: the training program as Cortex-M firmware, cross-built against the
 * board's linker script (the SRAM and flash budgets are checked by the link), run under
 * {@code qemu-system-arm} with semihosting and the ttcount instruction-counting plugin, and the same
 * steps on the host through Panama; then the two side by side: losses, bit-exactness, SRAM, flash,
 * stack and instructions per step.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate the training program as firmware for a QEMU board, cross-build it (arm-none-eabi-gcc, "
                + "the board's linker script with the SRAM and flash budgets), run it in qemu-system-arm with "
                + "semihosting and the ttcount instruction-counting plugin, train the same steps on the host "
                + "(C kernels through Panama), and compare: losses, trained-parameter checksum and logits bit for "
                + "bit, SRAM (.data + .bss + painted stack peak), flash, stack, instructions per step and per "
                + "inference.",
                "",
                "Examples:",
                "  tinytrain mcu run --board qemu-m7 --model mcunet-5fps --resolution 128 --scheme mcunet-49kb "
                        + "--dataset synthetic:10 --steps 3",
                "  tinytrain mcu run --board qemu-m4 --model mcunet-5fps --resolution 32 --steps 3 --json",
                "",
                "Needs cmake, gcc-arm-none-eabi + libnewlib-arm-none-eabi, qemu-system-arm and a host C compiler.",
                ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the firmware ran and computed the host's bits", "1:a tool is missing, the build or the "
                + "emulation failed", "2:bad arguments", "3:the program does not fit the SRAM or flash budget "
                + "(planned, or at link time)", "4:the firmware ran but its results differ from the host's"})
final class McuRunCommand implements Callable<Integer> {

    /** The SRAM budget without --budget: the paper's 256 KB. */
    static final long DEFAULT_RAM_BUDGET = 256 * 1024;

    private static final Pattern BUDGET_MESSAGE = Pattern.compile(
            "tinytrain: [^\\n]*exceed the (SRAM|flash) budget[^\\n]*|region `?\\w+'? overflowed[^\\n]*");

    @Option(names = "--board", required = true, paramLabel = "BOARD",
            description = "qemu-m7 (Cortex-M7, mps2-an500), qemu-m4 (Cortex-M4, mps2-an386) or qemu-m3 (Cortex-M3, "
                    + "mps2-an385).")
    String board;

    @Option(names = "--model", required = true, paramLabel = "NAME",
            description = "Architecture: mcunet-5fps, mobilenetv2-w0.35, proxylessnas-w0.3.")
    String model;

    @Option(names = "--resolution", defaultValue = "128", paramLabel = "PX", description = "Input size. Default: ${DEFAULT-VALUE}.")
    int resolution;

    @Option(names = "--scheme", defaultValue = "mcunet-49kb", paramLabel = "SCHEME",
            description = "Sparse-update scheme (a name as for train, or a JSON file). Default: ${DEFAULT-VALUE}.")
    String scheme;

    @Option(names = "--dataset", defaultValue = "synthetic:10", paramLabel = "DATA",
            description = "Samples embedded in the firmware: synthetic:<classes>. Default: ${DEFAULT-VALUE}.")
    String dataset;

    @Option(names = "--steps", defaultValue = "3", paramLabel = "N", description = "Training steps. Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--samples", paramLabel = "N",
            description = "Samples embedded in flash (steps cycle through them). Default: the steps, at most 4.")
    Integer samples;

    @Mixin
    MemoryOptions memory;

    @Mixin
    UpdateRuleOptions rule;

    @Option(names = "--flash-budget", defaultValue = "1MB", paramLabel = "SIZE",
            description = "Flash budget of the link (code, constants, the .data image). Default: ${DEFAULT-VALUE}.")
    String flashBudget;

    @Option(names = "--stack-size", defaultValue = "8KB", paramLabel = "SIZE",
            description = "Stack the linker reserves at the bottom of SRAM (inside --budget). Default: ${DEFAULT-VALUE}.")
    String stackSize;

    @Option(names = "--split-partial", negatable = true, fallbackValue = "true",
            description = "Keep each partially trained conv weight split: its trained input channels in SRAM, the "
                    + "whole tensor in flash, assembled in planned arena scratch before each op that reads it "
                    + "(--no-split-partial: whole tensors in SRAM). Default: whichever of the two plans less SRAM.")
    Boolean splitPartial;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N",
            description = "Seed of the model weights, the samples and the rounding. Default: ${DEFAULT-VALUE}.")
    int seed;

    @Option(names = "--timeout", defaultValue = "1800", paramLabel = "SECONDS",
            description = "Stop the build or the emulation after this long. Default: ${DEFAULT-VALUE}.")
    long timeout;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Keep the generated project and its build here (new, empty, or one tinytrain wrote). "
                    + "Default: a temporary folder, removed after a successful run.")
    Path out;

    @Option(names = "--kernels", paramLabel = "DIR",
            description = "The native-kernels folder to copy (include/, src/, boards/, cmake/, qemu-plugin/). "
                    + "Default: the sources packed in this tool.")
    Path kernelsDir;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    private PrintWriter err;

    @Override
    public Integer call() throws IOException, InterruptedException {
        err = spec.commandLine().getErr();
        Board b = board();
        long ramBudget = memory.budgetBytes() < 0 ? DEFAULT_RAM_BUDGET : memory.budgetBytes();
        long flash = size("--flash-budget", flashBudget);
        long stack = size("--stack-size", stackSize);
        if (steps < 1) {
            throw new ParameterException(spec.commandLine(), "--steps must be >= 1, got " + steps);
        }
        int n = samples == null ? Math.min(steps, 4) : samples;
        if (n < 1) {
            throw new ParameterException(spec.commandLine(), "--samples must be >= 1, got " + n);
        }
        if (timeout < 1) {
            throw new ParameterException(spec.commandLine(), "--timeout must be >= 1 second, got " + timeout);
        }
        CodeGenerator.Firmware firmware;
        try {
            firmware = new CodeGenerator.Firmware(b, ramBudget, flash, stack);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        int k = datasetClasses();
        Graph forward = Architectures.build(model, resolution, 3, k, seed);
        SparseScheme s = scheme(WeightLayers.of(forward).size() - 1);
        TrainConfig config = rule.config(seed);

        Value in = forward.inputs().getFirst();
        Dataset data = SyntheticDataset.parse(dataset, n, in.shape(), in.quant(), seed, 0);
        try {
            Report r = emulate(b, firmware, forward, s, config, data, steps);
            print(r);
            return r.bitExact() ? 0 : 4;
        } catch (McuRunException e) {
            err.println("tinytrain: " + e.getMessage());
            err.flush();
            return e.exitCode();
        }
    }

    /** The defaults of every option but the board (for callers such as the demo), writing progress to {@code err}. */
    static McuRunCommand forBoard(String board, PrintWriter err) {
        McuRunCommand c = new McuRunCommand();
        new picocli.CommandLine(c).parseArgs("--board", board, "--model", "mcunet-5fps");
        c.err = err;
        return c;
    }

    /**
     * Generates the training program of {@code forward} under scheme {@code s} as firmware embedding
     * {@code data}, builds it, runs {@code steps} steps in QEMU and the same steps on the host.
     *
     * @throws McuRunException a tool is missing (exit 1), the build or emulation failed (1), or the
     *                         program does not fit the budgets (3)
     */
    Report emulate(Board b, CodeGenerator.Firmware firmware, Graph forward, SparseScheme s, TrainConfig config,
                   Dataset data, int steps) throws IOException, InterruptedException {
        Tools tools = Tools.fromEnvironment();
        tools.require(List.of("cmake", "arm-none-eabi-gcc", "qemu-system-arm", "cc"));
        Seconds time = new Seconds();
        Value in = forward.inputs().getFirst();
        int resolution = in.shape()[1];
        KernelSources sources = kernelsDir == null ? KernelSources.fromClasspath() : KernelSources.fromDirectory(kernelsDir);
        TrainingProgram program = TrainingCompiler.compile(forward, s, config, memory.options());
        boolean split;
        if (splitPartial != null) {
            split = splitPartial;
        } else {
            CodeGenerator.Layout layout = CodeGenerator.smallerLayout(program);
            split = layout.split();
            progress("partially trained weights %s: %,d B of arena + trained SRAM (the other way: %,d B)",
                    split ? "split" : "kept whole", layout.sramBytes(), layout.otherSramBytes());
        }
        CodeGenerator.Options generated = new CodeGenerator.Options(b.target(), firmware.ramBudgetBytes(), data, steps,
                firmware, split);
        MemoryPlan plan = CodeGenerator.plan(program, generated);
        boolean temporary = out == null;
        Path dir = temporary ? Files.createTempDirectory("tinytrain-mcu-") : out;
        String what = String.format(Locale.ROOT, "%s %dx%dx3, %d classes, scheme %s", forward.name(), resolution,
                resolution, data.classes(), s.name());
        progress("generating %s as firmware for %s in %s", what, b.label(), dir);
        CodeGenerator.Project project;
        try {
            project = CodeGenerator.generate(program, plan, generated, sources, dir);
        } catch (CodegenException.OverBudget e) {
            if (temporary) {
                delete(dir);
            }
            throw new McuRunException(3, e.getMessage());
        }
        time.lap("generate");

        boolean ok = false;
        try {
            ElfSizes elf = build(dir, b, firmware, project.sizes(), tools);
            time.lap("build");
            Path plugin;
            try {
                plugin = Ttcount.plugin(dir.resolve("kernels/qemu-plugin"), DataCache.user().root(), tools);
            } catch (IOException e) {
                progress("the cache is not writable (%s): building the plugin in the project", e.getMessage());
                plugin = Ttcount.plugin(dir.resolve("kernels/qemu-plugin"), dir.resolve("build"), tools);
            }
            time.lap("plugin");
            progress("running build/tt_train.elf on QEMU %s (%s) with the ttcount plugin, %d steps (timeout %d s)",
                    b.qemuMachine(), b.target().label(), steps, timeout);
            Tools.Result q = tools.run(dir.resolve("build"), timeout, List.of("qemu-system-arm", "-M", b.qemuMachine(),
                    "-nographic", "-monitor", "none", "-serial", "none", "-semihosting-config", "enable=on,target=native",
                    "-plugin", plugin.toAbsolutePath().toString().replace(",", ",,"), "-kernel", "tt_train.elf"),
                    line -> {
                        if (line.startsWith("step ")) {
                            String[] f = line.split(" ");
                            progress("  MCU finished step %d/%d", Integer.parseInt(f[1]) + 1, steps);
                        }
                    });
            time.lap("emulate");
            FirmwareReport fw = firmwareReport(q);
            if (fw.staticRamBytes() != elf.staticRamBytes() || fw.ramBudgetBytes() != elf.ramBudgetBytes()) {
                throw new McuRunException(1, String.format(Locale.ROOT, "the firmware reports %,d B of .data + .bss "
                                + "and a %,d B budget, its ELF file %,d B and %,d B: it is not the firmware just built",
                        fw.staticRamBytes(), fw.ramBudgetBytes(), elf.staticRamBytes(), elf.ramBudgetBytes()));
            }
            long[] regions = Ttcount.regions(q.errors());
            if (regions.length != steps + 1) {
                throw new McuRunException(1, "the ttcount plugin reported " + regions.length + " counted regions, the "
                        + "firmware marks " + (steps + 1) + " (" + steps + " steps and one inference):\n"
                        + Tools.tail(q.errors()));
            }

            progress("training the same %d steps on the host", steps);
            KernelBackends.Selection kernels = KernelBackends.best();
            DriverOutput host = CodegenCommand.hostRun(forward, s, config, plan.arenaBytes(), data, steps,
                    kernels.backend());
            time.lap("host");

            ok = true;
            return new Report(what, b, fw, host, elf, project.sizes(), Arrays.copyOf(regions, steps),
                    regions[steps], kernels.backend().name(), time, steps, temporary ? null : dir);
        } finally {
            if (temporary && ok) {
                delete(dir);
            } else if (temporary) {
                err.println("tinytrain: the generated project and its build are kept in " + dir);
            }
        }
    }

    /** Configures and builds; a budget the link refuses is exit 3 with the linker's words. */
    private ElfSizes build(Path dir, Board b, CodeGenerator.Firmware fw, CodeGenerator.Sizes sizes, Tools tools)
            throws IOException, InterruptedException {
        progress("cross-building with CMake and arm-none-eabi-gcc for %s (SRAM budget %,d B, flash budget %,d B, "
                + "stack %,d B)", b.target().label(), fw.ramBudgetBytes(), fw.flashBudgetBytes(), fw.stackBytes());
        Tools.Result c = tools.run(dir, timeout, List.of("cmake", "-S", ".", "-B", "build", "-DCMAKE_BUILD_TYPE=Release"),
                null);
        if (c.exitCode() != 0) {
            throw new McuRunException(1, "cmake could not configure the project in " + dir + ":\n" + Tools.tail(c.output()));
        }
        Instant linkStart = Instant.now().minusSeconds(1);
        Tools.Result m = tools.run(dir, timeout, List.of("cmake", "--build", "build", "-j",
                Integer.toString(Math.max(1, Runtime.getRuntime().availableProcessors()))), null);
        if (m.exitCode() != 0) {
            Matcher budget = BUDGET_MESSAGE.matcher(m.output());
            if (budget.find()) {
                throw new McuRunException(3, overBudget(budget, dir.resolve("build/tt_train.elf.map"), linkStart, fw,
                        sizes));
            }
            throw new McuRunException(1, "the cross build failed:\n" + Tools.tail(m.output()));
        }
        return ElfSizes.read(dir.resolve("build/tt_train.elf"));
    }

    /** The linker's refusal, the budget it refers to, and what the link needed (from its map file, when written). */
    private static String overBudget(Matcher budget, Path map, Instant linkStart, CodeGenerator.Firmware fw,
                                     CodeGenerator.Sizes sizes) throws IOException {
        boolean sram = !"flash".equals(budget.group(1)) && !budget.group().contains("FLASH");
        StringBuilder m = new StringBuilder();
        m.append(String.format(Locale.ROOT, "the firmware does not fit the %s budget of %,d B (%s) at link time.%n"
                        + "  the linker: %s", sram ? "SRAM" : "flash", sram ? fw.ramBudgetBytes() : fw.flashBudgetBytes(),
                sram ? "--budget" : "--flash-budget", budget.group()));
        Long used = null;
        if (Files.isRegularFile(map) && Files.getLastModifiedTime(map).compareTo(FileTime.from(linkStart)) >= 0) {
            Matcher u = Pattern.compile("0x([0-9a-f]+)\\s+" + (sram ? "__tt_ram_used" : "__tt_flash_used") + " =")
                    .matcher(Files.readString(map));
            if (u.find()) {
                used = Long.parseLong(u.group(1), 16);
            }
        }
        if (used != null) {
            m.append(String.format(Locale.ROOT, "%n  the link needs %,d B, %,d B more than the budget", used,
                    used - (sram ? fw.ramBudgetBytes() : fw.flashBudgetBytes())));
        }
        if (sram) {
            m.append(String.format(Locale.ROOT, "%n  of which: stack %,d B (--stack-size), arena %,d B, trained "
                            + "parameters %,d B, optimizer state %,d B, the rest libc and board statics",
                    fw.stackBytes(), sizes.arenaBytes(), sizes.trainedSramBytes(), sizes.stateSramBytes()));
        }
        return m.toString();
    }

    private static FirmwareReport firmwareReport(Tools.Result q) {
        if (q.exitCode() != 0) {
            String why = q.exitCode() == 100 ? "the firmware faulted (exit 100)" : "the firmware exited with status "
                    + q.exitCode();
            throw new McuRunException(1, why + ". It printed:\n" + Tools.tail(q.output())
                    + (q.errors().isBlank() ? "" : "\nQEMU and the board said:\n" + Tools.tail(q.errors())));
        }
        try {
            return FirmwareReport.parse(q.output());
        } catch (IllegalArgumentException e) {
            throw new McuRunException(1, "cannot read the firmware's output: " + e.getMessage());
        }
    }

    // ---- the report ------------------------------------------------------------------------------

    /** Seconds spent in each phase, in order. */
    static final class Seconds {
        final Map<String, Double> laps = new LinkedHashMap<>();
        private long last = System.nanoTime();

        void lap(String name) {
            long now = System.nanoTime();
            laps.put(name, Math.round((now - last) / 1e7) / 100.0);
            last = now;
        }
    }

    record Report(String what, Board board, FirmwareReport mcu, DriverOutput host, ElfSizes elf,
                  CodeGenerator.Sizes sizes, long[] stepInstructions, long inferenceInstructions, String hostBackend,
                  Seconds time, int steps, Path project) {

        /** Losses, checksum and logits identical (and the model, scheme and arena lines). */
        boolean bitExact() {
            return mcu.driver().equals(host);
        }

        /** .data + .bss from the ELF, plus the painted stack peak and the heap the firmware used. */
        long sramBytes() {
            return elf.staticRamBytes() + mcu.stackPeakBytes() + mcu.heapBytes();
        }

        double instructionsPerStep() {
            return Arrays.stream(stepInstructions).average().orElse(0);
        }
    }

    private void print(Report r) {
        Path kept = r.project();
        PrintWriter o = spec.commandLine().getOut();
        DriverOutput m = r.mcu().driver();
        DriverOutput h = r.host();
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", model);
            j.put("resolution", resolution);
            j.put("scheme", h.scheme());
            j.put("board", r.board().label());
            j.put("core", r.board().target().label());
            j.put("qemuMachine", r.board().qemuMachine());
            j.put("steps", r.steps());
            j.put("bitExact", r.bitExact());
            j.put("mcuLosses", floats(m.losses()));
            j.put("hostLosses", floats(h.losses()));
            j.put("mcuLossBits", bits(m.losses()));
            j.put("hostLossBits", bits(h.losses()));
            j.put("mcuChecksum", ParameterChecksum.hex(m.checksum()));
            j.put("hostChecksum", ParameterChecksum.hex(h.checksum()));
            j.put("mcuLogits", bytes(m.logits()));
            j.put("hostLogits", bytes(h.logits()));
            j.put("sramBytes", r.sramBytes());
            j.put("dataBytes", r.elf().dataBytes());
            j.put("bssBytes", r.elf().bssBytes());
            j.put("heapBytes", r.mcu().heapBytes());
            j.put("stackBytes", r.mcu().stackPeakBytes());
            j.put("stackReservedBytes", r.elf().stackBytes());
            j.put("sramLinkedBytes", r.elf().ramLinkedBytes());
            j.put("ramBudgetBytes", r.elf().ramBudgetBytes());
            j.put("flashBytes", r.elf().flashBytes());
            j.put("flashBudgetBytes", r.elf().flashBudgetBytes());
            j.put("sampleFlashBytes", r.sizes().sampleFlashBytes());
            j.put("frozenFlashBytes", r.sizes().frozenFlashBytes());
            j.put("paramFlashBytes", r.sizes().paramFlashBytes());
            j.put("arenaBytes", r.sizes().arenaBytes());
            j.put("trainedSramBytes", r.sizes().trainedSramBytes());
            j.put("trainedSliceBytes", r.sizes().trainedSliceBytes());
            j.put("instructionsPerStep", new Json.Raw(String.format(Locale.ROOT, "%.1f", r.instructionsPerStep())));
            j.put("instructionsByStep", Arrays.stream(r.stepInstructions()).boxed().toList());
            j.put("instructionsPerInference", r.inferenceInstructions());
            j.put("hostBackend", r.hostBackend());
            j.put("seconds", r.time().laps);
            j.put("project", kept == null ? null : kept.toString());
            o.println(Json.value(j));
        } else {
            o.printf(Locale.ROOT, "%s on %s (%s, QEMU %s), %d steps%n", r.what(), r.board().label(),
                    r.board().target().label(), r.board().qemuMachine(), r.steps());
            o.printf(Locale.ROOT, "  step  loss on the MCU          loss on the host (%s)%n", r.hostBackend());
            float[] ml = m.losses();
            float[] hl = h.losses();
            for (int i = 0; i < Math.max(ml.length, hl.length); i++) {
                o.printf(Locale.ROOT, "  %4d  %s  %s  %s%n", i, loss(ml, i), loss(hl, i),
                        i < ml.length && i < hl.length && Float.floatToRawIntBits(ml[i]) == Float.floatToRawIntBits(hl[i])
                                ? "same bits" : "DIFFERENT");
            }
            o.printf(Locale.ROOT, "  checksum of the trained parameters: MCU %s, host %s%n",
                    ParameterChecksum.hex(m.checksum()), ParameterChecksum.hex(h.checksum()));
            o.printf(Locale.ROOT, "  logits after training: MCU %s, host %s%n", Arrays.toString(m.logits()),
                    Arrays.toString(h.logits()));
            o.printf(Locale.ROOT, "  bit-exact (losses, checksum, logits): %s%n", r.bitExact() ? "yes" : "NO");
            ElfSizes e = r.elf();
            o.printf(Locale.ROOT, "  SRAM   %,9d B = .data %,d + .bss %,d (from the ELF) + stack peak %,d (painted) + heap %,d%n",
                    r.sramBytes(), e.dataBytes(), e.bssBytes(), r.mcu().stackPeakBytes(), r.mcu().heapBytes());
            o.printf(Locale.ROOT, "         linked: %,d B with the %,d B stack reserve, of the %,d B budget%n",
                    e.ramLinkedBytes(), e.stackBytes(), e.ramBudgetBytes());
            o.printf(Locale.ROOT, "  flash  %,9d B of %,d B (code and constants %,d, .data image %,d; embedded samples %,d)%n",
                    e.flashBytes(), e.flashBudgetBytes(), e.flashBytes() - e.dataBytes(), e.dataBytes(),
                    r.sizes().sampleFlashBytes());
            o.printf(Locale.ROOT, "  stack  %,9d B peak of %,d B reserved%n", r.mcu().stackPeakBytes(), e.stackBytes());
            o.printf(Locale.ROOT, "  instructions per training step %,.0f (mean of %s), per inference %,d%n",
                    r.instructionsPerStep(), Arrays.toString(r.stepInstructions()), r.inferenceInstructions());
            o.printf(Locale.ROOT, "  seconds: %s%n", r.time().laps.toString().replace("=", " ").replace("{", "")
                    .replace("}", ""));
            if (kept != null) {
                o.printf("  project and build: %s%n", kept);
            }
        }
        o.flush();
    }

    private static String loss(float[] l, int i) {
        return i < l.length ? String.format(Locale.ROOT, "%-12s %08x", Float.toString(l[i]), Float.floatToRawIntBits(l[i]))
                : String.format(Locale.ROOT, "%-21s", "-");
    }

    private static List<Object> floats(float[] v) {
        List<Object> l = new ArrayList<>();
        for (float f : v) {
            l.add(Float.isFinite(f) ? (Object) f : (Object) Float.toString(f));
        }
        return l;
    }

    private static List<String> bits(float[] v) {
        List<String> l = new ArrayList<>();
        for (float f : v) {
            l.add(String.format(Locale.ROOT, "%08x", Float.floatToRawIntBits(f)));
        }
        return l;
    }

    private static List<Integer> bytes(byte[] v) {
        List<Integer> l = new ArrayList<>();
        if (v != null) {
            for (byte x : v) {
                l.add((int) x);
            }
        }
        return l;
    }

    // ---- arguments -------------------------------------------------------------------------------

    private Board board() {
        Board b;
        try {
            b = Board.parse(board);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--board: " + e.getMessage());
        }
        if (b.qemuMachine() == null) {
            throw new ParameterException(spec.commandLine(), "--board " + b.label() + ": QEMU does not emulate it; "
                    + "mcu run needs qemu-m3, qemu-m4 or qemu-m7 (tinytrain codegen builds for other boards)");
        }
        return b;
    }

    private long size(String option, String value) {
        try {
            return Budget.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), option + ": " + e.getMessage());
        }
    }

    private int datasetClasses() {
        if (!dataset.startsWith("synthetic:")) {
            throw new ParameterException(spec.commandLine(), "--dataset '" + dataset + "': the firmware embeds "
                    + "synthetic:<classes> samples only, for now");
        }
        try {
            int k = Integer.parseInt(dataset.substring("synthetic:".length()));
            if (k < 2) {
                throw new ParameterException(spec.commandLine(), "synthetic:<classes> needs at least 2 classes");
            }
            return k;
        } catch (NumberFormatException e) {
            throw new ParameterException(spec.commandLine(), "synthetic:<classes> needs a whole number, got '"
                    + dataset + "'");
        }
    }

    private SparseScheme scheme(int convs) {
        try {
            return SparseScheme.resolve(scheme, convs);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--scheme: " + e.getMessage());
        }
    }

    private void progress(String format, Object... args) {
        err.println("tinytrain mcu: " + String.format(Locale.ROOT, format, args));
        err.flush();
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
