package dev.tinytrain.tflite;

/** TF-Lite's {@code enum BuiltinOperator : int32} (schema.fbs), the members tinytrain reads and writes. */
public enum BuiltinOperator {
    ADD(0),
    AVERAGE_POOL_2D(1),
    CONV_2D(3),
    DEPTHWISE_CONV_2D(4),
    FULLY_CONNECTED(9),
    MAX_POOL_2D(17),
    RELU(19),
    RELU6(21),
    RESHAPE(22),
    SOFTMAX(25),
    PAD(34),
    MEAN(40),
    QUANTIZE(114);

    private final int code;

    BuiltinOperator(int code) {
        this.code = code;
    }

    /** The schema's value. */
    public int code() {
        return code;
    }

    /** The member with the schema value {@code code}. */
    public static BuiltinOperator ofCode(int code) {
        for (BuiltinOperator op : values()) {
            if (op.code == code) {
                return op;
            }
        }
        throw new IllegalArgumentException("unsupported TF-Lite builtin operator " + code);
    }
}
