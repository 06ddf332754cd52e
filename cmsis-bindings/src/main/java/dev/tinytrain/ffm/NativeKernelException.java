package dev.tinytrain.ffm;

/** A native kernel returned a non-OK status; names the op, the status and the shapes. */
public class NativeKernelException extends RuntimeException {

    private final int status;

    public NativeKernelException(String op, int status, String detail) {
        super(op + " failed with " + statusName(status) + " (" + status + "): " + detail);
        this.status = status;
    }

    public int status() {
        return status;
    }

    static String statusName(int status) {
        return switch (status) {
            case 0 -> "TT_OK";
            case 1 -> "TT_ARG_ERROR";
            case 2 -> "TT_BUFFER_ERROR";
            case 3 -> "TT_UNSUPPORTED";
            default -> "unknown status";
        };
    }
}
