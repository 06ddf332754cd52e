package dev.tinytrain.cli;

/** A failed {@code tinytrain mcu run} step: the message for the user and the exit code to end with. */
final class McuRunException extends RuntimeException {

    private final int exitCode;

    McuRunException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
