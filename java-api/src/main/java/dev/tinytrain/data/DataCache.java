package dev.tinytrain.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The user's dataset cache: {@code $TINYTRAIN_CACHE}, else {@code $XDG_CACHE_HOME/tinytrain}, else
 * {@code ~/.cache/tinytrain}. Each package's files live in {@code <root>/<package>_<version>/}
 * at their paths inside the package's data folder, and are checked against their pinned SHA-256
 * every time they are read.
 */
public final class DataCache {

    private final Path root;

    public DataCache(Path root) {
        this.root = root;
    }

    /** The cache of this process's environment. */
    public static DataCache user() {
        return new DataCache(defaultRoot(System.getenv(), System.getProperty("user.home")));
    }

    /** The root folder for an environment and home folder (see the class doc). */
    public static Path defaultRoot(Map<String, String> env, String userHome) {
        String own = env.get("TINYTRAIN_CACHE");
        if (own != null && !own.isBlank()) {
            return Path.of(own);
        }
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {   // the XDG spec ignores relative paths
            return Path.of(xdg, "tinytrain");
        }
        return Path.of(userHome, ".cache", "tinytrain");
    }

    public Path root() {
        return root;
    }

    /** The folder of a package's files. */
    public Path dir(PackageSource src) {
        return root.resolve(src.cacheId());
    }

    /** The cached path of one pinned file. */
    public Path file(PackageSource src, PinnedFile f) {
        return dir(src).resolve(f.path());
    }

    /** True when every pinned file is there with its pinned size (contents are checked when read). */
    public boolean isComplete(PackageSource src) {
        return missing(src).isEmpty();
    }

    /** The pinned files that are absent or of the wrong size. */
    public List<PinnedFile> missing(PackageSource src) {
        List<PinnedFile> out = new ArrayList<>();
        for (PinnedFile f : src.files()) {
            Path p = file(src, f);
            try {
                if (!Files.isRegularFile(p) || Files.size(p) != f.size()) {
                    out.add(f);
                }
            } catch (IOException e) {
                out.add(f);
            }
        }
        return out;
    }

    /**
     * Reads a cached file and checks its SHA-256 against the pin.
     *
     * @throws DatasetException when the file is missing, unreadable or differs from the pin, saying
     *                          which command fetches it again
     */
    public byte[] readVerified(PackageSource src, PinnedFile f) {
        Path p = file(src, f);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(p);
        } catch (IOException e) {
            throw new DatasetException(src.spec() + ": cannot read cached file " + p + " (" + e.getMessage()
                    + "); run `tinytrain dataset fetch " + src.spec() + "`", e);
        }
        String actual = Packages.sha256(bytes);
        if (!actual.equals(f.sha256())) {
            throw new DatasetException(src.spec() + ": cached file " + p + " does not match its pinned checksum (SHA-256 "
                    + actual + ", " + bytes.length + " bytes; expected " + f.sha256() + ", " + f.size() + " bytes): "
                    + "the cache was damaged or changed. Run `tinytrain dataset fetch " + src.spec()
                    + "`, which downloads it again");
        }
        return bytes;
    }
}
