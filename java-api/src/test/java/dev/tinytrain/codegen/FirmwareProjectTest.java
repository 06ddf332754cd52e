package dev.tinytrain.codegen;

import dev.tinytrain.compile.CompileOptions;
import dev.tinytrain.compile.TrainingCompiler;
import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.compile.WeightLayers;
import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.SyntheticDataset;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Value;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.plan.Buffer;
import dev.tinytrain.plan.Scratch;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Firmware projects (board support, the firmware driver, the budgets in the build) and split weight
 * tensors (the trained slice in SRAM, the whole tensor in flash, assembled in planned scratch). Building
 * and running them: cmsis-bindings (host builds) and cli (QEMU).
 */
class FirmwareProjectTest {

    static Graph forward;
    static int convs;
    static KernelSources kernels;
    static Dataset samples;

    @TempDir
    Path tmp;

    @BeforeAll
    static void model() {
        forward = Architectures.build("mcunet-5fps", 32, 3, 4, 1);
        convs = WeightLayers.of(forward).size() - 1;
        kernels = KernelSources.fromDirectory(Path.of("..", "native-kernels"));
        Value in = forward.inputs().getFirst();
        samples = new SyntheticDataset(4, 3, in.shape(), in.quant(), 1, 0);
    }

    static TrainingProgram program(String scheme) {
        return TrainingCompiler.compile(forward, SparseScheme.named(scheme, convs), TrainConfig.defaults(0.004f),
                new CompileOptions(true, true, true));
    }

    static CodeGenerator.Options firmware(Board board, boolean split) {
        return new CodeGenerator.Options(board.target(), 256 * 1024, samples, 3,
                new CodeGenerator.Firmware(board, 200_000, 900_000, 4096), split);
    }

    @Test
    void aFirmwareProjectCarriesTheBoardSupportAndLinksWithTheBudgets() throws IOException {
        TrainingProgram p = program("mcunet-49kb");
        CodeGenerator.Options o = firmware(Board.QEMU_M4, false);
        CodeGenerator.Project out = CodeGenerator.generate(p, CodeGenerator.plan(p, o), o, kernels, tmp.resolve("fw"));
        Path d = out.dir();
        for (String f : List.of("kernels/boards/include/tt_board.h", "kernels/boards/ld/mps2-an386.ld",
                "kernels/boards/ld/tt_sections.ld", "kernels/boards/src/tt_board_startup.c",
                "kernels/cmake/cortex-m4.cmake", "kernels/cmake/arm-none-eabi.cmake",
                "kernels/cmake/TinytrainBoard.cmake", "kernels/qemu-plugin/ttcount.c", "kernels/include/tinytrain.h")) {
            assertTrue(Files.isRegularFile(d.resolve(f)), f);
        }
        assertFalse(Files.exists(d.resolve("cmake/arm-none-eabi.cmake")), "the board's toolchain file, not codegen's");
        String cmake = Files.readString(d.resolve("CMakeLists.txt"));
        assertTrue(cmake.contains("kernels/cmake/cortex-m4.cmake"), cmake);
        assertTrue(cmake.contains("set(TT_RAM_BUDGET 200000)") && cmake.contains("set(TT_FLASH_BUDGET 900000)")
                && cmake.contains("set(TT_STACK_SIZE 4096)"), cmake);
        assertTrue(cmake.contains("tt_board_firmware(tt_train BOARD mps2-an386 RAM_BUDGET ${TT_RAM_BUDGET}"), cmake);
        // each step and the inference between the count markers, in this order
        String main = Files.readString(d.resolve("main.c"));
        assertFalse(main.contains("printf"), "no stdio in the firmware driver");
        int begin = main.indexOf("tt_count_begin();");
        int step = main.indexOf("loss = tt_model_train_step(");
        int end = main.indexOf("tt_count_end();");
        int forwardBegin = main.indexOf("tt_count_begin();", end);
        int forwardCall = main.indexOf("status = tt_model_forward(");
        assertTrue(0 < begin && begin < step && step < end && end < forwardBegin && forwardBegin < forwardCall
                && forwardCall < main.indexOf("tt_count_end();", forwardCall - 40), main);
        for (String line : List.of("tt_board_stack_peak()", "tt_board_static_ram()", "tt_board_heap_used()",
                "tt_board_ram_budget()")) {
            assertTrue(main.contains(line), line);
        }
        assertTrue(Files.readString(d.resolve(CodeGenerator.MARKER)).contains("firmware for qemu-m4"));

        // the portable driver's project does not carry the board support
        CodeGenerator.Project host = CodeGenerator.generate(p, MemoryPlan.of(p), CodeGenerator.Options.host(samples),
                kernels, tmp.resolve("host"));
        assertTrue(host.files().stream().noneMatch(f -> f.startsWith("kernels/boards") || f.startsWith("kernels/cmake")
                || f.startsWith("kernels/qemu-plugin")), host.files().toString());
    }

