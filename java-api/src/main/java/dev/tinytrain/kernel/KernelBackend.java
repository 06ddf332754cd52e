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
}
