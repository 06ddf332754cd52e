package dev.tinytrain.cli;

import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.DatasetOptions;
import dev.tinytrain.data.Datasets;
import dev.tinytrain.data.Splits;
import dev.tinytrain.models.NetBuilder;
import dev.tinytrain.tensor.Quantization;

/**
 * The datasets of {@code pretrain} and {@code quantize}, opened for a float network's input
 * (images quantized with the architectures' input quantization): any spec {@link Datasets#open}
 * takes ({@code fashion-mnist}, {@code mnist}, {@code tuxpaint[:...]}, {@code synthetic:<k>}), its
 * fixed train / validation / test splits, validation and test cut to the first {@code evalSize}
 * images (a synthetic set generates {@code trainSize} training images).
 */
record FloatData(String spec, int classes, Dataset train, Dataset validation, Dataset test) {

    static FloatData open(String spec, int resolution, int channels, long seed, int trainSize, int evalSize) {
        int[] shape = {1, resolution, resolution, channels};
        Quantization q = Quantization.perTensor(NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT);
        DatasetOptions options = DatasetOptions.forInput(shape, q).withSeed(seed)
                .withSyntheticSizes(trainSize, evalSize).withProgress(System.err::println);
        Splits s = Datasets.open(spec, options);
        return new FloatData(s.spec().name(), s.train().classes(), s.train(), Datasets.subset(s.validation(), evalSize),
                Datasets.subset(s.test(), evalSize));
    }
}