    @Test
    void regeneratingKeepsTheTimeStampsOfUnchangedFiles() throws IOException {
        TrainingProgram p = program("mcunet-49kb");
        CodeGenerator.Options o = firmware(Board.QEMU_M7, true);
        Path dir = tmp.resolve("again");
        CodeGenerator.generate(p, CodeGenerator.plan(p, o), o, kernels, dir);
        Path kernel = dir.resolve("kernels/src/forward/tt_conv2d_s8.c");
        Path stale = dir.resolve("kernels/src/forward/tt_gone_s8.c");
        Files.writeString(stale, "/* from an older kernel library */\n");
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(kernel, old);
        Files.setLastModifiedTime(dir.resolve("CMakeLists.txt"), old);
        CodeGenerator.Options tighter = new CodeGenerator.Options(o.target(), o.budgetBytes(), samples, 3,
                new CodeGenerator.Firmware(Board.QEMU_M7, 190_000, 900_000, 4096), true);
        CodeGenerator.generate(p, CodeGenerator.plan(p, tighter), tighter, kernels, dir);
        assertEquals(old, Files.getLastModifiedTime(kernel), "an unchanged kernel source is not rewritten");
        assertFalse(Files.getLastModifiedTime(dir.resolve("CMakeLists.txt")).equals(old), "a changed file is");
        assertTrue(Files.readString(dir.resolve("CMakeLists.txt")).contains("set(TT_RAM_BUDGET 190000)"));
        assertFalse(Files.exists(stale), "a kernel file the library no longer has is removed");
    }

