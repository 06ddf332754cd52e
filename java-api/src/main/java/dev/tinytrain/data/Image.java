package dev.tinytrain.data;

/**
 * A decoded image before quantization: {@code height x width x channels} values in [0, 255], row
 * major, channels last (HWC). Values are real (not rounded) so that compositing and resizing lose
 * nothing before the one rounding step, {@link ImagePrep#quantize}. The array is shared, not copied:
 * treat it as read-only.
 */
public record Image(int height, int width, int channels, double[] pixels) {

    public Image {
        if (height < 1 || width < 1 || channels < 1) {
            throw new IllegalArgumentException("image size must be >= 1, got " + height + "x" + width + "x" + channels);
        }
        if (pixels.length != (long) height * width * channels) {
            throw new IllegalArgumentException("image " + height + "x" + width + "x" + channels + " needs "
                    + (long) height * width * channels + " values, got " + pixels.length);
        }
    }

    /** A gray image from unsigned bytes, {@code h*w} of them starting at {@code offset}. */
    public static Image gray(byte[] data, int offset, int h, int w) {
        double[] p = new double[h * w];
        for (int i = 0; i < p.length; i++) {
            p[i] = data[offset + i] & 0xFF;
        }
        return new Image(h, w, 1, p);
    }

    public double at(int y, int x, int c) {
        return pixels[(y * width + x) * channels + c];
    }
}
