package dev.tinytrain.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.models.ModelStats;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tinytrain mcu run} end to end: mcunet-5fps at 32x32 with the 49 KB scheme, 3 steps, built for a
 * Cortex-M7 and a Cortex-M4 and run under QEMU with the ttcount plugin, against the host's session (the
 * oracle of the bits); the sizes against {@code arm-none-eabi-size} (an independent reader of the same
 * ELF file); the budgets refused when planned and at link time. Skipped, naming what to install, without
 * cmake, the Arm cross compiler, QEMU or a host C compiler.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class McuRunCommandTest {

    @TempDir
    static Path tmp;

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    static void assumeTools() {
        Tools t = Tools.fromEnvironment();
        for (String p : List.of("cmake", "arm-none-eabi-gcc", "qemu-system-arm")) {
            Assumptions.assumeTrue(t.find(p) != null, p + " is needed for mcu run (apt-get install cmake "
                    + "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)");
        }
        Assumptions.assumeTrue(t.find("cc") != null || t.find("gcc") != null, "a host C compiler is needed to build "
                + "the ttcount QEMU plugin (apt-get install gcc)");
    }

    private static List<String> small(String board, Path out) {
        return List.of("mcu", "run", "--board", board, "--model", "mcunet-5fps", "--resolution", "32", "--scheme",
                "mcunet-49kb", "--dataset", "synthetic:4", "--steps", "3", "--out", out.toString());
    }

    private static Result runSmall(String board, Path out, String... more) {
        List<String> args = new java.util.ArrayList<>(small(board, out));
        args.addAll(List.of(more));
        return run(args.toArray(String[]::new));
    }

    private static long num(Map<String, Object> j, String key) {
        Object v = j.get(key);
        assertTrue(v instanceof Number, key + " = " + v);
        return ((Number) v).longValue();
    }

    /** arm-none-eabi-size -A: section name to size. */
    private static Map<String, Long> sections(Path elf) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("arm-none-eabi-size", "-A", elf.toString()).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), text);
        Map<String, Long> m = new HashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[0].startsWith(".") && f[1].matches("\\d+")) {
                m.put(f[0], Long.parseLong(f[1]));
            }
        }
        return m;
    }

    /** What every successful run must show; returns the JSON. */
    private static Map<String, Object> checkRun(Result r, Path out, String core) throws Exception {
        assertEquals(0, r.code(), r.out() + r.err());
        Map<String, Object> j = JSON.std.mapFrom(r.out());
        assertEquals(Boolean.TRUE, j.get("bitExact"), r.out());
        assertEquals(core, j.get("core"));
        // the oracle: the host's session, bit for bit (the command compares; these are its numbers)
        assertEquals(j.get("hostLossBits"), j.get("mcuLossBits"));
        assertEquals(3, ((List<?>) j.get("mcuLossBits")).size());
        assertEquals(j.get("hostChecksum"), j.get("mcuChecksum"));
        assertEquals(j.get("hostLogits"), j.get("mcuLogits"));
        assertEquals(4, ((List<?>) j.get("mcuLogits")).size());

        // SRAM: .data + .bss (ELF) + painted stack + heap; the arena and the trained parameters are in it
        long data = num(j, "dataBytes");
        long bss = num(j, "bssBytes");
        long stack = num(j, "stackBytes");
        long reserved = num(j, "stackReservedBytes");
        assertEquals(data + bss + stack + num(j, "heapBytes"), num(j, "sramBytes"));
        assertTrue(bss >= num(j, "arenaBytes") && data >= num(j, "trainedSramBytes"), r.out());
        assertTrue(stack > 64 && stack < reserved, "painted stack peak " + stack + " of " + reserved);
        assertEquals(8192, reserved);
        assertTrue(num(j, "sramLinkedBytes") >= data + bss + reserved && num(j, "sramLinkedBytes") <= num(j, "ramBudgetBytes"));
        long flash = num(j, "flashBytes");
        assertTrue(flash >= num(j, "frozenFlashBytes") + num(j, "paramFlashBytes") + num(j, "sampleFlashBytes") + data,
                r.out());
        assertTrue(flash <= num(j, "flashBudgetBytes"));

        // the same ELF read by binutils: .data, .bss, the stack reserve, and flash = the sections placed there
        Map<String, Long> s = sections(out.resolve("build/tt_train.elf"));
        assertEquals(data, s.get(".data"));
        assertEquals(bss, s.get(".bss"));
        assertEquals(reserved, s.get(".stack"));
        long placed = 0;
        for (String f : List.of(".isr_vector", ".text", ".ARM.extab", ".ARM.exidx", ".preinit_array", ".init_array",
                ".fini_array", ".data")) {
            placed += s.getOrDefault(f, 0L);
        }
        assertTrue(flash >= placed && flash - placed < 64, "flash " + flash + " vs sections " + placed);

        // instructions: three steps of the same work, each more than the inference, which does at least
        // one instruction per two MACs (the DSP paths do two MACs per SMLAD)
        List<?> steps = (List<?>) j.get("instructionsByStep");
        assertEquals(3, steps.size());
        long inference = num(j, "instructionsPerInference");
        long macs = ModelStats.of(Architectures.build("mcunet-5fps", 32, 3, 4, 1)).macs();
        assertTrue(inference >= macs / 2 && inference < 100 * macs, inference + " instructions for " + macs + " MACs");
        double mean = ((Number) j.get("instructionsPerStep")).doubleValue();
        for (Object o : steps) {
            long n = ((Number) o).longValue();
            assertTrue(n > inference, "a step (" + n + ") includes a forward pass (" + inference + ")");
            assertTrue(Math.abs(n - mean) < 0.01 * mean, n + " vs mean " + mean);
        }
        assertTrue(r.err().contains("running build/tt_train.elf on QEMU") && r.err().contains("MCU finished step 3/3"),
                r.err());
        return j;
    }

    @Test
    @Order(1)
    void trainsBitExactlyOnACortexM7InQemu() throws Exception {
        assumeTools();
        Path out = tmp.resolve("m7");
        long t0 = System.nanoTime();
        Result r = runSmall("qemu-m7", out, "--json", "--split-partial");
        Map<String, Object> j = checkRun(r, out, "cortex-m7");
        assertEquals("mps2-an500", j.get("qemuMachine"));
        // split: the 49 KB scheme's partially trained convs keep only their trained channels in SRAM
        assertEquals(num(j, "trainedSliceBytes"), num(j, "trainedSramBytes"));
        System.out.printf("[mcu] qemu-m7: %.1f s, %s%n", (System.nanoTime() - t0) / 1e9, j.get("seconds"));
    }

    @Test
    @Order(2)
    void trainsBitExactlyOnACortexM4InQemuWithWholeTensors() throws Exception {
        assumeTools();
        Path out = tmp.resolve("m4");
        long t0 = System.nanoTime();
        Result r = runSmall("qemu-m4", out, "--json", "--no-split-partial");
        Map<String, Object> j = checkRun(r, out, "cortex-m4");
        assertEquals("mps2-an386", j.get("qemuMachine"));
        assertTrue(num(j, "trainedSramBytes") > num(j, "trainedSliceBytes"), "whole tensors in SRAM");
        System.out.printf("[mcu] qemu-m4: %.1f s, %s%n", (System.nanoTime() - t0) / 1e9, j.get("seconds"));
    }

    /**
     * A budget the plan fits but the firmware does not (the linker also counts the 8 KB stack reserve and
     * libc's statics): the link refuses it, exit 3, with the linker's message and the bytes it needed.
     * Reuses the Cortex-M4 project (only the budget changes, so only the link runs again).
     */
    @Test
    @Order(3)
    void aBudgetTheLinkRefusesIsExitThreeWithTheLinkersMessage() throws Exception {
        assumeTools();
        Path out = tmp.resolve("m4");
        Result fits = runSmall("qemu-m4", out, "--json", "--no-split-partial");
        assertEquals(0, fits.code(), fits.err());
        Map<String, Object> j = JSON.std.mapFrom(fits.out());
        long planned = num(j, "arenaBytes") + num(j, "trainedSramBytes");
        long linked = num(j, "sramLinkedBytes");
        long budget = (planned + linked) / 2;
        assertTrue(planned < budget && budget < linked, planned + " < " + budget + " < " + linked);
        Result r = runSmall("qemu-m4", out, "--no-split-partial", "--budget", Long.toString(budget));
        assertEquals(3, r.code(), r.out() + r.err());
        assertEquals("", r.out());
        String e = r.err();
        assertTrue(e.contains(String.format(java.util.Locale.ROOT, "does not fit the SRAM budget of %,d B (--budget) at "
                + "link time", budget)), e);
        assertTrue(e.contains("exceed the SRAM budget TT_RAM_BUDGET"), "the linker's own words: " + e);
        assertTrue(e.contains(String.format(java.util.Locale.ROOT, "the link needs %,d B", linked)), e);
    }

    @Test
    void aBudgetThePlanRefusesIsExitThreeBeforeAnythingIsBuilt() {
        assumeTools();
        Path out = tmp.resolve("tiny");
        Result r = runSmall("qemu-m7", out, "--budget", "16KB");
        assertEquals(3, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("16,384 B") && r.err().contains("does not fit the budget"), r.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void aBuildThatRunsOutOfTimeIsStoppedAndNamed() {
        assumeTools();
        Result r = runSmall("qemu-m7", tmp.resolve("slow"), "--timeout", "1");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("ran longer than 1 s and was stopped"), r.err());
    }

    @Test
    void badArgumentsAreUsageErrors() {
        Result r = run("mcu", "run", "--board", "stm32f746", "--model", "mcunet-5fps");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("QEMU does not emulate it"), r.err());
        r = run("mcu", "run", "--board", "esp32", "--model", "mcunet-5fps");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown board 'esp32'") && r.err().contains("qemu-m4"), r.err());
        r = run("mcu", "run", "--board", "qemu-m4", "--model", "mcunet-5fps", "--dataset", "mnist");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("synthetic:<classes>"), r.err());
        r = run("mcu", "run", "--board", "qemu-m4", "--model", "mcunet-5fps", "--steps", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--steps"), r.err());
        r = run("mcu", "run", "--board", "qemu-m4", "--model", "mcunet-5fps", "--stack-size", "100");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("stack"), r.err());
        r = run("mcu", "run", "--board", "qemu-m4", "--model", "mcunet-5fps", "--budget", "lots");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--budget"), r.err());
        r = run("mcu");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("run"), r.out());
    }

    @Test
    void missingToolsAreNamedWithTheirPackages() {
        McuRunException e = org.junit.jupiter.api.Assertions.assertThrows(McuRunException.class,
                () -> new Tools("").require(List.of("cmake", "arm-none-eabi-gcc", "qemu-system-arm", "cc")));
        assertEquals(1, e.exitCode());
        assertTrue(e.getMessage().contains("missing cmake, arm-none-eabi-gcc, qemu-system-arm, cc")
                && e.getMessage().contains("apt-get install cmake gcc-arm-none-eabi libnewlib-arm-none-eabi "
                + "qemu-system-arm gcc"), e.getMessage());
    }

    @Test
    void theTtcountReportIsReadInOrderAndItsWarningsAreErrors() {
        assertEquals(List.of(10L, 20L, 5L), java.util.Arrays.stream(Ttcount.regions(
                "tt_board: exit 0\nttcount region 1 10\nttcount region 2 20\nttcount region 3 5\nttcount total 99\n"))
                .boxed().toList());
        McuRunException e = org.junit.jupiter.api.Assertions.assertThrows(McuRunException.class,
                () -> Ttcount.regions("ttcount region 1 10\nttcount region 3 20\n"));
        assertTrue(e.getMessage().contains("region 3 after 1"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(McuRunException.class,
                () -> Ttcount.regions("ttcount warning: tt_count_end without tt_count_begin; ignored\n"));
        assertTrue(e.getMessage().contains("unpaired"), e.getMessage());
    }

    @Test
    void elfFilesThatAreNotTinytrainFirmwareAreClearErrors() throws Exception {
        Path notElf = Files.writeString(tmp.resolve("x.elf"), "not an elf file at all, but long enough to have a header");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ElfSizes.read(notElf));
        assertTrue(e.getMessage().contains("not an ELF file"), e.getMessage());
        // a 64-bit ELF: this JVM's own launcher
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ElfSizes.read(java));
        assertTrue(e.getMessage().contains("expected a 32-bit little-endian"), e.getMessage());
        // section headers cut off
        byte[] header = new byte[64];
        header[0] = 0x7f;
        header[1] = 'E';
        header[2] = 'L';
        header[3] = 'F';
        header[4] = 1;
        header[5] = 1;
        header[0x20] = 0x40;       // e_shoff = 64: the headers start at the end of the file
        header[0x2E] = 40;         // e_shentsize
        header[0x30] = 3;          // e_shnum
        Path cut = Files.write(tmp.resolve("cut.elf"), header);
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ElfSizes.read(cut));
        assertTrue(e.getMessage().contains("outside the 64-byte file"), e.getMessage());
        // a valid 32-bit ELF without the board's linker-script symbols
        header[0x30] = 0;
        Path bare = Files.write(tmp.resolve("bare.elf"), header);
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ElfSizes.read(bare));
        assertTrue(e.getMessage().contains("no symbol __tt_flash_used"), e.getMessage());
    }
}
