package dev.tinytrain.tflite;

/**
 * The bytes are not a well-formed TF-Lite flatbuffer: truncated, an offset or vector running past the
 * end of the buffer, a table whose vtable is out of range. {@link #offset()} is the byte offset where
 * the reader found the problem, and the message names the table being read.
 */
public final class TfliteFormatException extends TfliteImportException {

    private final long offset;

    public TfliteFormatException(String message, long offset) {
        super(message + " (at byte offset " + offset + ")");
        this.offset = offset;
    }

    /** Byte offset of the problem in the file. */
    public long offset() {
        return offset;
    }
}
