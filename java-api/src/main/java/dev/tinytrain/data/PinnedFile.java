package dev.tinytrain.data;

import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A file a dataset package must hold, pinned by its size and SHA-256 (hex), computed from the real
 * package when the dataset was added. {@code path} is relative to the package's data folder and
 * uses {@code /}.
 */
public record PinnedFile(String path, long size, String sha256) {

    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    public PinnedFile {
        if (path.isEmpty() || path.startsWith("/") || path.contains("..") || path.contains("\\")) {
            throw new IllegalArgumentException("pinned path must be relative without '..', got '" + path + "'");
        }
        if (size < 0) {
            throw new IllegalArgumentException(path + ": size must be >= 0, got " + size);
        }
        if (!HEX64.matcher(sha256).matches()) {
            throw new IllegalArgumentException(path + ": SHA-256 must be 64 lower-case hex digits, got '" + sha256 + "'");
        }
    }

    static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}
