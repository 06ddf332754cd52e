package dev.tinytrain.fp32;

import dev.tinytrain.models.Architectures;
import dev.tinytrain.models.NetBuilder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained {@link FloatNet} on disk: a {@link TensorFile} with {@code "format":
 * "tinytrain-float-checkpoint"}, the network's shape ({@code "architecture"}, {@code "resolution"},
 * {@code "inChannels"}, {@code "classes"}), the input quantization the images were read with
 * ({@code "input": {"scale", "zeroPoint"}}), free-form {@code "meta"} (dataset, epochs, accuracy,
 * ...), and every tensor of {@link FloatNet#params()} as float32 under its name, in that order.
 *
 * <p>Reading rebuilds the network from its architecture and checks that the file has exactly its
 * tensors, with their shapes, and that every value is finite.
 */
public final class FloatCheckpoint {

    public static final String FORMAT = "tinytrain-float-checkpoint";

    /** A loaded checkpoint: the network and the file's meta data. */
    public record Loaded(FloatNet net, Map<String, Object> meta) {
    }

    private FloatCheckpoint() {
    }

    public static void write(Path file, FloatNet net, Map<String, Object> meta) throws IOException {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("format", FORMAT);
        h.put("architecture", net.architecture());
        h.put("resolution", net.resolution());
        h.put("inChannels", net.inChannels());
        h.put("classes", net.classes());
        Map<String, Object> input = new LinkedHashMap<>();   // not Map.of: its order changes from run to run
        input.put("scale", NetBuilder.INPUT_SCALE);
        input.put("zeroPoint", NetBuilder.INPUT_ZERO_POINT);
        h.put("input", input);
        h.put("meta", meta == null ? Map.of() : meta);
        List<TensorFile.Tensor> ts = new ArrayList<>();
        for (Param p : net.params().values()) {
            ts.add(TensorFile.Tensor.f32(p.name(), p.data().clone(), p.shape()));
        }
        TensorFile.write(file, h, ts);
    }

    /**
     * Reads a checkpoint.
     *
     * @throws CheckpointException naming the file and what is wrong
     */
    public static Loaded read(Path file) {
        TensorFile.Contents c = TensorFile.read(file);
        Map<String, Object> h = c.header();
        String format = TensorFile.string(file, h, "format");
        if (!format.equals(FORMAT)) {
            throw new CheckpointException(file + ": a \"" + format + "\" file, not a float checkpoint (" + FORMAT + ")");
        }
        String arch = TensorFile.string(file, h, "architecture");
        if (!Architectures.names().contains(arch)) {
            throw new CheckpointException(file + ": unknown architecture \"" + arch + "\" (known: "
                    + String.join(", ", Architectures.names()) + ")");
        }
        int res = TensorFile.integer(file, h, "resolution", Architectures.MIN_RESOLUTION, 4096);
        int inC = TensorFile.integer(file, h, "inChannels", 1, 4096);
        int classes = TensorFile.integer(file, h, "classes", 1, 1 << 20);
        FloatNet net;
        try {
            net = FloatNet.create(arch, res, inC, classes, 0);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }
        for (Param p : net.params().values()) {
            TensorFile.Tensor t = c.tensors().get(p.name());
            if (t == null) {
                throw new CheckpointException(file + ": tensor " + p.name() + " of " + arch + " is missing");
            }
            if (t.dtype() != TensorFile.DType.FLOAT32 || !Arrays.equals(t.shape(), p.shape())) {
                throw new CheckpointException(file + ": tensor " + p.name() + " is " + t.dtype().label
                        + Arrays.toString(t.shape()) + "; " + arch + " at " + res + "x" + res + "x" + inC + ", "
                        + classes + " classes needs float32" + Arrays.toString(p.shape()));
            }
            float[] v = (float[]) t.data();
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new CheckpointException(file + ": tensor " + p.name() + " element " + i + " is " + v[i]);
                }
            }
            if (p.kind() == Param.Kind.STATISTIC && p.name().endsWith("running_var")) {
                for (int i = 0; i < v.length; i++) {
                    if (v[i] < 0) {
                        throw new CheckpointException(file + ": tensor " + p.name() + " element " + i
                                + " is a negative variance " + v[i]);
                    }
                }
            }
            System.arraycopy(v, 0, p.data(), 0, v.length);
        }
        for (String name : c.tensors().keySet()) {
            if (!net.params().containsKey(name)) {
                throw new CheckpointException(file + ": tensor " + name + " is not part of " + arch);
            }
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = h.get("meta") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        return new Loaded(net, meta);
    }
}
