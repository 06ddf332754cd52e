package dev.tinytrain.codegen;

import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.Sample;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Value;
import dev.tinytrain.plan.Budget;
import dev.tinytrain.plan.MemoryReport;
import dev.tinytrain.runtime.MemoryPlan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The last pass of the compiler: writes a compiled, planned training program as a self-contained
 * C project for a target. The project holds the parameters (frozen ones {@code const}, in flash;
 * trained ones and their optimizer state in SRAM), one static arena laid out exactly as the
 * memory plan says, {@code tt_model_forward} and {@code tt_model_train_step} calling the same
 * {@code tt_} kernels with the same parameters in the same order as {@code TrainingSession} (so
 * the results are the same bits), a copy of the kernel library, a test driver that trains on
 * embedded samples, and a CMake build.
 *
 * <pre>
 *   DIR/CMakeLists.txt            static kernel library, static model library, the driver tt_train
 *   DIR/cmake/arm-none-eabi.cmake the cross toolchain (Arm targets)
 *   DIR/model.h, model.c          API, arena, prepared calls
 *   DIR/model_weights.h, .c       parameters and optimizer state
 *   DIR/samples.h, samples.c      embedded samples
 *   DIR/main.c                    the driver
 *   DIR/kernels/include, src      the kernel library
 * </pre>
 * A firmware project ({@link Firmware}) has the firmware driver as {@code main.c}, a CMake build that
 * links {@code tt_train.elf} with the board's linker script, and the kernel library's
 * {@code boards/}, {@code cmake/} and {@code qemu-plugin/} under {@code kernels/} instead of
 * {@code cmake/arm-none-eabi.cmake}.
 */
public final class CodeGenerator {

    /** Marks a folder this generator wrote, which it may overwrite. */
    public static final String MARKER = ".tinytrain-codegen";

    /**
     * @param target      what the project is built for
     * @param budgetBytes SRAM budget (arena, trained parameters and optimizer state), or -1 for none
     * @param samples     samples to embed for the driver (images in the model's input layout), or null for none
     * @param steps       training steps the driver runs (cycling through the samples); 0 with no samples
     * @param firmware    a firmware for a board instead of the portable driver, or null
     * @param splitPartial keep each partially trained conv weight split: its trained input channels in SRAM,
     *                    the whole tensor in flash, assembled in planned arena scratch before each op that
     *                    reads it ({@link SplitWeights}); the plan must come from {@link #plan}
     */
    public record Options(Target target, long budgetBytes, Dataset samples, int steps, Firmware firmware,
                          boolean splitPartial) {
        public Options {
            Objects.requireNonNull(target, "target");
            if (steps < 0) {
                throw new IllegalArgumentException("steps must be >= 0, got " + steps);
            }
            if (samples == null && steps > 0) {
                throw new IllegalArgumentException("the driver needs samples to run " + steps + " steps");
            }
            if (firmware != null && firmware.board().target() != target) {
                throw new IllegalArgumentException("board " + firmware.board().label() + " carries a "
                        + firmware.board().target().label() + ", not the target " + target.label());
            }
            if (firmware != null && samples == null) {
                throw new IllegalArgumentException("a firmware needs samples to train on");
            }
        }

        /** The portable driver (no firmware), partially trained tensors whole in SRAM. */
        public Options(Target target, long budgetBytes, Dataset samples, int steps) {
            this(target, budgetBytes, samples, steps, null, false);
        }

        /** These options with partially trained conv weights split (or whole). */
        public Options withSplitPartial(boolean split) {
            return new Options(target, budgetBytes, samples, steps, firmware, split);
        }

        /** These options building a firmware for a board. */
        public Options withFirmware(Firmware fw) {
            return new Options(target, budgetBytes, samples, steps, fw, splitPartial);
        }

        /** Host target, no budget, the driver trains once over every sample. */
        public static Options host(Dataset samples) {
            return new Options(Target.HOST, -1, samples, samples == null ? 0 : samples.size());
        }
    }

    /**
     * A firmware for a board instead of the portable driver: the project also carries the kernel
     * library's board support (startup, semihosting console and exit, linker scripts), its
     * Cortex-M toolchain files and the ttcount QEMU plugin's source, and links {@code tt_train.elf}
     * against the board's linker script with these budgets, so that a firmware that does not fit
     * fails to link. Its driver ({@code main.c}) wraps every training step and one inference in
     * {@code tt_count_begin}/{@code tt_count_end} and reports the painted stack peak.
     *
     * @param board            the board (and through it the core)
     * @param ramBudgetBytes   SRAM the firmware may use: the reserved stack, .data and .bss
     * @param flashBudgetBytes flash the firmware may use: code, constants and the .data image
     * @param stackBytes       stack the linker reserves at the bottom of SRAM
     */
    public record Firmware(Board board, long ramBudgetBytes, long flashBudgetBytes, long stackBytes) {
        public Firmware {
            Objects.requireNonNull(board, "board");
            if (ramBudgetBytes <= 0 || flashBudgetBytes <= 0) {
                throw new IllegalArgumentException("budgets must be > 0, got SRAM " + ramBudgetBytes + " B, flash "
                        + flashBudgetBytes + " B");
            }
            if (stackBytes < 256 || stackBytes % 8 != 0) {
                throw new IllegalArgumentException("the stack must be a multiple of 8 bytes and at least 256 B, got "
                        + stackBytes);
            }
        }
    }

    /**
     * Bytes of what the generated arrays take.
     *
     * @param arenaBytes        the static arena (SRAM)
     * @param trainedSramBytes  trained weights and biases (SRAM, plus their initial values in flash): whole tensors,
     *                          or only the trained slice of a split one
     * @param trainedSliceBytes the planner's count of the same: only the trained channel slices
     * @param stateSramBytes    momentum and float master buffers (SRAM)
     * @param frozenFlashBytes  frozen weights and biases, and the whole copy of each split tensor (flash)
     * @param paramFlashBytes   prepared kernel parameters: multipliers, shifts, scales, channel lists, structs (flash)
     * @param sampleFlashBytes  embedded samples (flash)
     */
    public record Sizes(long arenaBytes, long trainedSramBytes, long trainedSliceBytes, long stateSramBytes,
                        long frozenFlashBytes, long paramFlashBytes, long sampleFlashBytes) {

        /** Arena, trained parameters and optimizer state. */
        public long sramBytes() {
            return arenaBytes + trainedSramBytes + stateSramBytes;
        }
    }

