package dev.tinytrain.oracle;

import dev.tinytrain.oracle.OracleCases.AddCase;
import dev.tinytrain.oracle.OracleCases.ConvCase;
import dev.tinytrain.oracle.OracleCases.FcCase;
import dev.tinytrain.oracle.OracleCases.MeanCase;
import dev.tinytrain.oracle.OracleCases.PoolCase;
import dev.tinytrain.oracle.OracleCases.Quant;
import dev.tinytrain.tensor.Quantization;
import dev.tinytrain.tflite.BuiltinOperator;
import dev.tinytrain.tflite.BuiltinOptions;
import dev.tinytrain.tflite.TensorType;
import dev.tinytrain.tflite.TfliteModelBuilder;

/**
 * One-operator int8 TF-Lite models for the oracle cases, as TF-Lite's converter lays them out:
 * per-channel symmetric weights (zero point 0), int32 biases with scale {@code s_in * s_w[c]}.
 * Operator versions are int8-capable ones the builtin resolver registers.
 */
final class SingleOpModels {

    private SingleOpModels() {
    }

    static byte[] conv2d(ConvCase c) {
        var win = c.window();
        TfliteModelBuilder b = new TfliteModelBuilder();
        int x = b.addTensor("input", new int[] {win.batch(), win.inH(), win.inW(), c.inChannels()}, TensorType.INT8,
                perTensor(c.input()), null);
        int w = b.addTensor("filter", new int[] {c.outChannels(), win.kernelH(), win.kernelW(), c.inChannels()},
                TensorType.INT8, Quantization.perChannel(c.weightScales(), 0), c.weights());
        int bias = bias(b, convBias(c), c.input(), c.weightScales());
        int y = b.addTensor("output", new int[] {win.batch(), win.outH(), win.outW(), c.outChannels()},
                TensorType.INT8, perTensor(c.output()), null);
        b.addOperator(BuiltinOperator.CONV_2D, 3, inputs(x, w, bias), new int[] {y},
                new BuiltinOptions.Conv2D(win.padding(), win.stride(), win.stride(), c.activation()));
        return b.inputs(x).outputs(y).build();
    }

    static byte[] depthwiseConv2d(ConvCase c) {
        var win = c.window();
        TfliteModelBuilder b = new TfliteModelBuilder();
        int x = b.addTensor("input", new int[] {win.batch(), win.inH(), win.inW(), c.inChannels()}, TensorType.INT8,
                perTensor(c.input()), null);
        int w = b.addTensor("filter", new int[] {1, win.kernelH(), win.kernelW(), c.outChannels()},
                TensorType.INT8, Quantization.perChannel(c.weightScales(), 3), c.weights());
        int bias = bias(b, convBias(c), c.input(), c.weightScales());
        int y = b.addTensor("output", new int[] {win.batch(), win.outH(), win.outW(), c.outChannels()},
                TensorType.INT8, perTensor(c.output()), null);
        b.addOperator(BuiltinOperator.DEPTHWISE_CONV_2D, 3, inputs(x, w, bias), new int[] {y},
                new BuiltinOptions.DepthwiseConv2D(win.padding(), win.stride(), win.stride(), c.activation()));
        return b.inputs(x).outputs(y).build();
    }

    static byte[] fullyConnected(FcCase c) {
        TfliteModelBuilder b = new TfliteModelBuilder();
        int x = b.addTensor("input", new int[] {c.batch(), c.features()}, TensorType.INT8, perTensor(c.input()), null);
        int w = b.addTensor("filter", new int[] {c.units(), c.features()}, TensorType.INT8,
                Quantization.perChannel(c.weightScales(), 0), c.weights());
        int bias = bias(b, c.bias(), c.input(), c.weightScales());
        int y = b.addTensor("output", new int[] {c.batch(), c.units()}, TensorType.INT8, perTensor(c.output()), null);
        b.addOperator(BuiltinOperator.FULLY_CONNECTED, 4, inputs(x, w, bias), new int[] {y},
                new BuiltinOptions.FullyConnected(c.activation(), false));
        return b.inputs(x).outputs(y).build();
    }

    static byte[] add(AddCase c) {
        TfliteModelBuilder b = new TfliteModelBuilder();
        int x1 = b.addTensor("input1", c.shape(), TensorType.INT8, perTensor(c.input1()), null);
        int x2 = b.addTensor("input2", c.shape(), TensorType.INT8, perTensor(c.input2()), null);
        int y = b.addTensor("output", c.shape(), TensorType.INT8, perTensor(c.output()), null);
        b.addOperator(BuiltinOperator.ADD, 2, new int[] {x1, x2}, new int[] {y}, new BuiltinOptions.Add(c.activation()));
        return b.inputs(x1, x2).outputs(y).build();
    }

    static byte[] averagePool2d(PoolCase c) {
        var win = c.window();
        TfliteModelBuilder b = new TfliteModelBuilder();
        int x = b.addTensor("input", new int[] {win.batch(), win.inH(), win.inW(), c.channels()}, TensorType.INT8,
                perTensor(c.quant()), null);
        int y = b.addTensor("output", new int[] {win.batch(), win.outH(), win.outW(), c.channels()}, TensorType.INT8,
                perTensor(c.quant()), null);
        b.addOperator(BuiltinOperator.AVERAGE_POOL_2D, 2, new int[] {x}, new int[] {y},
                new BuiltinOptions.Pool2D(win.padding(), win.stride(), win.stride(), win.kernelW(), win.kernelH(),
                        c.activation()));
        return b.inputs(x).outputs(y).build();
    }

    static byte[] mean(MeanCase c) {
        TfliteModelBuilder b = new TfliteModelBuilder();
        int x = b.addTensor("input", new int[] {c.batch(), c.h(), c.w(), c.channels()}, TensorType.INT8,
                perTensor(c.input()), null);
        int axes = b.addInt32Tensor("axes", new int[] {2}, null, new int[] {1, 2});
        int y = b.addTensor("output", new int[] {c.batch(), 1, 1, c.channels()}, TensorType.INT8,
                perTensor(c.output()), null);
        b.addOperator(BuiltinOperator.MEAN, 2, new int[] {x, axes}, new int[] {y}, new BuiltinOptions.Reducer(true));
        return b.inputs(x).outputs(y).build();
    }

    /**
     * TF-Lite's int8 CONV_2D and DEPTHWISE_CONV_2D reject an omitted bias ("Tensor at index 2 was optional
     * but was expected"), so a case without bias gives TF-Lite zeros (the backends get no bias at all).
     */
    private static int[] convBias(ConvCase c) {
        return c.bias() != null ? c.bias() : new int[c.outChannels()];
    }

    private static Quantization perTensor(Quant q) {
        return Quantization.perTensor(q.scale(), q.zeroPoint());
    }

    /** The int32 bias tensor with scale s_in * s_w[c] (float product, as the converter writes it), or -1. */
    private static int bias(TfliteModelBuilder b, int[] bias, Quant input, float[] weightScales) {
        if (bias == null) {
            return -1;
        }
        float[] scales = new float[weightScales.length];
        for (int c = 0; c < scales.length; c++) {
            scales[c] = input.scale() * weightScales[c];
        }
        return b.addInt32Tensor("bias", new int[] {bias.length}, Quantization.perChannel(scales, 0), bias);
    }

    /** The operator's inputs; a missing bias is the optional-input marker -1. */
    private static int[] inputs(int x, int w, int bias) {
        return new int[] {x, w, bias};
    }
}
