package dev.tinytrain.codegen;

import java.util.Arrays;
import java.util.Locale;

/**
 * A board a generated firmware runs on: its core ({@link Target}), the board support's name for it
 * (linker script {@code boards/ld/<board>.ld} of the kernel library, and the board argument of
 * {@code tt_board_firmware} in {@code cmake/TinytrainBoard.cmake}), the toolchain file of that core,
 * and the QEMU machine that emulates it (null for a board QEMU does not model).
 */
public enum Board {
    /** QEMU's mps2-an385: Cortex-M3, no DSP extension, soft float. */
    QEMU_M3("qemu-m3", Target.CORTEX_M3, "mps2-an385", "cortex-m3.cmake", "mps2-an385"),
    /** QEMU's mps2-an386: Cortex-M4F. */
    QEMU_M4("qemu-m4", Target.CORTEX_M4, "mps2-an386", "cortex-m4.cmake", "mps2-an386"),
    /** QEMU's mps2-an500: Cortex-M7. */
    QEMU_M7("qemu-m7", Target.CORTEX_M7, "mps2-an500", "cortex-m7.cmake", "mps2-an500"),
    /** STM32F746 (Cortex-M7, 320 KB SRAM, 1 MB flash): builds only, QEMU has no model of it. */
    STM32F746("stm32f746", Target.CORTEX_M7, "stm32f746", "cortex-m7.cmake", null);

    private final String label;
    private final Target target;
    private final String boardName;
    private final String toolchainFile;
    private final String qemuMachine;

    Board(String label, Target target, String boardName, String toolchainFile, String qemuMachine) {
        this.label = label;
        this.target = target;
        this.boardName = boardName;
        this.toolchainFile = toolchainFile;
        this.qemuMachine = qemuMachine;
    }

    /** The name on the command line: {@code qemu-m7}, ... */
    public String label() {
        return label;
    }

    /** The core the firmware is compiled for. */
    public Target target() {
        return target;
    }

    /** The board support's name (linker script, {@code tt_board_firmware(... BOARD name)}). */
    public String boardName() {
        return boardName;
    }

    /** The toolchain file under the kernel library's {@code cmake/} folder. */
    public String toolchainFile() {
        return toolchainFile;
    }

    /** The {@code qemu-system-arm -M} machine, or null when QEMU does not emulate the board. */
    public String qemuMachine() {
        return qemuMachine;
    }

    /**
     * @throws IllegalArgumentException naming the known boards
     */
    public static Board parse(String s) {
        for (Board b : values()) {
            if (b.label.equals(s.toLowerCase(Locale.ROOT))) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown board '" + s + "': use one of "
                + String.join(", ", Arrays.stream(values()).map(Board::label).toList()));
    }
}
