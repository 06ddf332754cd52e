package dev.tinytrain.codegen;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a generated project is built for: the host's C compiler, or a Cortex-M core through
 * Debian's {@code arm-none-eabi-gcc} with newlib (output through semihosting,
 * {@code --specs=rdimon.specs}). The kernels choose their instruction-set path at compile time
 * on Arm ({@code __ARM_FEATURE_DSP} on M4 and M7) and at run time on x86-64 (AVX2).
 */
public enum Target {
    /** The machine that builds the project (gcc or clang). */
    HOST("host", List.of()),
    /** Cortex-M3: no DSP extension, no FPU (soft float). */
    CORTEX_M3("cortex-m3", List.of("-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft")),
    /** Cortex-M4F: DSP extension, single-precision FPU. */
    CORTEX_M4("cortex-m4", List.of("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")),
    /** Cortex-M7 (e.g. STM32F746): DSP extension, single-precision FPU (fpv5-sp-d16 runs on both M7 FPUs). */
    CORTEX_M7("cortex-m7", List.of("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"));

    private final String label;
    private final List<String> cpuFlags;

    Target(String label, List<String> cpuFlags) {
        this.label = label;
        this.cpuFlags = cpuFlags;
    }

    /** The name on the command line: {@code host}, {@code cortex-m4}, ... */
    public String label() {
        return label;
    }

    /** Compiler and linker flags that select the core (empty for the host). */
    public List<String> cpuFlags() {
        return cpuFlags;
    }

    /** Whether the project is cross-compiled with arm-none-eabi-gcc. */
    public boolean arm() {
        return this != HOST;
    }

    /**
     * @throws IllegalArgumentException naming the known targets
     */
    public static Target parse(String s) {
        for (Target t : values()) {
            if (t.label.equals(s.toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown target '" + s + "': use one of "
                + String.join(", ", Arrays.stream(values()).map(Target::label).toList()));
    }
}
