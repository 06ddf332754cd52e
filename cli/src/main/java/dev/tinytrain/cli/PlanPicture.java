package dev.tinytrain.cli;

import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Role;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.plan.Buffer;
import dev.tinytrain.plan.MemoryReport;
import dev.tinytrain.runtime.MemoryPlan;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The memory plan as a picture: one rectangle per buffer, schedule position across, arena
 * address up, coloured by kind; the live bytes at each position as a line (the lower bound is
 * its maximum), the peak marked, the forward and backward passes labelled.
 */
final class PlanPicture {

    private static final int W = 1600;
    private static final int H = 900;
    private static final int LEFT = 90;
    private static final int RIGHT = 210;
    private static final int TOP = 78;
    private static final int BOTTOM = 75;

    private static final Map<Role, Color> COLORS = new EnumMap<>(Role.class);

    static {
        COLORS.put(Role.INPUT, new Color(0x2ca02c));
        COLORS.put(Role.LABEL, new Color(0x7f7f7f));
        COLORS.put(Role.ACTIVATION, new Color(0x1f77b4));
        COLORS.put(Role.SAVED, new Color(0xff7f0e));
        COLORS.put(Role.MASK, new Color(0x9467bd));
        COLORS.put(Role.GRADIENT, new Color(0xd62728));
        COLORS.put(Role.LOSS, new Color(0x8c564b));
        COLORS.put(Role.SCRATCH, new Color(0xbcbd22));
    }

    private PlanPicture() {
    }

    static void write(TrainingProgram program, MemoryPlan plan, MemoryReport report, Path file) throws IOException {
        List<Op> ops = program.graph().ops();
        int steps = Math.max(ops.size(), 1);
        long arena = Math.max(plan.arenaBytes(), 1);
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        int pw = W - LEFT - RIGHT;
        int ph = H - TOP - BOTTOM;

        int backwardStart = steps;
        for (int i = 0; i < ops.size(); i++) {
            if (ops.get(i) instanceof TrainOp.SoftmaxXent) {
                backwardStart = i;
                break;
            }
        }
        g.setColor(new Color(0xf4f4f4));
        g.fillRect(x(backwardStart, steps, pw), TOP, LEFT + pw - x(backwardStart, steps, pw), ph);

        for (Buffer b : plan.parts()) {
            if (b.bytes() == 0) {
                continue;
            }
            long off = plan.offset(b);
            int x0 = x(b.first(), steps, pw);
            int x1 = Math.max(x(b.last() + 1, steps, pw), x0 + 1);
            int y1 = y(off, arena, ph);
            int y0 = Math.min(y(off + b.bytes(), arena, ph), y1 - 1);
            Color c = COLORS.getOrDefault(b.role(), Color.DARK_GRAY);
            g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 200));
            g.fillRect(x0, y0, x1 - x0, y1 - y0);
            if (x1 - x0 > 3 && y1 - y0 > 3) {
                g.setColor(c.darker());
                g.drawRect(x0, y0, x1 - x0, y1 - y0);
            }
        }

        // live bytes per position: what any placement must hold at once
        long[] live = new long[steps + 1];
        for (Buffer b : plan.parts()) {
            live[b.first()] += b.bytes();
            live[b.last() + 1] -= b.bytes();
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1.5f));
        long cur = 0;
        int px = -1;
        int py = -1;
        for (int t = 0; t < steps; t++) {
            cur += live[t];
            int xa = x(t, steps, pw);
            int xb = x(t + 1, steps, pw);
            int yy = y(cur, arena, ph);
            if (px >= 0) {
                g.drawLine(px, py, xa, yy);
            }
            g.drawLine(xa, yy, xb, yy);
            px = xb;
            py = yy;
        }

        // axes
        g.setStroke(new BasicStroke(1f));
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, TOP, pw, ph);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int k = 0; k <= 5; k++) {
            long bytes = arena * k / 5;
            int yy = y(bytes, arena, ph);
            g.drawLine(LEFT - 5, yy, LEFT, yy);
            String label = String.format(Locale.ROOT, "%,d KB", bytes / 1024);
            g.drawString(label, LEFT - 8 - g.getFontMetrics().stringWidth(label), yy + 5);
        }
        for (int k = 0; k <= 10; k++) {
            int t = steps * k / 10;
            int xx = x(t, steps, pw);
            g.drawLine(xx, TOP + ph, xx, TOP + ph + 5);
            String label = Integer.toString(t);
            g.drawString(label, xx - g.getFontMetrics().stringWidth(label) / 2, TOP + ph + 20);
        }
        g.drawString("op (schedule position)", LEFT + pw / 2 - 60, H - 10);
        g.drawString("forward \u2192", LEFT + 4, TOP - 5);
        if (backwardStart < steps) {
            g.drawString("loss + backward \u2192", x(backwardStart, steps, pw) + 4, TOP - 5);
        }
        int peakX = x(report.peakPosition(), steps, pw);
        g.setColor(new Color(0x444444));
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {5f, 4f}, 0f));
        g.drawLine(peakX, TOP, peakX, TOP + ph);
        String peakLabel = "peak: op " + report.peakPosition() + " (" + report.peakOp() + ")";
        int labelW = g.getFontMetrics().stringWidth(peakLabel);
        g.drawString(peakLabel, peakX + labelW + 8 > LEFT + pw ? peakX - labelW - 4 : peakX + 4, TOP + ph + 38);

        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
        g.drawString(String.format(Locale.ROOT, "%s, scheme %s: arena %,d B (lower bound %,d B), trained %,d B,"
                        + " total SRAM %,d B", program.forward().name(), program.scheme().name(), report.arenaBytes(),
                report.lowerBoundBytes(), report.trainableSramBytes(), report.totalSramBytes()), LEFT, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString("placement: " + report.strategy() + "; options: reorder " + program.options().reorder()
                + ", fuse conv+depthwise " + program.options().fuse() + ", in place " + program.options().inPlace(),
                LEFT, 52);

        // legend
        int ly = TOP + 10;
        for (Map.Entry<Role, Color> e : COLORS.entrySet()) {
            g.setColor(e.getValue());
            g.fillRect(W - RIGHT + 20, ly, 18, 12);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey().name().toLowerCase(Locale.ROOT), W - RIGHT + 46, ly + 11);
            ly += 22;
        }
        g.drawLine(W - RIGHT + 20, ly + 6, W - RIGHT + 38, ly + 6);
        g.drawString("live bytes", W - RIGHT + 46, ly + 11);
        g.dispose();
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer available");
        }
    }

    private static int x(int t, int steps, int pw) {
        return LEFT + (int) ((long) t * pw / steps);
    }

    private static int y(long bytes, long arena, int ph) {
        return TOP + ph - (int) (bytes * ph / arena);
    }
}
