package dev.tinytrain.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Placement strategies: offsets in one arena for blocks of buffers with lifetimes (TF-Lite
 * Micro's planner interface: add buffers, get offsets and the arena size). Each strategy places
 * blocks one by one, in its order, at the lowest offset where none of the block's parts overlaps
 * an already-placed part that lives at the same time.
 */
public enum Placement {
    /** Largest blocks first (ties: earlier first use). */
    GREEDY_BY_SIZE(Comparator.comparingLong(Block::extent).reversed().thenComparingInt(Block::first)),
    /** In order of first use (ties: larger first). */
    FIRST_FIT_BY_START(Comparator.comparingInt(Block::first).thenComparing(Comparator.comparingLong(Block::extent)
            .reversed())),
    /** Longest-lived first (ties: larger first). */
    GREEDY_BY_LIFETIME(Comparator.<Block>comparingInt(b -> b.last() - b.first()).reversed()
            .thenComparing(Comparator.comparingLong(Block::extent).reversed())),
    /** Largest area (bytes x lifetime) first. */
    GREEDY_BY_AREA(Comparator.<Block>comparingLong(b -> b.extent() * (b.last() - b.first() + 1L)).reversed()
            .thenComparingInt(Block::first));

    private final Comparator<Block> order;

    Placement(Comparator<Block> order) {
        this.order = order;
    }

    /** The strategy's name as reports print it. */
    public String label() {
        return name().toLowerCase().replace('_', '-');
    }

    /** Offsets of single buffers (each its own block), by id. */
    public Map<Integer, Long> placeBuffers(List<Buffer> buffers) {
        return place(buffers.stream().map(Block::of).toList());
    }

    /** Offsets of every member of every block, by id. */
    public Map<Integer, Long> place(List<Block> blocks) {
        List<Block> sorted = new ArrayList<>(blocks);
        sorted.sort(order.thenComparingInt(Block::key));
        List<Buffer> placedParts = new ArrayList<>();
        List<Long> placedOffsets = new ArrayList<>();
        Map<Integer, Long> offsets = new HashMap<>();
        for (Block b : sorted) {
            long base = lowestFit(b, placedParts, placedOffsets);
            for (Block.Member m : b.members()) {
                offsets.put(m.id(), base + m.offset());
                if (m.part() != null && m.part().bytes() > 0) {
                    placedParts.add(m.part());
                    placedOffsets.add(base + m.offset());
                }
            }
        }
        return offsets;
    }

    /**
     * The lowest base offset at which no part of {@code b} collides with a placed part: each
     * (member, live placed part) pair forbids the bases in {@code [qs - off - bytes + 1, qe - off)};
     * a sweep over those intervals, sorted by start, finds the first gap.
     */
    private static long lowestFit(Block b, List<Buffer> parts, List<Long> offsets) {
        List<long[]> forbidden = new ArrayList<>();
        for (Block.Member m : b.members()) {
            Buffer p = m.part();
            if (p == null || p.bytes() == 0) {
                continue;
            }
            for (int j = 0; j < parts.size(); j++) {
                if (parts.get(j).livesWith(p)) {
                    long qs = offsets.get(j);
                    long qe = qs + parts.get(j).bytes();
                    forbidden.add(new long[] {qs - m.offset() - p.bytes() + 1, qe - m.offset()});
                }
            }
        }
        forbidden.sort(Comparator.comparingLong(r -> r[0]));
        long base = 0;
        for (long[] r : forbidden) {
            if (r[0] > base) {
                break;
            }
            base = Math.max(base, r[1]);
        }
        return base;
    }

    /** Arena size of a placement: the highest end of any buffer. */
    public static long arenaBytes(List<Buffer> buffers, Map<Integer, Long> offsets) {
        long end = 0;
        for (Buffer b : buffers) {
            end = Math.max(end, offsets.get(b.id()) + b.bytes());
        }
        return end;
    }

    /**
     * @throws IllegalStateException naming the first two buffers that live at the same time and overlap
     */
    public static void checkNoOverlap(List<Buffer> buffers, Map<Integer, Long> offsets) {
        for (int i = 0; i < buffers.size(); i++) {
            Buffer a = buffers.get(i);
            long a0 = offsets.get(a.id());
            for (int j = i + 1; j < buffers.size(); j++) {
                Buffer b = buffers.get(j);
                if (!a.livesWith(b) || a.bytes() == 0 || b.bytes() == 0) {
                    continue;
                }
                long b0 = offsets.get(b.id());
                if (a0 < b0 + b.bytes() && b0 < a0 + a.bytes()) {
                    throw new IllegalStateException(a.label() + " [" + a0 + ", " + (a0 + a.bytes()) + ") and "
                            + b.label() + " [" + b0 + ", " + (b0 + b.bytes()) + ") overlap while both live");
                }
            }
        }
    }
}
