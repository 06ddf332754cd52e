package dev.tinytrain.data;

import dev.tinytrain.tensor.Quantization;

/**
 * Turns a decoded image into a model input, in this order (every step in double precision, one
 * rounding at the end):
 * <ol>
 *   <li>channels: gray to RGB replicates the value; RGB to gray is the ITU-R BT.601 luma
 *       {@code 0.299 R + 0.587 G + 0.114 B};</li>
 *   <li>aspect: if the image's aspect ratio differs from the input's, it is padded (centred) with a
 *       background value to the input's aspect ratio, never cropped or stretched;</li>
 *   <li>resize, each axis on its own: area averaging when the axis shrinks (each output pixel is the
 *       coverage-weighted mean of the source pixels under its footprint, so no source pixel is
 *       skipped), bilinear interpolation with half-pixel centres when it grows (edge pixels
 *       repeated), a copy when the size is unchanged;</li>
 *   <li>quantize: {@code q = clamp(round(real(p) / scale) + zeroPoint, -128, 127)}, with
 *       {@code real} from {@link PixelNormalization} and rounding half away from zero (TF-Lite's
 *       QUANTIZE).</li>
 * </ol>
 */
public final class ImagePrep {

    /** Per-axis resampling: output pixel {@code o} = sum over k of {@code weight[o][k] * in[first[o] + k]}. */
    record AxisWeights(int[] first, double[][] weight) {
    }

    private ImagePrep() {
    }

    /**
     * The whole pipeline: an int8 input tensor for {@code shape} = [1, h, w, c] in NHWC order.
     *
     * @param background the value padding takes (255 for white, 0 for black), per channel after conversion
     */
    public static byte[] prepare(Image img, int[] shape, Quantization quant, PixelNormalization norm, double background) {
        checkShape(shape);
        Image x = convertChannels(img, shape[3]);
        x = padToAspect(x, shape[1], shape[2], background);
        x = resize(x, shape[1], shape[2]);
        return quantize(x, quant, norm);
    }

    static void checkShape(int[] shape) {
        if (shape.length != 4 || shape[0] != 1 || shape[1] < 1 || shape[2] < 1 || shape[3] < 1) {
            throw new IllegalArgumentException("model input shape must be [1, h, w, c] with sizes >= 1, got "
                    + java.util.Arrays.toString(shape));
        }
        if (shape[3] != 1 && shape[3] != 3) {
            throw new IllegalArgumentException("model input has " + shape[3]
                    + " channels; images convert to 1 (gray) or 3 (RGB) channels");
        }
    }

    /** Gray to RGB (replicate) or RGB to gray (BT.601 luma); the same image when the counts match. */
    public static Image convertChannels(Image img, int channels) {
        if (img.channels() == channels) {
            return img;
        }
        int n = img.height() * img.width();
        double[] in = img.pixels();
        double[] out = new double[n * channels];
        if (img.channels() == 1 && channels == 3) {
            for (int i = 0; i < n; i++) {
                out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = in[i];
            }
        } else if (img.channels() == 3 && channels == 1) {
            for (int i = 0; i < n; i++) {
                out[i] = 0.299 * in[3 * i] + 0.587 * in[3 * i + 1] + 0.114 * in[3 * i + 2];
            }
        } else {
            throw new IllegalArgumentException("cannot convert a " + img.channels() + "-channel image to " + channels
                    + " channels (1 and 3 are supported)");
        }
        return new Image(img.height(), img.width(), channels, out);
    }

    /**
     * Pads the image, centred, to the aspect ratio {@code h : w} (extra rows or columns; when the
     * padding is odd, the extra one goes to the bottom or right). The same image when it already fits.
     */
    public static Image padToAspect(Image img, int h, int w, double background) {
        long lhs = (long) img.width() * h;
        long rhs = (long) img.height() * w;
        int nh = img.height();
        int nw = img.width();
        if (lhs > rhs) {                       // too wide: add rows
            nh = (int) Math.round((double) img.width() * h / w);
        } else if (lhs < rhs) {                // too tall: add columns
            nw = (int) Math.round((double) img.height() * w / h);
        }
        if (nh == img.height() && nw == img.width()) {
            return img;
        }
        int c = img.channels();
        int top = (nh - img.height()) / 2;
        int left = (nw - img.width()) / 2;
        double[] out = new double[nh * nw * c];
        java.util.Arrays.fill(out, background);
        double[] in = img.pixels();
        for (int y = 0; y < img.height(); y++) {
            System.arraycopy(in, y * img.width() * c, out, ((y + top) * nw + left) * c, img.width() * c);
        }
        return new Image(nh, nw, c, out);
    }

