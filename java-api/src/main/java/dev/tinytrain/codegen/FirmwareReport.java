package dev.tinytrain.codegen;

/**
 * What a firmware driver ({@link CodeGenerator.Firmware}) prints: the portable driver's lines
 * ({@link DriverOutput}: losses, checksum, logits) and what the board support measured at the end of
 * the run, after training and the inference:
 * <pre>
 *   stack &lt;peak bytes&gt; &lt;reserved bytes&gt;
 *   static &lt;.data + .bss bytes&gt;
 *   heap &lt;bytes&gt;
 *   budget &lt;SRAM budget bytes&gt;
 * </pre>
 *
 * @param driver          the driver's results
 * @param stackPeakBytes  the deepest stack use since reset: the stack is painted at reset and the lowest
 *                        overwritten word marks the peak ({@code tt_board_stack_peak})
 * @param stackBytes      the stack the linker reserved
 * @param staticRamBytes  .data + .bss, from the linker's symbols ({@code tt_board_static_ram})
 * @param heapBytes       what malloc took from the heap (newlib's sbrk high-water mark)
 * @param ramBudgetBytes  the SRAM budget the firmware was linked against
 */
public record FirmwareReport(DriverOutput driver, long stackPeakBytes, long stackBytes, long staticRamBytes,
                             long heapBytes, long ramBudgetBytes) {

    /**
     * Reads a firmware's console output (other lines are ignored).
     *
     * @throws IllegalArgumentException when the driver's output is incomplete or failed (see
     *                                  {@link DriverOutput#parse}), or a board line is missing or malformed
     */
    public static FirmwareReport parse(String text) {
        DriverOutput d = DriverOutput.parse(text);
        long peak = -1;
        long reserved = -1;
        long statics = -1;
        long heap = -1;
        long budget = -1;
        for (String raw : text.split("\n")) {
            String[] f = raw.strip().split(" ");
            try {
                switch (f[0]) {
                    case "stack" -> {
                        peak = Long.parseLong(f[1]);
                        reserved = Long.parseLong(f[2]);
                    }
                    case "static" -> statics = Long.parseLong(f[1]);
                    case "heap" -> heap = Long.parseLong(f[1]);
                    case "budget" -> budget = Long.parseLong(f[1]);
                    default -> {
                    }
                }
            } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
                throw new IllegalArgumentException("cannot read the firmware's line '" + raw.strip() + "': "
                        + e.getMessage(), e);
            }
        }
        if (peak < 0 || statics < 0 || heap < 0 || budget < 0) {
            throw new IllegalArgumentException("the firmware's output lacks the board's "
                    + (peak < 0 ? "stack" : statics < 0 ? "static" : heap < 0 ? "heap" : "budget") + " line:\n" + text);
        }
        return new FirmwareReport(d, peak, reserved, statics, heap, budget);
    }
}
