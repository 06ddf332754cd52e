package dev.tinytrain.data;

/**
 * A dataset could not be fetched, verified or read. The message names the spec, package, file and
 * (for a malformed file) the byte offset, and when the fix is a command, the command to run.
 */
public class DatasetException extends RuntimeException {

    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
