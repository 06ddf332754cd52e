package dev.tinytrain.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.tinytrain.data.DataCache;
import dev.tinytrain.data.Packages;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class DatasetCommandTest {

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void listedAndSynthetic() {
        Run help = run("--help");
        assertTrue(help.out().contains("dataset"), help.out());
        Run info = run("dataset", "info", "synthetic:3");
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().startsWith("synthetic:3: 3 classes"), info.out());
        assertTrue(info.out().contains("total") && info.out().contains("1,000") && info.out().contains("200"), info.out());
        Run fetch = run("dataset", "fetch", "synthetic:2");
        assertEquals(0, fetch.code(), fetch.err());
        assertTrue(fetch.out().contains("synthetic:2: generated on the fly, nothing to fetch"), fetch.out());
    }

    @Test
    void badSpecsAreNamed() {
        Run r = run("dataset", "info", "tuxpaint:animals,cars");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown category 'cars'"), r.err());
        r = run("dataset", "fetch", "imagenet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown dataset 'imagenet'"), r.err());
        r = run("dataset", "fetch", "mnist", "fashion-mnist", "--from", "x.tgz");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--from takes one dataset"), r.err());
    }

    @Test
    void infoOnFashionMnistCachedOrNot() throws Exception {
        boolean cached = DataCache.user().isComplete(Packages.FASHION_MNIST);
        Run r = run("dataset", "info", "fashion-mnist");
        assertEquals(0, r.code(), r.err());
        if (!cached) {
            assertTrue(r.out().contains("not cached yet") && r.out().contains("tinytrain dataset fetch fashion-mnist"), r.out());
            return;
        }
        assertTrue(r.out().contains("source: Debian package dataset-fashion-mnist 0.0~git20200523.55506a9-1"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("T-shirt/top\\s+5,400\\s+600\\s+1,000")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("total\\s+54,000\\s+6,000\\s+10,000")), r.out());
        Map<String, Object> j = JSON.std.mapFrom(run("dataset", "info", "fashion-mnist", "--json", "--limit-per-class", "3").out());
        assertEquals(30, j.get("train"));
        assertEquals(10, ((List<?>) j.get("classes")).size());
    }

    @Test
    void trainsOnMnistFewShot() throws Exception {
        assumeTrue(DataCache.user().isComplete(Packages.MNIST), "mnist is not cached: run `tinytrain dataset fetch mnist`");
        Run r = run("train", "--model", "mcunet-5fps", "--resolution", "32", "--scheme", "last-layer", "--dataset", "mnist",
                "--limit-per-class", "2", "--steps", "25", "--eval", "16", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = JSON.std.mapFrom(r.out());
        assertEquals("mnist", j.get("dataset"));
        assertEquals(20, j.get("trainSamples"));
        assertEquals(16, j.get("evalSamples"));
        assertEquals("test", j.get("evalSplit"));
        assertEquals(25, ((List<?>) j.get("losses")).size());
    }
}
