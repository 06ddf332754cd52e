package dev.tinytrain.fp32;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Role;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.tensor.DType;
import dev.tinytrain.tensor.Quantization;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * A quantized model as numbers: for each weight layer of an architecture its int8 weights with
 * per-output-channel scales, int32 bias and output quantization, and the output quantization of
 * each residual add. {@link #toGraph()} makes the int8 {@link Graph} with exactly the op structure
 * and names of {@link Architectures#build} (so every sparse scheme, the training compiler and the
 * planner work on it): conv, depthwise conv (activation NONE: a ReLU6 output is the int8 clamp of
 * scale 6/255, zero point -128), add, mean (quantization kept), the 1x1 classifier conv and the
 * reshape to [1, classes].
 *
 * @param architecture canonical architecture name
 * @param resolution   input height and width
 * @param inChannels   input channels
 * @param classes      classifier outputs
 * @param input        the input quantization
 * @param layers       weight layers by name ({@code conv0}, {@code block3.pw1}, ..., {@code classifier})
 * @param adds         residual adds' output quantization by name ({@code block2.add}, ...)
 */
public record Int8Model(String architecture, int resolution, int inChannels, int classes, Quantization input,
                        Map<String, Layer> layers, Map<String, Quantization> adds) {

    /**
     * One weight layer.
     *
     * @param weight  int8 values in [-127, 127], OHWI (conv, classifier) or 1HWC (depthwise)
     * @param shape   the weight's shape
     * @param scales  per output channel, > 0 (symmetric, zero point 0)
     * @param bias    int32, scale {@code s_in * scales[c]}
     * @param output  the output activation's quantization
     */
    public record Layer(byte[] weight, int[] shape, float[] scales, int[] bias, Quantization output) {
        public Layer {
            Objects.requireNonNull(output, "output");
            shape = shape.clone();
        }
    }

    public Int8Model {
        layers = Map.copyOf(layers);
        adds = Map.copyOf(adds);
    }

    /**
     * The int8 graph (batch 1).
     *
     * @throws IllegalArgumentException naming the layer whose numbers do not fit the architecture
     */
    public Graph toGraph() {
        Architectures.Spec spec = Architectures.spec(architecture);
        Graph.Builder g = Graph.builder(spec.name());
        Value logits = Architectures.walk(spec, resolution, inChannels, classes, new Architectures.Layers<Value>() {
            @Override
            public Value input(String name, int res, int channels) {
                return g.input(name, new int[] {1, res, res, channels}, DType.INT8, input, Role.INPUT);
            }

            @Override
            public Value conv(String name, Value x, int k, int stride, int outChannels, boolean relu6) {
                int[] s = x.shape();
                int pad = (k - 1) / 2;
                int oh = (s[1] + 2 * pad - k) / stride + 1;
                int ow = (s[2] + 2 * pad - k) / stride + 1;
                return layer(name, x, new int[] {outChannels, k, k, s[3]}, new int[] {1, oh, ow, outChannels}, stride,
                        pad, false);
            }

            @Override
            public Value depthwise(String name, Value x, int k, int stride, boolean relu6) {
                int[] s = x.shape();
                int pad = (k - 1) / 2;
                int oh = (s[1] + 2 * pad - k) / stride + 1;
                int ow = (s[2] + 2 * pad - k) / stride + 1;
                return layer(name, x, new int[] {1, k, k, s[3]}, new int[] {1, oh, ow, s[3]}, stride, pad, true);
            }

            @Override
            public Value add(String name, Value a, Value b) {
                Quantization q = adds.get(name);
                if (q == null) {
                    throw new IllegalArgumentException(architecture + ": no quantization for residual add " + name);
                }
                Value y = g.value(name, a.shape(), DType.INT8, q, Role.ACTIVATION);
                g.op(new Op.Add(a, b, y, Activation.NONE));
                return y;
            }

            @Override
            public Value mean(String name, Value x) {
                int[] s = x.shape();
                Value y = g.value(name, new int[] {1, 1, 1, s[3]}, DType.INT8, x.quant(), Role.ACTIVATION);
                g.op(new Op.Mean(x, y));
                return y;
            }

            @Override
            public Value classifier(String name, Value pooled, int k) {
                Value conv = layer(name, pooled, new int[] {k, 1, 1, pooled.shape()[3]}, new int[] {1, 1, 1, k}, 1, 0,
                        false);
                Value out = g.value(name + ".logits", new int[] {1, k}, DType.INT8, conv.quant(), Role.ACTIVATION);
                g.op(new Op.Reshape(conv, out));
                return out;
            }

            private Value layer(String name, Value x, int[] wShape, int[] outShape, int stride, int pad,
                                boolean depthwise) {
                Layer l = layers.get(name);
                if (l == null) {
                    throw new IllegalArgumentException(architecture + ": no int8 numbers for layer " + name);
                }
                if (!Arrays.equals(l.shape(), wShape)) {
                    throw new IllegalArgumentException(name + ": weight shape " + Arrays.toString(l.shape())
                            + ", the architecture needs " + Arrays.toString(wShape));
                }
                int channels = depthwise ? wShape[3] : wShape[0];
                if (l.scales().length != channels || l.bias().length != channels) {
                    throw new IllegalArgumentException(name + ": " + l.scales().length + " scales and "
                            + l.bias().length + " biases for " + channels + " output channels");
                }
                Value w = g.constant(name + ".weight", wShape, Quantization.perChannel(l.scales(), depthwise ? 3 : 0),
                        l.weight().clone());
                Value b = g.constant(name + ".bias", new int[] {channels}, l.bias().clone());
                Value y = g.value(name, outShape, DType.INT8, l.output(), Role.ACTIVATION);
                if (depthwise) {
                    g.op(new Op.DepthwiseConv2d(x, w, b, y, stride, stride, pad, pad, Activation.NONE));
                } else {
                    g.op(new Op.Conv2d(x, w, b, y, stride, stride, pad, pad, Activation.NONE));
                }
                return y;
            }
        });
        g.outputs(logits);
        return g.build();
    }
}
