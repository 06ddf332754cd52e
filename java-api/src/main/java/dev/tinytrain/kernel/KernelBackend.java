package dev.tinytrain.kernel;

import dev.tinytrain.tensor.Dims;

import java.lang.foreign.MemorySegment;

/**
 * The int8 kernels every backend provides, with the numerics of TF-Lite's reference kernels
 * (see {@link dev.tinytrain.quant.QuantMath}). Argument order follows the C library: op params,
 * quant params, then (dims, data) pairs for the inputs, the output last. Data are memory
 * segments (heap arrays or native memory), NHWC int8 unless stated; a bias is an int32
 * little-endian vector, or {@code null} for none.
 *
 * <p>Every implementation validates its arguments with {@link KernelChecks} first, so wrong
 * input is a {@link KernelArgumentException} naming the argument, on every backend alike.
 */
public interface KernelBackend {

    /** Short name: {@code "reference"} or {@code "native"}. */
    String name();

    /** One line on what runs: the implementation and its instruction-set path. */
    String description();

    /** 2-D convolution; filter OHWI. */
    void conv2d(ConvParams params, ChannelQuant quant, Dims inputDims, MemorySegment input,
                Dims filterDims, MemorySegment filter, MemorySegment bias,
                Dims outputDims, MemorySegment output);

    /** Depthwise convolution, multiplier 1; filter 1HWC. */
    void depthwiseConv2d(ConvParams params, ChannelQuant quant, Dims inputDims, MemorySegment input,
                         Dims filterDims, MemorySegment filter, MemorySegment bias,
                         Dims outputDims, MemorySegment output);

    /** Fully connected; input rows flattened, filter [out, 1, 1, in], output [n, 1, 1, out]. */
    void fullyConnected(FcParams params, ChannelQuant quant, Dims inputDims, MemorySegment input,
                        Dims filterDims, MemorySegment filter, MemorySegment bias,
                        Dims outputDims, MemorySegment output);

    /** Elementwise add with two input scales; the output may alias an input. */
    void add(AddParams params, Dims input1Dims, MemorySegment input1, Dims input2Dims, MemorySegment input2,
             Dims outputDims, MemorySegment output);

    /** Average pooling. */
    void avgPool2d(PoolParams params, Dims inputDims, MemorySegment input, Dims outputDims, MemorySegment output);

    /** Mean over H and W; output [n, 1, 1, c]. */
    void mean(MeanParams params, Dims inputDims, MemorySegment input, Dims outputDims, MemorySegment output);

    /** The requantization helper: TF-Lite's MultiplyByQuantizedMultiplier. */
    int requantize(int value, int multiplier, int shift);

    // ---- training (C: tt_backward.h). Gradients are float32 (native order), w.r.t. the int8 values;
    // ---- every float sum is accumulated in the documented order, so all backends agree bit for bit.

    /** 1-bit mask, bit i (byte i / 8, bit i % 8) = {@code min < y[i] < max}; ceil(n / 8) bytes, unused bits 0. */
    void clampMask(Activation activation, Dims dims, MemorySegment y, MemorySegment mask);

    /** Keeps the trained input channels: {@code out[p][j] = x[p][channels[j]]}, output [n, h, w, channels.length]. */
    void gatherChannels(Dims inputDims, MemorySegment input, int[] channels, MemorySegment output);

    /**
     * Softmax cross-entropy of int8 logits [n, 1, 1, classes] with int32 labels: loss per row (n floats,
     * or {@code null}) and the gradient w.r.t. the int8 logits (n * classes floats).
     */
    void softmaxXent(float scale, int zeroPoint, Dims logitsDims, MemorySegment logits, MemorySegment labels,
                     MemorySegment loss, MemorySegment grad);

    /** {@code out = mask ? grad * scale[c] : 0} (mask {@code null} = all ones); out may alias grad. */
    void gradScaleMask(float[] scale, Dims dims, MemorySegment grad, MemorySegment mask, MemorySegment out);

    /** Gradient of the mean over H and W: {@code out[n][h][w][c] = (grad[n][c] * scale) / (H * W)}. */
    void meanGrad(float scale, Dims gradDims, MemorySegment grad, Dims outputDims, MemorySegment output);

    /** Gradient of average pooling (grad: the pool's output dims, output: its input dims). */
    void avgPoolGrad(PoolParams params, Dims gradDims, MemorySegment grad, Dims outputDims, MemorySegment output);

    /** {@code out = a + b}; out may alias a or b. */
    void addF32(Dims dims, MemorySegment a, MemorySegment b, MemorySegment out);

    /** Input gradient of conv2d (transposed convolution with the OHWI int8 filter); output: the conv's input dims. */
    void conv2dGradInput(ConvParams params, Dims gradDims, MemorySegment grad, Dims filterDims, MemorySegment filter,
                         Dims outputDims, MemorySegment output);

    /** Input gradient of depthwise conv2d (1HWC filter). */
    void depthwiseConv2dGradInput(ConvParams params, Dims gradDims, MemorySegment grad, Dims filterDims,
                                  MemorySegment filter, Dims outputDims, MemorySegment output);

    /**
     * Conv2d weight gradient of the input channels {@code channels} (saved: their int8 input values,
     * [n, h, w, channels.length]), applied at once to {@code filter} by the SGD step; qasScale: one per
     * output channel, or {@code null}; state laid out [oc][kh][kw][channels.length].
     */
    void conv2dGradWeightUpdate(SgdParams sgd, ConvParams params, float[] qasScale, Dims gradDims,
                                MemorySegment grad, Dims savedDims, MemorySegment saved, int[] channels,
                                Dims filterDims, MemorySegment filter, SgdState state);

    /** Depthwise weight gradient of {@code channels}, applied at once; qasScale one per channel; state [kh][kw][j]. */
    void depthwiseConv2dGradWeightUpdate(SgdParams sgd, ConvParams params, float[] qasScale, Dims gradDims,
                                         MemorySegment grad, Dims savedDims, MemorySegment saved, int[] channels,
                                         Dims filterDims, MemorySegment filter, SgdState state);

    /** Bias gradient (sum over n, h, w) applied at once to the int32 bias [1, 1, 1, c]; state [c]. */
    void biasGradUpdate(SgdParams sgd, float[] qasScale, Dims gradDims, MemorySegment grad, Dims biasDims,
                        MemorySegment bias, SgdState state);
}
