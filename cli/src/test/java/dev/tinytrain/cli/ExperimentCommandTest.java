package dev.tinytrain.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A small transfer experiment end to end (synthetic:4, 32x32, two epochs): the table, JSON and
 * plot hold every method, and int8 QAS full update learns the task that plain int8 SGD learns too.
 */
class ExperimentCommandTest {

    @Test
    void smallTransferRun(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> methods = List.of("int8-sgd-full", "int8-qas-full", "int8-qas-bias", "int8-qas-last-layer",
                "int8-qas-mcunet-49kb@nearest");
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), "experiment", "transfer",
                "--model", "mcunet-5fps", "--resolution", "32", "--dataset", "synthetic:4", "--limit-per-class", "30",
                "--eval", "60", "--methods", String.join(",", methods), "--seeds", "2", "--epochs", "2",
                "--qas-grid", "0.003,0.03", "--sgd-grid", "100,1000", "--out", dir.toString());
        assertEquals(0, code, err.toString());
        String md = Files.readString(dir.resolve("results.md"));
        for (String m : methods) {
            assertTrue(md.contains("| " + m + " |"), m + " missing from\n" + md);
        }
        assertTrue(Files.size(dir.resolve("results.png")) > 1000);
        Map<String, Object> json = JSON.std.mapFrom(Files.readString(dir.resolve("results.json")));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rows = (List<Map<String, Object>>) json.get("results");
        assertEquals(methods.size(), rows.size());
        double sgd = ((Number) rows.get(0).get("mean")).doubleValue();
        double qas = ((Number) rows.get(1).get("mean")).doubleValue();
        System.out.printf("[experiment] synthetic:4 32x32: int8-sgd-full %.3f, int8-qas-full %.3f (chance 0.25)%n",
                sgd, qas);
        assertTrue(sgd > 0.5, "int8-sgd-full learns the task: " + sgd);
        assertTrue(qas > 0.5, "int8-qas-full learns it too: " + qas);
    }
}
