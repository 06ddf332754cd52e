package dev.tinytrain.train;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which parameters a training run updates (PAPER.md section 5). Convs are indexed in forward
 * order with the classifier excluded from the index; the classifier is always trained (weights
 * and bias).
 *
 * <ul>
 *   <li>{@code biasCount}: the biases of the last {@code biasCount} indexed convs are trained.</li>
 *   <li>{@code weights}: convs whose weights are trained, each with the ratio of its input
 *       channels (depthwise: channels) to train, one of 1/8, 1/4, 1/2, 1; the channels are chosen
 *       by the largest L2 norm of their real-valued weights.</li>
 * </ul>
 *
 * The released mcunet-5fps schemes list some convs with ratio 0 (not trained); those entries are
 * left out here, since a ratio must be in (0, 1].
 */
public record SparseScheme(String name, int biasCount, List<WeightUpdate> weights) {

    /** The ratios the paper's search uses. */
    public static final List<Double> RATIOS = List.of(0.125, 0.25, 0.5, 1.0);

    /** Train {@code ratio} of the input channels of conv {@code conv} (forward index, classifier excluded). */
    public record WeightUpdate(int conv, double ratio) {
        public WeightUpdate {
            if (conv < 0) {
                throw new IllegalArgumentException("scheme: conv index must be >= 0, got " + conv);
            }
            if (!(ratio > 0 && ratio <= 1)) {
                throw new IllegalArgumentException("scheme: ratio of conv " + conv + " must be in (0, 1], got " + ratio);
            }
            if (!RATIOS.contains(ratio)) {
                throw new IllegalArgumentException("scheme: ratio of conv " + conv + " must be one of 1/8, 1/4, 1/2, 1"
                        + " (0.125, 0.25, 0.5, 1.0), got " + ratio);
            }
        }

        /** Channels trained out of {@code channels}: ratio * channels rounded down, at least 1. */
        public int count(int channels) {
            return Math.max(1, (int) Math.floor(ratio * channels));
        }
    }

