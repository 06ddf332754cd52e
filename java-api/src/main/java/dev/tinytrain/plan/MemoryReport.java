package dev.tinytrain.plan;

import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Role;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.Rounding;
import dev.tinytrain.runtime.MemoryPlan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Where the bytes of a training program go on the device: the planned arena (and its live-set
 * lower bound), the trained parameters that must sit in SRAM (trained weight slices, trained
 * biases, momentum buffers, float master copies), the frozen parameters left in flash, and the
 * arena's contents at its peak, by kind and buffer by buffer.
 *
 * <p>Not counted: code size, and the stack (measured on the device).
 *
 * @param peakItems  the buffers live at the peak, largest first
 * @param trained    the trained parameters in SRAM (with their optimizer state), largest first
 * @param backwardPeakBytes the most bytes live at once from the loss on (the training part of the
 *                   schedule, which reordering changes; the forward pass may peak higher)
 * @param trainedTensorsBytes the trained parameters with every partially trained weight tensor
 *                   counted whole (its frozen channels too), plus optimizer state: what generated
 *                   firmware keeps in SRAM today, since the update kernels change a tensor in place;
 *                   {@code trainableSramBytes} counts only the trained slices (the paper's split of a
 *                   partial layer into an SRAM slice and a flash remainder)
 */
public record MemoryReport(long arenaBytes, long lowerBoundBytes, String strategy, long trainableSramBytes,
                           long flashBytes, Map<Role, Long> peakBreakdown, int peakPosition, String peakOp,
                           List<Item> peakItems, List<Item> trained, long backwardPeakBytes,
                           long trainedTensorsBytes) {

    /** One contributor: a buffer or a trained parameter. */
    public record Item(String name, Role role, long bytes) {
    }

    public MemoryReport {
        peakBreakdown = java.util.Collections.unmodifiableMap(peakBreakdown);
        peakItems = List.copyOf(peakItems);
        trained = List.copyOf(trained);
    }

    public long totalSramBytes() {
        return arenaBytes + trainableSramBytes;
    }

    /** Elements of the trained slice of a weight: all output channels, the trained input channels. */
    private static long slice(Value weight, boolean depthwise, int channels) {
        dev.tinytrain.tensor.Dims s = weight.dims();
        return (depthwise ? 1L : s.n()) * s.h() * s.w() * channels;
    }

    public static MemoryReport of(TrainingProgram program, MemoryPlan plan) {
        Graph g = program.graph();
        int state = (program.config().momentum() != 0 ? 4 : 0)
                + (program.config().rounding() == Rounding.FLOAT_MASTER ? 4 : 0);
        List<Item> trained = new ArrayList<>();
        long trainedConstBytes = 0;
        long wholeExtra = 0;
        for (Op op : g.ops()) {
            long weights = switch (op) {
                case TrainOp.WeightUpdate w -> slice(w.weight(), w.depthwise(), w.channels().length);
                case TrainOp.ApplyWeightGrad w -> slice(w.weight(), w.depthwise(), w.channels().length);
                default -> 0;
            };
            long biases = switch (op) {
                case TrainOp.BiasUpdate b -> b.bias().elements();
                case TrainOp.ApplyBiasGrad b -> b.bias().elements();
                default -> 0;
            };
            if (weights > 0) {
                Value w = op.inputs().stream().filter(v -> v.role() == Role.WEIGHT).findFirst().orElseThrow();
                trained.add(new Item(w.name(), Role.WEIGHT, weights * (1 + state)));
                wholeExtra += w.byteSize() - weights;
            }
            if (biases > 0) {
                Value b = op.inputs().stream().filter(v -> v.role() == Role.BIAS).findFirst().orElseThrow();
                trained.add(new Item(b.name(), Role.BIAS, biases * (4 + state)));
            }
            trainedConstBytes += weights + 4 * biases;
        }
        long trainable = trained.stream().mapToLong(Item::bytes).sum();
        trained.sort(Comparator.comparingLong(Item::bytes).reversed());
        long constants = 0;
        java.util.Set<Value> read = new java.util.HashSet<>();
        for (Op op : g.ops()) {
            read.addAll(op.inputs());
        }
        for (Value v : read) {
            if (g.isConstant(v)) {
                constants += v.byteSize();            // constants no op reads are not part of the program
            }
        }
        List<Buffer> buffers = plan.parts();
        int end = buffers.stream().mapToInt(Buffer::last).max().orElse(0);
        long[] live = new long[end + 2];
        for (Buffer b : buffers) {
            live[b.first()] += b.bytes();
            live[b.last() + 1] -= b.bytes();
        }
        int lossAt = end + 1;
        for (int i = 0; i < g.ops().size(); i++) {
            if (g.ops().get(i) instanceof TrainOp.SoftmaxXent) {
                lossAt = i;
                break;
            }
        }
        long best = -1;
        long backward = 0;
        long cur = 0;
        int peak = 0;
        for (int t = 0; t <= end; t++) {
            cur += live[t];
            if (cur > best) {
                best = cur;
                peak = t;
            }
            if (t >= lossAt) {
                backward = Math.max(backward, cur);
            }
        }
        Map<Role, Long> breakdown = new EnumMap<>(Role.class);
        List<Item> items = new ArrayList<>();
        for (Buffer b : buffers) {
            if (b.first() <= peak && peak <= b.last() && b.bytes() > 0) {
                breakdown.merge(b.role(), b.bytes(), Long::sum);
                String name = b.id() >= 0 ? g.value(b.id()).name() : "scratch of op " + (-b.id() - 1);
                items.add(new Item(name, b.role(), b.bytes()));
            }
        }
        items.sort(Comparator.comparingLong(Item::bytes).reversed());
        String peakOp = g.ops().isEmpty() ? "" : g.ops().get(peak).mnemonic();
        return new MemoryReport(plan.arenaBytes(), plan.lowerBoundBytes(), plan.strategy(), trainable,
                constants - trainedConstBytes, breakdown, peak, peakOp, items, trained, backward,
                trainable + wholeExtra);
    }
}
