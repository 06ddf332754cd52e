package dev.tinytrain.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.ReferenceBackend;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.runtime.ForwardInterpreter;
import dev.tinytrain.tflite.TfliteImporter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code export}, {@code inspect} and {@code predict}. predict runs on the best backend (the C kernels)
 * and is checked against the pure-Java reference kernels running the same imported graph, an
 * independent implementation (the whole-model TF-Lite oracle in cmsis-bindings ties both to TF-Lite);
 * inspect's totals are checked against numbers stated in the design documents.
 */
class ModelCommandsTest {

    @TempDir
    static Path tmp;

    /** mcunet-5fps at 32x32, 10 classes, seed 3. */
    private static Path small;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    private static Map<String, Object> json(String... args) throws Exception {
        Run r = run(args);
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().strip().lines().count(), r.out());
        return JSON.std.mapFrom(r.out());
    }

    @BeforeAll
    static void exportSmallModel() {
        small = tmp.resolve("small.tflite");
        Run r = run("export", "--model", "mcunet-5fps", "--resolution", "32", "--classes", "10", "--seed", "3",
                "--out", small.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote " + small + ": mcunet-5fps 32x32x3, 10 classes, seed 3;"), r.out());
    }

    @Test
    void exportWritesTheBuiltInArchitecture() throws Exception {
        Graph built = Architectures.build("mcunet-5fps", 32, 3, 10, 3);   // calibrated on the Java reference
        Graph back = TfliteImporter.read(small).graph();
        assertEquals(built.dump().replace("graph mcunet-5fps", "graph small"), back.dump());
        for (Value v : built.values()) {
            if (built.isConstant(v) && v.dtype() == dev.tinytrain.tensor.DType.INT8) {
                assertTrue(java.util.Arrays.equals(built.int8(v), back.int8(v)), v.name());
            }
        }
    }

    @Test
    void inspectReportsTheDesignDocumentsNumbers() throws Exception {
        Path m = tmp.resolve("mcunet128.tflite");
        assertEquals(0, run("export", "--model", "mcunet-5fps", "--out", m.toString()).code());
        Map<String, Object> j = json("inspect", m.toString(), "--json");
        // models/ARCHITECTURES.md: 22,613,504 MACs at 128x128, 43 convs, 57 TF-Lite operators, 630,224 parameters
        // (623,216 int8 weights + 7,008 int32 biases = 651,248 bytes).
        assertEquals(22_613_504L, ((Number) j.get("totalMacs")).longValue());
        assertEquals(43, ((Number) j.get("convs")).intValue());
        assertEquals(57, ((Number) j.get("tfliteOperators")).intValue());
        assertEquals(651_248L, ((Number) j.get("paramBytes")).longValue());
        assertEquals(623_216L, ((Number) j.get("weightBytes")).longValue());
        // DESIGN.md: the forward pass alone, layer by layer, peaks at 163,840 B (block 1: 64x64x8 in, 64x64x32 out).
        assertEquals(163_840L, ((Number) j.get("lowerBoundBytes")).longValue());
        long arena = ((Number) j.get("arenaBytes")).longValue();
        assertTrue(arena >= 163_840L && arena < 200_000L, "arena " + arena);
        List<?> ops = (List<?>) j.get("ops");
        assertEquals(57 - 5, ops.size(), "the five PADs are folded");
        Map<?, ?> first = (Map<?, ?>) ops.getFirst();
        assertEquals("conv2d", first.get("op"));
        assertEquals(List.of(1, 64, 64, 16), first.get("outputShape"));
        assertEquals(1_769_472, ((Number) first.get("macs")).intValue());
        assertEquals(432 + 16 * 4, ((Number) first.get("paramBytes")).intValue());
        assertEquals(List.of(List.of(1, 128, 128, 3)), first.get("inputShapes"));
        List<?> tensors = (List<?>) j.get("tensors");
        Map<?, ?> in = (Map<?, ?>) tensors.getFirst();
        assertEquals("input", in.get("role"));
        assertEquals(0.00784313725490196, ((Number) in.get("scale")).doubleValue(), 1e-9);

        Run human = run("inspect", m.toString());
        assertEquals(0, human.code(), human.err());
        assertTrue(human.out().contains("57 TF-Lite operators (PAD x5, CONV_2D x29, DEPTHWISE_CONV_2D x14, ADD x7,"
                + " MEAN x1, RESHAPE x1) -> 52 graph ops"), human.out());
        assertTrue(human.out().contains("total: 22,613,504 MACs in 43 conv/fc layers"), human.out());
        assertTrue(human.out().contains("live-set lower bound 163,840 B"), human.out());
        assertTrue(human.out().contains("note: 5 PAD ops folded"), human.out());
    }

    @Test
    void predictMatchesTheReferenceKernels() throws Exception {
        Graph g = TfliteImporter.read(small).graph();
        Value out = g.outputs().getFirst();
        SplittableRandom r = new SplittableRandom(11);
        for (int k = 0; k < 3; k++) {
            byte[] x = new byte[32 * 32 * 3];
            for (int i = 0; i < x.length; i++) {
                x[i] = (byte) r.nextInt(-128, 128);
            }
            Path raw = tmp.resolve("x" + k + ".raw");
            Files.write(raw, x);
            Map<String, Object> j = json("predict", "--model", small.toString(), "--input", raw.toString(), "--json");
            byte[] expected = new ForwardInterpreter(g, new ReferenceBackend()).run(x);
            List<?> output = (List<?>) j.get("output");
            List<?> scores = (List<?>) j.get("scores");
            assertEquals(10, output.size());
            int argmax = 0;
            for (int i = 0; i < 10; i++) {
                assertEquals(expected[i], ((Number) output.get(i)).intValue(), "output " + i);
                assertEquals(out.scale() * (expected[i] - out.zeroPoint()), ((Number) scores.get(i)).doubleValue(),
                        1e-6, "score " + i);
                if (expected[i] > expected[argmax]) {
                    argmax = i;
                }
            }
            assertEquals(argmax, ((Number) j.get("label")).intValue());
            assertEquals("native", j.get("backend"));
        }
        Run human = run("predict", "--model", small.toString(), "--input", tmp.resolve("x0.raw").toString(), "--top", "3");
        assertEquals(0, human.code(), human.err());
        assertTrue(human.out().startsWith("small on ") && human.out().contains(": label "), human.out());
        assertEquals(4, human.out().lines().count(), human.out());
    }

    @Test
    void pngInputsAreConvertedWithThePixelMapping() throws Exception {
        // A 32x32 image: no resizing, so every pixel maps on its own: full range p - 128.
        BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        SplittableRandom r = new SplittableRandom(5);
        byte[] expected = new byte[32 * 32 * 3];
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int red = r.nextInt(256);
                int green = r.nextInt(256);
                int blue = r.nextInt(256);
                img.setRGB(x, y, red << 16 | green << 8 | blue);
                int base = (y * 32 + x) * 3;
                expected[base] = (byte) (red - 128);
                expected[base + 1] = (byte) (green - 128);
                expected[base + 2] = (byte) (blue - 128);
            }
        }
        Path png = tmp.resolve("img.png");
        ImageIO.write(img, "png", png.toFile());
        Path raw = tmp.resolve("img.raw");
        Files.write(raw, expected);
        Map<String, Object> fromPng = json("predict", "--model", small.toString(), "--input", png.toString(), "--json");
        Map<String, Object> fromRaw = json("predict", "--model", small.toString(), "--input", raw.toString(), "--json");
        assertEquals(fromRaw.get("output"), fromPng.get("output"));

        // A larger uniform image stays uniform when resized; -1..1 maps 200 to round((200/127.5 - 1) / s) + z.
        BufferedImage big = new BufferedImage(80, 60, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 60; y++) {
            for (int x = 0; x < 80; x++) {
                big.setRGB(x, y, 200 << 16 | 100 << 8 | 20);
            }
        }
        Path bigPng = tmp.resolve("big.png");
        ImageIO.write(big, "png", bigPng.toFile());
        float s = 2f / 255f;     // the exported model's input scale, zero point 0
        byte[] uniform = new byte[32 * 32 * 3];
        for (int i = 0; i < uniform.length; i += 3) {
            uniform[i] = (byte) Math.round((200 / 127.5 - 1) / s);
            uniform[i + 1] = (byte) Math.round((100 / 127.5 - 1) / s);
            uniform[i + 2] = (byte) Math.round((20 / 127.5 - 1) / s);
        }
        Path uniformRaw = tmp.resolve("uniform.raw");
        Files.write(uniformRaw, uniform);
        assertEquals(json("predict", "--model", small.toString(), "--input", uniformRaw.toString(), "--json")
                        .get("output"),
                json("predict", "--model", small.toString(), "--input", bigPng.toString(), "--pixels", "-1..1",
                        "--json").get("output"));

        // A grayscale model reads the luma.
        Path gray = tmp.resolve("gray.tflite");
        assertEquals(0, run("export", "--model", "mcunet-5fps", "--resolution", "32", "--channels", "1",
                "--classes", "4", "--out", gray.toString()).code());
        byte[] luma = new byte[32 * 32];
        java.util.Arrays.fill(luma, (byte) (Math.round(0.299 * 200 + 0.587 * 100 + 0.114 * 20) - 128));
        Path lumaRaw = tmp.resolve("luma.raw");
        Files.write(lumaRaw, luma);
        assertEquals(json("predict", "--model", gray.toString(), "--input", lumaRaw.toString(), "--json").get("output"),
                json("predict", "--model", gray.toString(), "--input", bigPng.toString(), "--json").get("output"));
    }

    @Test
    void badInputsAreNamed() throws Exception {
        Path shortRaw = tmp.resolve("short.raw");
        Files.write(shortRaw, new byte[100]);
        Run wrongSize = run("predict", "--model", small.toString(), "--input", shortRaw.toString());
        assertEquals(1, wrongSize.code());
        assertTrue(wrongSize.err().contains("has 100 bytes; the model's input input int8[1,32,32,3] (NHWC) needs 3072"
                + " bytes"), wrongSize.err());

        Run noModel = run("predict", "--model", tmp.resolve("none.tflite").toString(), "--input", shortRaw.toString());
        assertEquals(1, noModel.code());
        assertTrue(noModel.err().contains("model file " + tmp.resolve("none.tflite") + " does not exist"), noModel.err());

        Run noInput = run("predict", "--model", small.toString(), "--input", tmp.resolve("none.raw").toString());
        assertEquals(1, noInput.code());
        assertTrue(noInput.err().contains("input file " + tmp.resolve("none.raw") + " does not exist"), noInput.err());

        Run notModel = run("inspect", shortRaw.toString());
        assertEquals(1, notModel.code());
        assertTrue(notModel.err().contains(shortRaw + ": not a TF-Lite model: the file identifier is"), notModel.err());

        Run pixels = run("predict", "--model", small.toString(), "--input", shortRaw.toString(), "--pixels", "0..255");
        assertEquals(2, pixels.code());
        assertTrue(pixels.err().contains("--pixels must be full, 0..1 or -1..1"), pixels.err());

        Path five = tmp.resolve("five.tflite");
        assertEquals(0, run("export", "--model", "mcunet-5fps", "--resolution", "16", "--channels", "5",
                "--classes", "2", "--out", five.toString()).code());
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        Path png = tmp.resolve("small.png");
        ImageIO.write(img, "png", png.toFile());
        Run fiveChannels = run("predict", "--model", five.toString(), "--input", png.toString());
        assertEquals(1, fiveChannels.code());
        assertTrue(fiveChannels.err().contains("a PNG input needs a model input [1, h, w, 1 or 3]"), fiveChannels.err());
    }
}
