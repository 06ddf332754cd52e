package dev.tinytrain.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo's whole path on generated data (the real run fetches MNIST): shipped model, plan, training, the PNG. */
class DemoCommandTest {

    @Test
    void demoOnSyntheticData(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Path png = dir.resolve("demo.png");
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), "demo", "--dataset",
                "synthetic:4", "--steps", "400", "--eval", "200", "--png", png.toString());
        String o = out.toString();
        assertEquals(0, code, o + err);   // 0 means the accuracy after is above the accuracy before
        assertTrue(o.contains("shipped, int8") && o.contains("3. plan   scheme mcunet-") && o.contains("within 256KB")
                && o.contains("5. after"), o);
        assertTrue(Files.size(png) > 1000);
    }
}
