package dev.tinytrain.plan;

import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Role;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Value;
import dev.tinytrain.runtime.MemoryPlan;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Where the bytes of a training program go on the device: the planned arena (and its live-set
 * lower bound), the trained parameters that must sit in SRAM (trained weight slices, trained
 * biases, momentum buffers, float master copies), the frozen parameters left in flash, and the
 * arena's contents at its peak by kind.
 *
 * <p>Not yet counted: kernel scratch (every kernel needs none today) and code size.
 */
public record MemoryReport(long arenaBytes, long lowerBoundBytes, String strategy, long trainableSramBytes,
                           long flashBytes, Map<Role, Long> peakBreakdown, int peakPosition) {

    public long totalSramBytes() {
        return arenaBytes + trainableSramBytes;
    }

    public static MemoryReport of(TrainingProgram program, MemoryPlan plan) {
        Graph g = program.graph();
        long trainable = 0;
        long trainedConstBytes = 0;
        int stateBytesPerElement = (program.config().momentum() != 0 ? 4 : 0)
                + (program.config().rounding() == dev.tinytrain.kernel.Rounding.FLOAT_MASTER ? 4 : 0);
        for (Op op : g.ops()) {
            if (op instanceof TrainOp.WeightUpdate w) {
                int[] s = w.weight().shape();
                long elements = (w.depthwise() ? 1L : s[0]) * s[1] * s[2] * w.channels().length;
                trainable += elements * (1 + stateBytesPerElement);
                trainedConstBytes += elements;
            } else if (op instanceof TrainOp.BiasUpdate b) {
                long elements = b.bias().elements();
                trainable += elements * (4 + stateBytesPerElement);
                trainedConstBytes += 4 * elements;
            }
        }
        long constants = 0;
        for (Value v : g.values()) {
            if (g.isConstant(v)) {
                constants += v.byteSize();
            }
        }
        List<Buffer> buffers = Lifetimes.of(g, MemoryPlan.ALIGN);
        int end = buffers.stream().mapToInt(Buffer::last).max().orElse(0);
        long best = -1;
        int peak = 0;
        for (int t = 0; t <= end; t++) {
            long live = 0;
            for (Buffer b : buffers) {
                if (b.first() <= t && t <= b.last()) {
                    live += b.bytes();
                }
            }
            if (live > best) {
                best = live;
                peak = t;
            }
        }
        Map<Role, Long> breakdown = new EnumMap<>(Role.class);
        for (Buffer b : buffers) {
            if (b.first() <= peak && peak <= b.last() && b.bytes() > 0) {
                breakdown.merge(b.role(), b.bytes(), Long::sum);
            }
        }
        return new MemoryReport(plan.arenaBytes(), plan.lowerBoundBytes(), plan.strategy(), trainable,
                constants - trainedConstBytes, breakdown, peak);
    }
}
