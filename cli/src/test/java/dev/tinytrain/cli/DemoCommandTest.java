package dev.tinytrain.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo's whole path on generated data (the real run fetches MNIST): shipped model, plan,
 * training, the first steps again as Cortex-M7 firmware in QEMU compared bit for bit, the PNG.
 */
class DemoCommandTest {

    @Test
    void demoOnSyntheticData(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Path png = dir.resolve("demo.png");
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), "demo", "--dataset",
                "synthetic:4", "--steps", "400", "--eval", "200", "--mcu-steps", "2", "--png", png.toString());
        String o = out.toString();
        assertEquals(0, code, o + err);   // 0 means the accuracy after is above the accuracy before
        assertTrue(o.contains("shipped, int8") && o.contains("3. plan   scheme mcunet-") && o.contains("within 256KB")
                && o.contains("5. after"), o);
        assertTrue(Files.size(png) > 1000);
        Tools t = Tools.fromEnvironment();
        boolean tools = Stream.of("cmake", "arm-none-eabi-gcc", "qemu-system-arm", "cc").allMatch(p -> t.find(p) != null);
        if (tools) {
            assertTrue(o.contains("6. MCU    the first 2 steps as cortex-m7 firmware in QEMU (mps2-an500): losses, "
                    + "trained parameters and logits bit-exact with the host"), o + err);
            assertTrue(o.matches("(?s).*SRAM [0-9,]+ B of 262,144 B.*"), o);
        } else {
            assertTrue(o.contains("6. MCU    skipped: missing"), o);
        }
    }

    @Test
    void withoutTheMcuLeg(@TempDir Path dir) {
        StringWriter out = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "demo",
                "--dataset", "synthetic:3", "--steps", "200", "--eval", "100", "--no-mcu", "--png",
                dir.resolve("d.png").toString());
        assertEquals(0, code, out.toString());
        assertTrue(out.toString().contains("6. MCU    skipped (--no-mcu)"), out.toString());
        assertEquals(2, Main.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(new StringWriter(), true),
                "demo", "--steps", "10", "--mcu-steps", "11"));
    }
}
