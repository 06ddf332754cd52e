package dev.tinytrain.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The {@code tinytrain} command. */
@Command(name = "tinytrain",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
                "Train int8 CNNs under 256 KB: compile a quantized model into a sparse, in-place training",
                "program and run it on the host (C kernels via Panama) or on Cortex-M.",
                ""},
        subcommands = {DemoCommand.class, KernelsCommand.class, TrainCommand.class, PlanCommand.class,
                MemoryTableCommand.class, ExportCommand.class, InspectCommand.class, PredictCommand.class,
                DatasetCommand.class, PretrainCommand.class, QuantizeCommand.class, ExperimentCommand.class,
                CodegenCommand.class, McuCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Run 'tinytrain help COMMAND' for a command's options.",
                "Documentation: README.md in the repository."})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line on the process's streams and returns the exit code. */
    public static int execute(String... args) {
        return execute(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** Runs the command line writing to {@code out} and {@code err}; returns the exit code. */
    public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            line.getErr().println("tinytrain: " + ex.getMessage());
            return 1;
        });
        return cl.execute(args);
    }

    /** Reads the version Maven wrote into the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("/tinytrain-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"tinytrain " + p.getProperty("version", "unknown"),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