    /**
     * The memory plan {@link #generate} needs for these options: the program's plan
     * ({@link MemoryPlan#of}), plus, with {@link Options#splitPartial()}, scratch at every op that reads a
     * split tensor to assemble it in.
     */
    public static MemoryPlan plan(TrainingProgram program, Options options) {
        if (!options.splitPartial()) {
            return MemoryPlan.of(program);
        }
        return MemoryPlan.planned(program.graph(), program.options().inPlace(),
                SplitWeights.of(program.graph()).extraScratch());
    }

    /**
     * How firmware would keep the trained parameters: {@code split} (trained slices in SRAM, the
     * arena with assembly scratch) or whole tensors (plain arena), with the planned SRAM of each.
     */
    public record Layout(boolean split, long arenaBytes, long trainedBytes, long otherArenaBytes,
                         long otherTrainedBytes) {
        /** Arena plus trained parameters (with optimizer state) of the chosen layout. */
        public long sramBytes() {
            return arenaBytes + trainedBytes;
        }

        /** The same for the other layout. */
        public long otherSramBytes() {
            return otherArenaBytes + otherTrainedBytes;
        }
    }

    /**
     * The layout of the two that needs less SRAM. Splitting saves a partial layer's frozen channels
     * but needs arena scratch to assemble the tensor before each op that reads it; when most of
     * a layer trains, keeping it whole is smaller. Ties keep tensors whole.
     */
    public static Layout smallerLayout(TrainingProgram program) {
        MemoryPlan whole = MemoryPlan.of(program);
        MemoryPlan split = MemoryPlan.planned(program.graph(), program.options().inPlace(),
                SplitWeights.of(program.graph()).extraScratch());
        MemoryReport r = MemoryReport.of(program, whole);
        long wholeSram = whole.arenaBytes() + r.trainedTensorsBytes();
        long splitSram = split.arenaBytes() + r.trainableSramBytes();
        return splitSram < wholeSram
                ? new Layout(true, split.arenaBytes(), r.trainableSramBytes(), whole.arenaBytes(), r.trainedTensorsBytes())
                : new Layout(false, whole.arenaBytes(), r.trainedTensorsBytes(), split.arenaBytes(),
                r.trainableSramBytes());
    }

    /** A written project: its folder, the files written (relative paths), and the sizes. */
    public record Project(Path dir, List<String> files, Sizes sizes) {
    }

    private CodeGenerator() {
    }

    /**
     * Generates the project into {@code dir} (created; an existing folder must be empty or one this
     * generator wrote).
     *
     * @throws CodegenException            for an op the kernel library cannot run yet, a plan that does not
     *                                     belong to the program, samples of the wrong shape, a folder that
     *                                     is not ours
     * @throws CodegenException.OverBudget when the program needs more SRAM than {@code options.budgetBytes()}
     */
    public static Project generate(TrainingProgram program, MemoryPlan plan, Options options, KernelSources kernels,
                                   Path dir) {
        Objects.requireNonNull(program, "program");
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(kernels, "kernels");
        SplitWeights splits = options.splitPartial() ? SplitWeights.of(program.graph()) : SplitWeights.none();
        Symbols symbols = new Symbols(program, plan, splits);
        checkSamples(program, options);
        CWriter run = new CWriter();
        run.function("static tt_status tt_run(int train, float lr)");
        run.line("(void)train;");
        run.line("(void)lr;");
        KernelCalls calls = new KernelCalls(program, plan, symbols, kernels, run);
        calls.lowerAll();
        for (Value v : symbols.trained()) {
            if (splits.isSplit(v)) {
                calls.splitChannels(v);   // declared before the checksum reads them
            }
        }
        run.line("return TT_OK;");
        run.close();
        for (String k : calls.kernels()) {
            if (!kernels.declares(k)) {
                throw new CodegenException("the kernel sources do not declare " + k + ", which the program calls: "
                        + "they are older than this generator");
            }
        }
        Sizes sizes = sizes(program, plan, symbols, calls, options);
        checkBudget(program, plan, options, sizes);

        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("model.h", utf8(modelHeader(program, plan, sizes)));
        files.put("model.c", utf8(modelSource(program, plan, symbols, calls, run)));
        files.put("model_weights.h", utf8(weightsHeader(program, symbols)));
        files.put("model_weights.c", utf8(weightsSource(program, symbols)));
        files.put("samples.h", utf8(samplesHeader(program, options)));
        files.put("samples.c", utf8(samplesSource(program, options)));
        Firmware fw = options.firmware();
        if (fw == null) {
            files.put("main.c", utf8(driver()));
            files.put("CMakeLists.txt", utf8(Template.render("CMakeLists.txt", Map.of(
                    "MODEL", what(program), "TARGET", options.target().label(),
                    "TOOLCHAIN", options.target().arm() ? String.join("\n",
                            "# Cross toolchain unless the command line names another.",
                            "if(NOT CMAKE_TOOLCHAIN_FILE)",
                            "    set(CMAKE_TOOLCHAIN_FILE \"${CMAKE_CURRENT_SOURCE_DIR}/cmake/arm-none-eabi.cmake\")",
                            "endif()") : "# Host build: the default C compiler."))));
            if (options.target().arm()) {
                files.put("cmake/arm-none-eabi.cmake", utf8(Template.render("arm-none-eabi.cmake", Map.of(
                        "TARGET", options.target().label(), "CPU_FLAGS", String.join(" ", options.target().cpuFlags())))));
            }
        } else {
            kernels.requireBoardSupport(fw.board());
            files.put("main.c", utf8(FirmwareDriver.source()));
            files.put("CMakeLists.txt", utf8(Template.render("CMakeLists-firmware.txt", Map.of(
                    "MODEL", what(program), "TARGET", options.target().label(), "BOARD", fw.board().boardName(),
                    "TOOLCHAIN", fw.board().toolchainFile(), "RAM_BUDGET", Long.toString(fw.ramBudgetBytes()),
                    "FLASH_BUDGET", Long.toString(fw.flashBudgetBytes()), "STACK_SIZE",
                    Long.toString(fw.stackBytes())))));
        }
        files.put("README.md", utf8(readme(program, options, sizes)));
        for (Map.Entry<String, byte[]> e : kernels.files().entrySet()) {
            if (fw != null || KernelSources.isLibraryFile(e.getKey())) {
                files.put("kernels/" + e.getKey(), e.getValue());
            }
        }
        files.put(MARKER, utf8("tinytrain codegen: " + what(program) + ", target " + options.target().label()
                + (fw == null ? "" : ", firmware for " + fw.board().label())
                + "\nThis folder is generated; tinytrain codegen overwrites it.\n"));
        write(dir, files);
        return new Project(dir, List.copyOf(files.keySet()), sizes);
    }