    /** Resizes to {@code h x w}: area averaging on a shrinking axis, bilinear on a growing one (see the class doc). */
    public static Image resize(Image img, int h, int w) {
        if (h < 1 || w < 1) {
            throw new IllegalArgumentException("resize target must be >= 1x1, got " + h + "x" + w);
        }
        if (img.height() == h && img.width() == w) {
            return img;
        }
        int c = img.channels();
        AxisWeights ax = weights(img.width(), w);
        AxisWeights ay = weights(img.height(), h);
        double[] in = img.pixels();
        double[] tmp = new double[img.height() * w * c];              // rows resized along x
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < w; x++) {
                double[] wt = ax.weight()[x];
                int first = ax.first()[x];
                for (int ch = 0; ch < c; ch++) {
                    double s = 0;
                    for (int k = 0; k < wt.length; k++) {
                        s += wt[k] * in[(y * img.width() + first + k) * c + ch];
                    }
                    tmp[(y * w + x) * c + ch] = s;
                }
            }
        }
        double[] out = new double[h * w * c];
        for (int y = 0; y < h; y++) {
            double[] wt = ay.weight()[y];
            int first = ay.first()[y];
            for (int x = 0; x < w; x++) {
                for (int ch = 0; ch < c; ch++) {
                    double s = 0;
                    for (int k = 0; k < wt.length; k++) {
                        s += wt[k] * tmp[((first + k) * w + x) * c + ch];
                    }
                    out[(y * w + x) * c + ch] = s;
                }
            }
        }
        return new Image(h, w, c, out);
    }

    /** The resampling weights of one axis from {@code in} to {@code out} pixels. */
    static AxisWeights weights(int in, int out) {
        int[] first = new int[out];
        double[][] weight = new double[out][];
        if (out == in) {
            for (int o = 0; o < out; o++) {
                first[o] = o;
                weight[o] = new double[] {1};
            }
        } else if (out < in) {                                 // area: coverage of [o*in/out, (o+1)*in/out)
            double scale = (double) in / out;
            for (int o = 0; o < out; o++) {
                double lo = (double) o * in / out;
                double hi = (double) (o + 1) * in / out;
                int i0 = (int) Math.floor(lo);
                int i1 = Math.min(in, (int) Math.ceil(hi));
                double[] wt = new double[i1 - i0];
                for (int i = i0; i < i1; i++) {
                    wt[i - i0] = (Math.min(hi, i + 1) - Math.max(lo, i)) / scale;
                }
                first[o] = i0;
                weight[o] = wt;
            }
        } else {                                               // bilinear, half-pixel centres
            for (int o = 0; o < out; o++) {
                double src = ((o + 0.5) * in) / out - 0.5;
                src = Math.max(0, Math.min(in - 1, src));
                int i0 = (int) Math.floor(src);
                double f = src - i0;
                if (i0 + 1 < in && f > 0) {
                    first[o] = i0;
                    weight[o] = new double[] {1 - f, f};
                } else {
                    first[o] = i0;
                    weight[o] = new double[] {1};
                }
            }
        }
        return new AxisWeights(first, weight);
    }

    /**
     * Quantizes every value with the model input's per-tensor quantization:
     * {@code q = clamp(round(norm.real(p) / scale) + zeroPoint, -128, 127)}, ties away from zero.
     */
    public static byte[] quantize(Image img, Quantization quant, PixelNormalization norm) {
        if (!quant.isPerTensor()) {
            throw new IllegalArgumentException("the model input must be quantized per tensor, got " + quant);
        }
        double scale = quant.scale();
        int zp = quant.zeroPoint();
        double[] p = img.pixels();
        byte[] out = new byte[p.length];
        for (int i = 0; i < p.length; i++) {
            double v = Math.max(-1e6, Math.min(1e6, norm.real(p[i]) / scale));   // far outside int8 either way
            long r = (long) (Math.signum(v) * Math.floor(Math.abs(v) + 0.5)) + zp;
            out[i] = (byte) Math.max(-128, Math.min(127, r));
        }
        return out;
    }
}
