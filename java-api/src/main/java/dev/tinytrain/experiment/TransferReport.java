package dev.tinytrain.experiment;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The transfer experiment's results as a Markdown table and as JSON. */
public final class TransferReport {

    private TransferReport() {
    }

    /**
     * One row per method: test accuracy (mean +- sample std over seeds, in %), the chosen learning
     * rate, planned SRAM and seconds per epoch.
     */
    public static String markdown(String title, List<TransferExperiment.Result> results) {
        StringBuilder s = new StringBuilder();
        s.append("**").append(title).append("**\n\n");
        s.append("| method | test accuracy (%) | seeds | lr (grid best) | SRAM (planned) | s / epoch |\n");
        s.append("|---|---:|---:|---:|---:|---:|\n");
        for (TransferExperiment.Result r : results) {
            s.append(String.format(Locale.ROOT, "| %s | %.1f ± %.1f | %d | %s | %s | %.1f |%n", r.method().name(),
                    100 * r.mean(), 100 * r.std(), r.testAccuracy().length, Float.toString(r.lr()),
                    r.sramBytes() < 0 ? "n/a" : String.format(Locale.ROOT, "%,.1f KB", r.sramBytes() / 1024.0),
                    r.secondsPerEpoch()));
        }
        return s.toString();
    }

    public static String json(Map<String, Object> setup, List<TransferExperiment.Result> results) {
        List<Object> rows = new ArrayList<>();
        for (TransferExperiment.Result r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", r.method().name());
            m.put("lr", r.lr());
            m.put("testAccuracy", r.testAccuracy());
            m.put("mean", r.mean());
            m.put("std", r.std());
            m.put("gridAccuracy", r.gridAccuracy());
            m.put("sramBytes", r.sramBytes());
            m.put("secondsPerEpoch", r.secondsPerEpoch());
            rows.add(m);
        }
        Map<String, Object> root = new LinkedHashMap<>(setup);
        root.put("results", rows);
        try {
            return JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
