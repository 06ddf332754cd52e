package dev.tinytrain.data;

import java.nio.file.Path;

/**
 * A dataset's three disjoint splits, prepared for one model input.
 *
 * @param spec        the dataset
 * @param train       training samples (after the few-shot limit, if any)
 * @param validation  held out from the training data, for choosing hyper-parameters
 * @param test        for the final accuracy
 * @param rule        how the splits were made, in words
 * @param images      what the source images are, in words
 * @param cacheDir    the cached package folder (null for synthetic data)
 */
public record Splits(DatasetSpec spec, Dataset train, Dataset validation, Dataset test, String rule, String images,
                     Path cacheDir) {

    /** Samples per class: {@code [split][class]} for train, validation, test. */
    public int[][] classCounts() {
        return new int[][] {Datasets.classCounts(train), Datasets.classCounts(validation), Datasets.classCounts(test)};
    }
}