    @Test
    void boardsTargetsAndBoardSupportAreChecked() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Board.parse("esp32"));
        assertTrue(e.getMessage().contains("qemu-m7") && e.getMessage().contains("qemu-m4"), e.getMessage());
        assertEquals(Board.QEMU_M7, Board.parse("QEMU-M7"));
        e = assertThrows(IllegalArgumentException.class, () -> new CodeGenerator.Options(Target.CORTEX_M7, -1, samples, 3,
                new CodeGenerator.Firmware(Board.QEMU_M4, 1, 1, 1024), false));
        assertTrue(e.getMessage().contains("cortex-m4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new CodeGenerator.Options(Target.CORTEX_M4, -1, null, 0,
                new CodeGenerator.Firmware(Board.QEMU_M4, 1, 1, 1024), false));
        assertTrue(e.getMessage().contains("samples"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new CodeGenerator.Firmware(Board.QEMU_M4, 1000, 1000, 100));
        assertTrue(e.getMessage().contains("stack"), e.getMessage());

        // a kernel tree without board support (as an older native-kernels jar packs it)
        Path old = tmp.resolve("old");
        for (Map.Entry<String, byte[]> f : kernels.files().entrySet()) {
            if (KernelSources.isLibraryFile(f.getKey())) {
                Files.createDirectories(old.resolve(f.getKey()).getParent());
                Files.write(old.resolve(f.getKey()), f.getValue());
            }
        }
        KernelSources bare = KernelSources.fromDirectory(old);
        assertFalse(bare.hasBoardSupport());
        assertTrue(kernels.hasBoardSupport());
        TrainingProgram p = program("mcunet-49kb");
        CodeGenerator.Options o = firmware(Board.QEMU_M3, false);
        CodegenException c = assertThrows(CodegenException.class,
                () -> CodeGenerator.generate(p, CodeGenerator.plan(p, o), o, bare, tmp.resolve("none")));
        assertTrue(c.getMessage().contains("boards/include/tt_board.h") && c.getMessage().contains("qemu-m3")
                && c.getMessage().contains("boards/ld/mps2-an385.ld"), c.getMessage());
    }

    @Test
    void theFirmwaresReportIsReadWithTheDriversLines() {
        String text = DriverOutputTest.TEXT.replace("done\n", "") + "stack 692 8192\nstatic 168328\nheap 0\n"
                + "budget 262144\ndone\n";
        FirmwareReport r = FirmwareReport.parse("tt_board boot\n" + text);
        assertEquals(DriverOutput.parse(DriverOutputTest.TEXT), r.driver());
        assertEquals(692, r.stackPeakBytes());
        assertEquals(8192, r.stackBytes());
        assertEquals(168328, r.staticRamBytes());
        assertEquals(0, r.heapBytes());
        assertEquals(262144, r.ramBudgetBytes());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FirmwareReport.parse(text.replace("stack 692 8192\n", "")));
        assertTrue(e.getMessage().contains("stack line"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FirmwareReport.parse(text.replace("heap 0", "heap x")));
        assertTrue(e.getMessage().contains("'heap x'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FirmwareReport.parse(text.replace("done\n", "")));
        assertTrue(e.getMessage().contains("incomplete"), e.getMessage());
    }

    /**
     * Which tensors split, and the plan: scratch at every op that reads one (the forward conv, the input
     * gradient), after the kernel's own scratch, big enough for the whole tensor; the update ops get none.
     */
    @Test
    void partiallyTrainedConvWeightsSplitAndThePlanHasRoomToAssembleThem() {
        TrainingProgram p = program("mcunet-99kb");
        SplitWeights s = SplitWeights.of(p.graph());
        int split = 0;
        for (Op op : p.graph().ops()) {
            if (op instanceof TrainOp.WeightUpdate u) {
                boolean partial = u.channels().length < u.weight().dims().c();
                assertEquals(partial && !u.depthwise(), s.isSplit(u.weight()), u.weight().name());
                split += s.isSplit(u.weight()) ? 1 : 0;
            }
        }
        assertEquals(2, split, "mcunet-99kb trains two convs on 1/8 and 1/4 of their input channels");
        CodeGenerator.Options o = firmware(Board.QEMU_M7, true);
        MemoryPlan plan = CodeGenerator.plan(p, o);
        Map<Integer, Long> extra = s.extraScratch();
        assertEquals(4, extra.size(), "two forward convs and two input gradients read the split tensors: " + extra);
        for (Map.Entry<Integer, Long> e : extra.entrySet()) {
            int i = e.getKey();
            Op op = p.graph().ops().get(i);
            assertFalse(op instanceof TrainOp.WeightUpdate, op.mnemonic());
            long kernel = SplitWeights.align(Scratch.bytes(op, plan.inPlace(i) != null));
            long weights = s.assembledAt(i).stream().mapToLong(Value::byteSize).sum();
            assertTrue(plan.scratchBytes(i) >= kernel + weights, "op " + i);
            Buffer b = plan.parts().stream().filter(x -> x.id() == Buffer.scratchId(i)).findFirst().orElseThrow();
            assertEquals(i, b.first());
            assertEquals(i, b.last(), "live at its op only");
        }
        // the plain plan has no room for them: refused, naming the way to make one
        CodegenException c = assertThrows(CodegenException.class,
                () -> CodeGenerator.generate(p, MemoryPlan.of(p), o, kernels, tmp.resolve("x")));
        assertTrue(c.getMessage().contains("CodeGenerator.plan"), c.getMessage());
    }

    @Test
    void aSplitTensorsSliceIsInSramAndItsWholeCopyInFlash() throws IOException {
        TrainingProgram p = program("mcunet-99kb");
        CodeGenerator.Options whole = firmware(Board.QEMU_M7, false);
        CodeGenerator.Options split = firmware(Board.QEMU_M7, true);
        CodeGenerator.Sizes w = CodeGenerator.generate(p, CodeGenerator.plan(p, whole), whole, kernels,
                tmp.resolve("whole")).sizes();
        CodeGenerator.Project sp = CodeGenerator.generate(p, CodeGenerator.plan(p, split), split, kernels,
                tmp.resolve("split"));
        CodeGenerator.Sizes z = sp.sizes();
        assertEquals(w.trainedSliceBytes(), z.trainedSliceBytes());
        assertEquals(z.trainedSliceBytes(), z.trainedSramBytes(), "only the slices in SRAM (no depthwise partial)");
        assertTrue(w.trainedSramBytes() > z.trainedSramBytes());
        SplitWeights s = SplitWeights.of(p.graph());
        long wholeSplit = p.graph().values().stream().filter(s::isSplit).mapToLong(Value::byteSize).sum();
        assertEquals(w.frozenFlashBytes() + wholeSplit, z.frozenFlashBytes(), "the split tensors' copies in flash");

        String weights = Files.readString(sp.dir().resolve("model_weights.c"));
        String model = Files.readString(sp.dir().resolve("model.c"));
        for (Value v : p.graph().values()) {
            if (!s.isSplit(v)) {
                continue;
            }
            SplitWeights.Split x = s.split(v);
            assertTrue(weights.contains("const int8_t tt_weight_" + v.id() + "[" + v.elements() + "]"), v.name());
            assertTrue(weights.contains("int8_t tt_trained_" + v.id() + "[" + x.sliceBytes() + "] = {"), v.name());
            // the slice holds the trained channels' values of each row, in order
            byte[] all = p.graph().int8(v);
            Matcher m = Pattern.compile("int8_t tt_trained_" + v.id() + "\\[\\d+\\] = \\{([^}]*)\\}").matcher(weights);
            assertTrue(m.find());
            String[] values = m.group(1).trim().split("\\s*,\\s*");
            int c = v.dims().c();
            int n = x.channels().length;
            for (int k : new int[] {0, n - 1, (int) x.sliceBytes() - 1}) {
                assertEquals(all[(k / n) * c + x.channels()[k % n]], Byte.parseByte(values[k].trim()), "slice " + k);
            }
            assertTrue(model.contains("tt_assemble_s8(") && model.contains("tt_trained_" + v.id()), v.name());
        }
    }
}