    // ---- checks --------------------------------------------------------------------------------

    private static void checkSamples(TrainingProgram program, Options options) {
        Dataset d = options.samples();
        if (d == null) {
            return;
        }
        if (d.size() < 1) {
            throw new CodegenException("dataset " + d.name() + " has no samples to embed");
        }
        long imageBytes = program.image().byteSize();
        for (int i = 0; i < d.size(); i++) {
            Sample s = d.get(i);
            if (s.image().length != imageBytes) {
                throw new CodegenException("sample " + i + " of " + d.name() + " has " + s.image().length
                        + " bytes; the model's input " + Arrays.toString(program.image().shape()) + " needs "
                        + imageBytes);
            }
            if (s.label() < 0 || s.label() >= program.classes()) {
                throw new CodegenException("sample " + i + " of " + d.name() + " has label " + s.label()
                        + "; the model has " + program.classes() + " classes");
            }
        }
    }

    private static void checkBudget(TrainingProgram program, MemoryPlan plan, Options options, Sizes sizes) {
        long budget = options.budgetBytes();
        if (budget < 0) {
            return;
        }
        try {
            Budget.check(MemoryReport.of(program, plan), budget, what(program));
        } catch (Budget.ExceededException e) {
            throw new CodegenException.OverBudget(e.getMessage(), e.needed(), e.available());
        }
        if (sizes.sramBytes() > budget) {
            throw new CodegenException.OverBudget(String.format(Locale.ROOT, "%s does not fit the budget as generated:"
                            + " it needs %,d B of SRAM, %,d B are available, %,d B too many.%n  arena %,d B, trained "
                            + "parameters %,d B (%s; the plan counts only their trained slices, %,d B), "
                            + "optimizer state %,d B",
                    what(program), sizes.sramBytes(), budget, sizes.sramBytes() - budget, sizes.arenaBytes(),
                    sizes.trainedSramBytes(), options.splitPartial() ? "partially trained convs split, depthwise ones "
                            + "whole" : "whole tensors, see the split option", sizes.trainedSliceBytes(),
                    sizes.stateSramBytes()),
                    sizes.sramBytes(), budget);
        }
    }

    private static Sizes sizes(TrainingProgram program, MemoryPlan plan, Symbols symbols, KernelCalls calls,
                               Options options) {
        long trained = 0;
        long slices = 0;
        long state = 0;
        for (Value v : symbols.trained()) {
            trained += symbols.splits().isSplit(v) ? symbols.splits().split(v).sliceBytes() : v.byteSize();
            Symbols.State s = symbols.state(v);
            slices += s.elements() * (v.dtype() == dev.tinytrain.tensor.DType.INT8 ? 1 : 4);
            state += 4 * s.elements() * ((s.velocity() == null ? 0 : 1) + (s.master() == null ? 0 : 1));
        }
        long frozen = 0;
        for (Value v : symbols.constants()) {
            if (!symbols.isTrained(v) || symbols.splits().isSplit(v)) {
                frozen += v.byteSize();      // (a split tensor's whole copy is in flash)
            }
        }
        Dataset d = options.samples();
        long samples = d == null ? 0 : d.size() * (program.image().byteSize() + 4);
        return new Sizes(plan.arenaBytes(), trained, slices, state, frozen, calls.paramBytes(), samples);
    }

    /** {@code mcunet-5fps 32x32x3, scheme mcunet-49kb}. */
    static String what(TrainingProgram program) {
        int[] s = program.image().shape();
        String shape = s.length == 4 ? s[1] + "x" + s[2] + "x" + s[3] : Arrays.toString(s);
        return program.graph().name() + " " + shape + ", scheme " + program.scheme().name();
    }

    // ---- model.h -------------------------------------------------------------------------------

