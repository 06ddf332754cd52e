package dev.tinytrain.fp32;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * tinytrain's tensor container, used for float checkpoints ({@link FloatCheckpoint}) and quantized
 * int8 models ({@link Int8ModelFile}). Layout (all integers little-endian):
 *
 * <pre>
 *   offset 0   8 bytes   magic 0x89 'T' 'T' 'C' 'K' 'P' 'T' '\n'
 *   offset 8   uint32    format version (1)
 *   offset 12  uint32    header length H, 2 .. 16 MiB
 *   offset 16  H bytes   UTF-8 JSON header (an object)
 *   16 + H     ...       tensor data: each tensor's elements back to back in header order,
 *                        row-major, float32 / int8 / int32 little-endian; nothing after the last
 * </pre>
 *
 * The header holds {@code "format"} (what the file is), {@code "tensors"} (a list of
 * {@code {"name", "dtype": "float32"|"int8"|"int32", "shape": [..]}} plus any per-tensor fields),
 * {@code "dataBytes"} and {@code "dataCrc32"} (CRC-32 of the data section), and whatever the format
 * adds. Reading checks every one of these and names the file, the field or the byte offset of the
 * first problem ({@link CheckpointException}).
 */
public final class TensorFile {

    /** The magic: a non-ASCII first byte and a trailing newline catch text-mode transfers. */
    static final byte[] MAGIC = {(byte) 0x89, 'T', 'T', 'C', 'K', 'P', 'T', '\n'};
    static final int VERSION = 1;
    private static final int MAX_HEADER = 16 << 20;

    /** Element types. */
    public enum DType {
        FLOAT32("float32", 4), INT8("int8", 1), INT32("int32", 4);

        final String label;
        final int bytes;

        DType(String label, int bytes) {
            this.label = label;
            this.bytes = bytes;
        }

        static DType of(String label) {
            for (DType d : values()) {
                if (d.label.equals(label)) {
                    return d;
                }
            }
            return null;
        }
    }

    /**
     * One tensor: name, type, shape, data ({@code float[]}, {@code byte[]} or {@code int[]}) and extra
     * header fields (e.g. per-channel scales).
     */
    public record Tensor(String name, DType dtype, int[] shape, Object data, Map<String, Object> extra) {
        public Tensor {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            int len = switch (dtype) {
                case FLOAT32 -> ((float[]) data).length;
                case INT8 -> ((byte[]) data).length;
                case INT32 -> ((int[]) data).length;
            };
            if (len != n) {
                throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " holds " + n
                        + " elements, data has " + len);
            }
            extra = extra == null ? Map.of() : Map.copyOf(extra);
        }

        public static Tensor f32(String name, float[] data, int... shape) {
            return new Tensor(name, DType.FLOAT32, shape, data, null);
        }

