package dev.tinytrain.kernel;

/** A kernel argument is wrong: names the argument, what was expected and what was given. */
public class KernelArgumentException extends IllegalArgumentException {

    private final String argument;

    public KernelArgumentException(String argument, String expected, String actual) {
        super(argument + ": expected " + expected + ", got " + actual);
        this.argument = argument;
    }

    public KernelArgumentException(String op, String argument, String expected, String actual) {
        super(op + ": " + argument + ": expected " + expected + ", got " + actual);
        this.argument = argument;
    }

    /** The name of the offending argument, e.g. {@code "output dims"} or {@code "params.inputOffset"}. */
    public String argument() {
        return argument;
    }
}
