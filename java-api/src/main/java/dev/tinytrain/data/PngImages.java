package dev.tinytrain.data;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

/**
 * Decodes PNG files with {@code javax.imageio} into {@link Image}s, composited on a white
 * background: {@code v = c * a + 255 * (1 - a)} with the alpha {@code a} in [0, 1].
 *
 * <p>Samples are read from the raster, not through {@code BufferedImage.getRGB}, because Java's
 * gray color space is linear and {@code getRGB} would gamma-convert gray PNGs (brightening them).
 * Gray and gray+alpha PNGs give 1 channel; RGB, RGBA and palette PNGs give 3 (a palette is looked
 * up, with its transparency). 16-bit samples are scaled to [0, 255].
 */
public final class PngImages {

    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private PngImages() {
    }

    /** Width and height from the PNG header (the IHDR chunk) without decoding. */
    public static int[] size(String file, byte[] png) {
        checkSignature(file, png);
        if (png.length < 24 || png[12] != 'I' || png[13] != 'H' || png[14] != 'D' || png[15] != 'R') {
            throw new DatasetException(file + ": PNG without an IHDR chunk at byte offset 12");
        }
        int w = int32(png, 16);
        int h = int32(png, 20);
        if (w <= 0 || h <= 0) {
            throw new DatasetException(file + ": PNG size " + w + "x" + h + " at byte offset 16 is not positive");
        }
        return new int[] {w, h};
    }

    /** Decodes a PNG, composited on white. */
    public static Image read(String file, byte[] png) {
        checkSignature(file, png);
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("png");
        if (!readers.hasNext()) {
            throw new DatasetException("this Java runtime has no PNG reader (javax.imageio)");
        }
        ImageReader reader = readers.next();
        BufferedImage img;
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(png))) {
            reader.setInput(in, true, true);
            img = reader.read(0);
        } catch (IOException | RuntimeException e) {
            throw new DatasetException(file + ": cannot decode the PNG: " + e.getMessage(), e);
        } finally {
            reader.dispose();
        }
        return composite(file, img);
    }

    /** An {@link Image} of the decoded pixels composited on white (1 channel for gray, 3 otherwise). */
    static Image composite(String file, BufferedImage img) {
        int h = img.getHeight();
        int w = img.getWidth();
        ColorModel cm = img.getColorModel();
        Raster r = img.getRaster();
        if (cm instanceof IndexColorModel icm) {
            double[] out = new double[h * w * 3];
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int argb = icm.getRGB(row[x]);
                    double a = (argb >>> 24) / 255.0;
                    int o = (y * w + x) * 3;
                    out[o] = over((argb >> 16) & 0xFF, a);
                    out[o + 1] = over((argb >> 8) & 0xFF, a);
                    out[o + 2] = over(argb & 0xFF, a);
                }
            }
            return new Image(h, w, 3, out);
        }
        int colors = cm.getNumColorComponents();
        if (colors != 1 && colors != 3) {
            throw new DatasetException(file + ": PNG with " + colors + " color components (expected gray or RGB)");
        }
        boolean alpha = cm.hasAlpha();
        int bands = colors + (alpha ? 1 : 0);
        if (r.getNumBands() != bands) {
            throw new DatasetException(file + ": PNG raster has " + r.getNumBands() + " bands, its color model " + bands);
        }
        double[] max = new double[bands];
        for (int b = 0; b < bands; b++) {
            max[b] = (1L << cm.getComponentSize(b)) - 1;
        }
        boolean premultiplied = cm.isAlphaPremultiplied();
        double[] out = new double[h * w * colors];
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            r.getPixels(0, y, w, 1, row);
            for (int x = 0; x < w; x++) {
                int p = x * bands;
                double a = alpha ? row[p + colors] / max[colors] : 1;
                int o = (y * w + x) * colors;
                for (int c = 0; c < colors; c++) {
                    double v = 255 * row[p + c] / max[c];
                    out[o + c] = premultiplied ? v + 255 * (1 - a) : over(v, a);
                }
            }
        }
        return new Image(h, w, colors, out);
    }

    private static double over(double c, double a) {
        return c * a + 255 * (1 - a);
    }

    private static void checkSignature(String file, byte[] png) {
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (i >= png.length || png[i] != SIGNATURE[i]) {
                throw new DatasetException(file + ": not a PNG file (signature differs at byte offset " + i + ")");
            }
        }
    }

    private static int int32(byte[] b, int at) {
        return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }
}
