package dev.tinytrain.fp32;

/** A checkpoint or model file is unreadable or inconsistent: the message names the file and the problem. */
public class CheckpointException extends RuntimeException {

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
