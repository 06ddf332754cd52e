package dev.tinytrain.data;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST: bytes 0-1 zero, byte 2 the element type
 * ({@code 0x08}: unsigned byte, the only type these datasets use), byte 3 the number of dimensions
 * D, then D big-endian 32-bit sizes, then the elements in row-major order. A gzip-compressed file
 * (magic {@code 1f 8b}) is decompressed first; byte offsets in errors then count decompressed bytes.
 *
 * <p>Everything is checked: the magic, the type, the dimensions (positive, and the rank the caller
 * expects), and that the data are exactly as long as the dimensions say. Errors name the file and
 * the byte offset.
 */
public final class IdxReader {

    /** An IDX array of unsigned bytes: its source file, dimensions and elements (row-major). */
    public record IdxArray(String file, int[] dims, byte[] data) {

        public IdxArray {
            dims = dims.clone();
        }

        @Override
        public int[] dims() {
            return dims.clone();
        }

        /** The number of items (the first dimension). */
        public int count() {
            return dims[0];
        }

        /** Bytes of one item (the product of the other dimensions). */
        public int itemBytes() {
            int n = 1;
            for (int i = 1; i < dims.length; i++) {
                n *= dims[i];
            }
            return n;
        }

        /** The first {@code count} bytes are the header; element {@code i} is at byte {@code headerBytes() + i}. */
        public int headerBytes() {
            return 4 + 4 * dims.length;
        }
    }

    private static final int UBYTE = 0x08;

    private IdxReader() {
    }

    /**
     * Parses the bytes of an IDX file (gzip-compressed or not).
     *
     * @param file  the file's name, for messages
     * @param raw   the file's bytes
     * @param rank  the number of dimensions required (1 for labels, 3 for images)
     * @throws DatasetException naming the file and the byte offset of the first problem
     */
    public static IdxArray read(String file, byte[] raw, int rank) {
        boolean gz = raw.length >= 2 && (raw[0] & 0xFF) == 0x1F && (raw[1] & 0xFF) == 0x8B;
        byte[] b = gz ? gunzip(file, raw) : raw;
        String where = gz ? " (offset in the decompressed data)" : "";
        if (b.length < 4) {
            throw new DatasetException(file + ": not an IDX file: " + b.length + " bytes, the header needs at least 4" + where);
        }
        if (b[0] != 0 || b[1] != 0) {
            throw new DatasetException(String.format("%s: not an IDX file: bytes 0-1 are 0x%02x 0x%02x, expected 0x00 0x00"
                    + " (byte offset 0%s)", file, b[0] & 0xFF, b[1] & 0xFF, where));
        }
        int type = b[2] & 0xFF;
        if (type != UBYTE) {
            throw new DatasetException(String.format("%s: IDX element type 0x%02x (%s) at byte offset 2%s; only unsigned"
                    + " bytes (0x08) are supported", file, type, typeName(type), where));
        }
        int d = b[3] & 0xFF;
        if (d != rank) {
            throw new DatasetException(file + ": IDX file has " + d + " dimensions (byte offset 3" + where
                    + "), expected " + rank);
        }
        int header = 4 + 4 * d;
        if (b.length < header) {
            throw new DatasetException(file + ": truncated IDX header: the file ends at byte offset " + b.length + where
                    + ", the " + d + " dimension sizes need " + header + " bytes");
        }
        int[] dims = new int[d];
        long elements = 1;
        for (int i = 0; i < d; i++) {
            int at = 4 + 4 * i;
            dims[i] = ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
            if (dims[i] <= 0) {
                throw new DatasetException(file + ": IDX dimension " + i + " is " + dims[i] + " at byte offset " + at + where
                        + "; sizes must be >= 1");
            }
            elements *= dims[i];
            if (elements > Integer.MAX_VALUE - header) {
                throw new DatasetException(file + ": IDX dimensions " + Arrays.toString(Arrays.copyOf(dims, i + 1))
                        + " (up to byte offset " + (at + 4) + where + ") exceed 2 GB of data");
            }
        }
        long expected = header + elements;
        if (b.length < expected) {
            throw new DatasetException(file + ": truncated: the data end at byte offset " + b.length + where + ", but the header ("
                    + shape(dims) + ") needs " + expected + " bytes; the file is damaged or incomplete");
        }
        if (b.length > expected) {
            throw new DatasetException(file + ": " + (b.length - expected) + " unexpected bytes after the data, from byte offset "
                    + expected + where + " (header " + shape(dims) + ")");
        }
        return new IdxArray(file, dims, Arrays.copyOfRange(b, header, b.length));
    }

    private static byte[] gunzip(String file, byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(gzipSizeHint(raw));
        byte[] buf = new byte[1 << 16];
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw), 1 << 16)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
        } catch (EOFException e) {
            throw new DatasetException(file + ": gzip data truncated: the " + raw.length + "-byte file ends after "
                    + out.size() + " decompressed bytes; the file is damaged or incomplete", e);
        } catch (ZipException e) {
            throw new DatasetException(file + ": gzip data corrupted after " + out.size() + " decompressed bytes ("
                    + e.getMessage() + "); the file is damaged", e);
        } catch (IOException e) {
            throw new DatasetException(file + ": cannot decompress after " + out.size() + " bytes: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** The gzip trailer's ISIZE (uncompressed size mod 2^32), bounded, as a buffer size hint. */
    private static int gzipSizeHint(byte[] raw) {
        if (raw.length < 18) {
            return 1024;
        }
        int n = raw.length;
        long isize = (raw[n - 4] & 0xFFL) | (raw[n - 3] & 0xFFL) << 8 | (raw[n - 2] & 0xFFL) << 16 | (raw[n - 1] & 0xFFL) << 24;
        return (int) Math.max(1024, Math.min(isize, 1L << 28));
    }

    private static String shape(int[] dims) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dims.length; i++) {
            sb.append(i > 0 ? "x" : "").append(dims[i]);
        }
        return sb.toString();
    }

    private static String typeName(int type) {
        return switch (type) {
            case 0x09 -> "signed byte";
            case 0x0B -> "short";
            case 0x0C -> "int";
            case 0x0D -> "float";
            case 0x0E -> "double";
            default -> "unknown";
        };
    }
}
