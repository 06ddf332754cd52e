package dev.tinytrain.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tinytrain pretrain} then {@code tinytrain quantize}, and their errors. */
class PretrainQuantizeCommandTest {

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void pretrainThenQuantize() throws Exception {
        Path ckpt = dir.resolve("m.ckpt");
        Run p = run("pretrain", "--model", "mobilenetv2-w0.35", "--resolution", "24", "--dataset", "synthetic:3",
                "--epochs", "2", "--train-size", "512", "--eval", "96", "--batch", "32", "--warmup", "10",
                "--out", ckpt.toString(), "--json");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains("\"testAccuracy\""), p.out());
        assertTrue(Files.size(ckpt) > 100_000);
        Path model = dir.resolve("m.ttq");
        Run q = run("quantize", "--in", ckpt.toString(), "--calibration", "synthetic:3", "--samples", "64",
                "--eval", "96", "--out", model.toString());
        assertEquals(0, q.code(), q.err());
        assertTrue(q.out().matches("(?s).*test accuracy on 96 images: float [0-9.]+%, int8 [0-9.]+%.*"), q.out());
        assertTrue(Files.isRegularFile(model));
    }

    @Test
    void badInputsAreNamed() throws Exception {
        Path junk = dir.resolve("junk.ckpt");
        Files.writeString(junk, "not a checkpoint at all");
        Run q = run("quantize", "--in", junk.toString(), "--calibration", "synthetic:3", "--out",
                dir.resolve("o.ttq").toString());
        assertEquals(1, q.code());
        assertTrue(q.err().contains(junk.toString()) && q.err().contains("not a tinytrain tensor file"), q.err());
        Run p = run("pretrain", "--model", "mcunet-5fps", "--dataset", "imagenet", "--out", "x.ckpt");
        assertEquals(2, p.code());
        assertTrue(p.err().contains("dataset 'imagenet'"), p.err());
        Run m = run("pretrain", "--model", "resnet", "--dataset", "synthetic:2", "--out", "x.ckpt");
        assertEquals(2, m.code());
        assertTrue(m.err().contains("unknown architecture 'resnet'"), m.err());
    }
}
