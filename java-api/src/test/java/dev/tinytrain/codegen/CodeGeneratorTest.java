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
import dev.tinytrain.kernel.Rounding;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.plan.MemoryReport;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generator's output files and its refusals; building and running the C is tested in cmsis-bindings. */
class CodeGeneratorTest {

    static Graph forward;
    static int convs;
    static KernelSources kernels;
    static Dataset samples;

    /** What the kernel library can run today: reordered, not fused, nothing in place. */
    static final CompileOptions SUPPORTED = new CompileOptions(true, false, false);

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

    static TrainingProgram program(String scheme, TrainConfig config, CompileOptions options) {
        return TrainingCompiler.compile(forward, SparseScheme.named(scheme, convs), config, options);
    }

    static TrainingProgram supported(String scheme) {
        return program(scheme, TrainConfig.defaults(0.004f), SUPPORTED);
    }

    private CodeGenerator.Project generate(TrainingProgram p, long budget, Path dir) {
        return CodeGenerator.generate(p, MemoryPlan.of(p), new CodeGenerator.Options(Target.HOST, budget, samples, 5),
                kernels, dir);
    }

    @Test
    void writesTheProjectLayoutWithTheKernelSources() throws IOException {
        CodeGenerator.Project p = generate(supported("mcunet-49kb"), -1, tmp.resolve("out"));
        for (String f : List.of("CMakeLists.txt", "model.h", "model.c", "model_weights.h", "model_weights.c",
                "samples.h", "samples.c", "main.c", "README.md", CodeGenerator.MARKER, "kernels/include/tinytrain.h",
                "kernels/src/forward/tt_conv2d_s8.c")) {
            assertTrue(Files.isRegularFile(p.dir().resolve(f)), f);
            assertTrue(p.files().contains(f), f);
        }
        for (String k : kernels.files().keySet().stream().filter(KernelSources::isLibraryFile).toList()) {
            assertArrayEquals(kernels.files().get(k), Files.readAllBytes(p.dir().resolve("kernels").resolve(k)), k);
        }
        assertFalse(Files.exists(p.dir().resolve("cmake")), "no cross toolchain for the host");
        String cmake = Files.readString(p.dir().resolve("CMakeLists.txt"));
        assertFalse(cmake.matches("(?s).*@[A-Z_]+@.*"), "every placeholder filled");
    }

