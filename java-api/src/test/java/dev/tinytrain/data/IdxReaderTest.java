package dev.tinytrain.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxReaderTest {

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    private static String error(byte[] file, int rank) {
        return assertThrows(DatasetException.class, () -> IdxReader.read("slice.idx", file, rank)).getMessage();
    }

    @Test
    void readsPlainAndGzippedSlices() {
        byte[] pixels = random(5 * 3 * 4, 1);
        byte[] file = TestFiles.idx(new int[] {5, 3, 4}, pixels);
        for (byte[] f : new byte[][] {file, TestFiles.gzip(file)}) {
            IdxReader.IdxArray a = IdxReader.read("x", f, 3);
            assertArrayEquals(new int[] {5, 3, 4}, a.dims());
            assertEquals(5, a.count());
            assertEquals(12, a.itemBytes());
            assertEquals(16, a.headerBytes());
            assertArrayEquals(pixels, a.data());
        }
        byte[] labels = {0, 9, 3, (byte) 255};
        IdxReader.IdxArray l = IdxReader.read("l", TestFiles.idx(new int[] {4}, labels), 1);
        assertArrayEquals(labels, l.data());
        assertEquals(8, l.headerBytes());
    }

    @Test
    void badHeadersNameTheFileAndTheOffset() {
        byte[] good = TestFiles.idx(new int[] {2, 2, 2}, new byte[8]);

        byte[] magic = good.clone();
        magic[1] = 0x12;
        String m = error(magic, 3);
        assertTrue(m.startsWith("slice.idx: not an IDX file") && m.contains("0x00 0x12") && m.contains("byte offset 0"), m);

        byte[] type = good.clone();
        type[2] = 0x0D;
        m = error(type, 3);
        assertTrue(m.contains("element type 0x0d (float) at byte offset 2"), m);

        m = error(good, 1);
        assertTrue(m.contains("has 3 dimensions (byte offset 3") && m.contains("expected 1"), m);

        byte[] zero = good.clone();
        zero[8 + 3] = 0;                                         // dimension 1 (bytes 8..11) = 0
        m = error(zero, 3);
        assertTrue(m.contains("dimension 1 is 0 at byte offset 8"), m);

        byte[] negative = good.clone();
        negative[4] = (byte) 0x80;                               // dimension 0 negative as a signed int
        m = error(negative, 3);
        assertTrue(m.contains("dimension 0 is -2147483646 at byte offset 4"), m);

        byte[] huge = TestFiles.idx(new int[] {65536, 65536, 2}, new byte[0]);
        m = error(huge, 3);
        assertTrue(m.contains("exceed 2 GB"), m);

        m = error(Arrays.copyOf(good, 10), 3);
        assertTrue(m.contains("truncated IDX header") && m.contains("byte offset 10") && m.contains("need 16 bytes"), m);

        m = error(new byte[] {0, 0}, 1);
        assertTrue(m.contains("2 bytes, the header needs at least 4"), m);
    }

    @Test
    void truncatedAndOverlongDataNameTheOffset() {
        byte[] file = TestFiles.idx(new int[] {3, 4, 4}, random(48, 2));  // 16 + 48 = 64 bytes
        String m = error(Arrays.copyOf(file, 57), 3);
        assertTrue(m.contains("slice.idx: truncated: the data end at byte offset 57") && m.contains("(3x4x4) needs 64 bytes"), m);

        m = error(Arrays.copyOf(file, 67), 3);
        assertTrue(m.contains("3 unexpected bytes after the data, from byte offset 64"), m);

        // The same, gzipped: offsets count decompressed bytes, and the message says so.
        m = error(TestFiles.gzip(Arrays.copyOf(file, 57)), 3);
        assertTrue(m.contains("byte offset 57 (offset in the decompressed data)"), m);
    }

    @Test
    void damagedGzipIsNamed() {
        byte[] gz = TestFiles.gzip(TestFiles.idx(new int[] {50, 8, 8}, random(3200, 3)));
        String m = error(Arrays.copyOf(gz, gz.length / 2), 3);
        assertTrue(m.startsWith("slice.idx: gzip data truncated") && m.contains("decompressed bytes"), m);

        byte[] bad = gz.clone();
        for (int i = 20; i < 60; i++) {
            bad[i] ^= 0x5A;
        }
        m = error(bad, 3);
        assertTrue(m.startsWith("slice.idx: gzip data corrupted after"), m);
    }
}
