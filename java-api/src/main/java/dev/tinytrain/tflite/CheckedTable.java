package dev.tinytrain.tflite;

import com.google.flatbuffers.Table;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A flatbuffer table read through flatbuffers-java's {@link Table}, with every position checked
 * against the buffer before it is read: the table's vtable, each field inside the table's inline
 * size, each offset, vector length and string before the bytes they point to. A bad position throws
 * {@link TfliteFormatException} naming the table ({@link #what()}), the field and the byte offset,
 * so a truncated or corrupted file is an error message, never an out-of-bounds read.
 *
 * <p>Layout reminders: a table starts with a signed offset back to its vtable; the vtable holds its
 * own size, the table's inline size, then one 16-bit field offset per slot (0: absent). Offsets to
 * tables, vectors and strings are unsigned 32-bit and relative to where they are stored; vectors and
 * strings start with a 32-bit element count.
 */
final class CheckedTable extends Table {

    private final String what;
    private int inlineSize;

    private CheckedTable(String what) {
        this.what = what;
    }

    /**
     * The table at {@code pos}, after checking its vtable and inline size; {@code from} is where the
     * offset leading here is stored (the byte offset reported when {@code pos} itself is out of range).
     */
    static CheckedTable at(ByteBuffer bb, long pos, String what, long from) {
        CheckedTable t = new CheckedTable(what);
        long limit = bb.limit();
        if (pos < 0 || pos + 4 > limit) {
            throw new TfliteFormatException(what + ": table position " + pos + " is outside the " + limit
                    + "-byte buffer", from);
        }
        int p = (int) pos;
        long vtable = (long) p - bb.getInt(p);
        if (vtable < 0 || vtable + 4 > limit) {
            throw new TfliteFormatException(what + ": vtable position " + vtable + " is outside the " + limit
                    + "-byte buffer", pos);
        }
        int vtableSize = Short.toUnsignedInt(bb.getShort((int) vtable));
        int inline = Short.toUnsignedInt(bb.getShort((int) vtable + 2));
        if (vtableSize < 4 || (vtableSize & 1) != 0 || vtable + vtableSize > limit) {
            throw new TfliteFormatException(what + ": vtable at " + vtable + " has an invalid size " + vtableSize,
                    vtable);
        }
        if (inline < 4 || pos + inline > limit) {
            throw new TfliteFormatException(what + ": table of " + inline + " bytes at " + pos
                    + " does not fit the " + limit + "-byte buffer", pos);
        }
        t.inlineSize = inline;
        t.__reset(p, bb);
        return t;
    }

    /** What this table is, for messages: e.g. {@code "subgraph 0, tensor 12"}. */
    String what() {
        return what;
    }

    int position() {
        return bb_pos;
    }

    /** Whether the field of {@code slot} is present. */
    boolean has(int slot) {
        return fieldPos(slot, 1, "field") != 0;
    }

    /**
     * Absolute position of the field in {@code slot} holding {@code size} bytes, 0 when absent; the
     * field must lie inside the table's inline bytes.
     */
    private int fieldPos(int slot, int size, String name) {
        int rel = __offset(4 + 2 * slot);
        if (rel == 0) {
            return 0;
        }
        if (rel < 4 || rel + size > inlineSize) {
            throw new TfliteFormatException(what + ": field '" + name + "' (slot " + slot + ") at table offset " + rel
                    + " lies outside the table's " + inlineSize + " bytes", bb_pos);
        }
        return bb_pos + rel;
    }

    byte getByte(int slot, String name, byte defaultValue) {
        int p = fieldPos(slot, 1, name);
        return p == 0 ? defaultValue : bb.get(p);
    }

    boolean getBool(int slot, String name) {
        return getByte(slot, name, (byte) 0) != 0;
    }

    int getInt(int slot, String name, int defaultValue) {
        int p = fieldPos(slot, 4, name);
        return p == 0 ? defaultValue : bb.getInt(p);
    }

    long getLong(int slot, String name, long defaultValue) {
        int p = fieldPos(slot, 8, name);
        return p == 0 ? defaultValue : bb.getLong(p);
    }

    /** The absolute target of the offset field in {@code slot}, or -1 when absent. */
    long target(int slot, String name) {
        int p = fieldPos(slot, 4, name);
        if (p == 0) {
            return -1;
        }
        return follow(p, name);
    }

    /** The sub-table in {@code slot}, or null when absent. */
    CheckedTable table(int slot, String name, String subWhat) {
        long t = target(slot, name);
        return t < 0 ? null : at(bb, t, subWhat, t);
    }

    /** The string in {@code slot}, or null when absent. */
    String string(int slot, String name) {
        long s = target(slot, name);
        if (s < 0) {
            return null;
        }
        int len = vectorLength(s, 1, name);
        byte[] bytes = new byte[len];
        bb.get((int) s + 4, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The vector in {@code slot}: its absolute position (the length word) and length, or null when absent. */
    Vector vector(int slot, String name, int elementSize) {
        long v = target(slot, name);
        if (v < 0) {
            return null;
        }
        return new Vector((int) v + 4, vectorLength(v, elementSize, name), elementSize);
    }

    int[] intVector(int slot, String name) {
        Vector v = vector(slot, name, 4);
        if (v == null) {
            return null;
        }
        int[] out = new int[v.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bb.getInt(v.element(i));
        }
        return out;
    }

    long[] longVector(int slot, String name) {
        Vector v = vector(slot, name, 8);
        if (v == null) {
            return null;
        }
        long[] out = new long[v.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bb.getLong(v.element(i));
        }
        return out;
    }

    float[] floatVector(int slot, String name) {
        Vector v = vector(slot, name, 4);
        if (v == null) {
            return null;
        }
        float[] out = new float[v.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bb.getFloat(v.element(i));
        }
        return out;
    }

    /** Element {@code i} of a vector of tables. */
    CheckedTable tableElement(Vector v, int i, String subWhat) {
        return at(bb, follow(v.element(i), subWhat), subWhat, v.element(i));
    }

    /** The absolute target of the unsigned offset stored at {@code pos}, checked to lie inside the buffer. */
    private long follow(int pos, String name) {
        long target = pos + Integer.toUnsignedLong(bb.getInt(pos));
        if (target + 4 > bb.limit()) {
            throw new TfliteFormatException(what + ": field '" + name + "' points to " + target
                    + ", past the end of the " + bb.limit() + "-byte buffer", pos);
        }
        return target;
    }

    private int vectorLength(long vector, int elementSize, String name) {
        long len = Integer.toUnsignedLong(bb.getInt((int) vector));
        if (vector + 4 + len * elementSize > bb.limit()) {
            throw new TfliteFormatException(what + ": vector '" + name + "' of " + len + " elements at " + vector
                    + " runs past the end of the " + bb.limit() + "-byte buffer", vector);
        }
        return (int) len;
    }

    /** A checked vector: {@code start} is the first element's position. */
    record Vector(int start, int length, int elementSize) {
        int element(int i) {
            if (i < 0 || i >= length) {
                throw new IndexOutOfBoundsException("element " + i + " of a vector of " + length);
            }
            return start + i * elementSize;
        }
    }
}
