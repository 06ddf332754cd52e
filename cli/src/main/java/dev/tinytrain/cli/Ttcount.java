package dev.tinytrain.cli;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ttcount QEMU plugin (native-kernels/qemu-plugin, carried by every firmware project): built for
 * the host with its C compiler as a shared object, cached by the SHA-256 of its sources; and its
 * report, one {@code ttcount region <n> <instructions>} line per pair of
 * {@code tt_count_begin()}/{@code tt_count_end()} calls, in order.
 */
final class Ttcount {

    private static final Pattern REGION = Pattern.compile("^ttcount region (\\d+) (\\d+)$", Pattern.MULTILINE);
    private static final Pattern WARNING = Pattern.compile("^ttcount warning: .*$", Pattern.MULTILINE);

    private Ttcount() {
    }

    /**
     * The plugin built from {@code pluginDir} ({@code ttcount.c} and its header), at
     * {@code <cache>/ttcount/<sha256 of the sources, 16 hex digits>/ttcount.so}; compiled with {@code cc}
     * when not there yet. Written to a temporary name first, so a concurrent or interrupted build never
     * leaves a half-written plugin behind.
     *
     * @throws McuRunException when the compiler fails (its output included)
     */
    static Path plugin(Path pluginDir, Path cache, Tools tools) throws IOException, InterruptedException {
        Path source = pluginDir.resolve("ttcount.c");
        Path header = pluginDir.resolve("tt_qemu_plugin_api.h");
        String key = digest(Files.readAllBytes(source), Files.exists(header) ? Files.readAllBytes(header) : new byte[0]);
        Path dir = cache.resolve("ttcount").resolve(key);
        Path so = dir.resolve("ttcount.so");
        if (Files.isRegularFile(so)) {
            return so;
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "ttcount-", ".so.tmp");
        try {
            Tools.Result r = tools.run(dir, 120, List.of(tools.hostCc(), "-std=c11", "-O2", "-Wall", "-Wextra",
                    "-shared", "-fPIC", "-fvisibility=hidden", "-o", tmp.toString(), source.toString()), null);
            if (r.exitCode() != 0) {
                throw new McuRunException(1, "building the ttcount QEMU plugin with " + tools.hostCc() + " failed (exit "
                        + r.exitCode() + "):\n" + r.output());
            }
            try {
                Files.move(tmp, so, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, so, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return so;
    }

    /**
     * The instruction counts of the regions, in order.
     *
     * @throws McuRunException when the plugin warned (unpaired markers) or numbered regions out of order
     */
    static long[] regions(String pluginOutput) {
        Matcher w = WARNING.matcher(pluginOutput);
        if (w.find()) {
            throw new McuRunException(1, "the ttcount plugin reported unpaired count markers: " + w.group());
        }
        List<Long> counts = new ArrayList<>();
        Matcher m = REGION.matcher(pluginOutput);
        while (m.find()) {
            if (Long.parseLong(m.group(1)) != counts.size() + 1) {
                throw new McuRunException(1, "the ttcount plugin numbered region " + m.group(1) + " after "
                        + counts.size() + " regions");
            }
            counts.add(Long.parseLong(m.group(2)));
        }
        return counts.stream().mapToLong(Long::longValue).toArray();
    }

    private static String digest(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                md.update(p);
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
