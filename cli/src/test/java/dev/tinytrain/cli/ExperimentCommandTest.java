package dev.tinytrain.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.tinytrain.data.SyntheticDataset;
import dev.tinytrain.fp32.FloatCheckpoint;
import dev.tinytrain.fp32.FloatNet;
import dev.tinytrain.fp32.Fp32Backends;
import dev.tinytrain.fp32.Quantizer;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.models.NetBuilder;
import dev.tinytrain.tensor.Quantization;
import dev.tinytrain.tflite.TfliteExporter;
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
        Files.delete(dir.resolve("results.png"));
        assertEquals(0, Main.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "experiment",
                "plot", dir.toString()), err.toString());
        assertTrue(Files.size(dir.resolve("results.png")) > 1000, "plot draws it again from results.json");
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

    @Test
    void fp32FullFineTunesTheFloatParentFoundNextToTheModel(@TempDir Path dir) throws Exception {
        // a float parent and its int8 model, written the way pretrain and quantize write them
        FloatNet net = FloatNet.create("mcunet-5fps", 32, 3, 10, 4);
        Quantization in = Quantization.perTensor(NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT);
        SyntheticDataset cal = new SyntheticDataset(10, 32, new int[] {1, 32, 32, 3}, in, 2, 0);
        Graph g = Quantizer.quantize(net, cal, 32, new Quantizer.MinMax(), Fp32Backends.best()).toGraph();
        Files.write(dir.resolve("m.tflite"), TfliteExporter.export(g));
        FloatCheckpoint.write(dir.resolve("m.ckpt"), net, Map.of());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), "experiment", "transfer",
                "--pretrained", dir.resolve("m.tflite").toString(), "--dataset", "synthetic:4", "--limit-per-class",
                "30", "--eval", "60", "--methods", "fp32-full,int8-qas-full,fp32-folded", "--seeds", "1", "--epochs", "2",
                "--fp32-grid", "0.01", "--qas-grid", "0.01", "--out", dir.resolve("out").toString());
        assertEquals(0, code, err.toString());
        Map<String, Object> json = JSON.std.mapFrom(Files.readString(dir.resolve("out/results.json")));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rows = (List<Map<String, Object>>) json.get("results");
        assertEquals("fp32-full", rows.get(0).get("method"));
        double fp32 = ((Number) rows.get(0).get("mean")).doubleValue();
        double qas = ((Number) rows.get(1).get("mean")).doubleValue();
        System.out.printf("[experiment] synthetic:4 from a random float parent: fp32-full %.3f, int8-qas-full %.3f%n",
                fp32, qas);
        assertTrue(fp32 > 0.5, "fp32-full learns the task: " + fp32);
        assertEquals("fp32-folded", rows.get(2).get("method"));
        double folded = ((Number) rows.get(2).get("mean")).doubleValue();
        assertTrue(folded > 0.5, "fp32-folded learns it too: " + folded);
        long fp32Bytes = ((Number) rows.get(0).get("sramBytes")).longValue();
        long int8Bytes = ((Number) rows.get(1).get("sramBytes")).longValue();
        assertTrue(fp32Bytes > 4 * int8Bytes, "float32 weights, gradients and activations: " + fp32Bytes + " vs "
                + int8Bytes);

        // without a parent, asking for fp32-full says what to give
        Files.delete(dir.resolve("m.ckpt"));
        StringWriter err2 = new StringWriter();
        int refused = Main.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err2, true), "experiment",
                "transfer", "--pretrained", dir.resolve("m.tflite").toString(), "--dataset", "synthetic:4",
                "--methods", "fp32-full", "--out", dir.resolve("out2").toString());
        assertEquals(2, refused);
        assertTrue(err2.toString().contains("--float-parent"), err2.toString());
    }
}
