package dev.tinytrain.codegen;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Value;
import dev.tinytrain.runtime.MemoryPlan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The partially trained weight tensors a generated program keeps split, as the paper's engine does:
 * the trained input channels in SRAM (a slice laid out {@code [out][kh][kw][trained channel]}, the
 * update kernels' own slice layout), the whole tensor with its initial values {@code const} in flash.
 * An op that reads such a tensor (the forward conv, the input gradient) gets it assembled right before
 * it runs: the flash copy, then the trained channels from the slice, written into planned arena
 * scratch live only at that op. The update kernels then see the slice as a tensor of its own whose
 * channels are all trained ({@code 0 .. n-1}): the same gradient terms, the same state and stochastic
 * index ({@code tap * n + j}), the same QAS scale (per output channel), so the same bits.
 *
 * <p>Only non-depthwise 4-D weights split: a depthwise kernel's QAS scale and gradient are indexed by
 * the channel itself, and its weights are small; a partially trained depthwise tensor stays whole in SRAM.
 */
final class SplitWeights {

    /** A split tensor: its trained input channels (strictly increasing) and the slice's rows ({@code out*kh*kw}). */
    record Split(Value weight, int[] channels, long rows) {

        long sliceBytes() {
            return rows * channels.length;
        }
    }

    private final Map<Value, Split> splits;
    private final Map<Integer, List<Value>> assembled;

    private SplitWeights(Map<Value, Split> splits, Map<Integer, List<Value>> assembled) {
        this.splits = splits;
        this.assembled = assembled;
    }

    /** No tensor split: every trained tensor whole in SRAM. */
    static SplitWeights none() {
        return new SplitWeights(Map.of(), Map.of());
    }

    /** Every conv weight of {@code g} whose update covers only some of its input channels. */
    static SplitWeights of(Graph g) {
        Map<Value, Split> splits = new LinkedHashMap<>();
        for (Op op : g.ops()) {
            Value w = null;
            int[] ch = null;
            boolean depthwise = false;
            switch (op) {
                case TrainOp.WeightUpdate u -> {
                    w = u.weight();
                    ch = u.channels();
                    depthwise = u.depthwise();
                }
                case TrainOp.ApplyWeightGrad a -> {
                    w = a.weight();
                    ch = a.channels();
                    depthwise = a.depthwise();
                }
                default -> {
                }
            }
            if (w != null && !depthwise && w.shape().length == 4 && ch.length < w.dims().c()) {
                splits.put(w, new Split(w, ch, (long) w.dims().n() * w.dims().h() * w.dims().w()));
            }
        }
        Map<Integer, List<Value>> assembled = new LinkedHashMap<>();
        List<Op> ops = g.ops();
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            if (op instanceof TrainOp.WeightUpdate || op instanceof TrainOp.ApplyWeightGrad
                    || op instanceof TrainOp.WeightGrad) {
                continue;   // they write the slice (or only read the weight's shape)
            }
            for (Value v : op.inputs()) {
                if (splits.containsKey(v)) {
                    assembled.computeIfAbsent(i, k -> new ArrayList<>()).add(v);
                }
            }
        }
        return new SplitWeights(Collections.unmodifiableMap(splits), Collections.unmodifiableMap(assembled));
    }

    boolean isSplit(Value v) {
        return splits.containsKey(v);
    }

    Split split(Value v) {
        Split s = splits.get(v);
        if (s == null) {
            throw new IllegalArgumentException(v.ref() + " (" + v.name() + ") is not split");
        }
        return s;
    }

    /** The split tensors an op reads, which are assembled in its scratch before it runs. */
    List<Value> assembledAt(int op) {
        return assembled.getOrDefault(op, List.of());
    }

    /** Bytes of scratch each op needs for its assembled tensors (each one aligned), by schedule position. */
    Map<Integer, Long> extraScratch() {
        Map<Integer, Long> m = new LinkedHashMap<>();
        for (Map.Entry<Integer, List<Value>> e : assembled.entrySet()) {
            long bytes = 0;
            for (Value v : e.getValue()) {
                bytes += align(v.byteSize());
            }
            m.put(e.getKey(), bytes);
        }
        return m;
    }

    static long align(long bytes) {
        return (bytes + MemoryPlan.ALIGN - 1) / MemoryPlan.ALIGN * MemoryPlan.ALIGN;
    }
}