    private static String modelHeader(TrainingProgram program, MemoryPlan plan, Sizes sizes) {
        CWriter w = new CWriter();
        w.blockComment("Generated by tinytrain codegen: " + what(program) + ". Do not edit.",
                "",
                "The training program on one static arena: tt_model_train_step runs the forward pass, the loss and",
                "the sparse backward pass with its in-place updates on one image; tt_model_forward runs inference.",
                "The trained parameters and the step counter live in the model (one instance per program).",
                "Not thread-safe.");
        w.line("#ifndef TT_MODEL_H").line("#define TT_MODEL_H").blank();
        w.line("#include <stdint.h>").blank();
        w.line("#include \"tinytrain.h\"").blank();
        w.line("#ifdef __cplusplus").line("extern \"C\" {").line("#endif").blank();
        w.line("#define TT_MODEL_NAME " + CWriter.stringLiteral(program.graph().name()));
        w.line("#define TT_MODEL_SCHEME " + CWriter.stringLiteral(program.scheme().name()));
        w.comment("bytes of one int8 input image, NHWC " + Arrays.toString(program.image().shape()));
        w.line("#define TT_MODEL_IMAGE_BYTES " + program.image().byteSize() + "u");
        w.comment("number of classes (int8 logits, labels 0 .. TT_MODEL_CLASSES - 1)");
        w.line("#define TT_MODEL_CLASSES " + program.classes());
        w.comment("the compiled learning rate (with QAS in real-weight units), bits as in the host's TrainConfig");
        w.line("#define TT_MODEL_LR " + CWriter.floatLiteral(program.config().lr()));
        w.comment("SRAM of the arena (" + plan.strategy() + "), the trained parameters and the optimizer state");
        w.line("#define TT_MODEL_ARENA_BYTES " + plan.arenaBytes() + "u");
        w.line("#define TT_MODEL_TRAINED_BYTES " + sizes.trainedSramBytes() + "u");
        w.line("#define TT_MODEL_STATE_BYTES " + sizes.stateSramBytes() + "u");
        w.blank();
        w.blockComment("Inference on one image: logits gets TT_MODEL_CLASSES int8 values.",
                "Returns TT_OK, TT_ARG_ERROR for a NULL pointer, or the status of a failing kernel.");
        w.line("tt_status tt_model_forward(const int8_t *image, int8_t *logits);").blank();
        w.blockComment("One SGD step on one image (batch 1) with this learning rate (TT_MODEL_LR is the compiled one);",
                "returns the loss before the update, or NaN when the step failed (tt_model_status says why).");
        w.line("float tt_model_train_step(const int8_t *image, int32_t label, float lr);").blank();
        w.comment("Training steps completed (the stochastic rounding's step counter).");
        w.line("uint32_t tt_model_steps(void);").blank();
        w.comment("Status of the last call: TT_OK, or why it failed.");
        w.line("tt_status tt_model_status(void);").blank();
        w.comment("Schedule position of the op whose kernel failed in the last call (see model.c), or -1.");
        w.line("int32_t tt_model_failed_op(void);").blank();
        w.blockComment("FNV-1a 64 over the trained parameters sorted by name: each one's name (UTF-8), then its",
                "data (int8 weights as bytes, int32 biases as 4 little-endian bytes). The host computes the same",
                "(dev.tinytrain.codegen.ParameterChecksum).");
        w.line("uint64_t tt_model_checksum(void);").blank();
        w.line("#ifdef __cplusplus").line("}").line("#endif").blank();
        w.line("#endif /* TT_MODEL_H */");
        return w.toString();
    }

    // ---- model.c -------------------------------------------------------------------------------

