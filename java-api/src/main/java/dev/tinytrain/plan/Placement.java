package dev.tinytrain.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Placement strategies: offsets in one arena for buffers with lifetimes (TF-Lite Micro's planner
 * interface: add buffers, get offsets and the arena size). Each strategy places buffers one by
 * one, in its order, at the lowest offset where it overlaps no already-placed buffer that lives
 * at the same time.
 */
public enum Placement {
    /** Largest buffers first (ties: earlier first use). */
    GREEDY_BY_SIZE(Comparator.comparingLong(Buffer::bytes).reversed().thenComparingInt(Buffer::first)),
    /** In order of first use (ties: larger first). */
    FIRST_FIT_BY_START(Comparator.comparingInt(Buffer::first).thenComparing(Comparator.comparingLong(Buffer::bytes)
            .reversed())),
    /** Longest-lived first (ties: larger first). */
    GREEDY_BY_LIFETIME(Comparator.<Buffer>comparingInt(b -> b.last() - b.first()).reversed()
            .thenComparing(Comparator.comparingLong(Buffer::bytes).reversed()));

    private final Comparator<Buffer> order;

    Placement(Comparator<Buffer> order) {
        this.order = order;
    }

    /** The strategy's name as reports print it. */
    public String label() {
        return name().toLowerCase().replace('_', '-');
    }

    /** Offsets by value id. */
    public Map<Integer, Long> place(List<Buffer> buffers) {
        List<Buffer> sorted = new ArrayList<>(buffers);
        sorted.sort(order.thenComparingInt(Buffer::valueId));
        List<Buffer> placed = new ArrayList<>();
        Map<Integer, Long> offsets = new HashMap<>();
        for (Buffer b : sorted) {
            List<long[]> busy = new ArrayList<>();
            for (Buffer p : placed) {
                if (p.livesWith(b) && p.bytes() > 0) {
                    long o = offsets.get(p.valueId());
                    busy.add(new long[] {o, o + p.bytes()});
                }
            }
            busy.sort(Comparator.comparingLong(r -> r[0]));
            long offset = 0;
            for (long[] r : busy) {
                if (r[0] >= offset + b.bytes()) {
                    break;          // fits in the gap before r
                }
                offset = Math.max(offset, r[1]);
            }
            offsets.put(b.valueId(), offset);
            placed.add(b);
        }
        return offsets;
    }

    /** Arena size of a placement: the highest end of any buffer. */
    public static long arenaBytes(List<Buffer> buffers, Map<Integer, Long> offsets) {
        long end = 0;
        for (Buffer b : buffers) {
            end = Math.max(end, offsets.get(b.valueId()) + b.bytes());
        }
        return end;
    }

    /**
     * @throws IllegalStateException naming the first two buffers that live at the same time and overlap
     */
    public static void checkNoOverlap(List<Buffer> buffers, Map<Integer, Long> offsets) {
        for (int i = 0; i < buffers.size(); i++) {
            Buffer a = buffers.get(i);
            long a0 = offsets.get(a.valueId());
            for (int j = i + 1; j < buffers.size(); j++) {
                Buffer b = buffers.get(j);
                if (!a.livesWith(b) || a.bytes() == 0 || b.bytes() == 0) {
                    continue;
                }
                long b0 = offsets.get(b.valueId());
                if (a0 < b0 + b.bytes() && b0 < a0 + a.bytes()) {
                    throw new IllegalStateException("values %" + a.valueId() + " [" + a0 + ", " + (a0 + a.bytes())
                            + ") and %" + b.valueId() + " [" + b0 + ", " + (b0 + b.bytes()) + ") overlap while both live");
                }
            }
        }
    }
}
