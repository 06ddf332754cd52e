package dev.tinytrain.tflite;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.GraphException;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Role;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.AddParams;
import dev.tinytrain.kernel.ChannelQuant;
import dev.tinytrain.kernel.KernelChecks;
import dev.tinytrain.kernel.MeanParams;
import dev.tinytrain.kernel.Windows;
import dev.tinytrain.tensor.DType;
import dev.tinytrain.tensor.Quantization;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an int8 {@code .tflite} model into a tinytrain {@link Graph}, decoding TF-Lite's flatbuffer
 * tables directly ({@link TfliteFile}, {@link CheckedTable}: every offset and length checked against
 * the bytes first).
 *
 * <p>Operators: CONV_2D, DEPTHWISE_CONV_2D (multiplier 1), FULLY_CONNECTED, ADD, AVERAGE_POOL_2D,
 * MEAN (over H and W), RESHAPE map one to one. PAD is folded into the padding of the conv that reads
 * it (the int8 PAD pads with the zero point, as the conv's own padding does), which is how the
 * paper's models pad stride-2 layers symmetrically. At the boundaries: a QUANTIZE of a float input is
 * dropped (the graph takes the int8 input; {@link ImportedModel#floatInput()} records its
 * quantization), and a final SOFTMAX and/or DEQUANTIZE are dropped (training uses logits; the arg
 * max is unchanged). Anything else is an error naming the operator, e.g.
 * {@code "operator 7: LOGISTIC (builtin 14) is not supported; ..."}.
 *
 * <p>Values are created graph inputs first, then in the file's tensor order, so a graph exported by
 * {@link TfliteExporter} (whose inputs come first, as every builder makes them) imports with the same
 * value ids, names, quantization and constants: the round trip is the identity.
 *
 * <p>Errors: {@link TfliteFormatException} (with a byte offset) for bytes that are not a well-formed
 * flatbuffer, {@link TfliteImportException} for a well-formed model tinytrain cannot take. Nothing
 * else escapes for any input bytes.
 */
public final class TfliteImporter {

    /** The schema version TF-Lite (and this reader) accepts. */
    private static final int SCHEMA_VERSION = 3;

    private static final Set<BuiltinOperator> MAPPED = EnumSet.of(BuiltinOperator.CONV_2D,
            BuiltinOperator.DEPTHWISE_CONV_2D, BuiltinOperator.FULLY_CONNECTED, BuiltinOperator.ADD,
            BuiltinOperator.AVERAGE_POOL_2D, BuiltinOperator.MEAN, BuiltinOperator.RESHAPE);

    private static final String SUPPORTED = "CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, AVERAGE_POOL_2D, "
            + "MEAN, RESHAPE, PAD (before a conv), QUANTIZE (of a float input), SOFTMAX and DEQUANTIZE (at the end)";

    private TfliteImporter() {
    }

    /**
     * Reads a model file; the graph is named after the file (without {@code .tflite}).
     *
     * @throws IOException when the file cannot be read (the message names it)
     */
    public static ImportedModel read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "no such model file");
        }
        String name = file.getFileName().toString().replaceFirst("\\.tflite$", "");
        try {
            return read(bytes, name);
        } catch (TfliteFormatException e) {
            throw new TfliteFormatException(file + ": " + e.getMessage().replaceFirst(" \\(at byte offset \\d+\\)$", ""),
                    e.offset());
        } catch (TfliteImportException e) {
            throw new TfliteImportException(file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a model from its bytes into a graph named {@code name}. */
    public static ImportedModel read(byte[] bytes, String name) {
        java.util.Objects.requireNonNull(bytes, "bytes");
        java.util.Objects.requireNonNull(name, "name");
        TfliteFile file;
        try {
            file = new TfliteFile(bytes);
        } catch (IndexOutOfBoundsException | java.nio.BufferUnderflowException e) {
            // CheckedTable checks positions before reading; this is a safety net naming the failure all the same.
            throw new TfliteFormatException("unreadable flatbuffer: " + e.getMessage(), 0);
        }
        return new Run(file, name).run();
    }

    /** One import: the file, then the decisions made about its tensors and operators. */
    private static final class Run {
        private final TfliteFile f;
        private final String name;
        private final List<TfliteFile.Tensor> tensors;
        private final List<TfliteFile.Operator> ops;
        /** Operator index -> what it is. */
        private final BuiltinOperator[] kinds;
        /** Tensor index -> the operators reading it. */
        private final Map<Integer, List<Integer>> readers = new HashMap<>();
        /** Tensor index -> the operator writing it. */
        private final Map<Integer, Integer> writer = new HashMap<>();
        /** Operators that become no op of the graph (dropped boundary ops, folded PADs). */
        private final Set<Integer> skipped = new HashSet<>();
        /** Folded PAD: conv operator index -> the PAD's input tensor and its before-paddings (h, w). */
        private final Map<Integer, int[]> foldedPad = new HashMap<>();
        private final Map<Integer, Value> values = new HashMap<>();
        /** Weight tensor -> its output-channel axis (conv and fully connected 0, depthwise 3). */
        private final Map<Integer, Integer> weightAxis = new HashMap<>();
        private final Map<Integer, Integer> tensorOf = new HashMap<>();
        private int[] graphInputs;
        private int[] graphOutputs;
        private Quantization floatInput;
        private boolean softmaxDropped;
        private boolean floatOutput;
        private Graph.Builder b;
        /** The graph's ops and the file operator each came from. */
        private final Map<Op, Integer> opIndex = new LinkedHashMap<>();

        Run(TfliteFile f, String name) {
            this.f = f;
            this.name = name;
            this.tensors = f.tensors;
            this.ops = f.operators;
            this.kinds = new BuiltinOperator[ops.size()];
        }

        ImportedModel run() {
            if (f.version != SCHEMA_VERSION) {
                throw new TfliteImportException("the model has schema version " + f.version + "; TF-Lite and tinytrain"
                        + " read version " + SCHEMA_VERSION);
            }
            if (f.subgraphCount > 1) {
                throw new TfliteImportException("the model has " + f.subgraphCount + " subgraphs (control flow);"
                        + " tinytrain imports single-subgraph models");
            }
            checkIndices();
            classify();
            graphInputs = f.inputs.clone();
            graphOutputs = f.outputs.clone();
            if (graphInputs.length == 0 || graphOutputs.length == 0) {
                throw new TfliteImportException("the model has " + graphInputs.length + " inputs and "
                        + graphOutputs.length + " outputs; it needs at least one of each");
            }
            dropBoundaryOps();
            for (int i = 0; i < ops.size(); i++) {
                if (!skipped.contains(i) && kinds[i] == BuiltinOperator.PAD) {
                    foldPad(i);
                }
            }
            for (int i = 0; i < ops.size(); i++) {
                if (!skipped.contains(i) && !MAPPED.contains(kinds[i])) {
                    throw unsupported(i, kinds[i] == BuiltinOperator.SOFTMAX || kinds[i] == BuiltinOperator.DEQUANTIZE
                            ? " here: only as the model's last operators"
                            : kinds[i] == BuiltinOperator.QUANTIZE ? " here: only on a float model input" : "");
                }
            }
            makeValues();
            for (int i = 0; i < ops.size(); i++) {
                if (!skipped.contains(i)) {
                    op(i);
                }
            }
            for (Map.Entry<Op, Integer> e : opIndex.entrySet()) {
                checkRequantization(e.getKey(), e.getValue());
            }
            for (int t : graphOutputs) {
                b.outputs(values.get(t));
            }
            Graph g;
            try {
                g = b.build();
            } catch (GraphException e) {
                throw new TfliteImportException("the model's operators are inconsistent: " + e.getMessage(), e);
            }
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (TfliteFile.Operator op : ops) {
                counts.merge(opName(op.index()), 1, Integer::sum);
            }
            return new ImportedModel(g, tensorOf, counts, ops.size(), softmaxDropped, floatInput, floatOutput,
                    foldedPad.size(), f.description);
        }

        // ---- structure ---------------------------------------------------------------------

        private void checkIndices() {
            int n = tensors.size();
            for (int[] io : new int[][] {f.inputs, f.outputs}) {
                for (int t : io) {
                    if (t < 0 || t >= n) {
                        throw new TfliteImportException("subgraph input/output tensor index " + t + " is out of range [0, "
                                + n + ")");
                    }
                }
            }
            for (TfliteFile.Tensor t : tensors) {
                if (t.buffer() < 0 || t.buffer() >= Math.max(f.buffers.size(), 1)) {
                    throw new TfliteImportException(tensor(t.index()) + " refers to buffer " + t.buffer() + " of "
                            + f.buffers.size());
                }
            }
            for (TfliteFile.Operator op : ops) {
                if (op.opcodeIndex() < 0 || op.opcodeIndex() >= f.operatorCodes.size()) {
                    throw new TfliteImportException("operator " + op.index() + " has opcode index " + op.opcodeIndex()
                            + " of " + f.operatorCodes.size() + " operator codes");
                }
                for (int t : op.inputs()) {
                    if (t < -1 || t >= n) {
                        throw new TfliteImportException("operator " + op.index() + " (" + opName(op.index())
                                + ") reads tensor " + t + " of " + n);
                    }
                    if (t >= 0) {
                        readers.computeIfAbsent(t, k -> new ArrayList<>()).add(op.index());
                    }
                }
                for (int t : op.outputs()) {
                    if (t < 0 || t >= n) {
                        throw new TfliteImportException("operator " + op.index() + " (" + opName(op.index())
                                + ") writes tensor " + t + " of " + n);
                    }
                    if (writer.put(t, op.index()) != null) {
                        throw new TfliteImportException(tensor(t) + " is written by two operators");
                    }
                }
            }
        }

        private void classify() {
            for (TfliteFile.Operator op : ops) {
                TfliteFile.OperatorCode code = f.operatorCodes.get(op.opcodeIndex());
                if (code.builtin() == 32 || code.custom() != null) {
                    throw new TfliteImportException("operator " + op.index() + " is the custom operator '"
                            + code.custom() + "', which is not supported; supported: " + SUPPORTED);
                }
                BuiltinOperator k = BuiltinOperator.ofCodeOrNull(code.builtin());
                if (k == null || !(MAPPED.contains(k) || k == BuiltinOperator.PAD || k == BuiltinOperator.SOFTMAX
                        || k == BuiltinOperator.QUANTIZE || k == BuiltinOperator.DEQUANTIZE)) {
                    throw unsupported(op.index(), "");
                }
                kinds[op.index()] = k;
            }
        }

        /** Drops QUANTIZE on float inputs and SOFTMAX / DEQUANTIZE before the outputs. */
        private void dropBoundaryOps() {
            for (int i = 0; i < graphInputs.length; i++) {
                int t = graphInputs[i];
                List<Integer> rs = readers.getOrDefault(t, List.of());
                if (tensors.get(t).type() == TensorType.FLOAT32.code() && rs.size() == 1
                        && kinds[rs.getFirst()] == BuiltinOperator.QUANTIZE) {
                    int q = rs.getFirst();
                    int out = single(q, ops.get(q).outputs(), "output");
                    skipped.add(q);
                    graphInputs[i] = out;
                    floatInput = activationQuant(out);
                }
            }
            for (int i = 0; i < graphOutputs.length; i++) {
                int t = graphOutputs[i];
                while (true) {
                    Integer w = writer.get(t);
                    if (w == null || (kinds[w] != BuiltinOperator.SOFTMAX && kinds[w] != BuiltinOperator.DEQUANTIZE)) {
                        break;
                    }
                    int in = single(w, ops.get(w).inputs(), "input");
                    if (readers.getOrDefault(in, List.of()).size() != 1 || isGraphOutput(in)) {
                        break;    // its input is used elsewhere too: not a pure tail
                    }
                    skipped.add(w);
                    if (kinds[w] == BuiltinOperator.SOFTMAX) {
                        softmaxDropped = true;
                    } else {
                        floatOutput = true;
                    }
                    t = in;
                }
                graphOutputs[i] = t;
            }
        }

        private boolean isGraphOutput(int t) {
            for (int o : f.outputs) {
                if (o == t) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Folds PAD {@code p} into the conv reading its output: that conv then reads the PAD's input with
         * the PAD's top and left padding (the bottom and right follow from the output size).
         */
        private void foldPad(int p) {
            TfliteFile.Operator pad = ops.get(p);
            if (pad.inputs().length != 2 || pad.outputs().length != 1 || pad.inputs()[0] < 0 || pad.inputs()[1] < 0) {
                throw new TfliteImportException(opLabel(p) + " must have 2 inputs and 1 output");
            }
            int in = pad.inputs()[0];
            int out = pad.outputs()[0];
            List<Integer> rs = readers.getOrDefault(out, List.of());
            String cannot = opLabel(p) + " cannot be folded into a conv: ";
            if (rs.size() != 1 || isGraphOutput(out)) {
                String by = rs.stream().distinct().map(this::opLabel).collect(java.util.stream.Collectors.joining(", "));
                throw new TfliteImportException(cannot + "its output " + tensor(out) + " is "
                        + (isGraphOutput(out) ? "a model output" + (by.isEmpty() ? "" : " and ") : "")
                        + (by.isEmpty() ? "" : "read " + rs.size() + " times, by " + by) + "; it must be read once, as"
                        + " the input of a CONV_2D or DEPTHWISE_CONV_2D (PAD elsewhere is not supported)");
            }
            int c = rs.getFirst();
            TfliteFile.Operator conv = ops.get(c);
            if ((kinds[c] != BuiltinOperator.CONV_2D && kinds[c] != BuiltinOperator.DEPTHWISE_CONV_2D)
                    || conv.inputs().length < 1 || conv.inputs()[0] != out) {
                throw new TfliteImportException(cannot + "its output is read by " + opLabel(c)
                        + ", not as the input of a CONV_2D or DEPTHWISE_CONV_2D");
            }
            if (padding(c) != Padding.VALID) {
                throw new TfliteImportException(cannot + opLabel(c) + " pads again (SAME)");
            }
            int[] inShape = activationShape(in, 4);
            if (!sameQuant(in, out)) {
                throw new TfliteImportException(cannot + "its input and output quantizations differ");
            }
            int[] pads = paddings(p, pad.inputs()[1], inShape.length);
            if (pads[0] != 0 || pads[1] != 0 || pads[6] != 0 || pads[7] != 0) {
                throw new TfliteImportException(cannot + "it pads the batch or channel dimension: "
                        + Arrays.toString(pads));
            }
            int[] outShape = activationShape(out, 4);
            for (int d = 0; d < 4; d++) {
                if (outShape[d] != (long) inShape[d] + pads[2 * d] + pads[2 * d + 1]) {
                    throw new TfliteImportException(opLabel(p) + ": output " + Arrays.toString(outShape) + " is not the"
                            + " input " + Arrays.toString(inShape) + " padded by " + Arrays.toString(pads));
                }
            }
            skipped.add(p);
            foldedPad.put(c, new int[] {in, pads[2], pads[4]});
        }

        /** The PAD's paddings as a flat [rank * 2] array (before, after per dimension). */
        private int[] paddings(int p, int t, int rank) {
            TfliteFile.Tensor pt = tensors.get(t);
            byte[] data = constantData(t);
            if (data == null) {
                throw new TfliteImportException(opLabel(p) + ": the paddings " + tensor(t) + " must be a constant");
            }
            int size = pt.type() == TensorType.INT64.code() ? 8 : pt.type() == TensorType.INT32.code() ? 4 : 0;
            if (size == 0 || !Arrays.equals(pt.shape(), new int[] {rank, 2}) || data.length != rank * 2 * size) {
                throw new TfliteImportException(opLabel(p) + ": the paddings " + tensor(t) + " must be int32 or int64 ["
                        + rank + ", 2], got " + TensorType.nameOf(pt.type()) + Arrays.toString(pt.shape()) + " with "
                        + data.length + " bytes");
            }
            ByteBuffer bb = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            int[] pads = new int[rank * 2];
            for (int i = 0; i < pads.length; i++) {
                long v = size == 8 ? bb.getLong() : bb.getInt();
                if (v < 0 || v > 1 << 16) {
                    throw new TfliteImportException(opLabel(p) + ": padding " + v + " is out of range");
                }
                pads[i] = (int) v;
            }
            return pads;
        }

        // ---- values --------------------------------------------------------------------------

        /**
         * Every tensor a kept operator reads or writes becomes a value: graph inputs first, then in
         * tensor order. Constants become int8 weights or int32 biases, the rest int8 activations.
         */
        private void makeValues() {
            b = Graph.builder(name);
            Map<Integer, String> use = new LinkedHashMap<>();     // tensor -> "weight", "bias" or "activation"
            for (int i = 0; i < ops.size(); i++) {
                if (skipped.contains(i)) {
                    continue;
                }
                TfliteFile.Operator op = ops.get(i);
                int[] in = op.inputs();
                switch (kinds[i]) {
                    case CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED -> {
                        if (in.length < 2 || in.length > 3 || in[0] < 0 || in[1] < 0) {
                            throw new TfliteImportException(opLabel(i) + " needs an input, a weight and an optional bias,"
                                    + " got inputs " + Arrays.toString(in));
                        }
                        int[] folded = foldedPad.get(i);
                        use(use, folded != null ? folded[0] : in[0], "activation", i);
                        use(use, in[1], "weight", i);
                        weightAxis.put(in[1], kinds[i] == BuiltinOperator.DEPTHWISE_CONV_2D ? 3 : 0);
                        if (in.length == 3 && in[2] >= 0) {
                            use(use, in[2], "bias", i);
                        }
                    }
                    case ADD -> {
                        if (in.length != 2 || in[0] < 0 || in[1] < 0) {
                            throw new TfliteImportException(opLabel(i) + " needs 2 inputs, got " + Arrays.toString(in));
                        }
                        use(use, in[0], "activation", i);
                        use(use, in[1], "activation", i);
                    }
                    case AVERAGE_POOL_2D, MEAN, RESHAPE -> {
                        if (in.length < 1 || in[0] < 0) {
                            throw new TfliteImportException(opLabel(i) + " has no input");
                        }
                        use(use, in[0], "activation", i);
                    }
                    default -> throw new IllegalStateException("unexpected " + kinds[i]);
                }
                if (op.outputs().length != 1) {
                    throw new TfliteImportException(opLabel(i) + " must have 1 output, has " + op.outputs().length);
                }
                use(use, op.outputs()[0], "activation", i);
            }
            for (int t : graphOutputs) {
                use(use, t, "activation", -1);
            }
            Set<String> names = new HashSet<>();
            for (int t : graphInputs) {
                if (values.containsKey(t)) {
                    throw new TfliteImportException(tensor(t) + " is listed twice as a model input");
                }
                if (constantData(t) != null) {
                    throw new TfliteImportException("model input " + tensor(t) + " has constant data");
                }
                int[] shape = activationShape(t, 0);
                Value v = b.input(uniqueName(t, names), shape, DType.INT8, activationQuant(t), Role.INPUT);
                record(t, v);
            }
            for (int t = 0; t < tensors.size(); t++) {
                String kind = use.get(t);
                if (kind == null || values.containsKey(t)) {
                    continue;
                }
                String n = uniqueName(t, names);
                Value v = switch (kind) {
                    case "weight" -> {
                        int[] shape = checkedShape(t);
                        byte[] data = constantOf(t, TensorType.INT8, shape, "weight");
                        yield b.constant(n, shape, weightQuant(t, shape, weightAxis.getOrDefault(t, 0)), data);
                    }
                    case "bias" -> {
                        int[] shape = checkedShape(t);
                        byte[] data = constantOf(t, TensorType.INT32, shape, "bias");
                        int[] ints = new int[data.length / 4];
                        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(ints);
                        yield b.constant(n, shape, ints);
                    }
                    default -> {
                        if (constantData(t) != null) {
                            throw new TfliteImportException(tensor(t) + " is constant but read as an activation"
                                    + " (constant operands of ADD, pooling or reshape are not supported)");
                        }
                        if (!writer.containsKey(t)) {
                            throw new TfliteImportException(tensor(t) + " is read but neither a model input, a constant"
                                    + " nor written by an operator");
                        }
                        yield b.value(n, activationShape(t, 0), DType.INT8, activationQuant(t), Role.ACTIVATION);
                    }
                };
                record(t, v);
            }
        }

        private void use(Map<Integer, String> use, int t, String kind, int op) {
            String before = use.putIfAbsent(t, kind);
            if (before != null && !before.equals(kind)) {
                throw new TfliteImportException(tensor(t) + " is used both as " + before + " and as " + kind
                        + (op >= 0 ? " (by " + opLabel(op) + ")" : ""));
            }
        }

        private void record(int t, Value v) {
            values.put(t, v);
            tensorOf.put(v.id(), t);
        }

        private String uniqueName(int t, Set<String> names) {
            String n = tensors.get(t).name();
            if (n == null || n.isEmpty()) {
                n = "t" + t;
            }
            if (!names.add(n)) {
                n = n + "#" + t;
                names.add(n);
            }
            return n;
        }

        private int[] checkedShape(int t) {
            int[] shape = tensors.get(t).shape();
            if (shape.length == 0 || shape.length > 8) {
                throw new TfliteImportException(tensor(t) + " has rank " + shape.length + "; tinytrain needs rank 1 to 8");
            }
            long elements = 1;
            for (int d : shape) {
                if (d < 1) {
                    throw new TfliteImportException(tensor(t) + " has shape " + Arrays.toString(shape)
                            + "; every dimension must be >= 1 (dynamic shapes are not supported)");
                }
                elements *= d;
                if (elements > Integer.MAX_VALUE) {
                    throw new TfliteImportException(tensor(t) + " has shape " + Arrays.toString(shape)
                            + ", more than 2^31 elements");
                }
            }
            return shape;
        }

        /** The shape of an int8 activation (rank {@code rank}, or any when 0), checked. */
        private int[] activationShape(int t, int rank) {
            TfliteFile.Tensor tt = tensors.get(t);
            checkType(t, TensorType.INT8, "activation");
            int[] shape = checkedShape(t);
            if (rank > 0 && shape.length != rank) {
                throw new TfliteImportException(tensor(t) + " has shape " + Arrays.toString(shape) + "; rank " + rank
                        + " (NHWC) is needed here");
            }
            if (tt.variable() || tt.sparse()) {
                throw new TfliteImportException(tensor(t) + " is " + (tt.variable() ? "a variable" : "sparse")
                        + "; not supported");
            }
            return shape;
        }

        private void checkType(int t, TensorType want, String role) {
            int type = tensors.get(t).type();
            if (type == want.code()) {
                return;
            }
            String got = TensorType.nameOf(type);
            String hint = type == TensorType.FLOAT32.code()
                    ? "; tinytrain imports int8-quantized models (quantize a float model to int8 first, e.g. with"
                    + " TF-Lite's converter and a representative dataset)"
                    : type == TensorType.UINT8.code() ? "; uint8 (asymmetric) models are not supported: convert to int8"
                    : "";
            throw new TfliteImportException(tensor(t) + " is " + got + " (type " + type + "), but a " + role
                    + " must be " + want + hint);
        }

        private Quantization activationQuant(int t) {
            TfliteFile.Tensor tt = tensors.get(t);
            checkType(t, TensorType.INT8, "activation");
            if (tt.scales() == null || tt.zeroPoints() == null || tt.scales().length != 1 || tt.zeroPoints().length != 1) {
                throw new TfliteImportException(tensor(t) + " needs one scale and one zero point (per-tensor int8"
                        + " quantization), has " + (tt.scales() == null ? 0 : tt.scales().length) + " and "
                        + (tt.zeroPoints() == null ? 0 : tt.zeroPoints().length));
            }
            return Quantization.perTensor(scale(t, tt.scales()[0]), zeroPoint(t, tt.zeroPoints()[0]));
        }

        /**
         * A weight's quantization; one scale is per-tensor, except on a layer with one output channel,
         * where it is that channel's (per-channel on the channel axis, which is how such a layer is built).
         */
        private Quantization weightQuant(int t, int[] shape, int channelAxis) {
            TfliteFile.Tensor tt = tensors.get(t);
            float[] s = tt.scales();
            long[] z = tt.zeroPoints();
            if (s == null || s.length == 0) {
                throw new TfliteImportException("weight " + tensor(t) + " has no quantization scales");
            }
            if (z != null && z.length != s.length && z.length != 1) {
                throw new TfliteImportException("weight " + tensor(t) + " has " + s.length + " scales but " + z.length
                        + " zero points");
            }
            for (long zp : z == null ? new long[0] : z) {
                if (zp != 0) {
                    throw new TfliteImportException("weight " + tensor(t) + " has zero point " + zp
                            + "; int8 weights must be symmetric (zero point 0)");
                }
            }
            float[] scales = new float[s.length];
            for (int i = 0; i < s.length; i++) {
                scales[i] = scale(t, s[i]);
            }
            if (s.length == 1) {
                return channelAxis < shape.length && shape[channelAxis] == 1
                        ? Quantization.perChannel(scales, channelAxis) : Quantization.perTensor(scales[0], 0);
            }
            int axis = tt.quantizedDimension();
            if (axis < 0 || axis >= shape.length || shape[axis] != s.length) {
                throw new TfliteImportException("weight " + tensor(t) + " " + Arrays.toString(shape) + " has "
                        + s.length + " scales on quantized dimension " + axis);
            }
            return Quantization.perChannel(scales, axis);
        }

        private float scale(int t, float s) {
            if (!(s > 0f) || Float.isInfinite(s)) {
                throw new TfliteImportException(tensor(t) + " has scale " + s + "; scales must be finite and > 0");
            }
            return s;
        }

        private int zeroPoint(int t, long z) {
            if (z < -128 || z > 127) {
                throw new TfliteImportException(tensor(t) + " has zero point " + z + ", outside int8 [-128, 127]");
            }
            return (int) z;
        }

        private boolean sameQuant(int a, int b) {
            return activationQuant(a).equals(activationQuant(b));
        }

        /** The constant bytes of a tensor, or null when it has no data. */
        private byte[] constantData(int t) {
            int buf = tensors.get(t).buffer();
            return buf == 0 || buf >= f.buffers.size() ? null : f.data(buf);
        }

        private byte[] constantOf(int t, TensorType type, int[] shape, String role) {
            checkType(t, type, role);
            byte[] data = constantData(t);
            if (data == null) {
                throw new TfliteImportException(role + " " + tensor(t) + " must be a constant (it has no data)");
            }
            long want = (long) type.bytes() * Arrays.stream(shape).asLongStream().reduce(1, (x, y) -> x * y);
            if (data.length != want) {
                throw new TfliteImportException(role + " " + tensor(t) + " " + Arrays.toString(shape) + " needs " + want
                        + " bytes of data, its buffer has " + data.length);
            }
            return data;
        }

        // ---- operators -----------------------------------------------------------------------

        private void op(int i) {
            TfliteFile.Operator op = ops.get(i);
            int[] in = op.inputs();
            Value y = values.get(op.outputs()[0]);
            switch (kinds[i]) {
                case CONV_2D, DEPTHWISE_CONV_2D -> conv(i, in, y);
                case FULLY_CONNECTED -> {
                    CheckedTable o = options(i, TfliteSchema.BuiltinOptionsType.FULLY_CONNECTED_OPTIONS);
                    int format = o == null ? 0 : o.getByte(TfliteSchema.FullyConnectedOptions.WEIGHTS_FORMAT,
                            "weights_format", (byte) 0);
                    if (format != 0) {
                        throw new TfliteImportException(opLabel(i) + ": weights format " + format
                                + " is not supported (only DEFAULT)");
                    }
                    Value x = values.get(in[0]);
                    Value w = values.get(in[1]);
                    if (w.shape().length != 2) {
                        throw new TfliteImportException(opLabel(i) + ": weight " + w.name() + " "
                                + Arrays.toString(w.shape()) + " must be [units, features]");
                    }
                    long rows = x.elements() / w.shape()[1];
                    if (x.elements() % w.shape()[1] != 0 || rows != x.shape()[0]) {
                        throw new TfliteImportException(opLabel(i) + ": input " + x.name() + " "
                                + Arrays.toString(x.shape()) + " must be [rows, ...] with " + w.shape()[1]
                                + " features per row (the first dimension)");
                    }
                    add(i, new Op.FullyConnected(x, w, bias(in), y, activation(i, o, y,
                            TfliteSchema.FullyConnectedOptions.FUSED_ACTIVATION_FUNCTION)));
                }
                case ADD -> {
                    CheckedTable o = options(i, TfliteSchema.BuiltinOptionsType.ADD_OPTIONS);
                    add(i, new Op.Add(values.get(in[0]), values.get(in[1]), y,
                            activation(i, o, y, TfliteSchema.AddOptions.FUSED_ACTIVATION_FUNCTION)));
                }
                case AVERAGE_POOL_2D -> {
                    CheckedTable o = options(i, TfliteSchema.BuiltinOptionsType.POOL_2D_OPTIONS);
                    Value x = values.get(in[0]);
                    int[] xs = rank4(i, x);
                    int sw = positive(i, o, TfliteSchema.Pool2DOptions.STRIDE_W, "stride_w");
                    int sh = positive(i, o, TfliteSchema.Pool2DOptions.STRIDE_H, "stride_h");
                    int fw = positive(i, o, TfliteSchema.Pool2DOptions.FILTER_WIDTH, "filter_width");
                    int fh = positive(i, o, TfliteSchema.Pool2DOptions.FILTER_HEIGHT, "filter_height");
                    Padding pad = paddingOf(i, o.getByte(TfliteSchema.Pool2DOptions.PADDING, "padding", (byte) 0));
                    checkOutput(i, xs, y, fh, fw, sh, sw, pad);
                    add(i, new Op.AvgPool2d(x, y, fh, fw, sh, sw, pad.padBefore(xs[1], fh, sh),
                            pad.padBefore(xs[2], fw, sw),
                            activation(i, o, y, TfliteSchema.Pool2DOptions.FUSED_ACTIVATION_FUNCTION)));
                }
                case MEAN -> mean(i, in, y);
                case RESHAPE -> add(i, new Op.Reshape(values.get(in[0]), y));
                default -> throw new IllegalStateException("unexpected " + kinds[i]);
            }
        }

        private void conv(int i, int[] in, Value y) {
            boolean dw = kinds[i] == BuiltinOperator.DEPTHWISE_CONV_2D;
            CheckedTable o = options(i, dw ? TfliteSchema.BuiltinOptionsType.DEPTHWISE_CONV_2D_OPTIONS
                    : TfliteSchema.BuiltinOptionsType.CONV_2D_OPTIONS);
            int[] folded = foldedPad.get(i);
            Value x = values.get(folded != null ? folded[0] : in[0]);
            Value w = values.get(in[1]);
            int[] xs = rank4(i, x);
            int[] ws = w.shape();
            if (ws.length != 4) {
                throw new TfliteImportException(opLabel(i) + ": weight " + w.name() + " " + Arrays.toString(ws)
                        + " must have rank 4");
            }
            int sw = positive(i, o, dw ? TfliteSchema.DepthwiseConv2DOptions.STRIDE_W
                    : TfliteSchema.Conv2DOptions.STRIDE_W, "stride_w");
            int sh = positive(i, o, dw ? TfliteSchema.DepthwiseConv2DOptions.STRIDE_H
                    : TfliteSchema.Conv2DOptions.STRIDE_H, "stride_h");
            int dilW = o.getInt(dw ? TfliteSchema.DepthwiseConv2DOptions.DILATION_W_FACTOR
                    : TfliteSchema.Conv2DOptions.DILATION_W_FACTOR, "dilation_w_factor", 1);
            int dilH = o.getInt(dw ? TfliteSchema.DepthwiseConv2DOptions.DILATION_H_FACTOR
                    : TfliteSchema.Conv2DOptions.DILATION_H_FACTOR, "dilation_h_factor", 1);
            if (dilW != 1 || dilH != 1) {
                throw new TfliteImportException(opLabel(i) + ": dilation " + dilH + "x" + dilW
                        + " is not supported (only 1)");
            }
            Padding pad = paddingOf(i, o.getByte(dw ? TfliteSchema.DepthwiseConv2DOptions.PADDING
                    : TfliteSchema.Conv2DOptions.PADDING, "padding", (byte) 0));
            int kh = ws[1];
            int kw = ws[2];
            if (dw) {
                if (ws[0] != 1) {
                    throw new TfliteImportException(opLabel(i) + ": depthwise weight " + Arrays.toString(ws)
                            + " must be [1, kh, kw, channels]");
                }
                if (ws[3] != xs[3]) {
                    throw new TfliteImportException(opLabel(i) + ": depth multiplier " + ws[3] + "/" + xs[3]
                            + " is not supported (only 1: weight channels equal to input channels)");
                }
            } else if (ws[3] != xs[3]) {
                throw new TfliteImportException(opLabel(i) + ": weight " + Arrays.toString(ws) + " reads " + ws[3]
                        + " input channels, the input has " + xs[3] + " (grouped convolution is not supported)");
            }
            int padH;
            int padW;
            if (folded != null) {
                padH = folded[1];
                padW = folded[2];
                int[] padded = activationShape(in[0], 4);
                checkOutput(i, padded, y, kh, kw, sh, sw, Padding.VALID);
                String h = Windows.problem(xs[1], y.shape()[1], kh, sh, padH);
                String wp = Windows.problem(xs[2], y.shape()[2], kw, sw, padW);
                if (h != null || wp != null) {
                    throw new TfliteImportException(opLabel(i) + ": the padding of the PAD before it cannot be folded ("
                            + (h != null ? "height: " + h : "width: " + wp) + ")");
                }
            } else {
                checkOutput(i, xs, y, kh, kw, sh, sw, pad);
                padH = pad.padBefore(xs[1], kh, sh);
                padW = pad.padBefore(xs[2], kw, sw);
            }
            Activation act = activation(i, o, y, dw ? TfliteSchema.DepthwiseConv2DOptions.FUSED_ACTIVATION_FUNCTION
                    : TfliteSchema.Conv2DOptions.FUSED_ACTIVATION_FUNCTION);
            add(i, dw ? new Op.DepthwiseConv2d(x, w, bias(in), y, sh, sw, padH, padW, act)
                    : new Op.Conv2d(x, w, bias(in), y, sh, sw, padH, padW, act));
        }

        private void mean(int i, int[] in, Value y) {
            Value x = values.get(in[0]);
            int[] xs = rank4(i, x);
            if (in.length != 2 || in[1] < 0) {
                throw new TfliteImportException(opLabel(i) + " needs the input and the axes");
            }
            byte[] axesData = constantData(in[1]);
            TfliteFile.Tensor at = tensors.get(in[1]);
            if (axesData == null || at.type() != TensorType.INT32.code() || axesData.length % 4 != 0) {
                throw new TfliteImportException(opLabel(i) + ": the axes " + tensor(in[1])
                        + " must be a constant int32 tensor");
            }
            Set<Integer> axes = new HashSet<>();
            ByteBuffer ab = ByteBuffer.wrap(axesData).order(ByteOrder.LITTLE_ENDIAN);
            while (ab.hasRemaining()) {
                int a = ab.getInt();
                axes.add(a < 0 ? a + 4 : a);
            }
            if (!axes.equals(Set.of(1, 2))) {
                throw new TfliteImportException(opLabel(i) + ": MEAN over axes " + axes + " is not supported (only over"
                        + " height and width, axes 1 and 2)");
            }
            CheckedTable o = options(i, TfliteSchema.BuiltinOptionsType.REDUCER_OPTIONS);
            boolean keepDims = o != null && o.getBool(TfliteSchema.ReducerOptions.KEEP_DIMS, "keep_dims");
            if (keepDims) {
                add(i, new Op.Mean(x, y));
                return;
            }
            if (!Arrays.equals(y.shape(), new int[] {xs[0], xs[3]})) {
                throw new TfliteImportException(opLabel(i) + ": output " + Arrays.toString(y.shape()) + " must be ["
                        + xs[0] + ", " + xs[3] + "] without kept dims");
            }
            // tinytrain's mean keeps dims: mean to [n, 1, 1, c] then reshape to the file's [n, c].
            Value kept = b.value(y.name() + "/keepdims", new int[] {xs[0], 1, 1, xs[3]}, DType.INT8, y.quant(),
                    Role.ACTIVATION);
            add(i, new Op.Mean(x, kept));
            add(i, new Op.Reshape(kept, y));
        }

        private void add(int i, Op op) {
            b.op(op);
            opIndex.put(op, i);
        }

        /**
         * The requantization multipliers the kernels will use must be encodable (a Q31 multiplier and a
         * shift): an absurd ratio of scales is an error naming the operator, not a failure when it runs.
         */
        private void checkRequantization(Op op, int i) {
            try {
                switch (op) {
                    case Op.Conv2d c -> channels(ChannelQuant.of(c.input().scale(), channelScales(c.weight(),
                            c.output()), c.output().scale()));
                    case Op.DepthwiseConv2d d -> channels(ChannelQuant.of(d.input().scale(), channelScales(d.weight(),
                            d.output()), d.output().scale()));
                    case Op.FullyConnected f -> channels(ChannelQuant.of(f.input().scale(), channelScales(f.weight(),
                            f.output()), f.output().scale()));
                    case Op.Add a -> {
                        AddParams p = AddParams.of(a.a().scale(), a.a().zeroPoint(), a.b().scale(), a.b().zeroPoint(),
                                a.output().scale(), a.output().zeroPoint(), a.activation());
                        KernelChecks.requantize(p.input1Multiplier(), p.input1Shift());
                        KernelChecks.requantize(p.input2Multiplier(), p.input2Shift());
                        KernelChecks.requantize(p.outputMultiplier(), p.outputShift());
                    }
                    case Op.Mean m -> {
                        MeanParams p = MeanParams.of(m.input().scale(), m.input().zeroPoint(), m.output().scale(),
                                m.output().zeroPoint());
                        KernelChecks.requantize(p.multiplier(), p.shift());
                        int[] s = m.input().shape();
                        if ((long) s[1] * s[2] > 1 << 24) {
                            throw new IllegalArgumentException("a mean over " + s[1] + "x" + s[2] + " cells, more than"
                                    + " 2^24");
                        }
                    }
                    case Op.AvgPool2d p -> {
                        if ((long) p.filterH() * p.filterW() > 1 << 24) {
                            throw new IllegalArgumentException("a " + p.filterH() + "x" + p.filterW() + " pooling"
                                    + " window, more than 2^24 cells");
                        }
                    }
                    case Op.Reshape r -> { }
                    case Op.ConvDepthwise f -> throw new IllegalStateException("imported a fused op");
                    case dev.tinytrain.graph.TrainOp t -> throw new IllegalStateException("imported a training op");
                }
            } catch (IllegalArgumentException e) {
                throw new TfliteImportException(opLabel(i) + ": its scales or window give parameters the int8"
                        + " kernels cannot take (" + e.getMessage() + ")", e);
            }
        }

        private static void channels(ChannelQuant q) {
            for (int c = 0; c < q.channels(); c++) {
                KernelChecks.requantize(q.multiplier()[c], q.shift()[c]);
            }
        }

        private static float[] channelScales(Value w, Value y) {
            float[] s = w.quant().scales();
            if (s.length == 1) {
                int[] ys = y.shape();
                float[] all = new float[ys[ys.length - 1]];
                Arrays.fill(all, s[0]);
                return all;
            }
            return s;
        }

        private Value bias(int[] in) {
            return in.length == 3 && in[2] >= 0 ? values.get(in[2]) : null;
        }

        private int[] rank4(int i, Value x) {
            if (x.shape().length != 4) {
                throw new TfliteImportException(opLabel(i) + ": input " + x.name() + " " + Arrays.toString(x.shape())
                        + " must be NHWC (rank 4)");
            }
            return x.shape();
        }

        /** The output shape TF-Lite computes must be the output tensor's. */
        private void checkOutput(int i, int[] xs, Value y, int kh, int kw, int sh, int sw, Padding pad) {
            int[] ys = y.shape();
            int oh = pad.outputSize(xs[1], kh, sh);
            int ow = pad.outputSize(xs[2], kw, sw);
            if (ys.length != 4 || ys[1] != oh || ys[2] != ow || ys[0] != xs[0] || oh < 1 || ow < 1) {
                throw new TfliteImportException(opLabel(i) + ": output " + y.name() + " " + Arrays.toString(ys)
                        + " does not match the input " + Arrays.toString(xs) + " with a " + kh + "x" + kw + " window,"
                        + " stride " + sh + "x" + sw + ", " + pad + " padding (" + oh + "x" + ow + ")");
            }
        }

        /** The operator's options table; its union type, when present, must be {@code type}. */
        private CheckedTable options(int i, byte type) {
            TfliteFile.Operator op = ops.get(i);
            if (op.optionsType() != 0 && op.optionsType() != type) {
                throw new TfliteImportException(opLabel(i) + " has builtin options of union type " + op.optionsType()
                        + ", expected " + type);
            }
            return f.options(op);
        }

        private int positive(int i, CheckedTable o, int slot, String field) {
            int v = o == null ? 0 : o.getInt(slot, field, 0);
            if (v < 1) {
                throw new TfliteImportException(opLabel(i) + ": " + field + " is " + v + ", must be >= 1"
                        + (o == null ? " (the operator has no options)" : ""));
            }
            return v;
        }

        private Padding padding(int i) {
            boolean dw = kinds[i] == BuiltinOperator.DEPTHWISE_CONV_2D;
            CheckedTable o = options(i, dw ? TfliteSchema.BuiltinOptionsType.DEPTHWISE_CONV_2D_OPTIONS
                    : TfliteSchema.BuiltinOptionsType.CONV_2D_OPTIONS);
            return paddingOf(i, o == null ? 0 : o.getByte(dw ? TfliteSchema.DepthwiseConv2DOptions.PADDING
                    : TfliteSchema.Conv2DOptions.PADDING, "padding", (byte) 0));
        }

        private Padding paddingOf(int i, int code) {
            for (Padding p : Padding.values()) {
                if (p.code() == code) {
                    return p;
                }
            }
            throw new TfliteImportException(opLabel(i) + ": unknown padding " + code);
        }

        private Activation activation(int i, CheckedTable o, Value y, int slot) {
            int code = o == null ? 0 : o.getByte(slot, "fused_activation_function", (byte) 0);
            FusedActivation a = TfliteActivations.ofCode(code);
            if (a == null) {
                throw new TfliteImportException(opLabel(i) + ": fused activation " + code
                        + " is not supported (NONE, RELU, RELU_N1_TO_1, RELU6 are)");
            }
            return TfliteActivations.clamp(a, y.scale(), y.zeroPoint());
        }

        // ---- messages ------------------------------------------------------------------------

        private int single(int op, int[] tensorsOf, String what) {
            if (tensorsOf.length != 1 || tensorsOf[0] < 0) {
                throw new TfliteImportException(opLabel(op) + " must have exactly one " + what);
            }
            return tensorsOf[0];
        }

        private String opName(int i) {
            int code = f.operatorCodes.get(ops.get(i).opcodeIndex()).builtin();
            return BuiltinOperator.nameOf(code);
        }

        private String opLabel(int i) {
            return "operator " + i + " (" + opName(i) + ")";
        }

        private TfliteImportException unsupported(int i, String where) {
            int code = f.operatorCodes.get(ops.get(i).opcodeIndex()).builtin();
            return new TfliteImportException("operator " + i + ": " + BuiltinOperator.nameOf(code) + " (builtin " + code
                    + ") is not supported" + where + "; supported: " + SUPPORTED);
        }

        private String tensor(int t) {
            String n = tensors.get(t).name();
            return "tensor " + t + " (" + (n == null || n.isEmpty() ? "unnamed" : n) + ")";
        }
    }

    /** The supported operators, for help texts. */
    public static String supportedOperators() {
        return SUPPORTED;
    }
}
