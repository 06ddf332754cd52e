package dev.tinytrain.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.tinytrain.tensor.Quantization;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a TF-Lite flatbuffer model (schema version 3, one subgraph) by building the schema's tables
 * directly. Add tensors (constant ones carry their little-endian bytes), then operators in execution
 * order, name the graph's inputs and outputs, and {@link #build()}.
 *
 * <pre>{@code
 * TfliteModelBuilder b = new TfliteModelBuilder();
 * int x = b.addTensor("x", new int[] {1, 8, 8, 3}, TensorType.INT8, Quantization.perTensor(0.02f, -5), null);
 * ...
 * b.addOperator(BuiltinOperator.CONV_2D, 3, new int[] {x, w, bias}, new int[] {y},
 *         new BuiltinOptions.Conv2D(Padding.SAME, 1, 1, FusedActivation.RELU));
 * byte[] model = b.inputs(x).outputs(y).build();
 * }</pre>
 *
 * Buffer 0 is the schema's empty sentinel; every constant tensor gets a buffer of its own.
 */
public final class TfliteModelBuilder {

    private record TensorEntry(String name, int[] shape, TensorType type, Quantization quantization, int buffer) {
    }

    private record OperatorEntry(int opcodeIndex, int[] inputs, int[] outputs, BuiltinOptions options) {
    }

    private record OpcodeKey(BuiltinOperator op, int version) {
    }

    private final List<TensorEntry> tensors = new ArrayList<>();
    private final List<byte[]> buffers = new ArrayList<>();
    private final Map<OpcodeKey, Integer> opcodes = new LinkedHashMap<>();
    private final List<OperatorEntry> operators = new ArrayList<>();
    private int[] inputs = new int[0];
    private int[] outputs = new int[0];
    private String description = "tinytrain";
    private String subgraphName = "main";

    public TfliteModelBuilder() {
        buffers.add(null);      // buffer 0: the empty sentinel
    }

