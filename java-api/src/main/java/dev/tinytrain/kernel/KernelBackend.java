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

    // ---- kernels for the memory planner (C: tt_*_grad_weight_f32, tt_bias_grad_f32, tt_sgd_update_*,
    // ---- tt_conv_depthwise_s8, tt_conv2d_1x1_inplace_s8).
    //
    // Each has a default that runs the Java reference loops (ReferenceBackend), so a backend or a
    // decorator written before these kernels existed still computes the right bits; a backend with
    // its own kernels overrides every one of them (NativeBackend does), and a decorator that forwards
    // to another backend should override them to forward too.

    /**
     * The weight gradient {@link #conv2dGradWeightUpdate} forms, stored instead of applied (for a schedule
     * that applies updates later): float32 [oc][kh][kw][channels.length], each element exactly the sum the
     * fused kernel accumulates (same terms, same order, the same bits). Arguments as there.
     */
    default void conv2dGradWeight(ConvParams params, Dims gradDims, MemorySegment grad, Dims savedDims,
                                  MemorySegment saved, int[] channels, Dims filterDims, MemorySegment output) {
        ReferenceBackend.ORACLE.conv2dGradWeight(params, gradDims, grad, savedDims, saved, channels, filterDims,
                output);
    }

    /** The weight gradient {@link #depthwiseConv2dGradWeightUpdate} forms, stored: float32 [kh][kw][channels.length]. */
    default void depthwiseConv2dGradWeight(ConvParams params, Dims gradDims, MemorySegment grad, Dims savedDims,
                                           MemorySegment saved, int[] channels, Dims filterDims,
                                           MemorySegment output) {
        ReferenceBackend.ORACLE.depthwiseConv2dGradWeight(params, gradDims, grad, savedDims, saved, channels,
                filterDims, output);
    }

    /** The bias gradient {@link #biasGradUpdate} forms, stored: float32 [c], the same sums. */
    default void biasGrad(Dims gradDims, MemorySegment grad, MemorySegment output) {
        ReferenceBackend.ORACLE.biasGrad(gradDims, grad, output);
    }

    /**
     * The SGD step of a trained weight slice from a stored gradient ({@link #conv2dGradWeight} layout, or
     * {@link #depthwiseConv2dGradWeight} with {@code depthwise}), exactly as the fused kernel applies it:
     * element i = tap * channels.length + j, tap = (oc * kh + ky) * kw + kx, updates
     * filter[tap][channels[j]] with gradient[i], state position and stochastic index i, and qasScale[oc]
     * (conv: one per output channel) or qasScale[channels[j]] (depthwise: one per channel); null = 1.
     * So gradient then update leaves the same filter, velocity and master as the fused kernel.
     */
    default void sgdUpdateWeights(SgdParams sgd, float[] qasScale, boolean depthwise, MemorySegment gradient,
                                  int[] channels, Dims filterDims, MemorySegment filter, SgdState state) {
        ReferenceBackend.ORACLE.sgdUpdateWeights(sgd, qasScale, depthwise, gradient, channels, filterDims, filter,
                state);
    }

    /** The SGD step of an int32 bias [1, 1, 1, c] from a stored gradient ({@link #biasGrad}), as {@link #biasGradUpdate}. */
    default void sgdUpdateBias(SgdParams sgd, float[] qasScale, MemorySegment gradient, Dims biasDims,
                               MemorySegment bias, SgdState state) {
        ReferenceBackend.ORACLE.sgdUpdateBias(sgd, qasScale, gradient, biasDims, bias, state);
    }

    /**
     * {@link #conv2d} (convParams, any kernel, stride and padding) into an intermediate
     * [n, H1, W1, C1], then {@link #depthwiseConv2d} (dwParams) of it into output, bit for bit, but one
     * intermediate channel at a time: the channel's H1 x W1 plane goes to {@code scratch}, then the output
     * channel is computed from it, so the intermediate never exists whole. {@code intermediateDims} is the
     * intermediate's shape (a conv's output size is not unique for kernels > 1: the graph's value says it).
     * Scratch: {@link #convDepthwiseScratchBytes(Dims)} bytes; output must not overlap input (it is written
     * while input is still read) and scratch must overlap neither.
     */
    default void convDepthwise(ConvParams convParams, ChannelQuant convQuant, Dims inputDims, MemorySegment input,
                               Dims convFilterDims, MemorySegment convFilter, MemorySegment convBias,
                               Dims intermediateDims, ConvParams dwParams, ChannelQuant dwQuant, Dims dwFilterDims,
                               MemorySegment dwFilter, MemorySegment dwBias, Dims outputDims, MemorySegment output,
                               MemorySegment scratch) {
        ReferenceBackend.ORACLE.convDepthwise(convParams, convQuant, inputDims, input, convFilterDims, convFilter,
                convBias, intermediateDims, dwParams, dwQuant, dwFilterDims, dwFilter, dwBias, outputDims, output,
                scratch);
    }

    /**
     * {@link #convDepthwise(ConvParams, ChannelQuant, Dims, MemorySegment, Dims, MemorySegment, MemorySegment,
     * Dims, ConvParams, ChannelQuant, Dims, MemorySegment, MemorySegment, Dims, MemorySegment, MemorySegment)}
     * with the intermediate dims derived: the one [n, H1, W1, C1] that both the conv's and the depthwise's
     * windows accept ({@link KernelChecks#convDepthwiseIntermediate}). Always unique for a 1x1 conv (the
     * expansion, the case this fusion exists for). For a kxk conv several sizes often fit (e.g. 3x3 stride 2
     * on 128 gives 63 or 64, and a pad-1 depthwise to 64 accepts both); then this throws a
     * {@link KernelArgumentException} naming {@code intermediate dims.h} or {@code .w}: pass the graph's
     * intermediate dims to the other overload.
     */
    default void convDepthwise(ConvParams convParams, ChannelQuant convQuant, Dims inputDims, MemorySegment input,
                               Dims convFilterDims, MemorySegment convFilter, MemorySegment convBias,
                               ConvParams dwParams, ChannelQuant dwQuant, Dims dwFilterDims, MemorySegment dwFilter,
                               MemorySegment dwBias, Dims outputDims, MemorySegment output, MemorySegment scratch) {
        Dims intermediate = KernelChecks.convDepthwiseIntermediate(inputDims, convFilterDims, convParams,
                dwFilterDims, dwParams, outputDims);
        convDepthwise(convParams, convQuant, inputDims, input, convFilterDims, convFilter, convBias, intermediate,
                dwParams, dwQuant, dwFilterDims, dwFilter, dwBias, outputDims, output, scratch);
    }

    /**
     * Scratch bytes {@link #convDepthwise} may need for this conv: the largest H1 * W1 the conv's window
     * admits (exact for 1x1 convs, whose output size is unique; at most one row and column more otherwise).
     * The same on every backend and on the MCU ({@link KernelChecks#convDepthwiseScratchBytes(Dims, Dims, ConvParams)}).
     */
    default long convDepthwiseScratchBytes(Dims inputDims, Dims convFilterDims, ConvParams convParams) {
        return KernelChecks.convDepthwiseScratchBytes(inputDims, convFilterDims, convParams);
    }

    /** Scratch bytes {@link #convDepthwise} needs for this intermediate: H1 * W1 (C: tt_conv_depthwise_s8_get_buffer_size). */
    default long convDepthwiseScratchBytes(Dims intermediateDims) {
        return KernelChecks.convDepthwiseScratchBytes(intermediateDims);
    }

    /**
     * A pointwise conv (1x1, stride 1, no padding) whose output overwrites its input in {@code region}, bit for
     * bit the same as {@link #conv2d} into a separate buffer. With P = n * h * w pixels, region holds
     * max(P * Cin, P * Cout) bytes; the output starts at offset 0, the input at offset P * (Cout - Cin) when the
     * conv widens (Cout > Cin: the input sits at the end of the output region), else at 0
     * ({@link KernelChecks#conv2d1x1InPlaceInputOffset}). Pixels are walked in order, each input pixel copied to
     * {@code scratch} (Cin bytes, not overlapping region) before its output is written.
     */
    default void conv2d1x1InPlace(ConvParams params, ChannelQuant quant, Dims inputDims, Dims filterDims,
                                  MemorySegment filter, MemorySegment bias, Dims outputDims, MemorySegment region,
                                  MemorySegment scratch) {
        ReferenceBackend.ORACLE.conv2d1x1InPlace(params, quant, inputDims, filterDims, filter, bias, outputDims,
                region, scratch);
    }

    /** Scratch bytes {@link #conv2d1x1InPlace} needs: one input pixel, Cin (C: tt_conv2d_1x1_inplace_s8_get_buffer_size). */
    default long conv2d1x1InPlaceScratchBytes(Dims inputDims) {
        return KernelChecks.conv2d1x1InPlaceScratchBytes(inputDims);
    }
}
