package dev.tinytrain.codegen;

/**
 * The code generator cannot emit this program: an op without a kernel yet, a memory plan that
 * does not belong to the program, samples that do not fit the model, an output folder it must not
 * overwrite. The message names the op, value, byte offset or file.
 */
public class CodegenException extends RuntimeException {

    public CodegenException(String message) {
        super(message);
    }

    public CodegenException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The generated program needs more SRAM than the budget; the message names the biggest parts. */
    public static final class OverBudget extends CodegenException {
        private final long needed;
        private final long available;

        public OverBudget(String message, long needed, long available) {
            super(message);
            this.needed = needed;
            this.available = available;
        }

        /** SRAM bytes the program needs. */
        public long needed() {
            return needed;
        }

        /** The budget in bytes. */
        public long available() {
            return available;
        }
    }
}