        long bytes() {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n * dtype.bytes;
        }
    }

    /** A file's header (without the tensor list) and its tensors by name, in file order. */
    public record Contents(Path file, Map<String, Object> header, Map<String, Tensor> tensors) {
    }

    private TensorFile() {
    }

    /** Writes {@code header} (without "tensors", "dataBytes", "dataCrc32": added here) and the tensors. */
    public static void write(Path file, Map<String, Object> header, List<Tensor> tensors) throws IOException {
        long dataBytes = 0;
        for (Tensor t : tensors) {
            dataBytes += t.bytes();
        }
        if (dataBytes > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("tensors too large for one file: " + dataBytes + " bytes");
        }
        ByteBuffer data = ByteBuffer.allocate((int) dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Tensor t : tensors) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", t.name());
            m.put("dtype", t.dtype().label);
            List<Integer> shape = new ArrayList<>();
            for (int d : t.shape()) {
                shape.add(d);
            }
            m.put("shape", shape);
            m.putAll(t.extra());
            list.add(m);
            switch (t.dtype()) {
                case FLOAT32 -> {
                    for (float v : (float[]) t.data()) {
                        data.putFloat(v);
                    }
                }
                case INT8 -> data.put((byte[]) t.data());
                case INT32 -> {
                    for (int v : (int[]) t.data()) {
                        data.putInt(v);
                    }
                }
            }
        }
        CRC32 crc = new CRC32();
        crc.update(data.array());
        Map<String, Object> h = new LinkedHashMap<>(header);
        h.put("tensors", list);
        h.put("dataBytes", dataBytes);
        h.put("dataCrc32", crc.getValue());
        byte[] json = JSON.std.asString(h).getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(16 + json.length + (int) dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).putInt(VERSION).putInt(json.length).put(json).put(data.array());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, out.array());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Reads and checks a file: magic, version, header, tensor list, lengths and CRC. */
    public static Contents read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": no such file");
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
        }
        return parse(file, bytes);
    }

    /** As {@link #read(Path)} from bytes ({@code file} names the source in messages). */
    public static Contents parse(Path file, byte[] bytes) {
        if (bytes.length < 16) {
            throw new CheckpointException(file + ": " + bytes.length + " bytes is too short for a tinytrain tensor "
                    + "file (the fixed header alone is 16 bytes)");
        }
        if (!Arrays.equals(Arrays.copyOf(bytes, 8), MAGIC)) {
            throw new CheckpointException(file + ": not a tinytrain tensor file (bytes 0-7 are not the magic "
                    + "89 54 54 43 4B 50 54 0A)");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int version = in.getInt(8);
        if (version != VERSION) {
            throw new CheckpointException(file + ": format version " + Integer.toUnsignedString(version)
                    + " at byte offset 8; this tinytrain reads version " + VERSION);
        }
        int h = in.getInt(12);
        if (h < 2 || h > MAX_HEADER || 16L + h > bytes.length) {
            throw new CheckpointException(file + ": header length " + Integer.toUnsignedString(h) + " at byte offset 12 "
                    + "does not fit the file's " + bytes.length + " bytes");
        }
        Map<String, Object> header;
        try {
            header = JSON.std.mapFrom(new String(bytes, 16, h, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(file + ": the JSON header (byte offsets 16-" + (16 + h - 1)
                    + ") does not parse: " + e.getMessage(), e);
        }
        if (header == null) {
            throw new CheckpointException(file + ": the JSON header is not an object");
        }
        long dataStart = 16L + h;
        long dataBytes = number(file, header, "dataBytes").longValue();
        if (dataStart + dataBytes != bytes.length) {
            throw new CheckpointException(file + ": the header announces " + dataBytes + " data bytes from byte offset "
                    + dataStart + ", but the file has " + (bytes.length - dataStart) + " (truncated or padded)");
        }
        CRC32 crc = new CRC32();
        crc.update(bytes, (int) dataStart, (int) dataBytes);
        long want = number(file, header, "dataCrc32").longValue();
        if (crc.getValue() != want) {
            throw new CheckpointException(file + ": data CRC-32 is " + Long.toHexString(crc.getValue())
                    + ", the header says " + Long.toHexString(want) + " (the data bytes " + dataStart + "-"
                    + (bytes.length - 1) + " are damaged)");
        }
        Object list = header.get("tensors");
        if (!(list instanceof List<?> entries)) {
            throw new CheckpointException(file + ": header field \"tensors\" is missing or not a list");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        long offset = dataStart;
        for (int i = 0; i < entries.size(); i++) {
            if (!(entries.get(i) instanceof Map<?, ?> m)) {
                throw new CheckpointException(file + ": tensors[" + i + "] is not an object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> e = (Map<String, Object>) m;
            String where = file + ": tensors[" + i + "]";
            if (!(e.get("name") instanceof String name) || name.isEmpty()) {
                throw new CheckpointException(where + ": \"name\" is missing");
            }
            where = file + ": tensor " + name;
            DType dtype = e.get("dtype") instanceof String s ? DType.of(s) : null;
            if (dtype == null) {
                throw new CheckpointException(where + ": \"dtype\" must be float32, int8 or int32, got " + e.get("dtype"));
            }
            int[] shape = ints(where, e.get("shape"));
            long count = 1;
            for (int d : shape) {
                if (d < 1) {
                    throw new CheckpointException(where + ": shape " + Arrays.toString(shape) + " has a dimension < 1");
                }
                count *= d;
                if (count > Integer.MAX_VALUE) {
                    throw new CheckpointException(where + ": shape " + Arrays.toString(shape) + " is too large");
                }
            }
            long len = count * dtype.bytes;
            if (offset + len > bytes.length) {
                throw new CheckpointException(where + ": its " + len + " bytes from byte offset " + offset
                        + " run past the end of the file (" + bytes.length + " bytes)");
            }
            in.position((int) offset);
            Object data = switch (dtype) {
                case FLOAT32 -> {
                    float[] a = new float[(int) count];
                    in.asFloatBuffer().get(a);
                    yield a;
                }
                case INT8 -> Arrays.copyOfRange(bytes, (int) offset, (int) (offset + count));
                case INT32 -> {
                    int[] a = new int[(int) count];
                    in.asIntBuffer().get(a);
                    yield a;
                }
            };
            Map<String, Object> extra = new LinkedHashMap<>(e);
            extra.keySet().removeAll(List.of("name", "dtype", "shape"));
            if (tensors.put(name, new Tensor(name, dtype, shape, data, extra)) != null) {
                throw new CheckpointException(where + ": the name appears twice");
            }
            offset += len;
        }
        if (offset != bytes.length) {
            throw new CheckpointException(file + ": the header's tensors cover " + (offset - dataStart)
                    + " data bytes, the data section has " + dataBytes + " (a shape in the header is wrong)");
        }
        Map<String, Object> rest = new LinkedHashMap<>(header);
        rest.keySet().removeAll(List.of("tensors", "dataBytes", "dataCrc32"));
        return new Contents(file, rest, tensors);
    }

    /** A numeric header field, or an error naming it. */
    static Number number(Path file, Map<String, Object> m, String field) {
        if (m.get(field) instanceof Number n) {
            return n;
        }
        throw new CheckpointException(file + ": header field \"" + field + "\" is missing or not a number (got "
                + m.get(field) + ")");
    }

    /** A string header field, or an error naming it. */
    static String string(Path file, Map<String, Object> m, String field) {
        if (m.get(field) instanceof String s) {
            return s;
        }
        throw new CheckpointException(file + ": header field \"" + field + "\" is missing or not a string (got "
                + m.get(field) + ")");
    }

    /** A whole number header field within [lo, hi]. */
    static int integer(Path file, Map<String, Object> m, String field, int lo, int hi) {
        Number n = number(file, m, field);
        double d = n.doubleValue();
        if (d != Math.rint(d) || d < lo || d > hi) {
            throw new CheckpointException(file + ": header field \"" + field + "\" must be a whole number in [" + lo
                    + ", " + hi + "], got " + n);
        }
        return (int) d;
    }

    static int[] ints(String where, Object o) {
        if (!(o instanceof List<?> l)) {
            throw new CheckpointException(where + ": \"shape\" is missing or not a list");
        }
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) {
            if (!(l.get(i) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
                    || Math.abs(n.doubleValue()) > Integer.MAX_VALUE) {
                throw new CheckpointException(where + ": \"shape\"[" + i + "] is not a whole number: " + l.get(i));
            }
            a[i] = n.intValue();
        }
        return a;
    }

    static float[] floats(String where, Object o) {
        if (!(o instanceof List<?> l)) {
            throw new CheckpointException(where + " is missing or not a list of numbers");
        }
        float[] a = new float[l.size()];
        for (int i = 0; i < a.length; i++) {
            if (!(l.get(i) instanceof Number n)) {
                throw new CheckpointException(where + "[" + i + "] is not a number: " + l.get(i));
            }
            a[i] = n.floatValue();
        }
        return a;
    }
}
