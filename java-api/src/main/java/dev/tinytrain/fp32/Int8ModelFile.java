package dev.tinytrain.fp32;

import dev.tinytrain.models.Architectures;
import dev.tinytrain.tensor.Quantization;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An {@link Int8Model} on disk: a {@link TensorFile} with {@code "format": "tinytrain-int8-model"},
 * {@code "architecture"}, {@code "resolution"}, {@code "inChannels"}, {@code "classes"},
 * {@code "input": {"scale", "zeroPoint"}}, {@code "adds": {name: {"scale", "zeroPoint"}}} and
 * free-form {@code "meta"}; per weight layer two tensors: {@code <layer>.weight} (int8, with
 * {@code "scales"}: per-channel floats, and {@code "output": {"scale", "zeroPoint"}}) and
 * {@code <layer>.bias} (int32). Reading gives the model back and {@link Int8Model#toGraph()}
 * checks it against the architecture. (The {@code .tflite} export is the other way to write it.)
 */
public final class Int8ModelFile {

    public static final String FORMAT = "tinytrain-int8-model";

    private Int8ModelFile() {
    }

    public static void write(Path file, Int8Model m, Map<String, Object> meta) throws IOException {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("format", FORMAT);
        h.put("architecture", m.architecture());
        h.put("resolution", m.resolution());
        h.put("inChannels", m.inChannels());
        h.put("classes", m.classes());
        h.put("input", quant(m.input()));
        Map<String, Object> adds = new LinkedHashMap<>();
        m.adds().forEach((k, v) -> adds.put(k, quant(v)));
        h.put("adds", adds);
        h.put("meta", meta == null ? Map.of() : meta);
        List<TensorFile.Tensor> ts = new ArrayList<>();
        for (Map.Entry<String, Int8Model.Layer> e : m.layers().entrySet()) {
            Int8Model.Layer l = e.getValue();
            List<Float> scales = new ArrayList<>();
            for (float s : l.scales()) {
                scales.add(s);
            }
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("scales", scales);
            extra.put("output", quant(l.output()));
            ts.add(new TensorFile.Tensor(e.getKey() + ".weight", TensorFile.DType.INT8, l.shape(), l.weight(), extra));
            ts.add(new TensorFile.Tensor(e.getKey() + ".bias", TensorFile.DType.INT32, new int[] {l.bias().length},
                    l.bias(), null));
        }
        TensorFile.write(file, h, ts);
    }

    /**
     * Reads a model file.
     *
     * @throws CheckpointException naming the file and the problem
     */
    public static Int8Model read(Path file) {
        TensorFile.Contents c = TensorFile.read(file);
        Map<String, Object> h = c.header();
        String format = TensorFile.string(file, h, "format");
        if (!format.equals(FORMAT)) {
            throw new CheckpointException(file + ": a \"" + format + "\" file, not an int8 model (" + FORMAT + ")");
        }
        String arch = TensorFile.string(file, h, "architecture");
        if (!Architectures.names().contains(arch)) {
            throw new CheckpointException(file + ": unknown architecture \"" + arch + "\"");
        }
        int res = TensorFile.integer(file, h, "resolution", Architectures.MIN_RESOLUTION, 4096);
        int inC = TensorFile.integer(file, h, "inChannels", 1, 4096);
        int classes = TensorFile.integer(file, h, "classes", 1, 1 << 20);
        Quantization input = quant(file, "input", h.get("input"));
        Map<String, Quantization> adds = new LinkedHashMap<>();
        if (!(h.get("adds") instanceof Map<?, ?> am)) {
            throw new CheckpointException(file + ": header field \"adds\" is missing or not an object");
        }
        for (Map.Entry<?, ?> e : am.entrySet()) {
            adds.put(String.valueOf(e.getKey()), quant(file, "adds." + e.getKey(), e.getValue()));
        }
        Map<String, Int8Model.Layer> layers = new LinkedHashMap<>();
        for (TensorFile.Tensor t : c.tensors().values()) {
            if (!t.name().endsWith(".weight")) {
                continue;
            }
            String layer = t.name().substring(0, t.name().length() - ".weight".length());
            String where = file + ": tensor " + t.name();
            if (t.dtype() != TensorFile.DType.INT8 || t.shape().length != 4) {
                throw new CheckpointException(where + " must be int8 with 4 dimensions");
            }
            TensorFile.Tensor b = c.tensors().get(layer + ".bias");
            if (b == null || b.dtype() != TensorFile.DType.INT32) {
                throw new CheckpointException(file + ": tensor " + layer + ".bias (int32) is missing");
            }
            float[] scales = TensorFile.floats(where + " \"scales\"", t.extra().get("scales"));
            for (float s : scales) {
                if (!(s > 0) || !Float.isFinite(s)) {
                    throw new CheckpointException(where + ": scale " + s + " is not positive and finite");
                }
            }
            byte[] w = (byte[]) t.data();
            for (int i = 0; i < w.length; i++) {
                if (w[i] == -128) {
                    throw new CheckpointException(where + ": element " + i + " is -128 (symmetric weights are in "
                            + "[-127, 127])");
                }
            }
            Quantization out = quant(file, t.name() + ".output", t.extra().get("output"));
            layers.put(layer, new Int8Model.Layer(w, t.shape(), scales, (int[]) b.data(), out));
        }
        Int8Model m = new Int8Model(arch, res, inC, classes, input, layers, adds);
        try {
            m.toGraph();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CheckpointException(file + ": does not make a valid " + arch + " graph: " + e.getMessage(), e);
        }
        return m;
    }

    private static Map<String, Object> quant(Quantization q) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scale", q.scale());
        m.put("zeroPoint", q.zeroPoint());
        return m;
    }

    private static Quantization quant(Path file, String field, Object o) {
        if (!(o instanceof Map<?, ?> m) || !(m.get("scale") instanceof Number s) || !(m.get("zeroPoint") instanceof Number z)) {
            throw new CheckpointException(file + ": \"" + field + "\" must be {\"scale\": number, \"zeroPoint\": number}");
        }
        try {
            return Quantization.perTensor(s.floatValue(), z.intValue());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": \"" + field + "\": " + e.getMessage(), e);
        }
    }
}
