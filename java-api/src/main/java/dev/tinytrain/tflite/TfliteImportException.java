package dev.tinytrain.tflite;

/**
 * A {@code .tflite} model cannot become a tinytrain graph: an operator, tensor type or option that
 * tinytrain does not support, or a model whose parts disagree (shapes, quantization). The message
 * names the operator (index and TF-Lite name) or tensor (index and name) concerned.
 */
public class TfliteImportException extends IllegalArgumentException {

    public TfliteImportException(String message) {
        super(message);
    }

    public TfliteImportException(String message, Throwable cause) {
        super(message, cause);
    }
}
