package dev.tinytrain.cli;

import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.SyntheticDataset;
import dev.tinytrain.models.NetBuilder;
import dev.tinytrain.tensor.Quantization;

/**
 * The datasets of {@code pretrain} and {@code quantize}, opened for a float network's input
 * (images quantized with the architectures' input quantization). Today: {@code synthetic:<k>}
 * (train, test and validation are disjoint generated streams 0, 1 and 2, seeded by {@code seed});
 * real datasets plug in here.
 */
record FloatData(String spec, int classes, Dataset train, Dataset validation, Dataset test) {

    static FloatData open(String spec, int resolution, int channels, long seed, int trainSize, int evalSize) {
        int[] shape = {1, resolution, resolution, channels};
        Quantization q = Quantization.perTensor(NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT);
        if (!spec.startsWith("synthetic:")) {
            throw new IllegalArgumentException("dataset '" + spec + "' is not available in this build: use "
                    + "synthetic:<classes> (real datasets arrive with the datasets work)");
        }
        SyntheticDataset train = SyntheticDataset.parse(spec, trainSize, shape, q, seed, 0);
        SyntheticDataset test = SyntheticDataset.parse(spec, evalSize, shape, q, seed, 1);
        SyntheticDataset val = SyntheticDataset.parse(spec, evalSize, shape, q, seed, 2);
        return new FloatData(spec, train.classes(), train, val, test);
    }
}
