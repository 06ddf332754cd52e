package dev.tinytrain.ffm;

/** The kernel library's instruction-set paths (C enum {@code tt_isa}). */
public enum NativeIsa {
    /** Plain C99, every platform. */
    PORTABLE,
    /** x86-64 AVX2, chosen at run time when the CPU has it. */
    AVX2,
    /** Arm DSP extension (Cortex-M4/M7), chosen at compile time. */
    ARM_DSP;

    static NativeIsa of(int code) {
        NativeIsa[] all = values();
        if (code < 0 || code >= all.length) {
            throw new IllegalStateException("kernel library reported unknown ISA code " + code);
        }
        return all[code];
    }

    String label() {
        return name().toLowerCase().replace('_', '-');
    }
}
