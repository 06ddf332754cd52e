package dev.tinytrain.plan;

import java.util.List;
import java.util.Locale;

/**
 * An SRAM budget ({@code 256KB}, {@code 320K}, {@code 1MB}, {@code 200000}; KB = 1024 bytes) and
 * the check that refuses a program that does not fit, naming what is needed, what is available
 * and the biggest contributors.
 */
public final class Budget {

    private Budget() {
    }

    /** Bytes of a budget string. */
    public static long parse(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT).replace("IB", "B");
        long unit = 1;
        if (t.endsWith("KB") || t.endsWith("K")) {
            unit = 1024;
        } else if (t.endsWith("MB") || t.endsWith("M")) {
            unit = 1024 * 1024;
        }
        String digits = t.replaceAll("[KMB]+$", "").trim();
        try {
            long v = Long.parseLong(digits) * unit;
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("budget '" + s + "' is not a size: use bytes or KB/MB (1 KB = 1024 B),"
                    + " e.g. 256KB");
        }
    }

    /** Thrown when a program needs more SRAM than the budget. */
    public static final class ExceededException extends RuntimeException {
        private final long needed;
        private final long available;

        ExceededException(String message, long needed, long available) {
            super(message);
            this.needed = needed;
            this.available = available;
        }

        public long needed() {
            return needed;
        }

        public long available() {
            return available;
        }
    }

    /**
     * @throws ExceededException when {@code report.totalSramBytes() > budget}, naming the needed and
     *                           available bytes and the biggest buffers at the peak and trained parameters
     */
    public static void check(MemoryReport r, long budget, String what) {
        long need = r.totalSramBytes();
        if (need <= budget) {
            return;
        }
        StringBuilder m = new StringBuilder();
        m.append(String.format(Locale.ROOT, "%s does not fit the budget: it needs %,d B of SRAM, %,d B (%s) are"
                        + " available, %,d B too many.%n  arena %,d B (peak at op %d, %s; %s), trained parameters %,d B",
                what, need, budget, kb(budget), need - budget, r.arenaBytes(), r.peakPosition(), r.peakOp(),
                r.peakBreakdown().toString().toLowerCase(Locale.ROOT), r.trainableSramBytes()));
        m.append(String.format("%n  biggest contributors:"));
        for (MemoryReport.Item i : top(r.peakItems())) {
            m.append(String.format(Locale.ROOT, "%n    %,10d B  %-8s %s (arena, live at the peak)", i.bytes(),
                    i.role().name().toLowerCase(Locale.ROOT), i.name()));
        }
        for (MemoryReport.Item i : top(r.trained())) {
            m.append(String.format(Locale.ROOT, "%n    %,10d B  %-8s %s (trained, in SRAM)", i.bytes(),
                    i.role().name().toLowerCase(Locale.ROOT), i.name()));
        }
        m.append(String.format("%n  Train fewer layers or channels (a sparse scheme such as mcunet-49kb), or lower"
                + " the resolution."));
        throw new ExceededException(m.toString(), need, budget);
    }

    private static List<MemoryReport.Item> top(List<MemoryReport.Item> items) {
        return items.subList(0, Math.min(5, items.size()));
    }

    private static String kb(long bytes) {
        return bytes % 1024 == 0 ? bytes / 1024 + " KB" : String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
    }
}
