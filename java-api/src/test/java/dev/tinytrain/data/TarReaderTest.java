package dev.tinytrain.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The tar reader against archives written by GNU tar in its three formats. */
class TarReaderTest {

    @TempDir
    Path tmp;

    private Map<String, byte[]> tree() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        SplittableRandom r = new SplittableRandom(4);
        StringBuilder longDir = new StringBuilder("d/");
        for (int i = 0; i < 6; i++) {
            longDir.append("a-long-folder-").append(i).append('/');      // ustar can split this path at a '/'
        }
        for (String name : List.of("small.txt", "empty", "exact512", longDir + "deep-file-with-a-long-name.png")) {
            int n = name.equals("empty") ? 0 : name.equals("exact512") ? 512 : 1 + r.nextInt(3000);
            byte[] b = new byte[n];
            r.nextBytes(b);
            files.put(name, b);
            Path p = tmp.resolve("src").resolve(name);
            Files.createDirectories(p.getParent());
            Files.write(p, b);
        }
        return files;
    }

    private static Map<String, byte[]> readAll(InputStream in) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        TarReader t = new TarReader(in, "test.tar");
        TarReader.Entry e;
        while ((e = t.next()) != null) {
            if (e.isFile()) {
                byte[] b = t.content().readAllBytes();
                assertEquals(e.size(), b.length, e.path());
                out.put(e.path().startsWith("./") ? e.path().substring(2) : e.path(), b);
            }
        }
        return out;
    }

    @Test
    void readsGnuUstarAndPaxArchives() throws IOException {
        assumeTrue(TestFiles.available("tar", "--version"), "GNU tar is not installed: cannot make test archives");
        Map<String, byte[]> files = tree();
        assertTrue(files.keySet().stream().anyMatch(n -> n.length() > 100), "a name longer than the ustar name field");
        for (String format : List.of("gnu", "pax", "ustar")) {
            Path tar = tmp.resolve(format + ".tar");
            TestFiles.run(tmp.resolve("src"), List.of("tar", "--format=" + format, "-cf", tar.toString(), "."));
            Map<String, byte[]> got = readAll(Files.newInputStream(tar));
            assertEquals(files.keySet(), got.keySet(), format);
            for (String n : files.keySet()) {
                assertArrayEquals(files.get(n), got.get(n), format + " " + n);
            }
        }
    }

    @Test
    void skipsUnreadContentAndRejectsDamage() throws IOException {
        assumeTrue(TestFiles.available("tar", "--version"), "GNU tar is not installed: cannot make test archives");
        Map<String, byte[]> files = tree();
        Path tar = tmp.resolve("t.tar");
        TestFiles.run(tmp.resolve("src"), List.of("tar", "-cf", tar.toString(), "."));
        byte[] bytes = Files.readAllBytes(tar);
        // Reading only a few bytes of each entry still finds every entry.
        TarReader t = new TarReader(new ByteArrayInputStream(bytes), "t.tar");
        int n = 0;
        TarReader.Entry e;
        while ((e = t.next()) != null) {
            if (e.isFile()) {
                t.content().read(new byte[3]);
                n++;
            }
        }
        assertEquals(files.size(), n);

        byte[] bad = bytes.clone();
        bad[100] ^= 1;                                              // the mode field of the first header
        String m = assertThrows(IOException.class, () -> readAll(new ByteArrayInputStream(bad))).getMessage();
        assertTrue(m.contains("test.tar: tar header at byte 0 has a bad checksum"), m);

        byte[] cut = Arrays.copyOf(bytes, 512 + 100);                 // inside the first file's content (or header)
        m = assertThrows(IOException.class, () -> readAll(new ByteArrayInputStream(cut))).getMessage();
        assertTrue(m.contains("test.tar: tar stream ends inside"), m);
    }
}