    /**
     * Adds a tensor.
     *
     * @param quantization per-tensor or per-channel ({@link Quantization#axis()} becomes
     *                     {@code quantized_dimension}); {@code null} for none
     * @param data         the constant's bytes (little-endian, row-major), or {@code null} for an activation
     * @return the tensor's index in the subgraph
     */
    public int addTensor(String name, int[] shape, TensorType type, Quantization quantization, byte[] data) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(type, "type");
        long elements = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor " + name + ": negative dimension in " + Arrays.toString(shape));
            }
            elements *= d;
        }
        if (quantization != null && !quantization.isPerTensor()
                && (quantization.axis() < 0 || quantization.axis() >= shape.length
                || shape[quantization.axis()] != quantization.scales().length)) {
            throw new IllegalArgumentException("tensor " + name + ": " + quantization.scales().length
                    + " per-channel scales do not match axis " + quantization.axis() + " of " + Arrays.toString(shape));
        }
        int buffer = 0;
        if (data != null) {
            if (data.length != elements * type.bytes()) {
                throw new IllegalArgumentException("tensor " + name + ": " + data.length + " data bytes for "
                        + elements + " elements of " + type);
            }
            buffers.add(data.clone());
            buffer = buffers.size() - 1;
        }
        tensors.add(new TensorEntry(name, shape.clone(), type, quantization, buffer));
        return tensors.size() - 1;
    }

    /** Adds a constant int32 tensor (a bias, an axis list), {@code values} in row-major order. */
    public int addInt32Tensor(String name, int[] shape, Quantization quantization, int[] values) {
        return addTensor(name, shape, TensorType.INT32, quantization, int32Bytes(values));
    }

    /** Adds an operator at version 1. */
    public int addOperator(BuiltinOperator op, int[] inputs, int[] outputs, BuiltinOptions options) {
        return addOperator(op, 1, inputs, outputs, options);
    }

    /**
     * Adds an operator after those added before (execution order).
     *
     * @param version the operator version the resolver looks up (TF-Lite registers a range per op)
     * @param inputs  tensor indices; -1 marks an omitted optional input
     * @param options the op's builtin options, or {@code null} for none
     * @return the operator's index
     */
    public int addOperator(BuiltinOperator op, int version, int[] inputs, int[] outputs, BuiltinOptions options) {
        Objects.requireNonNull(op, "op");
        checkIndices("operator " + op + " inputs", inputs, true);
        checkIndices("operator " + op + " outputs", outputs, false);
        if (version < 1) {
            throw new IllegalArgumentException("operator " + op + ": version must be >= 1, got " + version);
        }
        int opcode = opcodes.computeIfAbsent(new OpcodeKey(op, version), k -> opcodes.size());
        operators.add(new OperatorEntry(opcode, inputs.clone(), outputs.clone(), options));
        return operators.size() - 1;
    }

    /** The subgraph's input tensors. */
    public TfliteModelBuilder inputs(int... tensorIndices) {
        checkIndices("subgraph inputs", tensorIndices, false);
        this.inputs = tensorIndices.clone();
        return this;
    }

    /** The subgraph's output tensors. */
    public TfliteModelBuilder outputs(int... tensorIndices) {
        checkIndices("subgraph outputs", tensorIndices, false);
        this.outputs = tensorIndices.clone();
        return this;
    }

    /** The model's description string. */
    public TfliteModelBuilder description(String description) {
        this.description = Objects.requireNonNull(description, "description");
        return this;
    }

    /** The subgraph's name. */
    public TfliteModelBuilder subgraphName(String name) {
        this.subgraphName = Objects.requireNonNull(name, "name");
        return this;
    }

    public int tensorCount() {
        return tensors.size();
    }

    /** The finished flatbuffer, with the {@code TFL3} identifier. */
    public byte[] build() {
        FlatBufferBuilder fb = new FlatBufferBuilder(1024);

        int[] bufferOffsets = new int[buffers.size()];
        for (int i = 0; i < buffers.size(); i++) {
            bufferOffsets[i] = writeBuffer(fb, buffers.get(i));
        }
        int[] tensorOffsets = new int[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            tensorOffsets[i] = writeTensor(fb, tensors.get(i));
        }
        int[] operatorOffsets = new int[operators.size()];
        for (int i = 0; i < operators.size(); i++) {
            operatorOffsets[i] = writeOperator(fb, operators.get(i));
        }
        int[] opcodeOffsets = new int[opcodes.size()];
        int k = 0;
        for (OpcodeKey key : opcodes.keySet()) {
            opcodeOffsets[k++] = writeOperatorCode(fb, key);
        }

        int subgraphTensors = fb.createVectorOfTables(tensorOffsets);
        int subgraphInputs = intVector(fb, inputs);
        int subgraphOutputs = intVector(fb, outputs);
        int subgraphOperators = fb.createVectorOfTables(operatorOffsets);
        int subgraphNameOffset = fb.createString(subgraphName);
        fb.startTable(TfliteSchema.SubGraph.FIELD_COUNT);
        fb.addOffset(TfliteSchema.SubGraph.TENSORS, subgraphTensors, 0);
        fb.addOffset(TfliteSchema.SubGraph.INPUTS, subgraphInputs, 0);
        fb.addOffset(TfliteSchema.SubGraph.OUTPUTS, subgraphOutputs, 0);
        fb.addOffset(TfliteSchema.SubGraph.OPERATORS, subgraphOperators, 0);
        fb.addOffset(TfliteSchema.SubGraph.NAME, subgraphNameOffset, 0);
        int subgraph = fb.endTable();

        int opcodesVector = fb.createVectorOfTables(opcodeOffsets);
        int subgraphsVector = fb.createVectorOfTables(new int[] {subgraph});
        int descriptionOffset = fb.createString(description);
        int buffersVector = fb.createVectorOfTables(bufferOffsets);
        fb.startTable(TfliteSchema.Model.FIELD_COUNT);
        fb.addInt(TfliteSchema.Model.VERSION, TfliteSchema.SCHEMA_VERSION, 0);
        fb.addOffset(TfliteSchema.Model.OPERATOR_CODES, opcodesVector, 0);
        fb.addOffset(TfliteSchema.Model.SUBGRAPHS, subgraphsVector, 0);
        fb.addOffset(TfliteSchema.Model.DESCRIPTION, descriptionOffset, 0);
        fb.addOffset(TfliteSchema.Model.BUFFERS, buffersVector, 0);
        int model = fb.endTable();
        fb.finish(model, TfliteSchema.FILE_IDENTIFIER);
        return fb.sizedByteArray();
    }

    /** Little-endian bytes of int32 values. */
    public static byte[] int32Bytes(int[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    private static int writeBuffer(FlatBufferBuilder fb, byte[] data) {
        int dataVector = 0;
        if (data != null) {
            ByteBuffer v = fb.createUnintializedVector(1, data.length, TfliteSchema.Buffer.DATA_ALIGNMENT);
            v.put(data);
            dataVector = fb.endVector();
        }
        fb.startTable(TfliteSchema.Buffer.FIELD_COUNT);
        if (data != null) {
            fb.addOffset(TfliteSchema.Buffer.DATA, dataVector, 0);
        }
        return fb.endTable();
    }

    private static int writeTensor(FlatBufferBuilder fb, TensorEntry t) {
        int shape = intVector(fb, t.shape());
        int name = fb.createString(t.name());
        int quantization = t.quantization() == null ? 0 : writeQuantization(fb, t.quantization());
        fb.startTable(TfliteSchema.Tensor.FIELD_COUNT);
        fb.addOffset(TfliteSchema.Tensor.SHAPE, shape, 0);
        fb.addByte(TfliteSchema.Tensor.TYPE, (byte) t.type().code(), 0);
        fb.addInt(TfliteSchema.Tensor.BUFFER, t.buffer(), 0);
        fb.addOffset(TfliteSchema.Tensor.NAME, name, 0);
        if (quantization != 0) {
            fb.addOffset(TfliteSchema.Tensor.QUANTIZATION, quantization, 0);
        }
        return fb.endTable();
    }

    private static int writeQuantization(FlatBufferBuilder fb, Quantization q) {
        float[] scales = q.scales();
        int[] zeroPoints = q.zeroPoints();
        fb.startVector(4, scales.length, 4);
        for (int i = scales.length - 1; i >= 0; i--) {
            fb.addFloat(scales[i]);
        }
        int scaleVector = fb.endVector();
        fb.startVector(8, zeroPoints.length, 8);
        for (int i = zeroPoints.length - 1; i >= 0; i--) {
            fb.addLong(zeroPoints[i]);
        }
        int zeroPointVector = fb.endVector();
        fb.startTable(TfliteSchema.QuantizationParameters.FIELD_COUNT);
        fb.addOffset(TfliteSchema.QuantizationParameters.SCALE, scaleVector, 0);
        fb.addOffset(TfliteSchema.QuantizationParameters.ZERO_POINT, zeroPointVector, 0);
        fb.addInt(TfliteSchema.QuantizationParameters.QUANTIZED_DIMENSION, q.isPerTensor() ? 0 : q.axis(), 0);
        return fb.endTable();
    }

    private static int writeOperatorCode(FlatBufferBuilder fb, OpcodeKey key) {
        int code = key.op().code();
        fb.startTable(TfliteSchema.OperatorCode.FIELD_COUNT);
        fb.addByte(TfliteSchema.OperatorCode.DEPRECATED_BUILTIN_CODE,
                (byte) Math.min(code, TfliteSchema.OperatorCode.PLACEHOLDER_FOR_GREATER_OP_CODES), 0);
        fb.addInt(TfliteSchema.OperatorCode.VERSION, key.version(), 1);
        fb.addInt(TfliteSchema.OperatorCode.BUILTIN_CODE, code, 0);
        return fb.endTable();
    }

    private static int writeOperator(FlatBufferBuilder fb, OperatorEntry op) {
        int inputs = intVector(fb, op.inputs());
        int outputs = intVector(fb, op.outputs());
        byte optionsType = TfliteSchema.BuiltinOptionsType.NONE;
        int options = 0;
        if (op.options() != null) {
            optionsType = optionsType(op.options());
            options = writeOptions(fb, op.options());
        }
        fb.startTable(TfliteSchema.Operator.FIELD_COUNT);
        fb.addInt(TfliteSchema.Operator.OPCODE_INDEX, op.opcodeIndex(), 0);
        fb.addOffset(TfliteSchema.Operator.INPUTS, inputs, 0);
        fb.addOffset(TfliteSchema.Operator.OUTPUTS, outputs, 0);
        if (op.options() != null) {
            fb.addByte(TfliteSchema.Operator.BUILTIN_OPTIONS_TYPE, optionsType, 0);
            fb.addOffset(TfliteSchema.Operator.BUILTIN_OPTIONS, options, 0);
        }
        return fb.endTable();
    }

    private static byte optionsType(BuiltinOptions options) {
        return switch (options) {
            case BuiltinOptions.Conv2D o -> TfliteSchema.BuiltinOptionsType.CONV_2D_OPTIONS;
            case BuiltinOptions.DepthwiseConv2D o -> TfliteSchema.BuiltinOptionsType.DEPTHWISE_CONV_2D_OPTIONS;
            case BuiltinOptions.Pool2D o -> TfliteSchema.BuiltinOptionsType.POOL_2D_OPTIONS;
            case BuiltinOptions.FullyConnected o -> TfliteSchema.BuiltinOptionsType.FULLY_CONNECTED_OPTIONS;
            case BuiltinOptions.Add o -> TfliteSchema.BuiltinOptionsType.ADD_OPTIONS;
            case BuiltinOptions.Reshape o -> TfliteSchema.BuiltinOptionsType.RESHAPE_OPTIONS;
            case BuiltinOptions.Pad o -> TfliteSchema.BuiltinOptionsType.PAD_OPTIONS;
            case BuiltinOptions.Reducer o -> TfliteSchema.BuiltinOptionsType.REDUCER_OPTIONS;
        };
    }

    private static int writeOptions(FlatBufferBuilder fb, BuiltinOptions options) {
        switch (options) {
            case BuiltinOptions.Conv2D o -> {
                fb.startTable(TfliteSchema.Conv2DOptions.FIELD_COUNT);
                fb.addByte(TfliteSchema.Conv2DOptions.PADDING, (byte) o.padding().code(), 0);
                fb.addInt(TfliteSchema.Conv2DOptions.STRIDE_W, o.strideW(), 0);
                fb.addInt(TfliteSchema.Conv2DOptions.STRIDE_H, o.strideH(), 0);
                fb.addByte(TfliteSchema.Conv2DOptions.FUSED_ACTIVATION_FUNCTION, (byte) o.activation().code(), 0);
                fb.addInt(TfliteSchema.Conv2DOptions.DILATION_W_FACTOR, o.dilationW(), 1);
                fb.addInt(TfliteSchema.Conv2DOptions.DILATION_H_FACTOR, o.dilationH(), 1);
                return fb.endTable();
            }
            case BuiltinOptions.DepthwiseConv2D o -> {
                fb.startTable(TfliteSchema.DepthwiseConv2DOptions.FIELD_COUNT);
                fb.addByte(TfliteSchema.DepthwiseConv2DOptions.PADDING, (byte) o.padding().code(), 0);
                fb.addInt(TfliteSchema.DepthwiseConv2DOptions.STRIDE_W, o.strideW(), 0);
                fb.addInt(TfliteSchema.DepthwiseConv2DOptions.STRIDE_H, o.strideH(), 0);
                fb.addInt(TfliteSchema.DepthwiseConv2DOptions.DEPTH_MULTIPLIER, o.depthMultiplier(), 0);
                fb.addByte(TfliteSchema.DepthwiseConv2DOptions.FUSED_ACTIVATION_FUNCTION,
                        (byte) o.activation().code(), 0);
                fb.addInt(TfliteSchema.DepthwiseConv2DOptions.DILATION_W_FACTOR, o.dilationW(), 1);
                fb.addInt(TfliteSchema.DepthwiseConv2DOptions.DILATION_H_FACTOR, o.dilationH(), 1);
                return fb.endTable();
            }
            case BuiltinOptions.Pool2D o -> {
                fb.startTable(TfliteSchema.Pool2DOptions.FIELD_COUNT);
                fb.addByte(TfliteSchema.Pool2DOptions.PADDING, (byte) o.padding().code(), 0);
                fb.addInt(TfliteSchema.Pool2DOptions.STRIDE_W, o.strideW(), 0);
                fb.addInt(TfliteSchema.Pool2DOptions.STRIDE_H, o.strideH(), 0);
                fb.addInt(TfliteSchema.Pool2DOptions.FILTER_WIDTH, o.filterWidth(), 0);
                fb.addInt(TfliteSchema.Pool2DOptions.FILTER_HEIGHT, o.filterHeight(), 0);
                fb.addByte(TfliteSchema.Pool2DOptions.FUSED_ACTIVATION_FUNCTION, (byte) o.activation().code(), 0);
                return fb.endTable();
            }
            case BuiltinOptions.FullyConnected o -> {
                fb.startTable(TfliteSchema.FullyConnectedOptions.FIELD_COUNT);
                fb.addByte(TfliteSchema.FullyConnectedOptions.FUSED_ACTIVATION_FUNCTION,
                        (byte) o.activation().code(), 0);
                fb.addBoolean(TfliteSchema.FullyConnectedOptions.KEEP_NUM_DIMS, o.keepNumDims(), false);
                return fb.endTable();
            }
            case BuiltinOptions.Add o -> {
                fb.startTable(TfliteSchema.AddOptions.FIELD_COUNT);
                fb.addByte(TfliteSchema.AddOptions.FUSED_ACTIVATION_FUNCTION, (byte) o.activation().code(), 0);
                return fb.endTable();
            }
            case BuiltinOptions.Reshape o -> {
                int newShape = intVector(fb, o.newShape());
                fb.startTable(TfliteSchema.ReshapeOptions.FIELD_COUNT);
                fb.addOffset(TfliteSchema.ReshapeOptions.NEW_SHAPE, newShape, 0);
                return fb.endTable();
            }
            case BuiltinOptions.Pad o -> {
                fb.startTable(0);
                return fb.endTable();
            }
            case BuiltinOptions.Reducer o -> {
                fb.startTable(TfliteSchema.ReducerOptions.FIELD_COUNT);
                fb.addBoolean(TfliteSchema.ReducerOptions.KEEP_DIMS, o.keepDims(), false);
                return fb.endTable();
            }
        }
    }

    private static int intVector(FlatBufferBuilder fb, int[] values) {
        fb.startVector(4, values.length, 4);
        for (int i = values.length - 1; i >= 0; i--) {
            fb.addInt(values[i]);
        }
        return fb.endVector();
    }

    private void checkIndices(String what, int[] indices, boolean optionalAllowed) {
        Objects.requireNonNull(indices, what);
        for (int i : indices) {
            if ((i < 0 && !(optionalAllowed && i == -1)) || i >= tensors.size()) {
                throw new IllegalArgumentException(what + ": tensor index " + i + " out of range [0, "
                        + tensors.size() + ")");
            }
        }
    }
}