    private static String modelSource(TrainingProgram program, MemoryPlan plan, Symbols symbols, KernelCalls calls,
                                      CWriter run) {
        boolean updates = !symbols.trained().isEmpty();
        CWriter w = new CWriter();
        w.blockComment("Generated by tinytrain codegen: " + what(program) + ". Do not edit.",
                "",
                "Every non-parameter value (activations, saved channels, 1-bit masks, float32 gradients, the",
                "image, the label, the loss) lives in tt_arena at the offset the memory plan gives it",
                "(placement: " + plan.strategy() + ").",
                "Kernel parameters are prepared at generation time, exactly as the host runtime prepares them.",
                "Ops are numbered by schedule position; tt_model_failed_op() names one of these numbers.");
        w.line("#include <float.h>").line("#include <math.h>").line("#include <stddef.h>").line("#include <string.h>")
                .blank();
        w.line("#include \"model.h\"").line("#include \"model_weights.h\"").blank();
        w.line("#if defined(__GNUC__) || defined(__clang__)");
        w.line("#define TT_ALIGNED(n) __attribute__((aligned(n)))");
        w.line("#else");
        w.line("#define TT_ALIGNED(n)");
        w.line("#endif").blank();
        w.comment("A value at a planned byte offset of the arena (offsets are multiples of 16).");
        w.line("#define TT_AT(type, offset) ((type *)(void *)(tt_arena + (offset)))").blank();
        w.comment("Runs one kernel; a status other than TT_OK ends the pass, naming the op.");
        w.line("#define TT_CHECK(op, call) \\");
        w.line("    do { \\");
        w.line("        const tt_status tt_s_ = (call); \\");
        w.line("        if (tt_s_ != TT_OK) { \\");
        w.line("            return tt_fail((op), tt_s_); \\");
        w.line("        } \\");
        w.line("    } while (0)").blank();
        w.line("static uint8_t tt_arena[TT_MODEL_ARENA_BYTES == 0 ? 1 : TT_MODEL_ARENA_BYTES] TT_ALIGNED(16);");
        w.line("static uint32_t tt_step;");
        w.line("static int tt_ready;");
        w.line("static tt_status tt_last_status = TT_OK;");
        w.line("static int32_t tt_last_op = -1;").blank();
        w.line("static const tt_context tt_no_scratch = {NULL, 0};").blank();
        if (updates) {
            w.comment("The SGD parameters of one update: the compiled rule, this step, this tensor.");
            w.line("static tt_sgd_params tt_sgd;").blank();
            w.function("static const tt_sgd_params *tt_sgd_at(float lr, uint32_t tensor_id)");
            w.line("tt_sgd.lr = lr;");
            w.line("tt_sgd.momentum = " + CWriter.floatLiteral(program.config().momentum()) + ";");
            w.line("tt_sgd.rounding = " + roundingName(program) + ";");
            w.line("tt_sgd.seed = " + CWriter.uintLiteral(program.config().seed()) + ";");
            w.line("tt_sgd.step = tt_step;");
            w.line("tt_sgd.tensor_id = tensor_id;");
            w.line("return &tt_sgd;");
            w.close().blank();
        }
        w.comment("---- shapes ----");
        CWriter dims = new CWriter();
        calls.writeDims(dims);
        String d = dims.toString();
        String p = calls.declarations().toString();
        StringBuilder out = new StringBuilder(w.toString()).append(d).append('\n');
        out.append("/* ---- prepared kernel parameters ---- */\n").append(p).append('\n');

        CWriter f = new CWriter();
        if (symbols.trained().stream().anyMatch(symbols.splits()::isSplit)) {
            f.blockComment("A split weight tensor [rows][c], assembled where an op reads it: the whole tensor's flash",
                    "copy, then its n trained channels (strictly increasing) from the SRAM slice [rows][n].");
            f.function("static void tt_assemble_s8(int8_t *dst, const int8_t *frozen, const int8_t *trained, "
                    + "uint32_t rows, uint32_t c, uint32_t n, const int32_t *channels)");
            f.line("uint32_t r;");
            f.line("uint32_t j;");
            f.line("memcpy(dst, frozen, rows * c);");
            f.open("for (r = 0; r < rows; ++r)");
            f.open("for (j = 0; j < n; ++j)");
            f.line("dst[r * c + (uint32_t)channels[j]] = trained[r * n + j];");
            f.close();
            f.close();
            f.close().blank();
        }
        f.function("static tt_status tt_fail(int32_t op, tt_status status)");
        f.line("tt_last_op = op;");
        f.line("tt_last_status = status;");
        f.line("return status;");
        f.close().blank();
        f.comment("The schedule: every op in order; train = 0 runs only the inference ops.");
        out.append(f).append(run).append('\n');

        CWriter g = new CWriter();
        g.comment("Sets the float master copies from the parameters, as a host session does when it opens.");
        g.function("static void tt_init(void)");
        if (calls.masterInit().isEmpty()) {
            g.comment("nothing to set: no float master copies");
        } else {
            g.line("uint32_t i;");
            for (String line : calls.masterInit()) {
                g.line(line);
            }
        }
        g.line("tt_ready = 1;");
        g.close().blank();

        Value image = program.image();
        Value logits = program.logits();
        g.function("tt_status tt_model_forward(const int8_t *image, int8_t *logits)");
        g.line("tt_last_op = -1;");
        g.open("if (image == NULL || logits == NULL)");
        g.line("tt_last_status = TT_ARG_ERROR;");
        g.line("return TT_ARG_ERROR;");
        g.close();
        g.open("if (!tt_ready)").line("tt_init();").close();
        g.line("memcpy(tt_arena + " + plan.offset(image) + ", image, TT_MODEL_IMAGE_BYTES);");
        g.line("tt_last_status = tt_run(0, 0.0f);");
        g.open("if (tt_last_status == TT_OK)");
        g.line("memcpy(logits, tt_arena + " + plan.offset(logits) + ", " + logits.byteSize() + "u);");
        g.close();
        g.line("return tt_last_status;");
        g.close().blank();

        g.function("float tt_model_train_step(const int8_t *image, int32_t label, float lr)");
        g.line("float loss;");
        g.line("tt_last_op = -1;");
        g.comment("no image, a label out of range, or a learning rate that is not finite and > 0");
        g.open("if (image == NULL || label < 0 || label >= TT_MODEL_CLASSES || !(lr > 0.0f) || !(lr <= FLT_MAX))");
        g.line("tt_last_status = TT_ARG_ERROR;");
        g.line("return NAN;");
        g.close();
        g.open("if (!tt_ready)").line("tt_init();").close();
        g.line("memcpy(tt_arena + " + plan.offset(image) + ", image, TT_MODEL_IMAGE_BYTES);");
        g.line("memcpy(tt_arena + " + plan.offset(program.label()) + ", &label, sizeof label);");
        g.line("tt_last_status = tt_run(1, lr);");
        g.open("if (tt_last_status != TT_OK)").line("return NAN;").close();
        g.line("tt_step++;");
        g.line("memcpy(&loss, tt_arena + " + plan.offset(program.loss()) + ", sizeof loss);");
        g.line("return loss;");
        g.close().blank();

        g.function("uint32_t tt_model_steps(void)").line("return tt_step;").close().blank();
        g.function("tt_status tt_model_status(void)").line("return tt_last_status;").close().blank();
        g.function("int32_t tt_model_failed_op(void)").line("return tt_last_op;").close().blank();
        checksum(g, symbols);
        out.append(g);
        return out.toString();
    }

    private static String roundingName(TrainingProgram program) {
        return switch (program.config().rounding()) {
            case STOCHASTIC -> "TT_ROUND_STOCHASTIC";
            case NEAREST -> "TT_ROUND_NEAREST";
            case TRUNCATE -> "TT_ROUND_TRUNCATE";
            case FLOAT_MASTER -> "TT_ROUND_FLOAT_MASTER";
        };
    }

