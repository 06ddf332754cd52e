package dev.tinytrain.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The memory of a tinytrain firmware, read from its ELF file (32-bit, little-endian, as
 * arm-none-eabi-gcc links it): the symbols the board's linker script ({@code boards/ld/tt_sections.ld})
 * defines, i.e. the very quantities the link checks against the budgets.
 *
 * @param flashBytes        {@code __tt_flash_used}: vectors, code, constants, init arrays and the .data image
 * @param dataBytes         {@code __tt_data_end - __tt_data_start}: initialised SRAM (trained parameters, libc data)
 * @param bssBytes          {@code __tt_bss_end - __tt_bss_start}: zeroed SRAM (the arena, optimizer state, statics)
 * @param stackBytes        {@code __tt_stack_top - __tt_stack_bottom}: the stack the linker reserves
 * @param ramLinkedBytes    {@code __tt_ram_used}: reserved stack + .data + .bss with alignment, what the link
 *                          checks against the SRAM budget
 * @param ramBudgetBytes    {@code __tt_ram_budget}
 * @param flashBudgetBytes  {@code __tt_flash_budget}
 */
record ElfSizes(long flashBytes, long dataBytes, long bssBytes, long stackBytes, long ramLinkedBytes,
                long ramBudgetBytes, long flashBudgetBytes) {

    private static final List<String> SYMBOLS = List.of("__tt_flash_used", "__tt_data_start", "__tt_data_end",
            "__tt_bss_start", "__tt_bss_end", "__tt_stack_bottom", "__tt_stack_top", "__tt_ram_used",
            "__tt_ram_budget", "__tt_flash_budget");

    /** .data + .bss: the static SRAM (what {@code tt_board_static_ram()} reports on the device). */
    long staticRamBytes() {
        return dataBytes + bssBytes;
    }

    /**
     * @throws IOException              when the file cannot be read
     * @throws IllegalArgumentException naming the file and the problem when it is not a 32-bit
     *                                  little-endian ELF file, is truncated, or lacks the linker
     *                                  script's symbols (not linked with tinytrain's board support)
     */
    static ElfSizes read(Path elf) throws IOException {
        Map<String, Long> s = symbols(elf, Files.readAllBytes(elf));
        for (String name : SYMBOLS) {
            if (!s.containsKey(name)) {
                throw new IllegalArgumentException(elf + ": no symbol " + name + " (the firmware was not linked with "
                        + "tinytrain's board linker scripts, or it was stripped)");
            }
        }
        return new ElfSizes(s.get("__tt_flash_used"), s.get("__tt_data_end") - s.get("__tt_data_start"),
                s.get("__tt_bss_end") - s.get("__tt_bss_start"), s.get("__tt_stack_top") - s.get("__tt_stack_bottom"),
                s.get("__tt_ram_used"), s.get("__tt_ram_budget"), s.get("__tt_flash_budget"));
    }

    /** The values of the {@link #SYMBOLS} found in the symbol table. */
    static Map<String, Long> symbols(Path file, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 52 || b.getInt(0) != 0x464c457f) {
            throw new IllegalArgumentException(file + ": not an ELF file (" + bytes.length + " bytes, no ELF magic)");
        }
        if (bytes[4] != 1 || bytes[5] != 1) {
            throw new IllegalArgumentException(file + ": ELF class " + bytes[4] + ", data encoding " + bytes[5]
                    + ": expected a 32-bit little-endian file (1, 1) as arm-none-eabi-gcc links");
        }
        long shoff = Integer.toUnsignedLong(b.getInt(0x20));
        int shentsize = Short.toUnsignedInt(b.getShort(0x2E));
        int shnum = Short.toUnsignedInt(b.getShort(0x30));
        if (shentsize < 40 || shoff + (long) shnum * shentsize > bytes.length) {
            throw new IllegalArgumentException(file + ": section headers at byte offset " + shoff + " (" + shnum + " x "
                    + shentsize + " B) lie outside the " + bytes.length + "-byte file");
        }
        Map<String, Long> found = new LinkedHashMap<>();
        for (int i = 0; i < shnum; i++) {
            int h = Math.toIntExact(shoff + (long) i * shentsize);
            if (b.getInt(h + 4) != 2) {           // SHT_SYMTAB
                continue;
            }
            long off = Integer.toUnsignedLong(b.getInt(h + 16));
            long size = Integer.toUnsignedLong(b.getInt(h + 20));
            int link = b.getInt(h + 24);
            if (link < 0 || link >= shnum || off + size > bytes.length) {
                throw new IllegalArgumentException(file + ": symbol table at byte offset " + off + " (" + size
                        + " B, strings in section " + link + ") lies outside the file");
            }
            int sh = Math.toIntExact(shoff + (long) link * shentsize);
            long strOff = Integer.toUnsignedLong(b.getInt(sh + 16));
            long strSize = Integer.toUnsignedLong(b.getInt(sh + 20));
            if (strOff + strSize > bytes.length) {
                throw new IllegalArgumentException(file + ": string table at byte offset " + strOff + " (" + strSize
                        + " B) lies outside the file");
            }
            for (long e = off; e + 16 <= off + size; e += 16) {
                long name = Integer.toUnsignedLong(b.getInt((int) e));
                if (name >= strSize) {
                    throw new IllegalArgumentException(file + ": symbol at byte offset " + e + " names string " + name
                            + ", past the " + strSize + "-byte string table");
                }
                String n = cString(bytes, (int) (strOff + name), (int) (strOff + strSize));
                if (SYMBOLS.contains(n)) {
                    found.put(n, Integer.toUnsignedLong(b.getInt((int) e + 4)));
                }
            }
        }
        return found;
    }

    private static String cString(byte[] bytes, int start, int limit) {
        int end = start;
        while (end < limit && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, start, end - start, StandardCharsets.US_ASCII);
    }
}
