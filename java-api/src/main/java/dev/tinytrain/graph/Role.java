package dev.tinytrain.graph;

/** What a value is for; the planner and the accounting group bytes by it. */
public enum Role {
    /** The network input (an image). */
    INPUT,
    /** A class label (training). */
    LABEL,
    /** An int8 activation computed by the forward pass. */
    ACTIVATION,
    /** An int8 weight tensor (a constant; trained slices live in SRAM, the rest in flash). */
    WEIGHT,
    /** An int32 bias vector (a constant). */
    BIAS,
    /** The scalar loss. */
    LOSS,
    /** A float32 gradient. */
    GRADIENT,
    /** A 1-bit clamp mask saved for backward. */
    MASK,
    /** Part of an activation saved for backward (e.g. the trained input channels). */
    SAVED,
    /** A kernel's working memory, live only while its op runs. */
    SCRATCH
}
