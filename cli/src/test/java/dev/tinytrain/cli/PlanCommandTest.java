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
        @SuppressWarnings("unchecked")
        Map<String, Object> peak = (Map<String, Object>) r.get("peakBreakdown");
        long sum = peak.values().stream().mapToLong(v -> ((Number) v).longValue()).sum();
        assertEquals(bound, sum, "the breakdown is the live set at the peak");
    }
}
