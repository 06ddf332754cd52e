package dev.tinytrain.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanCommandTest {

    @Test
    void jsonReportAddsUp() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), "plan", "--model", "mcunet-5fps",
                "--resolution", "64", "--scheme", "mcunet-49kb", "--json");
        assertEquals(0, code, err.toString());
        Map<String, Object> r = JSON.std.mapFrom(out.toString());
        long arena = ((Number) r.get("arenaBytes")).longValue();
        long bound = ((Number) r.get("lowerBoundBytes")).longValue();
        long trainable = ((Number) r.get("trainableSramBytes")).longValue();
        assertTrue(arena >= bound && bound > 0, r.toString());
        assertEquals(arena + trainable, ((Number) r.get("totalSramBytes")).longValue());
        assertTrue(((Number) r.get("flashBytes")).longValue() > trainable, r.toString());
        assertTrue(((Number) r.get("trainedTensorsBytes")).longValue() > trainable, "49kb trains partial layers");
        @SuppressWarnings("unchecked")
        Map<String, Object> peak = (Map<String, Object>) r.get("peakBreakdown");
        long sum = peak.values().stream().mapToLong(v -> ((Number) v).longValue()).sum();
        assertEquals(bound, sum, "the breakdown is the live set at the peak");
    }

    private static Map<String, Object> planJson(String... extra) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("plan", "--model", "mcunet-5fps",
                "--resolution", "64", "--scheme", "mcunet-99kb", "--json"), java.util.Arrays.stream(extra))
                .toArray(String[]::new);
        assertEquals(0, Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args), err.toString());
        return JSON.std.mapFrom(out.toString());
    }

    private static long n(Map<String, Object> r, String key) {
        return ((Number) r.get(key)).longValue();
    }

    @Test
    void everySwitchOffCostsMemory() throws Exception {
        Map<String, Object> on = planJson();
        for (String off : new String[] {"--no-reorder", "--no-fuse", "--no-in-place"}) {
            Map<String, Object> r = planJson(off);
            assertTrue(n(r, "lowerBoundBytes") > n(on, "lowerBoundBytes"), off + ": " + r + " vs " + on);
            assertEquals(n(on, "trainableSramBytes"), n(r, "trainableSramBytes"), off);
        }
        assertEquals(Boolean.FALSE, planJson("--no-reorder").get("reorder"));
    }

    @Test
    void aBudgetTooSmallIsRefusedNamingTheContributors() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), "plan", "--model",
                "mcunet-5fps", "--resolution", "128", "--scheme", "full", "--budget", "256KB");
        assertEquals(3, code);
        String e = err.toString();
        assertTrue(e.contains("does not fit the budget") && e.contains("262,144 B (256 KB)")
                && e.contains("biggest contributors") && e.contains("gradient"), e);
        assertEquals(2, Main.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "plan",
                "--model", "mcunet-5fps", "--budget", "lots"), "an unreadable budget is a usage error");
        StringWriter fits = new StringWriter();
        assertEquals(0, Main.execute(new PrintWriter(fits, true), new PrintWriter(new StringWriter(), true), "plan",
                "--model", "mcunet-5fps", "--scheme", "mcunet-49kb", "--budget", "256KB"));
    }

    @Test
    void pngIsWritten(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path png = dir.resolve("plan.png");
        planJson("--png", png.toString());
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertTrue(img != null && img.getWidth() == 1600 && img.getHeight() == 900);
    }
}
