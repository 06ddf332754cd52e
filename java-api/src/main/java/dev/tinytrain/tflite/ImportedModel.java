package dev.tinytrain.tflite;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Value;
import dev.tinytrain.tensor.Quantization;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@code .tflite} model as a tinytrain graph, with what the import changed on the way.
 *
 * @param graph             the int8 forward graph (verified), trainable like a built-in architecture
 * @param tensorIndex       value id -> index of the TF-Lite tensor it came from (every value but the
 *                          few the import adds, e.g. the kept-dims result of a MEAN without kept dims)
 * @param operatorCounts    the file's operators by TF-Lite name, in first-seen order
 * @param operatorCount     the file's operator count
 * @param softmaxDropped    the model ended in SOFTMAX, which was dropped: the graph outputs logits
 *                          (training takes logits; the arg max is unchanged)
 * @param floatInput        the model took a float input and QUANTIZE'd it; the graph takes the int8
 *                          input with this quantization instead (null when the input was int8)
 * @param floatOutput       the model ended in DEQUANTIZE, which was dropped
 * @param foldedPads        PAD operators folded into the following conv's padding
 * @param description       the file's description string (may be null)
 */
public record ImportedModel(Graph graph, Map<Integer, Integer> tensorIndex, Map<String, Integer> operatorCounts,
                            int operatorCount, boolean softmaxDropped, Quantization floatInput, boolean floatOutput,
                            int foldedPads, String description) {

    public ImportedModel {
        Objects.requireNonNull(graph, "graph");
        tensorIndex = Map.copyOf(tensorIndex);
        operatorCounts = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(operatorCounts));
    }

    /** The TF-Lite tensor index of a value, or -1 when the import made the value. */
    public int tensorOf(Value v) {
        return tensorIndex.getOrDefault(v.id(), -1);
    }

    /** What the import changed, one line each (empty when the graph is the file's ops one to one). */
    public List<String> notes() {
        List<String> n = new java.util.ArrayList<>();
        if (floatInput != null) {
            n.add("float input: QUANTIZE dropped, the graph takes int8 input " + floatInput);
        }
        if (softmaxDropped) {
            n.add("SOFTMAX dropped: the graph outputs logits");
        }
        if (floatOutput) {
            n.add("DEQUANTIZE dropped: the graph outputs int8");
        }
        if (foldedPads > 0) {
            n.add(foldedPads + " PAD op" + (foldedPads == 1 ? "" : "s") + " folded into the following conv's padding");
        }
        return n;
    }
}
