package dev.tinytrain.fp32;

import dev.tinytrain.data.SyntheticDataset;
import dev.tinytrain.models.NetBuilder;
import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Float checkpoints and int8 model files: exact round trips, and every kind of damage named. */
class CheckpointTest {

    @TempDir
    Path dir;

    @Test
    void floatCheckpointRoundTripsEveryTensorBitForBit() throws IOException {
        FloatNet net = FloatPassTest.randomized("proxylessnas-w0.3", 20, 7, 4);
        Path f = dir.resolve("p.ckpt");
        FloatCheckpoint.write(f, net, Map.of("dataset", "synthetic:7", "testAccuracy", 0.5));
        FloatCheckpoint.Loaded back = FloatCheckpoint.read(f);
        assertEquals("proxylessnas-w0.3", back.net().architecture());
        assertEquals(20, back.net().resolution());
        assertEquals(7, back.net().classes());
        assertEquals("synthetic:7", back.meta().get("dataset"));
        for (Param p : net.params().values()) {
            assertArrayEquals(p.data(), back.net().param(p.name()).data(), p.name());
        }
    }

    @Test
    void damageIsNamed() throws IOException {
        FloatNet net = FloatNet.create("mcunet-5fps", 16, 3, 2, 1);
        Path f = dir.resolve("m.ckpt");
        FloatCheckpoint.write(f, net, Map.of());
        byte[] good = Files.readAllBytes(f);
        int headerLen = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
        String header = new String(good, 16, headerLen, StandardCharsets.UTF_8);

        expect(f, "no such file", null, dir.resolve("missing.ckpt"));
        expect(f, "too short", Arrays.copyOf(good, 10), null);
        byte[] b = good.clone();
        b[0] = 'X';
        expect(f, "not a tinytrain tensor file", b, null);
        b = good.clone();
        b[8] = 2;
        expect(f, "format version 2 at byte offset 8", b, null);
        b = good.clone();
        b[12] = (byte) 0xFF;
        b[13] = (byte) 0xFF;
        b[14] = (byte) 0xFF;
        expect(f, "header length", b, null);
        expect(f, "truncated or padded", Arrays.copyOf(good, good.length - 3), null);
        b = good.clone();
        b[good.length - 5] ^= 0x40;
        expect(f, "are damaged", b, null);
        b = good.clone();
        b[16] = '[';
        expect(f, "does not parse", b, null);
        // a header edited consistently (same length) but naming the wrong shape
        String wrong = header.replaceFirst("\\[16,3,3,3\\]", "[16,3,3,2]");
        assertTrue(!wrong.equals(header));
        expect(f, "a shape in the header is wrong", withHeader(good, headerLen, wrong), null);
        String sameCount = header.replaceFirst("\\[16,3,3,3\\]", "[16,3,1,9]");
        expect(f, "tensor conv0.weight is float32[16, 3, 1, 9]", withHeader(good, headerLen, sameCount), null);
        String arch = header.replace("\"mcunet-5fps\"", "\"mcunet-9fps\"");
        expect(f, "unknown architecture \"mcunet-9fps\"", withHeader(good, headerLen, arch), null);
    }

    /** The file with another header of the same length (the data, and so the CRC, unchanged). */
    private static byte[] withHeader(byte[] good, int headerLen, String header) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        assertEquals(headerLen, h.length);
        byte[] b = good.clone();
        System.arraycopy(h, 0, b, 16, h.length);
        return b;
    }

    private void expect(Path f, String fragment, byte[] content, Path other) throws IOException {
        Path target = other != null ? other : f.resolveSibling("bad.ckpt");
        if (content != null) {
            Files.write(target, content);
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> FloatCheckpoint.read(target));
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
        assertTrue(e.getMessage().contains(target.toString()), "the message names the file: " + e.getMessage());
    }

    @Test
    void nonFiniteValuesAndWrongFormatsAreRejected() throws IOException {
        FloatNet net = FloatNet.create("mcunet-5fps", 16, 3, 2, 1);
        net.param("block3.dw.bn.gamma").data()[2] = Float.NaN;
        Path f = dir.resolve("nan.ckpt");
        FloatCheckpoint.write(f, net, Map.of());
        CheckpointException e = assertThrows(CheckpointException.class, () -> FloatCheckpoint.read(f));
        assertTrue(e.getMessage().contains("block3.dw.bn.gamma element 2 is NaN"), e.getMessage());
        CheckpointException e2 = assertThrows(CheckpointException.class, () -> Int8ModelFile.read(f));
        assertTrue(e2.getMessage().contains("not an int8 model"), e2.getMessage());
    }

    @Test
    void int8ModelFileRoundTripsToTheSameGraph() throws IOException {
        FloatNet net = FloatPassTest.randomized("mobilenetv2-w0.35", 16, 3, 8);
        Quantization in = Quantization.perTensor(NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT);
        SyntheticDataset cal = new SyntheticDataset(3, 8, new int[] {1, 16, 16, 3}, in, 1, 0);
        Int8Model m = Quantizer.quantize(net, cal, 8, new Quantizer.MinMax(), new Fp32Reference());
        Path f = dir.resolve("m.ttq");
        Int8ModelFile.write(f, m, Map.of("note", "test"));
        Int8Model back = Int8ModelFile.read(f);
        assertEquals(m.toGraph().dump(), back.toGraph().dump());
        for (var e : m.layers().entrySet()) {
            assertArrayEquals(e.getValue().weight(), back.layers().get(e.getKey()).weight());
            assertArrayEquals(e.getValue().bias(), back.layers().get(e.getKey()).bias());
            assertArrayEquals(e.getValue().scales(), back.layers().get(e.getKey()).scales(), 0f);
        }
    }
}
