package dev.tinytrain.cli;

import java.io.PrintWriter;

/** A one-line progress bar for terminals (redrawn with a carriage return). */
final class Progress {

    private static final int WIDTH = 30;

    private Progress() {
    }

    static void bar(PrintWriter err, int done, int total, String detail) {
        int filled = (int) ((long) WIDTH * done / total);
        err.print("\r[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + done + "/" + total + " " + detail);
        err.flush();
    }
}