    public SparseScheme {
        Objects.requireNonNull(name, "name");
        if (biasCount < 0) {
            throw new IllegalArgumentException("scheme " + name + ": biasCount must be >= 0, got " + biasCount);
        }
        List<WeightUpdate> sorted = new ArrayList<>(weights);
        sorted.sort(Comparator.comparingInt(WeightUpdate::conv));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).conv() == sorted.get(i - 1).conv()) {
                throw new IllegalArgumentException("scheme " + name + ": conv " + sorted.get(i).conv()
                        + " is listed twice");
            }
        }
        weights = List.copyOf(sorted);
    }

    /** The names {@link #named(String)} knows (plus {@code last-k:<k>}). */
    public static List<String> builtInNames() {
        return List.of("full", "bias-only", "last-layer", "last-k:<k>", "mcunet-49kb", "mcunet-74kb", "mcunet-99kb",
                "mcunet-124kb", "mcunet-148kb", "mbv2-sparse", "proxyless-sparse");
    }

    /**
     * A built-in scheme for a model with {@code convCount} indexed convs (classifier excluded):
     * {@code full} trains every weight and bias; {@code bias-only} every bias (and the classifier);
     * {@code last-layer} the classifier only; {@code last-k:<k>} the classifier and the weights and
     * biases of the last k indexed convs. The {@code mcunet-*} schemes are the paper's released ones
     * for mcunet-5fps (42 indexed convs; PAPER.md section 5). {@code mbv2-sparse} (mobilenetv2-w0.35,
     * 51 indexed convs) and {@code proxyless-sparse} (proxylessnas-w0.3, 60) are ours, of the same shape
     * as {@code mcunet-49kb} (the paper released no scheme for them): the biases of the last 16 convs
     * and the first pointwise convs of three late 8x8 blocks at ratios 1/4, 1/2, 1/2 (mobilenetv2:
     * blocks 11-13, convs 33, 36, 39; proxylessnas: blocks 13-15, convs 39, 42, 45).
     *
     * @throws IllegalArgumentException for an unknown name (listing the known ones) or a scheme that
     *                                  does not fit the model
     */
    public static SparseScheme named(String name, int convCount) {
        Objects.requireNonNull(name, "scheme name");
        SparseScheme s = switch (name) {
            case "full" -> lastK(name, convCount, convCount);
            case "bias-only" -> new SparseScheme(name, convCount, List.of());
            case "last-layer" -> new SparseScheme(name, 0, List.of());
            case "mcunet-49kb" -> released(name, 20, new int[] {24, 27, 30}, new double[] {0.25, 0.5, 0.5});
            case "mcunet-74kb" -> released(name, 21, new int[] {21, 24, 27, 30}, new double[] {1, 1, 0.5, 1});
            case "mcunet-99kb" -> released(name, 22, new int[] {21, 24, 27, 30, 36, 39},
                    new double[] {1, 1, 1, 1, 0.125, 0.25});
            case "mcunet-124kb" -> released(name, 24, new int[] {21, 24, 27, 30, 33, 39},
                    new double[] {0.25, 1, 1, 1, 0.5, 0.5});
            case "mcunet-148kb" -> released(name, 23, new int[] {21, 24, 27, 30, 36, 39},
                    new double[] {1, 1, 1, 1, 1, 0.5});
            case "mbv2-sparse" -> released(name, 16, new int[] {33, 36, 39}, new double[] {0.25, 0.5, 0.5});
            case "proxyless-sparse" -> released(name, 16, new int[] {39, 42, 45}, new double[] {0.25, 0.5, 0.5});
            default -> {
                if (!name.startsWith("last-k:")) {
                    throw new IllegalArgumentException("unknown scheme '" + name + "'; known: "
                            + String.join(", ", builtInNames()) + ", or a JSON file");
                }
                int k;
                try {
                    k = Integer.parseInt(name.substring("last-k:".length()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("scheme '" + name + "': k must be a whole number, e.g. last-k:4");
                }
                if (k < 1 || k > convCount) {
                    throw new IllegalArgumentException("scheme '" + name + "': k must be in [1, " + convCount
                            + "] for this model");
                }
                yield lastK(name, k, convCount);
            }
        };
        s.checkFits(convCount);
        return s;
    }

    private static SparseScheme lastK(String name, int k, int convCount) {
        List<WeightUpdate> w = new ArrayList<>();
        for (int i = convCount - k; i < convCount; i++) {
            w.add(new WeightUpdate(i, 1.0));
        }
        return new SparseScheme(name, k, w);
    }

    /**
     * @throws IllegalArgumentException when a conv index or the bias count is outside a model with
     *                                  {@code convCount} indexed convs
     */
    public void checkFits(int convCount) {
        if (biasCount > convCount) {
            throw new IllegalArgumentException("scheme " + name + ": biasCount " + biasCount + " exceeds the model's "
                    + convCount + " convs (classifier excluded)");
        }
        for (WeightUpdate u : weights) {
            if (u.conv() >= convCount) {
                throw new IllegalArgumentException("scheme " + name + ": conv index " + u.conv()
                        + " is outside the model (indexed convs 0.." + (convCount - 1) + ", classifier excluded)");
            }
        }
    }

    private static SparseScheme released(String name, int biasCount, int[] convs, double[] ratios) {
        List<WeightUpdate> w = new ArrayList<>();
        for (int i = 0; i < convs.length; i++) {
            w.add(new WeightUpdate(convs[i], ratios[i]));
        }
        return new SparseScheme(name, biasCount, w);
    }

    // ---- JSON --------------------------------------------------------------------------------

    /** {@code {"name":..., "biasCount":..., "weights":[{"conv":21,"ratio":1.0}, ...]}}. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("biasCount", biasCount);
        List<Map<String, Object>> ws = new ArrayList<>();
        for (WeightUpdate u : weights) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("conv", u.conv());
            e.put("ratio", u.ratio());
            ws.add(e);
        }
        m.put("weights", ws);
        try {
            return JSON.std.asString(m);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Parses a scheme written by {@link #toJson()} (or by hand).
     *
     * @throws IllegalArgumentException naming the field that is missing or wrong
     */
    /**
     * A scheme by name ({@link #named}) or from a JSON file (a path ending in {@code .json}, or any
     * existing file), checked against the model's conv count.
     */
    public static SparseScheme resolve(String nameOrFile, int convCount) {
        java.nio.file.Path file = java.nio.file.Path.of(nameOrFile);
        if (nameOrFile.endsWith(".json") || java.nio.file.Files.isRegularFile(file)) {
            String text;
            try {
                text = java.nio.file.Files.readString(file);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read scheme file " + file + ": " + e.getMessage(), e);
            }
            SparseScheme s = fromJson(text);
            s.checkFits(convCount);
            return s;
        }
        return named(nameOrFile, convCount);
    }

    public static SparseScheme fromJson(String json) {
        Map<String, Object> m;
        try {
            m = JSON.std.mapFrom(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("scheme JSON is not valid JSON: " + e.getMessage(), e);
        }
        Object name = m.getOrDefault("name", "custom");
        Object bias = m.get("biasCount");
        int biasCount;
        if (bias == null) {
            throw new IllegalArgumentException("scheme JSON: field 'biasCount' is missing (a whole number)");
        } else if (bias instanceof Number n && n.doubleValue() == n.intValue()) {
            biasCount = n.intValue();
        } else {
            throw new IllegalArgumentException("scheme JSON: 'biasCount' must be a whole number, got " + bias);
        }
        List<WeightUpdate> weights = new ArrayList<>();
        Object ws = m.getOrDefault("weights", List.of());
        if (!(ws instanceof List<?> list)) {
            throw new IllegalArgumentException("scheme JSON: 'weights' must be a list of {conv, ratio}");
        }
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> e) || !(e.get("conv") instanceof Number c) || !(e.get("ratio") instanceof Number r)) {
                throw new IllegalArgumentException("scheme JSON: each weights entry needs a numeric 'conv' and 'ratio', got " + o);
            }
            weights.add(new WeightUpdate(c.intValue(), r.doubleValue()));
        }
        return new SparseScheme(String.valueOf(name), biasCount, weights);
    }
}
