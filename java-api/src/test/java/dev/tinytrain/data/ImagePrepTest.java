package dev.tinytrain.data;

import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImagePrepTest {

    private static Image random(int h, int w, int c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] p = new double[h * w * c];
        for (int i = 0; i < p.length; i++) {
            p[i] = r.nextInt(256);
        }
        return new Image(h, w, c, p);
    }

    /**
     * Area resampling computed directly in 2D: the mean of the piecewise-constant source over the
     * output pixel's footprint (overlap areas), not the implementation's separable weights.
     */
    private static double area2d(Image img, int h, int w, int oy, int ox, int c) {
        double y0 = (double) oy * img.height() / h;
        double y1 = (double) (oy + 1) * img.height() / h;
        double x0 = (double) ox * img.width() / w;
        double x1 = (double) (ox + 1) * img.width() / w;
        double sum = 0;
        for (int y = 0; y < img.height(); y++) {
            double oyl = Math.max(0, Math.min(y1, y + 1) - Math.max(y0, y));
            for (int x = 0; x < img.width(); x++) {
                double oxl = Math.max(0, Math.min(x1, x + 1) - Math.max(x0, x));
                sum += oyl * oxl * img.at(y, x, c);
            }
        }
        return sum / ((y1 - y0) * (x1 - x0));
    }

    /** Bilinear with half-pixel centres, from the textbook formula on the four neighbours. */
    private static double bilinear2d(Image img, int h, int w, int oy, int ox, int c) {
        double sy = Math.min(img.height() - 1, Math.max(0, (oy + 0.5) * img.height() / h - 0.5));
        double sx = Math.min(img.width() - 1, Math.max(0, (ox + 0.5) * img.width() / w - 0.5));
        int y0 = (int) sy;
        int x0 = (int) sx;
        int y1 = Math.min(y0 + 1, img.height() - 1);
        int x1 = Math.min(x0 + 1, img.width() - 1);
        double fy = sy - y0;
        double fx = sx - x0;
        return (1 - fy) * ((1 - fx) * img.at(y0, x0, c) + fx * img.at(y0, x1, c))
                + fy * ((1 - fx) * img.at(y1, x0, c) + fx * img.at(y1, x1, c));
    }

    @Test
    void areaDownscaleIsTheFootprintMean() {
        Image img = new Image(4, 4, 1, new double[] {
                0, 10, 20, 30,
                40, 50, 60, 70,
                80, 90, 100, 110,
                120, 130, 140, 150});
        assertArrayEquals(new double[] {25, 45, 105, 125}, ImagePrep.resize(img, 2, 2).pixels(), 1e-12);

        for (int[] s : new int[][] {{7, 5, 3, 2}, {28, 28, 16, 16}, {28, 28, 9, 11}, {100, 37, 17, 16}}) {
            Image src = random(s[0], s[1], 3, s[0] * 131L + s[1]);
            Image out = ImagePrep.resize(src, s[2], s[3]);
            for (int y = 0; y < s[2]; y++) {
                for (int x = 0; x < s[3]; x++) {
                    for (int c = 0; c < 3; c++) {
                        assertEquals(area2d(src, s[2], s[3], y, x, c), out.at(y, x, c), 1e-9,
                                () -> java.util.Arrays.toString(s));
                    }
                }
            }
        }
    }

    @Test
    void bilinearUpscaleUsesHalfPixelCentres() {
        Image row = new Image(1, 2, 1, new double[] {0, 100});
        assertArrayEquals(new double[] {0, 25, 75, 100}, ImagePrep.resize(row, 1, 4).pixels(), 1e-12);

        for (int[] s : new int[][] {{5, 3, 11, 7}, {28, 28, 32, 32}, {28, 28, 48, 48}, {2, 9, 19, 10}}) {
            Image src = random(s[0], s[1], 1, 7L * s[2] + s[3]);
            Image out = ImagePrep.resize(src, s[2], s[3]);
            for (int y = 0; y < s[2]; y++) {
                for (int x = 0; x < s[3]; x++) {
                    assertEquals(bilinear2d(src, s[2], s[3], y, x, 0), out.at(y, x, 0), 1e-9);
                }
            }
        }
    }

    @Test
    void mixedAxesAndIdentity() {
        // Shrink rows 6 -> 3 (pairs averaged), grow columns 2 -> 4 (bilinear): each axis on its own.
        Image img = new Image(6, 2, 1, new double[] {0, 100, 20, 120, 40, 140, 60, 160, 80, 180, 100, 200});
        Image out = ImagePrep.resize(img, 3, 4);
        double[] rows = {10, 50, 90};                        // row means of column 0; column 1 is +100
        for (int y = 0; y < 3; y++) {
            assertArrayEquals(new double[] {rows[y], rows[y] + 25, rows[y] + 75, rows[y] + 100},
                    java.util.Arrays.copyOfRange(out.pixels(), 4 * y, 4 * y + 4), 1e-12);
        }
        Image same = random(3, 3, 3, 1);
        assertSame(same, ImagePrep.resize(same, 3, 3));
    }

    @Test
    void channelsAndPadding() {
        Image gray = new Image(1, 2, 1, new double[] {10, 200});
        assertArrayEquals(new double[] {10, 10, 10, 200, 200, 200}, ImagePrep.convertChannels(gray, 3).pixels());
        Image rgb = new Image(1, 1, 3, new double[] {255, 0, 0});
        assertEquals(0.299 * 255, ImagePrep.convertChannels(rgb, 1).pixels()[0], 1e-12);
        rgb = new Image(1, 1, 3, new double[] {100, 150, 200});
        assertEquals(0.299 * 100 + 0.587 * 150 + 0.114 * 200, ImagePrep.convertChannels(rgb, 1).pixels()[0], 1e-12);

        Image wide = new Image(2, 4, 1, new double[] {1, 2, 3, 4, 5, 6, 7, 8});
        Image sq = ImagePrep.padToAspect(wide, 8, 8, 255);
        assertEquals(4, sq.height());
        assertArrayEquals(new double[] {255, 255, 255, 255, 1, 2, 3, 4, 5, 6, 7, 8, 255, 255, 255, 255}, sq.pixels());
        Image tall = new Image(3, 1, 1, new double[] {1, 2, 3});
        Image t = ImagePrep.padToAspect(tall, 4, 4, 0);      // 3 rows -> 3 columns: 1 left, 1 right
        assertArrayEquals(new double[] {0, 1, 0, 0, 2, 0, 0, 3, 0}, t.pixels());
    }

    @Test
    void builtInInputQuantizationIsPixelMinus128() {
        // The convention documented on PixelNormalization.SIGNED: with scale 2/255 and zero point 0,
        // q = p - 128 exactly, for every byte value (no collisions, no ties).
        Quantization builtIn = Quantization.perTensor(2f / 255, 0);
        // And [0, 1] models (scale 1/255, zero point -128) get the same bytes through UNIT.
        Quantization unit = Quantization.perTensor(1f / 255, -128);
        double[] p = new double[256];
        for (int i = 0; i < 256; i++) {
            p[i] = i;
        }
        Image all = new Image(16, 16, 1, p);
        byte[] a = ImagePrep.quantize(all, builtIn, PixelNormalization.SIGNED);
        byte[] b = ImagePrep.quantize(all, unit, PixelNormalization.UNIT);
        for (int i = 0; i < 256; i++) {
            assertEquals(i - 128, a[i], "pixel " + i);
            assertEquals(i - 128, b[i], "pixel " + i);
        }
    }

    @Test
    void quantizationRoundsHalfAwayAndClamps() {
        Quantization q = Quantization.perTensor(0.0625f, 3);   // a power of two: real/scale is exact
        double[] p = new double[256 * 3];
        for (int i = 0; i < p.length; i++) {
            p[i] = i / 3.0;                                    // fractional values, as after resizing
        }
        byte[] got = ImagePrep.quantize(new Image(1, p.length, 1, p), q, PixelNormalization.SIGNED);
        for (int i = 0; i < p.length; i++) {
            BigDecimal real = new BigDecimal((p[i] - 128) / 127.5);     // the double's exact value
            BigDecimal x = real.divide(BigDecimal.valueOf(0.0625));
            int expected = x.setScale(0, RoundingMode.HALF_UP).intValue() + 3;   // HALF_UP on BigDecimal = away from zero
            expected = Math.max(-128, Math.min(127, expected));
            assertEquals(expected, got[i], "value " + p[i]);
        }
        // Ties go away from zero.
        Quantization tie = Quantization.perTensor(2f, 0);      // real/scale = (p-128)/255
        byte[] t = ImagePrep.quantize(new Image(1, 2, 1, new double[] {255.5, 0.5}), tie, PixelNormalization.SIGNED);
        assertArrayEquals(new byte[] {1, -1}, t);              // +0.5 -> 1, -0.5 -> -1
        // Tiny scales saturate instead of wrapping.
        byte[] s = ImagePrep.quantize(new Image(1, 2, 1, new double[] {255, 0}), Quantization.perTensor(1e-30f, 0),
                PixelNormalization.SIGNED);
        assertArrayEquals(new byte[] {127, -128}, s);
    }

    @Test
    void shapesAreChecked() {
        Quantization q = Quantization.perTensor(2f / 255, 0);
        Image img = random(4, 4, 1, 5);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ImagePrep.prepare(img, new int[] {1, 8, 8, 4}, q,
                PixelNormalization.SIGNED, 0)).getMessage().contains("4 channels"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ImagePrep.prepare(img, new int[] {2, 8, 8, 3}, q,
                PixelNormalization.SIGNED, 0)).getMessage().contains("[1, h, w, c]"));
        Quantization perChannel = Quantization.perChannel(new float[] {1, 2}, 0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ImagePrep.quantize(img, perChannel,
                PixelNormalization.SIGNED)).getMessage().contains("per tensor"));
    }
}
