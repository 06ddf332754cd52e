package dev.tinytrain.tflite;

/** A graph cannot be written as a TF-Lite model: the message names the op or value and what TF-Lite lacks. */
public final class TfliteExportException extends IllegalArgumentException {

    public TfliteExportException(String message) {
        super(message);
    }
}
