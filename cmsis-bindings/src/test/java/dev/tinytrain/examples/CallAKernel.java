package dev.tinytrain.examples;

import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.ChannelQuant;
import dev.tinytrain.kernel.ConvParams;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.KernelBackends;
import dev.tinytrain.tensor.Dims;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

public class CallAKernel {
    public static void main(String[] args) {
        // The best backend here: the C kernels through Panama, or the Java reference if the library is missing.
        KernelBackend kernels = KernelBackends.best().backend();

        // A 1x1 convolution, 2 input channels -> 3 output channels, on a 2x2 int8 image.
        Dims inDims = Dims.of(1, 2, 2, 2);
        Dims filterDims = Dims.of(3, 1, 1, 2);           // OHWI
        Dims outDims = Dims.of(1, 2, 2, 3);
        float inScale = 0.05f, outScale = 0.1f;
        int inZero = -10, outZero = 5;
        float[] weightScales = {0.01f, 0.02f, 0.03f};      // per output channel, symmetric

        ConvParams params = ConvParams.pointwise(inZero, outZero).withActivation(Activation.relu(outZero));
        ChannelQuant quant = ChannelQuant.of(inScale, weightScales, outScale);

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment input = arena.allocateFrom(ValueLayout.JAVA_BYTE, new byte[] {-10, 20, 30, -40, 50, 60, 70, 80});
            MemorySegment filter = arena.allocateFrom(ValueLayout.JAVA_BYTE, new byte[] {10, -20, 30, 40, -50, 60});
            MemorySegment bias = arena.allocateFrom(ValueLayout.JAVA_INT, 100, -200, 300);
            MemorySegment output = arena.allocate(outDims.elements());

            kernels.conv2d(params, quant, inDims, input, filterDims, filter, bias, outDims, output);

            System.out.println(kernels.description());
            System.out.println(Arrays.toString(output.toArray(ValueLayout.JAVA_BYTE)));
        }
    }
}