    /** tt_model_checksum: the same bytes, in the same order, as {@link ParameterChecksum}. */
    private static void checksum(CWriter g, Symbols symbols) {
        boolean any = !symbols.trained().isEmpty();
        boolean biases = symbols.trained().stream().anyMatch(v -> v.dtype() == dev.tinytrain.tensor.DType.INT32);
        if (any) {
            g.function("static uint64_t tt_fnv1a(uint64_t h, const uint8_t *p, uint32_t n)");
            g.line("uint32_t i;");
            g.open("for (i = 0; i < n; ++i)");
            g.line("h = (h ^ p[i]) * UINT64_C(0x100000001b3);");
            g.close();
            g.line("return h;");
            g.close().blank();
        }
        if (biases) {
            g.function("static uint64_t tt_fnv1a_s32(uint64_t h, const int32_t *p, uint32_t n)");
            g.line("uint32_t i;");
            g.line("uint32_t k;");
            g.open("for (i = 0; i < n; ++i)");
            g.open("for (k = 0; k < 32; k += 8)");
            g.line("h = (h ^ (((uint32_t)p[i] >> k) & 0xffu)) * UINT64_C(0x100000001b3);");
            g.close();
            g.close();
            g.line("return h;");
            g.close().blank();
        }
        boolean split = symbols.trained().stream().anyMatch(symbols.splits()::isSplit);
        if (split) {
            g.comment("A split tensor's bytes in order: trained channels from the SRAM slice, the rest from flash.");
            g.function("static uint64_t tt_fnv1a_split(uint64_t h, const int8_t *frozen, const int8_t *trained, "
                    + "uint32_t rows, uint32_t c, uint32_t n, const int32_t *channels)");
            g.line("uint32_t r;");
            g.line("uint32_t ch;");
            g.open("for (r = 0; r < rows; ++r)");
            g.line("uint32_t j = 0;");
            g.open("for (ch = 0; ch < c; ++ch)");
            g.line("int8_t v = frozen[r * c + ch];");
            g.open("if (j < n && (uint32_t)channels[j] == ch)");
            g.line("v = trained[r * n + j];");
            g.line("++j;");
            g.close();
            g.line("h = (h ^ (uint8_t)v) * UINT64_C(0x100000001b3);");
            g.close();
            g.close();
            g.line("return h;");
            g.close().blank();
        }
        g.function("uint64_t tt_model_checksum(void)");
        g.line("uint64_t h = UINT64_C(0xcbf29ce484222325);");
        for (Value v : trainedInChecksumOrder(symbols)) {
            int nameBytes = v.name().getBytes(StandardCharsets.UTF_8).length;
            g.line("h = tt_fnv1a(h, (const uint8_t *)" + CWriter.stringLiteral(v.name()) + ", " + nameBytes + "u);");
            if (symbols.splits().isSplit(v)) {
                SplitWeights.Split sp = symbols.splits().split(v);
                g.statement("h = tt_fnv1a_split(", List.of("h", symbols.array(v), symbols.slice(v), sp.rows() + "u",
                        v.dims().c() + "u", sp.channels().length + "u", "tt_split_" + v.id() + "_channels"), ");");
            } else if (v.dtype() == dev.tinytrain.tensor.DType.INT8) {
                g.line("h = tt_fnv1a(h, (const uint8_t *)" + symbols.array(v) + ", " + v.elements() + "u);");
            } else {
                g.line("h = tt_fnv1a_s32(h, " + symbols.array(v) + ", " + v.elements() + "u);");
            }
        }
        g.line("return h;");
        g.close();
    }

    /** {@link ParameterChecksum}'s order: the trained parameters sorted by name (names are unique). */
    private static List<Value> trainedInChecksumOrder(Symbols symbols) {
        Map<String, Value> byName = new java.util.TreeMap<>();
        for (Value v : symbols.trained()) {
            Value before = byName.put(v.name(), v);
            if (before != null) {
                throw new CodegenException("two trained parameters are named " + v.name() + " (" + before.ref()
                        + ", " + v.ref() + "): the checksum needs unique names");
            }
        }
        return new ArrayList<>(byName.values());
    }

    // ---- model_weights.h/.c --------------------------------------------------------------------

    private static String weightsHeader(TrainingProgram program, Symbols symbols) {
        CWriter w = new CWriter();
        w.blockComment("Generated by tinytrain codegen: parameters of " + what(program) + ". Do not edit.");
        w.line("#ifndef TT_MODEL_WEIGHTS_H").line("#define TT_MODEL_WEIGHTS_H").blank();
        w.line("#include <stdint.h>").blank();
        for (Value v : symbols.constants()) {
            w.line("extern " + declaration(v, symbols) + ";");
            if (symbols.splits().isSplit(v)) {
                w.line("extern " + sliceDeclaration(v, symbols) + ";");
            }
        }
        for (Value v : symbols.trained()) {
            Symbols.State s = symbols.state(v);
            if (s.velocity() != null) {
                w.line("extern float " + s.velocity() + "[" + s.elements() + "];");
            }
            if (s.master() != null) {
                w.line("extern float " + s.master() + "[" + s.elements() + "];");
            }
        }
        w.blank().line("#endif /* TT_MODEL_WEIGHTS_H */");
        return w.toString();
    }

    private static String declaration(Value v, Symbols symbols) {
        String type = Symbols.ctype(v.dtype());
        boolean sram = symbols.isTrained(v) && !symbols.splits().isSplit(v);
        return (sram ? "" : "const ") + type + " " + symbols.array(v) + "[" + v.elements() + "]";
    }

    /** The SRAM slice of a split tensor: {@code int8_t tt_trained_<id>[rows * n]}. */
    private static String sliceDeclaration(Value v, Symbols symbols) {
        return "int8_t " + symbols.slice(v) + "[" + symbols.splits().split(v).sliceBytes() + "]";
    }

    private static String weightsSource(TrainingProgram program, Symbols symbols) {
        Graph g = program.graph();
        Map<Value, String> partial = partialLayers(g);
        CWriter w = new CWriter();
        w.blockComment("Generated by tinytrain codegen: parameters of " + what(program) + ". Do not edit.",
                "",
                "Frozen weights and biases are const (flash). Trained ones are writable (SRAM; their initial values",
                "also take flash): the whole tensor where only some input channels train (the update kernels change",
                "a weight tensor in place), unless it is split: then only its trained channels are in SRAM",
                "(tt_trained_<id>) and the whole tensor is in flash. Optimizer state covers the trained slice only.");
        w.line("#include \"model_weights.h\"");
        for (Value v : symbols.constants()) {
            w.blank();
            boolean split = symbols.splits().isSplit(v);
            String where = split ? "split: the whole tensor in flash, its trained input channels in SRAM ("
                    + symbols.slice(v) + ", [rows][" + symbols.splits().split(v).channels().length + "])"
                    : symbols.isTrained(v) ? "trained, SRAM" + partial.getOrDefault(v, "") : "frozen, flash";
            w.comment(v.ref() + " " + v.name() + " " + Symbols.ctype(v.dtype()) + Arrays.toString(v.shape())
                    .replace(" ", "") + ": " + where);
            if (v.dtype() == dev.tinytrain.tensor.DType.INT8) {
                w.array(declaration(v, symbols), g.int8(v));
            } else {
                w.array(declaration(v, symbols), g.int32(v));
            }
            if (split) {
                w.array(sliceDeclaration(v, symbols), slice(g.int8(v), symbols.splits().split(v)));
            }
        }
        for (Value v : symbols.trained()) {
            Symbols.State s = symbols.state(v);
            if (s.velocity() != null || s.master() != null) {
                w.blank().comment("optimizer state of " + v.name() + ", laid out like its trained slice");
            }
            if (s.velocity() != null) {
                w.line("float " + s.velocity() + "[" + s.elements() + "];");
            }
            if (s.master() != null) {
                w.line("float " + s.master() + "[" + s.elements() + "];");
            }
        }
        return w.toString();
    }

