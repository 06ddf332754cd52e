package dev.tinytrain.tflite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The layer tables of models/ARCHITECTURES.md (written from the authors' pickles, independently of the
 * .tflite files and of tinytrain): per model, every conv with shapes, kernel, stride, padding, groups,
 * quantization, parameters and MACs; the residual adds; the TF-Lite operator counts.
 */
final class ArchitecturesMd {

    record Conv(int index, String role, int[] in, int[] out, int k, int stride, int pad, int groups, double xScale,
                int xZero, double yScale, int yZero, int weights, int biases, long macs) {
    }

    record Residual(int[] shape, double x1Scale, int x1Zero, double x2Scale, int x2Zero, double yScale, int yZero) {
    }

    record Model(String name, List<Conv> convs, List<Residual> adds, Map<String, Integer> tfliteOps,
                 double outScale, int outZero) {
    }

    private ArchitecturesMd() {
    }

    static Map<String, Model> read(Path file) throws IOException {
        Map<String, Model> models = new LinkedHashMap<>();
        String name = null;
        List<Conv> convs = null;
        List<Residual> adds = null;
        double outScale = 0;
        int outZero = 0;
        Pattern output = Pattern.compile("Output: int8 \\[1,1000\\], scale = ([0-9.e-]+), zero_point = (-?\\d+)");
        Pattern ops = Pattern.compile("TF-Lite graph: \\d+ operators: (.*)\\.");
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith("## ") && !line.startsWith("## Common")) {
                name = line.substring(3).trim();
                convs = new ArrayList<>();
                adds = new ArrayList<>();
                continue;
            }
            if (name == null) {
                continue;
            }
            Matcher m = output.matcher(line);
            if (m.find()) {
                outScale = Double.parseDouble(m.group(1));
                outZero = Integer.parseInt(m.group(2));
            }
            m = ops.matcher(line);
            if (m.find()) {
                Map<String, Integer> counts = new LinkedHashMap<>();
                for (String part : m.group(1).split(", ")) {
                    String[] kv = part.split(" x");
                    counts.put(kv[0], Integer.parseInt(kv[1]));
                }
                models.put(name, new Model(name, convs, adds, counts, outScale, outZero));
                continue;
            }
            if (!line.startsWith("| ") || line.startsWith("| #") || line.startsWith("| block")) {
                continue;
            }
            String[] c = line.substring(1, line.length() - 1).split("\\|");
            for (int i = 0; i < c.length; i++) {
                c[i] = c[i].trim();
            }
            if (c.length == 17) {
                String[] params = c[15].split("\\+");
                String[] x = c[13].split(" / ");
                String[] y = c[14].split(" / ");
                convs.add(new Conv(Integer.parseInt(c[0]), c[2], hwc(c[3]), hwc(c[4]), Integer.parseInt(c[7].split("x")[0]),
                        Integer.parseInt(c[8]), Integer.parseInt(c[9]), Integer.parseInt(c[11]), Double.parseDouble(x[0]),
                        Integer.parseInt(x[1]), Double.parseDouble(y[0]), Integer.parseInt(y[1]),
                        Integer.parseInt(params[0]), Integer.parseInt(params[1]), Long.parseLong(c[16].replace(",", ""))));
            } else if (c.length == 5) {
                String[] x1 = c[2].split(" / ");
                String[] x2 = c[3].split(" / ");
                String[] y = c[4].split(" / ");
                adds.add(new Residual(hwc(c[1]), Double.parseDouble(x1[0]), Integer.parseInt(x1[1]),
                        Double.parseDouble(x2[0]), Integer.parseInt(x2[1]), Double.parseDouble(y[0]),
                        Integer.parseInt(y[1])));
            }
        }
        return models;
    }

    private static int[] hwc(String s) {
        String[] p = s.split("x");
        return new int[] {Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()), Integer.parseInt(p[2].trim())};
    }
}
