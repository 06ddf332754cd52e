package dev.tinytrain.plan;

import dev.tinytrain.graph.Op;

/**
 * Scratch bytes a kernel needs while its op runs (C: the kernels' {@code _get_buffer_size}),
 * planned in the arena like any buffer, live only at that op's position.
 */
public final class Scratch {

    private Scratch() {
    }

    /**
     * @param inPlace whether the op runs in place ({@link InPlace})
     */
    public static long bytes(Op op, boolean inPlace) {
        return switch (op) {
            // one channel of the intermediate activation, for every batch item
            case Op.ConvDepthwise f -> {
                int[] s = f.intermediate().shape();
                yield (long) s[0] * s[1] * s[2];
            }
            // one input pixel, copied before its output overwrites it
            case Op.Conv2d c when inPlace -> c.input().shape()[3];
            default -> 0;
        };
    }
}