    /** The trained input channels of each row of a [rows][c] tensor: [rows][n]. */
    private static byte[] slice(byte[] whole, SplitWeights.Split sp) {
        int c = whole.length / Math.toIntExact(sp.rows());
        int[] ch = sp.channels();
        byte[] out = new byte[Math.toIntExact(sp.sliceBytes())];
        for (int r = 0; r < sp.rows(); r++) {
            for (int j = 0; j < ch.length; j++) {
                out[r * ch.length + j] = whole[r * c + ch[j]];
            }
        }
        return out;
    }

    /** ", 12 of 48 input channels train" for weights whose update covers only some channels. */
    private static Map<Value, String> partialLayers(Graph g) {
        Map<Value, String> m = new LinkedHashMap<>();
        for (Op op : g.ops()) {
            if (op instanceof TrainOp.WeightUpdate w) {
                int all = w.weight().dims().c();
                if (w.channels().length < all) {
                    m.put(w.weight(), " (" + w.channels().length + " of " + all + (w.depthwise() ? " channels" :
                            " input channels") + " train; the whole tensor is in SRAM)");
                }
            }
        }
        return m;
    }

    // ---- samples and the driver -----------------------------------------------------------------

    private static String samplesHeader(TrainingProgram program, Options options) {
        Dataset d = options.samples();
        CWriter w = new CWriter();
        w.blockComment("Generated by tinytrain codegen: training samples for the test driver. Do not edit.");
        w.line("#ifndef TT_SAMPLES_H").line("#define TT_SAMPLES_H").blank();
        w.line("#include <stdint.h>").blank();
        w.comment("samples embedded (" + (d == null ? "none" : d.name()) + ") and steps the driver trains");
        w.line("#define TT_SAMPLE_COUNT " + (d == null ? 0 : d.size()) + "u");
        w.line("#define TT_DRIVER_STEPS " + options.steps() + "u").blank();
        if (d != null) {
            w.comment("sample k is tt_sample_images[k * TT_MODEL_IMAGE_BYTES ...], int8 NHWC "
                    + Arrays.toString(program.image().shape()));
            w.line("extern const int8_t tt_sample_images[" + d.size() * program.image().byteSize() + "];");
            w.line("extern const int32_t tt_sample_labels[" + d.size() + "];").blank();
        }
        w.line("#endif /* TT_SAMPLES_H */");
        return w.toString();
    }

    private static String samplesSource(TrainingProgram program, Options options) {
        Dataset d = options.samples();
        CWriter w = new CWriter();
        w.blockComment("Generated by tinytrain codegen: training samples for the test driver. Do not edit.");
        w.line("#include \"samples.h\"");
        if (d == null) {
            w.comment("no samples: the driver only prints the model's sizes");
            w.line("typedef int tt_samples_none;");
            return w.toString();
        }
        int bytes = Math.toIntExact(program.image().byteSize());
        byte[] images = new byte[Math.multiplyExact(bytes, d.size())];
        int[] labels = new int[d.size()];
        for (int i = 0; i < d.size(); i++) {
            Sample s = d.get(i);
            System.arraycopy(s.image(), 0, images, i * bytes, bytes);
            labels[i] = s.label();
        }
        w.blank();
        w.array("const int8_t tt_sample_images[" + images.length + "]", images);
        w.blank();
        w.array("const int32_t tt_sample_labels[" + labels.length + "]", labels);
        return w.toString();
    }

    /** main.c: portable C; output through stdio in a line format the host parses. */
    private static String driver() {
        CWriter w = new CWriter();
        w.blockComment("Generated by tinytrain codegen: the test driver. Do not edit.",
                "",
                "Trains TT_DRIVER_STEPS steps over the embedded samples and prints, one item per line:",
                "  model <name> <scheme>",
                "  step <i> loss <float32 bits, 8 hex digits>",
                "  checksum <FNV-1a 64 of the trained parameters, 16 hex digits>",
                "  logits <int8 logits of sample 0, after training>",
                "  done",
                "or \"error step <i> op <schedule position> status <tt_status>\" and exit status 1.");
        w.line("#include <stdio.h>").line("#include <string.h>").blank();
        w.line("#include \"model.h\"").line("#include \"samples.h\"").blank();
        w.function("int main(void)");
        w.line("uint32_t i = 0;");
        w.line("(void)i;");
        w.line("printf(\"model %s %s\\n\", TT_MODEL_NAME, TT_MODEL_SCHEME);");
        w.line("printf(\"arena %lu\\n\", (unsigned long)TT_MODEL_ARENA_BYTES);");
        w.line("#if TT_SAMPLE_COUNT > 0 && TT_DRIVER_STEPS > 0");
        w.open("for (i = 0; i < TT_DRIVER_STEPS; ++i)");
        w.line("const uint32_t k = i % TT_SAMPLE_COUNT;");
        w.statement("const float loss = tt_model_train_step(", List.of("tt_sample_images + k * TT_MODEL_IMAGE_BYTES",
                "tt_sample_labels[k]", "TT_MODEL_LR"), ");");
        w.line("uint32_t bits;");
        w.open("if (tt_model_status() != TT_OK)");
        w.statement("printf(", List.of("\"error step %lu op %ld status %d\\n\"", "(unsigned long)i",
                "(long)tt_model_failed_op()", "(int)tt_model_status()"), ");");
        w.line("return 1;");
        w.close();
        w.line("memcpy(&bits, &loss, sizeof bits);");
        w.line("printf(\"step %lu loss %08lx\\n\", (unsigned long)i, (unsigned long)bits);");
        w.close();
        w.line("#endif");
        w.open("");
        w.line("const uint64_t h = tt_model_checksum();");
        w.comment("two 32-bit halves: newlib-nano's printf has no long long");
        w.statement("printf(", List.of("\"checksum %08lx%08lx\\n\"", "(unsigned long)(h >> 32)",
                "(unsigned long)(h & 0xffffffffu)"), ");");
        w.close();
        w.line("#if TT_SAMPLE_COUNT > 0");
        w.open("");
        w.line("int8_t logits[TT_MODEL_CLASSES];");
        w.line("int c;");
        w.open("if (tt_model_forward(tt_sample_images, logits) != TT_OK)");
        w.statement("printf(", List.of("\"error forward op %ld status %d\\n\"", "(long)tt_model_failed_op()",
                "(int)tt_model_status()"), ");");
        w.line("return 1;");
        w.close();
        w.line("printf(\"logits\");");
        w.open("for (c = 0; c < TT_MODEL_CLASSES; ++c)");
        w.line("printf(\" %d\", (int)logits[c]);");
        w.close();
        w.line("printf(\"\\n\");");
        w.close();
        w.line("#endif");
        w.line("printf(\"done\\n\");");
        w.line("return 0;");
        w.close();
        return w.toString();
    }

