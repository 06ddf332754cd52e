package dev.tinytrain.cli;

import dev.tinytrain.kernel.Rounding;
import dev.tinytrain.train.TrainConfig;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** How the trained parameters move: the options {@code train}, {@code codegen} and the MCU runs share. */
final class UpdateRuleOptions {

    @Option(names = "--lr", defaultValue = "0.004", paramLabel = "LR",
            description = "Learning rate (with QAS in real-valued units, without in integer units). Default: ${DEFAULT-VALUE}.")
    float lr;

    @Option(names = "--momentum", defaultValue = "0", paramLabel = "M",
            description = "SGD momentum in [0, 1); > 0 adds a float32 buffer per trained value. Default: ${DEFAULT-VALUE}.")
    float momentum;

    @Option(names = "--rounding", defaultValue = "stochastic", paramLabel = "RULE",
            description = "How an int8 weight absorbs a real step: stochastic, nearest, truncate or float-master."
                    + " Default: ${DEFAULT-VALUE}.")
    String rounding;

    @Option(names = "--no-qas", description = "Turn Quantization-Aware Scaling off (ablation).")
    boolean noQas;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    /** The update rule with this seed for the stochastic rounding. */
    TrainConfig config(int seed) {
        Rounding r;
        try {
            r = Rounding.parse(rounding);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--" + e.getMessage());
        }
        try {
            return new TrainConfig(!noQas, r, lr, momentum, seed);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