    @Test
    void armTargetsGetTheCrossToolchainWithTheirCpuFlags() throws IOException {
        TrainingProgram prog = supported("mcunet-49kb");
        CodeGenerator.Project p = CodeGenerator.generate(prog, MemoryPlan.of(prog),
                new CodeGenerator.Options(Target.CORTEX_M7, -1, samples, 2), kernels, tmp.resolve("m7"));
        String tc = Files.readString(p.dir().resolve("cmake/arm-none-eabi.cmake"));
        assertTrue(tc.contains("-mcpu=cortex-m7") && tc.contains("--specs=rdimon.specs"), tc);
        assertTrue(Files.readString(p.dir().resolve("CMakeLists.txt")).contains("cmake/arm-none-eabi.cmake"));
        assertEquals(Target.CORTEX_M4, Target.parse("Cortex-M4"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Target.parse("riscv"));
        assertTrue(e.getMessage().contains("host, cortex-m3, cortex-m4, cortex-m7"), e.getMessage());
    }

    /** Reads {@code [const] int8_t|int32_t name[n] = {...};} arrays back from generated C. */
    static Map<String, long[]> arrays(String c, boolean constOnes) {
        Map<String, long[]> m = new HashMap<>();
        Pattern p = Pattern.compile("(?m)^(const )?(int8_t|int32_t) (tt_\\w+)\\[(\\d+)] = \\{\\n(.*?)\\n};",
                Pattern.DOTALL);
        Matcher x = p.matcher(c);
        while (x.find()) {
            if ((x.group(1) != null) != constOnes) {
                continue;
            }
            List<Long> v = new ArrayList<>();
            for (String s : x.group(5).split("[,\\s]+")) {
                if (!s.isBlank()) {
                    v.add(s.equals("(-2147483647") ? Integer.MIN_VALUE : s.equals("-") || s.equals("1)") ? null
                            : Long.parseLong(s));
                }
            }
            v.removeIf(java.util.Objects::isNull);
            long[] a = v.stream().mapToLong(Long::longValue).toArray();
            assertEquals(Integer.parseInt(x.group(4)), a.length, x.group(3));
            m.put(x.group(3), a);
        }
        return m;
    }

    @Test
    void frozenParametersAreConstAndTrainedOnesWritableWithTheGraphsValues() throws IOException {
        TrainingProgram prog = supported("mcunet-49kb");
        CodeGenerator.Project p = generate(prog, -1, tmp.resolve("w"));
        String c = Files.readString(p.dir().resolve("model_weights.c"));
        Map<String, long[]> frozen = arrays(c, true);
        Map<String, long[]> trained = arrays(c, false);
        Graph g = prog.graph();
        List<Value> updated = new ArrayList<>();
        for (Op op : g.ops()) {
            switch (op) {
                case TrainOp.WeightUpdate w -> updated.add(w.weight());
                case TrainOp.BiasUpdate b -> updated.add(b.bias());
                default -> {
                }
            }
        }
        long trainedBytes = 0;
        long frozenBytes = 0;
        for (Value v : g.values()) {
            if (!g.isConstant(v) || g.consumers(v).isEmpty()) {
                continue;
            }
            String name = (v.role() == dev.tinytrain.graph.Role.WEIGHT ? "tt_weight_" : "tt_bias_") + v.id();
            boolean isTrained = updated.contains(v);
            long[] got = (isTrained ? trained : frozen).get(name);
            assertTrue(got != null, name + " (" + v.name() + ") should be " + (isTrained ? "writable" : "const"));
            long[] want = v.role() == dev.tinytrain.graph.Role.WEIGHT
                    ? toLongs(g.int8(v)) : java.util.Arrays.stream(g.int32(v)).asLongStream().toArray();
            assertArrayEquals(want, got, v.name());
            if (isTrained) {
                trainedBytes += v.byteSize();
            } else {
                frozenBytes += v.byteSize();
            }
        }
        assertEquals(updated.size(), trained.size());
        assertEquals(trainedBytes, p.sizes().trainedSramBytes());
        assertEquals(frozenBytes, p.sizes().frozenFlashBytes());
        // the planner counts only the trained slices; a partially trained layer is whole here
        MemoryReport r = MemoryReport.of(prog, MemoryPlan.of(prog));
        assertEquals(r.trainableSramBytes(), p.sizes().trainedSliceBytes());
        assertTrue(p.sizes().trainedSramBytes() > p.sizes().trainedSliceBytes(),
                "mcunet-49kb trains some layers partially");
        assertTrue(c.contains("of 48 input channels train; the whole tensor is in SRAM"), "partial layers named");
        assertEquals(MemoryPlan.of(prog).arenaBytes(), p.sizes().arenaBytes());
        String h = Files.readString(p.dir().resolve("model.h"));
        assertTrue(h.contains("#define TT_MODEL_ARENA_BYTES " + p.sizes().arenaBytes() + "u"), h);
    }

    private static long[] toLongs(byte[] b) {
        long[] l = new long[b.length];
        for (int i = 0; i < b.length; i++) {
            l[i] = b[i];
        }
        return l;
    }

    @Test
    void optimizerStateArraysAppearOnlyWhenTheRuleNeedsThem() throws IOException {
        TrainingProgram plain = supported("mcunet-49kb");
        TrainingProgram both = program("mcunet-49kb", TrainConfig.defaults(0.004f).withMomentum(0.9f)
                .withRounding(Rounding.FLOAT_MASTER), SUPPORTED);
        CodeGenerator.Project a = generate(plain, -1, tmp.resolve("a"));
        CodeGenerator.Project b = generate(both, -1, tmp.resolve("b"));
        assertEquals(0, a.sizes().stateSramBytes());
        assertFalse(Files.readString(a.dir().resolve("model_weights.c")).contains("tt_velocity_"));
        MemoryReport r = MemoryReport.of(both, MemoryPlan.of(both));
        // the planner counts slice + velocity + master per trained element
        assertEquals(r.trainableSramBytes(), b.sizes().trainedSliceBytes() + b.sizes().stateSramBytes());
        String w = Files.readString(b.dir().resolve("model_weights.c"));
        assertTrue(w.contains("float tt_velocity_") && w.contains("float tt_master_"), "state arrays");
        assertTrue(Files.readString(b.dir().resolve("model.c")).contains("tt_sgd.rounding = TT_ROUND_FLOAT_MASTER;"));
    }

    // ---- refusals ------------------------------------------------------------------------------

    @Test
    void aProgramOverTheBudgetIsRefusedNamingWhatItNeeds() {
        TrainingProgram prog = supported("mcunet-49kb");
        CodegenException.OverBudget e = assertThrows(CodegenException.OverBudget.class,
                () -> generate(prog, 8 * 1024, tmp.resolve("x")));
        assertTrue(e.getMessage().contains("does not fit the budget") && e.getMessage().contains("8,192 B"),
                e.getMessage());
        assertTrue(e.needed() > 8 * 1024);
        assertFalse(Files.exists(tmp.resolve("x")), "nothing written");
    }

    @Test
    void theBudgetCountsWholeTrainedTensorsAsGenerated() {
        TrainingProgram prog = supported("mcunet-49kb");
        MemoryReport r = MemoryReport.of(prog, MemoryPlan.of(prog));
        long planned = r.totalSramBytes();
        CodeGenerator.Project ok = generate(prog, -1, tmp.resolve("ok"));
        long generated = ok.sizes().sramBytes();
        assertTrue(generated > planned, generated + " vs " + planned);
        long budget = (planned + generated) / 2;       // the plan fits, the generated project does not
        CodegenException.OverBudget e = assertThrows(CodegenException.OverBudget.class,
                () -> generate(prog, budget, tmp.resolve("y")));
        assertTrue(e.getMessage().contains("whole tensors") && e.getMessage().contains(String.format(
                java.util.Locale.ROOT, "%,d", generated)), e.getMessage());
        assertEquals(generated, e.needed());
        generate(prog, generated, tmp.resolve("z"));   // exactly enough
    }

    /** The kernel memory-saving forms and the split update need, by C name. */
    static final List<String> NEWER_KERNELS = List.of("tt_conv_depthwise_s8", "tt_conv2d_1x1_inplace_s8",
            "tt_conv2d_grad_weight_f32", "tt_depthwise_conv2d_grad_weight_f32", "tt_bias_grad_f32", "tt_sgd_update_s8",
            "tt_sgd_update_s32");

    /** The kernel sources with these functions' declarations renamed away (a library older than them). */
    static KernelSources without(List<String> functions) {
        Map<String, byte[]> m = new HashMap<>(kernels.files());
        for (Map.Entry<String, byte[]> e : m.entrySet()) {
            String text = new String(e.getValue(), java.nio.charset.StandardCharsets.UTF_8);
            for (String f : functions) {
                text = text.replace(f + "(", f + "_absent(");
            }
            e.setValue(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return new KernelSources(m);
    }

    /** The kernel sources plus declarations of these functions (the lowering is checked by its text here). */
    static KernelSources with(List<String> functions) {
        Map<String, byte[]> m = new HashMap<>(kernels.files());
        StringBuilder h = new StringBuilder();
        for (String f : functions) {
            h.append("int ").append(f).append("(void);\n");
        }
        m.put("include/tt_declared_for_the_test.h", h.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return new KernelSources(m);
    }

    @Test
    void opsWhoseKernelsTheLibraryLacksAreRefusedNamingTheOpAndTheWayAround() {
        KernelSources old = without(NEWER_KERNELS);
        TrainingProgram fused = program("mcunet-49kb", TrainConfig.defaults(0.004f), new CompileOptions(true, true, false));
        assertTrue(fused.graph().ops().stream().anyMatch(o -> o instanceof Op.ConvDepthwise), "the pass fused something");
        CodegenException e = assertThrows(CodegenException.class, () -> CodeGenerator.generate(fused,
                MemoryPlan.of(fused), CodeGenerator.Options.host(samples), old, tmp.resolve("f")));
        assertTrue(e.getMessage().matches("op \\d+ \\(conv_depthwise -> .*\\) is not supported by codegen yet: .*")
                && e.getMessage().contains("tt_conv_depthwise_s8") && e.getMessage().contains("--no-fuse"),
                e.getMessage());

        TrainingProgram inPlace = program("mcunet-49kb", TrainConfig.defaults(0.004f), new CompileOptions(true, false, true));
        e = assertThrows(CodegenException.class, () -> CodeGenerator.generate(inPlace, MemoryPlan.of(inPlace),
                CodeGenerator.Options.host(samples), old, tmp.resolve("i")));
        assertTrue(e.getMessage().contains("(conv2d -> ") && e.getMessage().contains("in-place")
                && e.getMessage().contains("--no-in-place"), e.getMessage());

        TrainingProgram conventional = program("mcunet-49kb", TrainConfig.defaults(0.004f),
                new CompileOptions(false, false, false));
        e = assertThrows(CodegenException.class, () -> CodeGenerator.generate(conventional,
                MemoryPlan.of(conventional), CodeGenerator.Options.host(samples), old, tmp.resolve("c")));
        assertTrue(e.getMessage().contains("not supported by codegen yet") && e.getMessage().contains("--no-reorder"),
                e.getMessage());
        assertFalse(Files.exists(tmp.resolve("f")) || Files.exists(tmp.resolve("i")) || Files.exists(tmp.resolve("c")));
    }

    @Test
    void withTheNewerKernelsEveryFormLowersToItsCall() throws IOException {
        KernelSources all = with(NEWER_KERNELS);
        TrainingProgram p = program("mcunet-49kb", TrainConfig.defaults(0.004f).withMomentum(0.9f),
                new CompileOptions(false, true, true));
        MemoryPlan plan = MemoryPlan.of(p);
        CodeGenerator.Project out = CodeGenerator.generate(p, plan, CodeGenerator.Options.host(samples), all,
                tmp.resolve("all"));
        String c = Files.readString(out.dir().resolve("model.c")).replaceAll("\\s+", " ");   // calls unwrapped
        int fused = 0;
        int inPlaceConvs = 0;
        for (int i = 0; i < p.graph().ops().size(); i++) {
            Op op = p.graph().ops().get(i);
            if (op instanceof Op.ConvDepthwise) {
                fused++;
                assertTrue(c.contains("TT_CHECK(" + i + ", tt_conv_depthwise_s8(&tt_op" + i + "_scratch, &tt_op" + i
                        + "_conv, &tt_op" + i + "_quant, &tt_op" + i + "_dw_conv, &tt_op" + i + "_dw_quant,"), "op " + i);
                assertTrue(c.contains("static const tt_context tt_op" + i + "_scratch = {(void *)(tt_arena + "
                        + plan.scratchOffset(i) + "), "), "op " + i + " scratch at its planned offset");
            }
            if (op instanceof Op.Conv2d && plan.inPlace(i) != null) {
                inPlaceConvs++;
                assertTrue(c.contains("TT_CHECK(" + i + ", tt_conv2d_1x1_inplace_s8(&tt_op" + i + "_scratch,"), "op " + i);
            }
        }
        assertTrue(fused > 0 && inPlaceConvs > 0, fused + " fused, " + inPlaceConvs + " in place");
        for (String k : List.of("tt_conv2d_grad_weight_f32(", "tt_bias_grad_f32(", "tt_sgd_update_s8(",
                "tt_sgd_update_s32(")) {
            assertTrue(c.contains(k), k);
        }
        assertTrue(Files.readString(out.dir().resolve("model_weights.c")).contains("float tt_velocity_"));
    }

    @Test
    void aPlanMadeForAnotherProgramIsRefused() {
        TrainingProgram small = supported("mcunet-49kb");
        TrainingProgram other = supported("full");
        CodegenException e = assertThrows(CodegenException.class, () -> CodeGenerator.generate(small,
                MemoryPlan.of(other), CodeGenerator.Options.host(samples), kernels, tmp.resolve("p")));
        assertTrue(e.getMessage().contains("memory plan"), e.getMessage());
        // a plan whose arena is too small for a value it places
        MemoryPlan good = MemoryPlan.of(small);
        MemoryPlan cut = new MemoryPlan(offsets(small, good), good.arenaBytes() / 2, "cut", 0, good.parts(), List.of());
        e = assertThrows(CodegenException.class, () -> CodeGenerator.generate(small, cut,
                CodeGenerator.Options.host(samples), kernels, tmp.resolve("q")));
        assertTrue(e.getMessage().matches("(?s)the memory plan places %\\d+ \\(.*\\) at byte offset \\d+, outside the "
                + good.arenaBytes() / 2 + " B arena.*"), e.getMessage());
    }

    private static Map<Integer, Long> offsets(TrainingProgram p, MemoryPlan plan) {
        Map<Integer, Long> m = new HashMap<>();
        for (Value v : p.graph().values()) {
            try {
                m.put(v.id(), plan.offset(v));
            } catch (IllegalArgumentException e) {
                // constants and unused values have no place
            }
        }
        return m;
    }

    @Test
    void samplesOfAnotherShapeOrLabelRangeAreRefused() {
        TrainingProgram prog = supported("mcunet-49kb");
        Value in = forward.inputs().getFirst();
        Dataset wrongShape = new SyntheticDataset(4, 2, new int[] {1, 16, 16, 3}, in.quant(), 1, 0);
        CodegenException e = assertThrows(CodegenException.class, () -> CodeGenerator.generate(prog,
                MemoryPlan.of(prog), CodeGenerator.Options.host(wrongShape), kernels, tmp.resolve("s")));
        assertTrue(e.getMessage().contains("sample 0 of synthetic:4 has 768 bytes") && e.getMessage().contains("3072"),
                e.getMessage());
        Dataset tooManyClasses = new SyntheticDataset(9, 40, in.shape(), in.quant(), 1, 0);
        e = assertThrows(CodegenException.class, () -> CodeGenerator.generate(prog, MemoryPlan.of(prog),
                CodeGenerator.Options.host(tooManyClasses), kernels, tmp.resolve("s")));
        assertTrue(e.getMessage().contains("the model has 4 classes"), e.getMessage());
    }

    @Test
    void refusesAFolderItDidNotWriteAndOverwritesOneItDid() throws IOException {
        TrainingProgram prog = supported("mcunet-49kb");
        Path theirs = Files.createDirectories(tmp.resolve("theirs"));
        Files.writeString(theirs.resolve("notes.txt"), "mine");
        CodegenException e = assertThrows(CodegenException.class, () -> generate(prog, -1, theirs));
        assertTrue(e.getMessage().contains("not empty and was not written by tinytrain codegen"), e.getMessage());
        assertEquals("mine", Files.readString(theirs.resolve("notes.txt")));

        Path ours = tmp.resolve("ours");
        generate(prog, -1, ours);
        Path stale = Files.writeString(ours.resolve("kernels/src/stale.c"), "int x;");
        Files.writeString(ours.resolve("model.c"), "edited");
        generate(prog, -1, ours);
        assertFalse(Files.exists(stale), "the kernel copy is replaced whole");
        assertTrue(Files.readString(ours.resolve("model.c")).startsWith("/*"), "model.c written again");
    }

    @Test
    void kernelSourcesMustBeATinytrainTree() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("nothing"));
        CodegenException e = assertThrows(CodegenException.class, () -> KernelSources.fromDirectory(empty));
        assertTrue(e.getMessage().contains("include/tinytrain.h"), e.getMessage());
        assertTrue(kernels.declares("tt_conv2d_s8"));
        assertFalse(kernels.declares("tt_conv2d"), "whole names only");
        // sources that lack a kernel the program calls
        Map<String, byte[]> old = new HashMap<>(kernels.files());
        old.put("include/tt_backward.h", "/* nothing */".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        KernelSources stale = new KernelSources(old);   // an old header without tt_clamp_mask_s8
        TrainingProgram prog = supported("mcunet-49kb");
        e = assertThrows(CodegenException.class, () -> CodeGenerator.generate(prog, MemoryPlan.of(prog),
                CodeGenerator.Options.host(samples), stale, tmp.resolve("k")));
        assertTrue(e.getMessage().contains("do not declare tt_clamp_mask_s8"), e.getMessage());
    }

    @Test
    void smallerLayoutSplitsOnlyWhenThatPlansLessSram() {
        // mcunet-5fps at 128x128 with the 49 KB scheme: splitting saves the partial layers' frozen channels;
        // at 32x32 with the 148 KB scheme most of each partial layer trains and the assembly scratch costs more
        record Case(int resolution, String scheme, boolean split) {
        }
        for (Case c : List.of(new Case(128, "mcunet-49kb", true), new Case(32, "mcunet-148kb", false))) {
            Graph g = Architectures.build("mcunet-5fps", c.resolution(), 3, 10, 1);
            TrainingProgram p = TrainingCompiler.compile(g, SparseScheme.named(c.scheme(),
                    WeightLayers.of(g).size() - 1), TrainConfig.defaults(0.01f), CompileOptions.DEFAULT);
            MemoryReport r = MemoryReport.of(p, MemoryPlan.of(p));
            CodeGenerator.Options o = new CodeGenerator.Options(Target.HOST, -1, null, 0);
            long whole = CodeGenerator.plan(p, o.withSplitPartial(false)).arenaBytes() + r.trainedTensorsBytes();
            long split = CodeGenerator.plan(p, o.withSplitPartial(true)).arenaBytes() + r.trainableSramBytes();
            CodeGenerator.Layout l = CodeGenerator.smallerLayout(p);
            assertEquals(c.split(), l.split(), c + ": whole " + whole + " B, split " + split + " B");
            assertEquals(Math.min(whole, split), l.sramBytes(), c.toString());
            assertEquals(Math.max(whole, split), l.otherSramBytes(), c.toString());
        }
    }
}