    private static String readme(TrainingProgram program, Options options, Sizes sizes) {
        Firmware fw = options.firmware();
        String build;
        if (fw != null) {
            build = "cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build   # build/tt_train.elf\n"
                    + (fw.board().qemuMachine() == null ? "# then flash build/tt_train.elf (semihosting needs a debugger)"
                    : "qemu-system-arm -M " + fw.board().qemuMachine() + " -nographic -monitor none -serial none "
                    + "-semihosting-config enable=on,target=native -kernel build/tt_train.elf\n"
                    + "# instruction counts: cc -std=c11 -O2 -shared -fPIC -o ttcount.so kernels/qemu-plugin/ttcount.c\n"
                    + "# then add -plugin ./ttcount.so to the qemu-system-arm command");
        } else if (options.target().arm()) {
            build = "cmake -S . -B build -DTT_LINKER_SCRIPT=/path/to/board.ld && cmake --build build\n"
                    + "# then run build/tt_train on the board or in an emulator with semihosting";
        } else {
            build = "cmake -S . -B build && cmake --build build && ./build/tt_train";
        }
        Dataset d = options.samples();
        Map<String, String> v = new java.util.HashMap<>();
        v.put("MODEL", what(program));
        v.put("TARGET", options.target().label());
        v.put("BUILD", build);
        v.put("DRIVER", fw == null ? "the test driver (portable C, output through stdio)"
                : "the firmware driver for " + fw.board().label() + " (semihosting console, instruction-count markers,"
                + " painted stack peak); `kernels/boards`, `kernels/cmake`, `kernels/qemu-plugin`: board support,"
                + " toolchain files and the ttcount QEMU plugin");
        v.put("STEPS", Integer.toString(options.steps()));
        v.put("SAMPLES", Integer.toString(d == null ? 0 : d.size()));
        v.put("DATASET", d == null ? "none" : d.name());
        v.put("ARENA", String.format(Locale.ROOT, "%,d", sizes.arenaBytes()));
        v.put("TRAINED", String.format(Locale.ROOT, "%,d", sizes.trainedSramBytes()));
        v.put("STATE", String.format(Locale.ROOT, "%,d", sizes.stateSramBytes()));
        v.put("FROZEN", String.format(Locale.ROOT, "%,d", sizes.frozenFlashBytes()));
        v.put("PARAMS", String.format(Locale.ROOT, "%,d", sizes.paramFlashBytes()));
        v.put("PARTIAL", options.splitPartial()
                ? "A conv layer of which only some input channels train is split: its trained channels are in SRAM\n"
                + "(the planner's count of the trained slices is " + String.format(Locale.ROOT, "%,d", sizes.trainedSliceBytes())
                + " B), the whole tensor is in flash, and each op that reads it\nassembles it in planned arena scratch first."
                : "A layer of which only some input channels train is in SRAM whole (the kernels update a weight\n"
                + "tensor in place), so the trained parameters here take more than the planner's count of the\n"
                + "trained slices (" + String.format(Locale.ROOT, "%,d", sizes.trainedSliceBytes()) + " B).");
        return Template.render("README.md", v);
    }

    // ---- files ---------------------------------------------------------------------------------

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static void write(Path dir, Map<String, byte[]> files) {
        try {
            if (Files.exists(dir)) {
                if (!Files.isDirectory(dir)) {
                    throw new CodegenException(dir + " exists and is not a folder");
                }
                boolean empty;
                try (Stream<Path> s = Files.list(dir)) {
                    empty = s.findAny().isEmpty();
                }
                if (!empty && !Files.isRegularFile(dir.resolve(MARKER))) {
                    throw new CodegenException(dir + " is not empty and was not written by tinytrain codegen (no "
                            + MARKER + "): refusing to write into it; give a new or empty folder");
                }
                // files of an earlier kernel copy that this one lacks go; the rest is compared below
                Path old = dir.resolve("kernels");
                if (Files.isDirectory(old)) {
                    try (Stream<Path> s = Files.walk(old)) {
                        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                            String rel = dir.relativize(p).toString().replace('\\', '/');
                            boolean emptyDir = Files.isDirectory(p) && isEmpty(p);
                            if (Files.isDirectory(p) ? emptyDir : !files.containsKey(rel)) {
                                Files.delete(p);
                            }
                        }
                    }
                }
            }
            // a file whose contents did not change keeps its time stamp, so a build folder inside the
            // project rebuilds only what changed
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                Path p = dir.resolve(e.getKey());
                Files.createDirectories(p.getParent());
                if (!Files.isRegularFile(p) || Files.size(p) != e.getValue().length
                        || !Arrays.equals(Files.readAllBytes(p), e.getValue())) {
                    Files.write(p, e.getValue());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the project to " + dir + ": " + e.getMessage(), e);
        }
    }
}
