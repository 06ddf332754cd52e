package dev.tinytrain.cli;

import dev.tinytrain.compile.CompileOptions;
import dev.tinytrain.plan.Budget;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The memory-saving switches and the SRAM budget: the options {@code plan}, {@code train} and {@code codegen} share. */
final class MemoryOptions {

    @Option(names = "--budget", paramLabel = "SIZE",
            description = "SRAM budget (e.g. 256KB, 320KB; KB = 1024 B): refuse a program whose arena and trained"
                    + " parameters need more, naming the biggest contributors.")
    String budget;

    @Option(names = "--no-reorder",
            description = "Conventional order: every parameter gradient stored until the optimizer step at the end.")
    boolean noReorder;

    @Option(names = "--no-fuse", description = "Do not fuse conv + depthwise conv (the intermediate exists whole).")
    boolean noFuse;

    @Option(names = "--no-in-place", description = "No op writes its output over its input.")
    boolean noInPlace;

    CompileOptions options() {
        return new CompileOptions(!noReorder, !noFuse, !noInPlace);
    }

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    /** The budget in bytes, or -1 without one. */
    long budgetBytes() {
        try {
            return budget == null ? -1 : Budget.parse(budget);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--budget: " + e.getMessage());
        }
    }
}
