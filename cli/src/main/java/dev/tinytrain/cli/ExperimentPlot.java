package dev.tinytrain.cli;

import dev.tinytrain.experiment.TransferExperiment;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Test accuracy per method (bars, mean with the spread over seeds), and SRAM (dots on a logarithmic
 * right axis, with the 256 KB of the paper's MCU as a dashed line).
 */
final class ExperimentPlot {

    private ExperimentPlot() {
    }

    static void write(String title, List<TransferExperiment.Result> results, Path file) throws IOException {
        int w = 1400;
        int h = 700;
        int left = 80;
        int right = 170;
        int top = 60;
        int bottom = 220;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        int pw = w - left - right;
        int ph = h - top - bottom;
        // SRAM axis: powers of 4 KB from 4 KB up to the first one above every method's SRAM
        long minKb = 4;
        long maxKb = 4;
        for (TransferExperiment.Result r : results) {
            while (maxKb * 1024 < r.sramBytes()) {
                maxKb *= 4;
            }
        }
        maxKb = Math.max(maxKb, 1024);
        double logSpan = Math.log((double) maxKb / minKb);
        g.setColor(new Color(0xdddddd));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int k = 0; k <= 10; k++) {
            int y = top + ph - ph * k / 10;
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(left, y, left + pw, y);
            g.setColor(Color.BLACK);
            g.drawString(k * 10 + "%", left - 40, y + 5);
        }
        for (long kb = minKb; kb <= maxKb; kb *= 4) {
            int y = sramY(kb * 1024, minKb, logSpan, top, ph);
            g.setColor(new Color(0xff7f0e));
            g.drawLine(left + pw, y, left + pw + 5, y);
            g.drawString(kb >= 1024 ? String.format(Locale.ROOT, "%,d MB", kb / 1024)
                    : String.format(Locale.ROOT, "%,d KB", kb), left + pw + 8, y + 5);
        }
        int budget = sramY(256 * 1024, minKb, logSpan, top, ph);
        g.setColor(new Color(0xff7f0e));
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 5f}, 0f));
        g.drawLine(left, budget, left + pw, budget);
        g.setStroke(new BasicStroke(1f));
        int n = Math.max(results.size(), 1);
        int slot = pw / n;
        for (int i = 0; i < results.size(); i++) {
            TransferExperiment.Result r = results.get(i);
            int x = left + i * slot + slot / 5;
            int bw = slot * 3 / 5;
            int y = top + ph - (int) (ph * r.mean());
            g.setColor(r.method().fp32() ? new Color(0x7f7f7f) : r.method().qas() ? new Color(0x1f77b4)
                    : new Color(0xd62728));
            g.fillRect(x, y, bw, top + ph - y);
            g.setColor(Color.BLACK);
            int cx = x + bw / 2;
            int y0 = top + ph - (int) (ph * Math.min(1, r.mean() + r.std()));
            int y1 = top + ph - (int) (ph * Math.max(0, r.mean() - r.std()));
            g.setStroke(new BasicStroke(1.5f));
            g.drawLine(cx, y0, cx, y1);
            g.drawLine(cx - 5, y0, cx + 5, y0);
            g.drawLine(cx - 5, y1, cx + 5, y1);
            g.drawString(String.format(Locale.ROOT, "%.1f", 100 * r.mean()), x, y - 6);
            if (r.sramBytes() > 0) {
                int sy = sramY(r.sramBytes(), minKb, logSpan, top, ph);
                g.setColor(new Color(0xff7f0e));
                g.fillOval(cx - 6, sy - 6, 12, 12);
            }
            Graphics2D t = (Graphics2D) g.create();
            t.setColor(Color.BLACK);
            t.translate(cx + 4, top + ph + 10);
            t.rotate(Math.PI / 4);
            t.drawString(r.method().name(), 0, 0);
            t.dispose();
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(left, top, pw, ph);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, left, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString("bars: test accuracy, mean +- std over seeds (blue: int8 QAS, red: int8 SGD, grey: fp32);"
                + " orange dots: SRAM (right axis, log scale; int8: planned, fp32: counted); dashed: the MCU's 256 KB",
                left, 50);
        g.dispose();
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer available");
        }
    }

    private static int sramY(long bytes, long minKb, double logSpan, int top, int ph) {
        double f = Math.log(Math.max(bytes, minKb * 1024) / (minKb * 1024.0)) / logSpan;
        return top + ph - (int) Math.round(ph * Math.min(1, f));
    }
}
