package dev.tinytrain.tflite;

import dev.tinytrain.compile.TrainingCompiler;
import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.compile.WeightLayers;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;
import dev.tinytrain.graph.Verifier;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.models.ModelStats;
import dev.tinytrain.tensor.Quantization;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The importer on files written by other tools (the paper's models, converted with {@code flatc}),
 * checked against models/ARCHITECTURES.md, which was written from the authors' pickles; on the
 * boundary operators (QUANTIZE, SOFTMAX, DEQUANTIZE) and both operator-code fields; and on models
 * it must refuse, each with a message naming the operator or tensor.
 */
class TfliteImporterTest {

    static List<PaperModels.Model> paperModels() {
        return PaperModels.MODELS;
    }

    // ---- the paper's models ---------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("paperModels")
    void paperModelMatchesItsArchitectureTable(PaperModels.Model pm) throws IOException {
        Path dir = PaperModels.require();
        ArchitecturesMd.Model md = ArchitecturesMd.read(dir.resolve("ARCHITECTURES.md")).get(pm.file());
        ImportedModel m = TfliteImporter.read(pm.path());
        Graph g = m.graph();
        Verifier.verify(g);
        assertEquals(pm.file(), g.name());
        assertEquals(md.tfliteOps(), m.operatorCounts(), "TF-Lite operators by kind");
        assertEquals(5, m.foldedPads());
        assertFalse(m.softmaxDropped());
        assertNull(m.floatInput());

        Value in = g.inputs().getFirst();
        assertArrayEquals(new int[] {1, 128, 128, 3}, in.shape());
        assertEquals(Quantization.perTensor((float) (2.0 / 255), 0), in.quant());
        Value out = g.outputs().getFirst();
        assertArrayEquals(new int[] {1, 1000}, out.shape());
        assertEquals(md.outScale(), out.scale(), md.outScale() * 1e-6);
        assertEquals(md.outZero(), out.zeroPoint());

        List<Op> convs = Architectures.convs(g);
        assertEquals(md.convs().size(), convs.size(), "convs");
        for (int i = 0; i < convs.size(); i++) {
            checkConv(md.convs().get(i), convs.get(i));
        }
        List<Op.Add> adds = g.ops().stream().filter(o -> o instanceof Op.Add).map(o -> (Op.Add) o).toList();
        assertEquals(md.adds().size(), adds.size(), "residual adds");
        for (int i = 0; i < adds.size(); i++) {
            ArchitecturesMd.Residual r = md.adds().get(i);
            Op.Add a = adds.get(i);
            String where = "add " + i + " (" + a.output().name() + ")";
            assertArrayEquals(new int[] {1, r.shape()[0], r.shape()[1], r.shape()[2]}, a.output().shape(), where);
            close(r.x1Scale(), a.a().scale(), where + " x1 scale");
            close(r.x2Scale(), a.b().scale(), where + " x2 scale");
            close(r.yScale(), a.output().scale(), where + " y scale");
            assertEquals(List.of(r.x1Zero(), r.x2Zero(), r.yZero()),
                    List.of(a.a().zeroPoint(), a.b().zeroPoint(), a.output().zeroPoint()), where + " zero points");
        }
        long macs = md.convs().stream().mapToLong(ArchitecturesMd.Conv::macs).sum();
        assertEquals(macs, ModelStats.of(g).macs());

        // The same layer structure as tinytrain's built-in architecture of that name (weights aside).
        Graph built = Architectures.build(pm.architecture(), 128, 3, 1000, 1);
        assertEquals(structure(built), structure(g));
    }

    private static void checkConv(ArchitecturesMd.Conv c, Op op) {
        String where = "conv " + c.index() + " (" + c.role() + ", " + op.outputs().getFirst().name() + ")";
        Value x = op.inputs().get(0);
        Value w = op.inputs().get(1);
        Value y = op.outputs().getFirst();
        assertArrayEquals(new int[] {1, c.in()[0], c.in()[1], c.in()[2]}, x.shape(), where + " input");
        assertArrayEquals(new int[] {1, c.out()[0], c.out()[1], c.out()[2]}, y.shape(), where + " output");
        assertEquals(c.k(), w.shape()[1], where + " kernel");
        switch (op) {
            case Op.Conv2d cv -> {
                assertEquals(1, c.groups(), where + " groups");
                assertEquals(List.of(c.stride(), c.stride(), c.pad(), c.pad()),
                        List.of(cv.strideH(), cv.strideW(), cv.padH(), cv.padW()), where + " stride and padding");
                assertEquals(Activation.NONE, cv.activation());
            }
            case Op.DepthwiseConv2d dw -> {
                assertEquals(c.in()[2], c.groups(), where + " groups");
                assertEquals(List.of(c.stride(), c.stride(), c.pad(), c.pad()),
                        List.of(dw.strideH(), dw.strideW(), dw.padH(), dw.padW()), where + " stride and padding");
            }
            default -> throw new AssertionError(where + ": unexpected " + op.mnemonic());
        }
        close(c.xScale(), x.scale(), where + " input scale");
        close(c.yScale(), y.scale(), where + " output scale");
        assertEquals(c.xZero(), x.zeroPoint(), where + " input zero point");
        assertEquals(c.yZero(), y.zeroPoint(), where + " output zero point");
        assertEquals(c.weights(), w.elements(), where + " weights");
        assertEquals(c.biases(), op.inputs().get(2).elements(), where + " biases");
        assertEquals(c.macs(), ModelStats.macs(op), where + " MACs");
        assertEquals(c.out()[2], w.quant().scales().length, where + " per-channel scales");
    }

    /** Printed 6 significant digits. */
    private static void close(double expected, double actual, String what) {
        assertEquals(expected, actual, Math.abs(expected) * 1e-5, what);
    }

    /** Op kinds, shapes, strides and paddings, without names, weights or quantization. */
    private static List<String> structure(Graph g) {
        List<String> l = new ArrayList<>();
        for (Op op : g.ops()) {
            StringBuilder sb = new StringBuilder(op.mnemonic()).append(' ').append(op.attributes());
            for (Value v : op.inputs()) {
                sb.append(' ').append(Arrays.toString(v.shape()));
            }
            sb.append(" -> ").append(Arrays.toString(op.outputs().getFirst().shape()));
            l.add(sb.toString());
        }
        return l;
    }

    @ParameterizedTest
    @MethodSource("paperModels")
    void paperModelCompilesForTraining(PaperModels.Model pm) throws IOException {
        PaperModels.require();
        Graph g = TfliteImporter.read(pm.path()).graph();
        int convs = WeightLayers.of(g).size() - 1;
        List<String> schemes = new ArrayList<>(List.of("full", "bias-only", "last-layer", "last-k:6"));
        if (pm.file().equals("mcunet-5fps")) {
            schemes.addAll(List.of("mcunet-49kb", "mcunet-74kb", "mcunet-99kb", "mcunet-124kb", "mcunet-148kb"));
        }
        for (String s : schemes) {
            TrainingProgram p = TrainingCompiler.compile(g, SparseScheme.named(s, convs), TrainConfig.defaults(0.01f));
            Verifier.verify(p.graph());
            assertTrue(p.graph().ops().stream().anyMatch(op -> op instanceof dev.tinytrain.graph.TrainOp t
                    && t.updatesParameter()), s);
        }
    }

    // ---- boundary operators and operator codes ----------------------------------------------------

    /** A tiny int8 model: x -> CONV_2D 1x1 -> y, with hooks to put operators before and after. */
    private static byte[] tinyModel(boolean floatIn, boolean softmax, boolean dequantize) {
        TfliteModelBuilder b = new TfliteModelBuilder();
        Quantization qx = Quantization.perTensor(0.05f, -3);
        int x = b.addTensor("x", new int[] {1, 2, 2, 3}, TensorType.INT8, qx, null);
        int w = b.addTensor("w", new int[] {4, 1, 1, 3}, TensorType.INT8,
                Quantization.perChannel(new float[] {0.01f, 0.02f, 0.03f, 0.04f}, 0), new byte[12]);
        int bias = b.addInt32Tensor("b", new int[] {4}, null, new int[] {1, 2, 3, 4});
        int y = b.addTensor("y", new int[] {1, 4}, TensorType.INT8, Quantization.perTensor(0.1f, 2), null);
        int in = x;
        if (floatIn) {
            in = b.addTensor("x_float", new int[] {1, 2, 2, 3}, TensorType.FLOAT32, null, null);
            b.addOperator(BuiltinOperator.QUANTIZE, in(in), in(x), null);
        }
        int flat = b.addTensor("x_flat", new int[] {1, 12}, TensorType.INT8, qx, null);
        b.addOperator(BuiltinOperator.RESHAPE, in(x), in(flat), new BuiltinOptions.Reshape(new int[] {1, 12}));
        int w2 = b.addTensor("fc_w", new int[] {4, 12}, TensorType.INT8,
                Quantization.perChannel(new float[] {0.01f, 0.02f, 0.03f, 0.04f}, 0), new byte[48]);
        b.addOperator(BuiltinOperator.FULLY_CONNECTED, 4, new int[] {flat, w2, bias}, in(y),
                new BuiltinOptions.FullyConnected(FusedActivation.RELU, false));
        int out = y;
        if (softmax) {
            int s = b.addTensor("probs", new int[] {1, 4}, TensorType.INT8, Quantization.perTensor(1f / 256, -128), null);
            b.addOperator(BuiltinOperator.SOFTMAX, in(out), in(s), null);
            out = s;
        }
        if (dequantize) {
            int f = b.addTensor("probs_float", new int[] {1, 4}, TensorType.FLOAT32, null, null);
            b.addOperator(BuiltinOperator.DEQUANTIZE, in(out), in(f), null);
            out = f;
        }
        return b.inputs(in).outputs(out).build();
    }

    private static int[] in(int... t) {
        return t;
    }

    @Test
    void boundaryOperatorsAreDroppedAndRecorded() {
        ImportedModel plain = TfliteImporter.read(tinyModel(false, false, false), "m");
        ImportedModel full = TfliteImporter.read(tinyModel(true, true, true), "m");
        assertEquals(plain.graph().dump(), full.graph().dump(), "the same int8 graph inside");
        assertEquals(Quantization.perTensor(0.05f, -3), full.floatInput());
        assertTrue(full.softmaxDropped() && full.floatOutput());
        assertEquals(3, full.notes().size(), full.notes().toString());
        assertEquals(Map.of("QUANTIZE", 1, "RESHAPE", 1, "FULLY_CONNECTED", 1, "SOFTMAX", 1, "DEQUANTIZE", 1),
                full.operatorCounts());
        assertEquals("y", full.graph().outputs().getFirst().name(), "the logits");
        Op.FullyConnected fc = (Op.FullyConnected) plain.graph().ops().get(1);
        assertEquals(Activation.relu(2), fc.activation());
        ImportedModel softmaxOnly = TfliteImporter.read(tinyModel(false, true, false), "m");
        assertTrue(softmaxOnly.softmaxDropped() && !softmaxOnly.floatOutput() && softmaxOnly.floatInput() == null);
    }

    @Test
    void operatorCodesAreReadFromEitherField() {
        byte[] model = tinyModel(false, false, false);
        Graph expected = TfliteImporter.read(model, "m").graph();
        // An old writer: only deprecated_builtin_code (slot 0). A new one leaving the byte at its default 0.
        for (int slot : new int[] {3, 0}) {
            byte[] patched = model.clone();
            removeOperatorCodeField(patched, slot);
            ImportedModel m = TfliteImporter.read(patched, "m");
            assertEquals(expected.dump(), m.graph().dump(), "with operator code slot " + slot + " removed");
        }
        byte[] both = model.clone();
        removeOperatorCodeField(both, 0);
        removeOperatorCodeField(both, 3);
        TfliteImportException e = assertThrows(TfliteImportException.class, () -> TfliteImporter.read(both, "m"));
        assertTrue(e.getMessage().contains("operator 0 (ADD)"), e.getMessage());   // code 0 is ADD: a bad model
    }

    /** Marks a field of every operator code table absent (its vtable entry 0). */
    private static void removeOperatorCodeField(byte[] model, int slot) {
        ByteBuffer bb = ByteBuffer.wrap(model).order(ByteOrder.LITTLE_ENDIAN);
        int root = bb.getInt(0);
        int codes = field(bb, root, 1);
        int vector = codes + bb.getInt(codes);
        for (int i = 0; i < bb.getInt(vector); i++) {
            int e = vector + 4 + 4 * i;
            int table = e + bb.getInt(e);
            int vtable = table - bb.getInt(table);
            if (4 + 2 * slot < bb.getShort(vtable)) {
                bb.putShort(vtable + 4 + 2 * slot, (short) 0);
            }
        }
    }

    private static int field(ByteBuffer bb, int table, int slot) {
        int vtable = table - bb.getInt(table);
        return table + bb.getShort(vtable + 4 + 2 * slot);
    }

    @Test
    void meanWithoutKeptDimsBecomesMeanAndReshape() {
        TfliteModelBuilder b = new TfliteModelBuilder();
        Quantization q = Quantization.perTensor(0.1f, 4);
        int x = b.addTensor("x", new int[] {1, 3, 3, 5}, TensorType.INT8, q, null);
        int axes = b.addInt32Tensor("axes", new int[] {2}, null, new int[] {2, -3});
        int y = b.addTensor("y", new int[] {1, 5}, TensorType.INT8, Quantization.perTensor(0.05f, -1), null);
        b.addOperator(BuiltinOperator.MEAN, 2, new int[] {x, axes}, in(y), new BuiltinOptions.Reducer(false));
        Graph g = TfliteImporter.read(b.inputs(x).outputs(y).build(), "m").graph();
        assertEquals(List.of("mean", "reshape"), g.ops().stream().map(Op::mnemonic).toList());
        assertArrayEquals(new int[] {1, 1, 1, 5}, g.ops().getFirst().outputs().getFirst().shape());
        assertEquals("y/keepdims", g.ops().getFirst().outputs().getFirst().name());
    }

    // ---- what it refuses ----------------------------------------------------------------------------

    private static void refuses(Consumer<TfliteModelBuilder> model, String... fragments) {
        TfliteModelBuilder b = new TfliteModelBuilder();
        model.accept(b);
        byte[] bytes = b.build();
        TfliteImportException e = assertThrows(TfliteImportException.class, () -> TfliteImporter.read(bytes, "m"));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' missing in: " + e.getMessage());
        }
    }

    @Test
    void unsupportedOperatorsAreNamed() {
        assertEquals("LOGISTIC", BuiltinOperator.nameOf(14));
        assertEquals("L2_POOL_2D", BuiltinOperator.nameOf(12));
        assertEquals("RELU_N1_TO_1", BuiltinOperator.nameOf(20));
        assertEquals("BATCH_MATMUL", BuiltinOperator.nameOf(126));
        assertEquals("unknown", BuiltinOperator.nameOf(100_000));
        refuses(b -> {
            Quantization q = Quantization.perTensor(0.1f, 0);
            int x = b.addTensor("x", new int[] {1, 4, 4, 2}, TensorType.INT8, q, null);
            int y = b.addTensor("y", new int[] {1, 2, 2, 2}, TensorType.INT8, q, null);
            b.addOperator(BuiltinOperator.MAX_POOL_2D, 2, new int[] {x}, in(y),
                    new BuiltinOptions.Pool2D(Padding.VALID, 2, 2, 2, 2, FusedActivation.NONE));
            b.inputs(x).outputs(y);
        }, "operator 0: MAX_POOL_2D (builtin 17) is not supported; supported: CONV_2D, DEPTHWISE_CONV_2D");
        refuses(b -> {
            Quantization q = Quantization.perTensor(0.1f, 0);
            int x = b.addTensor("x", new int[] {1, 4}, TensorType.INT8, q, null);
            int y = b.addTensor("y", new int[] {1, 4}, TensorType.INT8, q, null);
            int z = b.addTensor("z", new int[] {1, 4}, TensorType.INT8, q, null);
            b.addOperator(BuiltinOperator.SOFTMAX, in(x), in(y), null);
            b.addOperator(BuiltinOperator.ADD, 2, in(y, y), in(z), new BuiltinOptions.Add(FusedActivation.NONE));
            b.inputs(x).outputs(z);
        }, "operator 0: SOFTMAX (builtin 25) is not supported here: only as the model's last operators");
    }

    @Test
    void floatAndUint8ModelsAreRefusedClearly() {
        refuses(b -> {
            int x = b.addTensor("x", new int[] {1, 2, 2, 1}, TensorType.FLOAT32, null, null);
            int w = b.addTensor("w", new int[] {1, 1, 1, 1}, TensorType.FLOAT32, null, new byte[4]);
            int bias = b.addTensor("b", new int[] {1}, TensorType.FLOAT32, null, new byte[4]);
            int y = b.addTensor("y", new int[] {1, 2, 2, 1}, TensorType.FLOAT32, null, null);
            b.addOperator(BuiltinOperator.CONV_2D, 1, new int[] {x, w, bias}, in(y),
                    new BuiltinOptions.Conv2D(Padding.SAME, 1, 1, FusedActivation.NONE));
            b.inputs(x).outputs(y);
        }, "tensor 0 (x) is FLOAT32", "tinytrain imports int8-quantized models");
        refuses(b -> {
            Quantization q = Quantization.perTensor(0.1f, 0);
            int x = b.addTensor("x", new int[] {1, 4}, TensorType.UINT8, q, null);
            int y = b.addTensor("y", new int[] {1, 4}, TensorType.UINT8, q, null);
            b.addOperator(BuiltinOperator.ADD, 1, in(x, x), in(y), new BuiltinOptions.Add(FusedActivation.NONE));
            b.inputs(x).outputs(y);
        }, "tensor 0 (x) is UINT8", "uint8 (asymmetric) models are not supported");
    }

    @Test
    void unsupportedOptionsAndLayoutsAreNamed() {
        Quantization q = Quantization.perTensor(0.1f, 0);
        refuses(b -> {
            int x = b.addTensor("x", new int[] {1, 5, 5, 2}, TensorType.INT8, q, null);
            int w = b.addTensor("w", new int[] {3, 3, 3, 2}, TensorType.INT8, Quantization.perTensor(0.01f, 0),
                    new byte[54]);
            int bias = b.addInt32Tensor("b", new int[] {3}, null, new int[3]);
            int y = b.addTensor("y", new int[] {1, 1, 1, 3}, TensorType.INT8, q, null);
            b.addOperator(BuiltinOperator.CONV_2D, 3, new int[] {x, w, bias}, in(y),
                    new BuiltinOptions.Conv2D(Padding.VALID, 1, 1, FusedActivation.NONE, 2, 2));
            b.inputs(x).outputs(y);
        }, "operator 0 (CONV_2D): dilation 2x2 is not supported");
        refuses(b -> {
            int x = b.addTensor("x", new int[] {1, 4, 4, 2}, TensorType.INT8, q, null);
            int w = b.addTensor("w", new int[] {1, 3, 3, 4}, TensorType.INT8, Quantization.perTensor(0.01f, 0),
                    new byte[36]);
            int bias = b.addInt32Tensor("b", new int[] {4}, null, new int[4]);
            int y = b.addTensor("y", new int[] {1, 4, 4, 4}, TensorType.INT8, q, null);
            b.addOperator(BuiltinOperator.DEPTHWISE_CONV_2D, 3, new int[] {x, w, bias}, in(y),
                    new BuiltinOptions.DepthwiseConv2D(Padding.SAME, 1, 1, 2, FusedActivation.NONE, 1, 1));
            b.inputs(x).outputs(y);
        }, "operator 0 (DEPTHWISE_CONV_2D): depth multiplier 4/2 is not supported");
        refuses(b -> {
            int x = b.addTensor("x", new int[] {1, 4}, TensorType.INT8, q, null);
            int w = b.addTensor("w", new int[] {2, 4}, TensorType.INT8,
                    new Quantization(new float[] {0.01f}, new int[] {5}, 0), new byte[8]);
            int y = b.addTensor("y", new int[] {1, 2}, TensorType.INT8, q, null);
            b.addOperator(BuiltinOperator.FULLY_CONNECTED, 4, new int[] {x, w, -1}, in(y),
                    new BuiltinOptions.FullyConnected(FusedActivation.NONE, false));
            b.inputs(x).outputs(y);
        }, "weight tensor 1 (w) has zero point 5; int8 weights must be symmetric");
        refuses(b -> {
            int x = b.addTensor("x", new int[] {1, 2, 2, 1}, TensorType.INT8, q, null);
            int pads = b.addInt32Tensor("p", new int[] {4, 2}, null, new int[] {0, 0, 1, 1, 1, 1, 0, 0});
            int p = b.addTensor("padded", new int[] {1, 4, 4, 1}, TensorType.INT8, q, null);
            int y = b.addTensor("y", new int[] {1, 4, 4, 1}, TensorType.INT8, q, null);
            b.addOperator(BuiltinOperator.PAD, 2, new int[] {x, pads}, in(p), new BuiltinOptions.Pad());
            b.addOperator(BuiltinOperator.ADD, 2, in(p, p), in(y), new BuiltinOptions.Add(FusedActivation.NONE));
            b.inputs(x).outputs(y);
        }, "operator 0 (PAD) cannot be folded into a conv", "by operator 1 (ADD)");
    }

    @Test
    void corruptBytesGiveFormatErrorsWithOffsets() {
        byte[] model = tinyModel(false, false, false);
        TfliteFormatException e = assertThrows(TfliteFormatException.class,
                () -> TfliteImporter.read(Arrays.copyOf(model, model.length / 3), "m"));
        assertTrue(e.offset() >= 0 && e.getMessage().contains("byte offset " + e.offset()), e.getMessage());
        assertTrue(e.getMessage().contains("past the end") || e.getMessage().contains("outside"), e.getMessage());

        byte[] notTflite = model.clone();
        notTflite[4] = 'X';
        e = assertThrows(TfliteFormatException.class, () -> TfliteImporter.read(notTflite, "m"));
        assertTrue(e.getMessage().contains("not a TF-Lite model: the file identifier is 'XFL3'"), e.getMessage());
        assertEquals(4, e.offset());

        e = assertThrows(TfliteFormatException.class, () -> TfliteImporter.read(new byte[5], "m"));
        assertTrue(e.getMessage().contains("the file has 5 bytes"), e.getMessage());

        byte[] rootPastEnd = model.clone();
        ByteBuffer.wrap(rootPastEnd).order(ByteOrder.LITTLE_ENDIAN).putInt(0, model.length + 100);
        e = assertThrows(TfliteFormatException.class, () -> TfliteImporter.read(rootPastEnd, "m"));
        assertTrue(e.getMessage().startsWith("model: table position"), e.getMessage());
    }

    @Test
    void missingFileIsNamed(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path missing = tmp.resolve("nope.tflite");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> TfliteImporter.read(missing));
        assertTrue(e.getMessage().contains("nope.tflite"), e.getMessage());
        Path bad = tmp.resolve("bad.tflite");
        Files.write(bad, new byte[] {1, 2, 3});
        TfliteFormatException f = assertThrows(TfliteFormatException.class, () -> TfliteImporter.read(bad));
        assertTrue(f.getMessage().startsWith(bad.toString() + ": "), f.getMessage());
        assertInstanceOf(TfliteImportException.class, f);
    }
}
