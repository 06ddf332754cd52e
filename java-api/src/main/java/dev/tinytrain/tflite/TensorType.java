package dev.tinytrain.tflite;

/** TF-Lite's {@code enum TensorType : byte} (schema.fbs), the members tinytrain uses. */
public enum TensorType {
    FLOAT32(0, 4),
    INT32(2, 4),
    UINT8(3, 1),
    INT64(4, 8),
    INT16(7, 2),
    INT8(9, 1);

    private final int code;
    private final int bytes;

    TensorType(int code, int bytes) {
        this.code = code;
        this.bytes = bytes;
    }

    /** The schema's value. */
    public int code() {
        return code;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** The schema's names of {@code enum TensorType} by code, for error messages about types tinytrain does not read. */
    private static final String[] NAMES = ("FLOAT32 FLOAT16 INT32 UINT8 INT64 STRING BOOL INT16 COMPLEX64 INT8 FLOAT64 "
            + "COMPLEX128 UINT64 RESOURCE VARIANT UINT32 UINT16 INT4 BFLOAT16").split(" ");

    /** The schema name of any tensor type code; "unknown" past the table. */
    public static String nameOf(int code) {
        return code >= 0 && code < NAMES.length ? NAMES[code] : "unknown";
    }

    /** The member with the schema value {@code code}. */
    public static TensorType ofCode(int code) {
        for (TensorType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new IllegalArgumentException("unsupported TF-Lite tensor type " + code);
    }
}
