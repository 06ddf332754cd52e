package dev.tinytrain.data;

import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PngImagesTest {

    private static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, "png", out));
        return out.toByteArray();
    }

    /** The PNG colour type, byte 25 of the file (IHDR): 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
    private static int colourType(byte[] png) {
        return png[25];
    }

    private static double over(int c, int a) {
        return c * (a / 255.0) + 255 * (1 - a / 255.0);
    }

    @Test
    void rgbaIsCompositedOnWhite() throws IOException {
        int[][] argb = {{255, 10, 20, 30}, {0, 200, 100, 50}, {128, 0, 255, 64}, {77, 255, 255, 0}, {255, 1, 2, 3}, {1, 90, 80, 70}};
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_INT_ARGB);
        for (int i = 0; i < 6; i++) {
            int[] p = argb[i];
            img.setRGB(i % 3, i / 3, p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]);
        }
        byte[] file = png(img);
        assertEquals(6, colourType(file));
        assertArrayEquals(new int[] {3, 2}, PngImages.size("x.png", file));
        Image got = PngImages.read("x.png", file);
        assertEquals(3, got.channels());
        for (int i = 0; i < 6; i++) {
            int[] p = argb[i];
            for (int c = 0; c < 3; c++) {
                assertEquals(over(p[1 + c], p[0]), got.at(i / 3, i % 3, c), 1e-9, "pixel " + i + " channel " + c);
            }
        }
    }

    @Test
    void grayAlphaKeepsItsValuesWithoutGammaConversion() throws IOException {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        WritableRaster r = cm.createCompatibleWritableRaster(4, 1);
        int[][] ga = {{0, 255}, {100, 255}, {100, 0}, {60, 128}};
        for (int x = 0; x < 4; x++) {
            r.setPixel(x, 0, ga[x]);
        }
        byte[] file = png(new BufferedImage(cm, r, false, null));
        assertEquals(4, colourType(file));
        Image got = PngImages.read("g.png", file);
        assertEquals(1, got.channels());
        for (int x = 0; x < 4; x++) {
            assertEquals(over(ga[x][0], ga[x][1]), got.at(0, x, 0), 1e-9, "pixel " + x);
        }
        // Plain 16-bit gray: scaled to [0, 255].
        BufferedImage g16 = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        g16.getRaster().setPixel(0, 0, new int[] {65535});
        g16.getRaster().setPixel(1, 0, new int[] {257 * 40});
        byte[] f16 = png(g16);
        assertEquals(0, colourType(f16));
        assertArrayEquals(new double[] {255, 40}, PngImages.read("g16.png", f16).pixels(), 1e-9);
    }

    @Test
    void paletteWithTransparency() throws IOException {
        byte[] red = {(byte) 255, 0, 10, 40};
        byte[] green = {0, (byte) 255, 20, 50};
        byte[] blue = {0, 0, 30, 60};
        byte[] alpha = {(byte) 255, 0, (byte) 200, (byte) 255};
        IndexColorModel icm = new IndexColorModel(2, 4, red, green, blue, alpha);
        BufferedImage img = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_BINARY, icm);
        for (int x = 0; x < 4; x++) {
            img.getRaster().setSample(x, 0, 0, x);
        }
        byte[] file = png(img);
        assertEquals(3, colourType(file));
        Image got = PngImages.read("p.png", file);
        for (int x = 0; x < 4; x++) {
            int a = alpha[x] & 0xFF;
            assertArrayEquals(new double[] {over(red[x] & 0xFF, a), over(green[x] & 0xFF, a), over(blue[x] & 0xFF, a)},
                    Arrays.copyOfRange(got.pixels(), 3 * x, 3 * x + 3), 1e-9, "index " + x);
        }
    }

    @Test
    void decodeCompositePadResizeQuantize() throws IOException {
        // A 2x4 RGBA image into a 2x2x3 input: composite on white, pad to 4x4 (a white row above and
        // below), average 2x2 blocks, quantize with scale 2/255 (as a float32), zero point 0.
        BufferedImage img = new BufferedImage(4, 2, BufferedImage.TYPE_INT_ARGB);
        int[] a = {255, 255, 0, 128, 255, 64, 255, 255};
        for (int i = 0; i < 8; i++) {
            img.setRGB(i % 4, i / 4, a[i] << 24 | (30 * i) << 16 | (200 - 20 * i) << 8 | 7 * i);
        }
        byte[] file = png(img);
        double[][][] v = new double[4][4][3];
        for (double[][] row : v) {
            for (double[] px : row) {
                Arrays.fill(px, 255);
            }
        }
        for (int i = 0; i < 8; i++) {
            int[] c = {30 * i, 200 - 20 * i, 7 * i};
            for (int ch = 0; ch < 3; ch++) {
                v[1 + i / 4][i % 4][ch] = over(c[ch], a[i]);
            }
        }
        byte[] expected = new byte[2 * 2 * 3];
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 2; x++) {
                for (int ch = 0; ch < 3; ch++) {
                    double m = (v[2 * y][2 * x][ch] + v[2 * y][2 * x + 1][ch] + v[2 * y + 1][2 * x][ch]
                            + v[2 * y + 1][2 * x + 1][ch]) / 4;
                    // q = round((m - 128) / 127.5 / scale) in exact decimal arithmetic, with the float32 scale.
                    java.math.BigDecimal d = new java.math.BigDecimal(m).subtract(java.math.BigDecimal.valueOf(128))
                            .divide(new java.math.BigDecimal("127.5"), java.math.MathContext.DECIMAL128)
                            .divide(new java.math.BigDecimal(2f / 255), java.math.MathContext.DECIMAL128);
                    int q = d.setScale(0, java.math.RoundingMode.HALF_UP).intValue();
                    expected[(y * 2 + x) * 3 + ch] = (byte) Math.max(-128, Math.min(127, q));
                }
            }
        }
        byte[] got = ImagePrep.prepare(PngImages.read("s.png", file), new int[] {1, 2, 2, 3},
                Quantization.perTensor(2f / 255, 0), PixelNormalization.SIGNED, 255);
        assertArrayEquals(expected, got);
        // The top row of the output is half padding: brighter than the image rows alone would be.
        assertTrue(got[0] > -128);
    }

    @Test
    void badFilesAreNamed() throws IOException {
        String m = assertThrows(DatasetException.class, () -> PngImages.read("a.png", "GIF89a....".getBytes())).getMessage();
        assertTrue(m.contains("a.png: not a PNG file (signature differs at byte offset 0)"), m);
        byte[] good = png(new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB));
        byte[] cut = Arrays.copyOf(good, 40);
        m = assertThrows(DatasetException.class, () -> PngImages.read("cut.png", cut)).getMessage();
        assertTrue(m.startsWith("cut.png: cannot decode the PNG"), m);
        byte[] noHeader = Arrays.copyOf(good, 12);
        m = assertThrows(DatasetException.class, () -> PngImages.size("h.png", noHeader)).getMessage();
        assertTrue(m.contains("h.png: PNG without an IHDR chunk at byte offset 12"), m);
    }
}
