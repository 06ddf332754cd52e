package dev.tinytrain.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code tinytrain mcu}: training on a Cortex-M, emulated; its one subcommand today is {@code run}. */
@Command(name = "mcu", mixinStandardHelpOptions = true,
        description = {"Cross-build a training program as Cortex-M firmware and run it in QEMU, side by side with "
                + "the host.", ""},
        subcommands = {McuRunCommand.class})
final class McuCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
