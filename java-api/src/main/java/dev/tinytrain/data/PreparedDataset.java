package dev.tinytrain.data;

import dev.tinytrain.tensor.Quantization;

import java.util.List;

/**
 * Some images of an {@link ImageSource} (chosen by index), prepared on access for one model input
 * with {@link ImagePrep#prepare}. With {@code memoize}, each prepared image is kept after its first
 * use (for small sets of large images, e.g. PNG stamps, whose decoding dominates).
 */
final class PreparedDataset implements Dataset {

    private final String name;
    private final ImageSource source;
    private final int[] indices;
    private final List<String> classNames;
    private final int[] shape;
    private final Quantization quant;
    private final PixelNormalization norm;
    private final byte[][] memo;

    PreparedDataset(String name, ImageSource source, int[] indices, List<String> classNames, int[] shape,
                    Quantization quant, PixelNormalization norm, boolean memoize) {
        this.name = name;
        this.source = source;
        this.indices = indices.clone();
        this.classNames = List.copyOf(classNames);
        this.shape = shape.clone();
        this.quant = quant;
        this.norm = norm;
        this.memo = memoize ? new byte[indices.length][] : null;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public int classes() {
        return classNames.size();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public int label(int i) {
        return source.label(indices[check(i)]);
    }

    /** The source index of sample {@code i} (the position in the package's file or file list). */
    int sourceIndex(int i) {
        return indices[check(i)];
    }

    @Override
    public Sample get(int i) {
        int k = indices[check(i)];
        byte[] img = memo != null ? memo[i] : null;
        if (img == null) {
            img = ImagePrep.prepare(source.image(k), shape, quant, norm, source.background());
            if (memo != null) {
                memo[i] = img;
            }
        }
        return new Sample(img.clone(), source.label(k));
    }

    private int check(int i) {
        if (i < 0 || i >= indices.length) {
            throw new IndexOutOfBoundsException(name + ": sample " + i + " of " + indices.length);
        }
        return i;
    }
}
