package dev.tinytrain.tflite;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The tables of a {@code .tflite} file that tinytrain reads, decoded with {@link CheckedTable}: operator
 * codes, the first subgraph's tensors and operators, and the buffers (as positions into the file;
 * constant data is copied out only when asked for). Construction reads and checks every table and
 * vector it keeps, so a file that parses here has no dangling offsets left; builtin options are read
 * later, per operator, through {@link #options(Operator)}.
 */
final class TfliteFile {

    /** An operator code: the builtin operator (the larger of the deprecated byte and the int field), custom name, version. */
    record OperatorCode(int builtin, String custom, int version) {
    }

    /** A tensor as written: quantization arrays are null when absent. */
    record Tensor(int index, String name, int[] shape, int type, int buffer, float[] scales, long[] zeroPoints,
                  int quantizedDimension, boolean variable, boolean sparse, int position) {
    }

    /** An operator: indices into the subgraph's tensors (-1: an omitted optional input). */
    record Operator(int index, int opcodeIndex, int[] inputs, int[] outputs, int optionsType, long optionsPosition,
                    int position) {
    }

    /** A buffer's data as a region of the file ({@code size} 0: no data). */
    record Buffer(long start, long size) {
    }

    private final ByteBuffer bb;
    final int version;
    final String description;
    final int subgraphCount;
    final List<OperatorCode> operatorCodes = new ArrayList<>();
    final List<Tensor> tensors = new ArrayList<>();
    final List<Operator> operators = new ArrayList<>();
    final List<Buffer> buffers = new ArrayList<>();
    final int[] inputs;
    final int[] outputs;

    /**
     * @throws TfliteFormatException when a table, offset or vector lies outside the bytes
     */
    TfliteFile(byte[] bytes) {
        this.bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer()
                .order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 8) {
            throw new TfliteFormatException("the file has " + bytes.length + " bytes; a TF-Lite flatbuffer has at least"
                    + " a root offset and the 4-byte identifier", bytes.length);
        }
        String id = new String(bytes, 4, 4, StandardCharsets.ISO_8859_1);
        if (!id.equals(TfliteSchema.FILE_IDENTIFIER)) {
            throw new TfliteFormatException("not a TF-Lite model: the file identifier is '" + printable(id)
                    + "', expected '" + TfliteSchema.FILE_IDENTIFIER + "'", 4);
        }
        CheckedTable model = CheckedTable.at(bb, Integer.toUnsignedLong(bb.getInt(0)), "model", 0);
        version = model.getInt(TfliteSchema.Model.VERSION, "version", 0);
        description = model.string(TfliteSchema.Model.DESCRIPTION, "description");

        CheckedTable.Vector codes = model.vector(TfliteSchema.Model.OPERATOR_CODES, "operator_codes", 4);
        for (int i = 0; codes != null && i < codes.length(); i++) {
            CheckedTable c = model.tableElement(codes, i, "operator code " + i);
            int deprecated = c.getByte(TfliteSchema.OperatorCode.DEPRECATED_BUILTIN_CODE, "deprecated_builtin_code",
                    (byte) 0);
            int builtin = c.getInt(TfliteSchema.OperatorCode.BUILTIN_CODE, "builtin_code", 0);
            String custom = c.string(TfliteSchema.OperatorCode.CUSTOM_CODE, "custom_code");
            int v = c.getInt(TfliteSchema.OperatorCode.VERSION, "version", 1);
            // Older writers set only the byte, newer ones both (the byte saturating at 127): the larger one counts.
            operatorCodes.add(new OperatorCode(Math.max(deprecated, builtin), custom, v));
        }

        CheckedTable.Vector bufs = model.vector(TfliteSchema.Model.BUFFERS, "buffers", 4);
        for (int i = 0; bufs != null && i < bufs.length(); i++) {
            CheckedTable b = model.tableElement(bufs, i, "buffer " + i);
            CheckedTable.Vector data = b.vector(TfliteSchema.Buffer.DATA, "data", 1);
            long offset = b.getLong(TfliteSchema.Buffer.OFFSET, "offset", 0);
            long size = b.getLong(TfliteSchema.Buffer.SIZE, "size", 0);
            if (data != null && data.length() > 0) {
                buffers.add(new Buffer(data.start(), data.length()));
            } else if (offset > 1) {
                // Models over 2 GB keep data after the flatbuffer: offset and size count from the file start.
                if (size < 0 || offset + size > bytes.length || offset + size < 0) {
                    throw new TfliteFormatException("buffer " + i + ": external data [" + offset + ", +" + size
                            + ") lies outside the " + bytes.length + "-byte file", b.position());
                }
                buffers.add(new Buffer(offset, size));
            } else {
                buffers.add(new Buffer(0, 0));
            }
        }

        CheckedTable.Vector subgraphs = model.vector(TfliteSchema.Model.SUBGRAPHS, "subgraphs", 4);
        subgraphCount = subgraphs == null ? 0 : subgraphs.length();
        if (subgraphCount == 0) {
            throw new TfliteImportException("the model has no subgraph");
        }
        CheckedTable sg = model.tableElement(subgraphs, 0, "subgraph 0");
        CheckedTable.Vector ts = sg.vector(TfliteSchema.SubGraph.TENSORS, "tensors", 4);
        for (int i = 0; ts != null && i < ts.length(); i++) {
            CheckedTable t = sg.tableElement(ts, i, "tensor " + i);
            int[] shape = t.intVector(TfliteSchema.Tensor.SHAPE, "shape");
            int type = t.getByte(TfliteSchema.Tensor.TYPE, "type", (byte) 0);
            int buffer = t.getInt(TfliteSchema.Tensor.BUFFER, "buffer", 0);
            String name = t.string(TfliteSchema.Tensor.NAME, "name");
            float[] scales = null;
            long[] zeroPoints = null;
            int qdim = 0;
            CheckedTable q = t.table(TfliteSchema.Tensor.QUANTIZATION, "quantization", "tensor " + i + " quantization");
            if (q != null) {
                scales = q.floatVector(TfliteSchema.QuantizationParameters.SCALE, "scale");
                zeroPoints = q.longVector(TfliteSchema.QuantizationParameters.ZERO_POINT, "zero_point");
                qdim = q.getInt(TfliteSchema.QuantizationParameters.QUANTIZED_DIMENSION, "quantized_dimension", 0);
                if (q.getByte(TfliteSchema.QuantizationParameters.DETAILS_TYPE, "details_type", (byte) 0) != 0) {
                    throw new TfliteImportException("tensor " + i + " (" + name + ") uses custom quantization details;"
                            + " only affine int8 quantization is supported");
                }
            }
            boolean variable = t.getBool(TfliteSchema.Tensor.IS_VARIABLE, "is_variable");
            boolean sparse = t.has(TfliteSchema.Tensor.SPARSITY);
            tensors.add(new Tensor(i, name, shape == null ? new int[0] : shape, type, buffer, scales, zeroPoints, qdim,
                    variable, sparse, t.position()));
        }
        inputs = orEmpty(sg.intVector(TfliteSchema.SubGraph.INPUTS, "inputs"));
        outputs = orEmpty(sg.intVector(TfliteSchema.SubGraph.OUTPUTS, "outputs"));
        CheckedTable.Vector ops = sg.vector(TfliteSchema.SubGraph.OPERATORS, "operators", 4);
        for (int i = 0; ops != null && i < ops.length(); i++) {
            CheckedTable o = sg.tableElement(ops, i, "operator " + i);
            int opcode = o.getInt(TfliteSchema.Operator.OPCODE_INDEX, "opcode_index", 0);
            int[] in = orEmpty(o.intVector(TfliteSchema.Operator.INPUTS, "inputs"));
            int[] out = orEmpty(o.intVector(TfliteSchema.Operator.OUTPUTS, "outputs"));
            int optionsType = Byte.toUnsignedInt(o.getByte(TfliteSchema.Operator.BUILTIN_OPTIONS_TYPE,
                    "builtin_options_type", (byte) 0));
            long optionsPos = o.target(TfliteSchema.Operator.BUILTIN_OPTIONS, "builtin_options");
            operators.add(new Operator(i, opcode, in, out, optionsType, optionsPos, o.position()));
        }
    }

    /** The builtin options table of an operator, or null when it has none. */
    CheckedTable options(Operator op) {
        if (op.optionsPosition() < 0) {
            return null;
        }
        return CheckedTable.at(bb, op.optionsPosition(), "operator " + op.index() + " options", op.optionsPosition());
    }

    /** A copy of a buffer's bytes, or null for a buffer without data (index 0, or empty). */
    byte[] data(int buffer) {
        Buffer b = buffers.get(buffer);
        if (b.size() == 0) {
            return null;
        }
        byte[] out = new byte[(int) b.size()];
        bb.get((int) b.start(), out);
        return out;
    }

    int length() {
        return bb.limit();
    }

    private static int[] orEmpty(int[] a) {
        return a == null ? new int[0] : a;
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c));
        }
        return sb.toString();
    }
}
