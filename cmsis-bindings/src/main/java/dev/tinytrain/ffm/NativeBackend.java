package dev.tinytrain.ffm;

import dev.tinytrain.ffm.raw.TinyTrain;
import dev.tinytrain.ffm.raw.tt_activation;
import dev.tinytrain.ffm.raw.tt_add_params;
import dev.tinytrain.ffm.raw.tt_context;
import dev.tinytrain.ffm.raw.tt_conv_params;
import dev.tinytrain.ffm.raw.tt_dims;
import dev.tinytrain.ffm.raw.tt_fc_params;
import dev.tinytrain.ffm.raw.tt_mean_params;
import dev.tinytrain.ffm.raw.tt_per_channel_quant_params;
import dev.tinytrain.ffm.raw.tt_pool_params;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.AddParams;
import dev.tinytrain.kernel.BackendUnavailableException;
import dev.tinytrain.kernel.ChannelQuant;
import dev.tinytrain.kernel.ConvParams;
import dev.tinytrain.kernel.FcParams;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.KernelBackendProvider;
import dev.tinytrain.kernel.KernelChecks;
import dev.tinytrain.kernel.MeanParams;
import dev.tinytrain.kernel.PoolParams;
import dev.tinytrain.tensor.Dims;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The C kernel library through Panama. Arguments are checked in Java ({@link KernelChecks})
 * before every downcall; a non-OK status from C becomes a {@link NativeKernelException}.
 * Data segments may be native memory or heap arrays (passed without copying).
 */
public final class NativeBackend implements KernelBackend {

    public static final String NAME = "native";

    /** Service provider: preferred over the reference backend whenever the library loads. */
    public static final class Provider implements KernelBackendProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public int priority() {
            return 100;
        }

        @Override
        public KernelBackend create() {
            return new NativeBackend();
        }
    }

    private final Downcall conv2d;
    private final Downcall depthwise;
    private final Downcall fullyConnected;
    private final Downcall add;
    private final Downcall avgPool;
    private final Downcall mean;
    private final MethodHandle conv2dScratch;
    private final MethodHandle depthwiseScratch;
    private final MethodHandle fcScratch;
    private final MethodHandle avgPoolScratch;
    private final String version;

    /**
     * Loads the library and binds the kernels.
     *
     * @throws BackendUnavailableException when the library cannot be loaded (with the reason)
     */
    public NativeBackend() {
        NativeLibrary.load();
        try {
            conv2d = Downcall.of(TinyTrain.tt_conv2d_s8$address(), TinyTrain.tt_conv2d_s8$descriptor());
            depthwise = Downcall.of(TinyTrain.tt_depthwise_conv2d_s8$address(),
                    TinyTrain.tt_depthwise_conv2d_s8$descriptor());
            fullyConnected = Downcall.of(TinyTrain.tt_fully_connected_s8$address(),
                    TinyTrain.tt_fully_connected_s8$descriptor());
            add = Downcall.of(TinyTrain.tt_add_s8$address(), TinyTrain.tt_add_s8$descriptor());
            avgPool = Downcall.of(TinyTrain.tt_avgpool2d_s8$address(), TinyTrain.tt_avgpool2d_s8$descriptor());
            mean = Downcall.of(TinyTrain.tt_mean_s8$address(), TinyTrain.tt_mean_s8$descriptor());
            conv2dScratch = TinyTrain.tt_conv2d_s8_get_buffer_size$handle();
            depthwiseScratch = TinyTrain.tt_depthwise_conv2d_s8_get_buffer_size$handle();
            fcScratch = TinyTrain.tt_fully_connected_s8_get_buffer_size$handle();
            avgPoolScratch = TinyTrain.tt_avgpool2d_s8_get_buffer_size$handle();
            version = TinyTrain.tt_version().getString(0);
        } catch (UnsatisfiedLinkError | IllegalArgumentException | ExceptionInInitializerError e) {
            throw new BackendUnavailableException("the loaded " + NativeLibrary.NAME
                    + " library lacks a kernel symbol (stale build?): " + e, e);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "native (C kernels " + version + " via Panama, ISA path " + activeIsa().label() + ")";
    }

    /** The kernel library's version string. */
    public String version() {
        return version;
    }

    /** The best ISA path this build and CPU support. */
    public NativeIsa bestIsa() {
        return NativeIsa.of(TinyTrain.tt_isa_best());
    }

    /** The ISA path in use. */
    public NativeIsa activeIsa() {
        return NativeIsa.of(TinyTrain.tt_isa_active());
    }

    /**
     * Selects the ISA path for all kernels of this process (benchmarks compare paths this way).
     *
     * @throws IllegalArgumentException when this build or CPU lacks the path
     */
    public void selectIsa(NativeIsa isa) {
        int status = TinyTrain.tt_isa_select(isa.ordinal());
        if (status != TinyTrain.TT_OK()) {
            throw new IllegalArgumentException("ISA path " + isa.label() + " is not available here (best: "
                    + bestIsa().label() + ")");
        }
    }

    @Override
    public void conv2d(ConvParams p, ChannelQuant q, Dims in, MemorySegment input, Dims fd, MemorySegment filter,
                       MemorySegment bias, Dims out, MemorySegment output) {
        KernelChecks.conv2d(p, q, in, input, fd, filter, bias, out, output);
        convLike("conv2d", conv2d, conv2dScratch, p, q, in, input, fd, filter, bias, out, output);
    }

    @Override
    public void depthwiseConv2d(ConvParams p, ChannelQuant q, Dims in, MemorySegment input, Dims fd,
                                MemorySegment filter, MemorySegment bias, Dims out, MemorySegment output) {
        KernelChecks.depthwiseConv2d(p, q, in, input, fd, filter, bias, out, output);
        convLike("depthwise_conv2d", depthwise, depthwiseScratch, p, q, in, input, fd, filter, bias, out, output);
    }

    private void convLike(String op, Downcall call, MethodHandle scratchSize, ConvParams p, ChannelQuant q,
                          Dims in, MemorySegment input, Dims fd, MemorySegment filter, MemorySegment bias,
                          Dims out, MemorySegment output) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = tt_conv_params.allocate(arena);
            tt_conv_params.input_offset(params, p.inputOffset());
            tt_conv_params.output_offset(params, p.outputOffset());
            tt_conv_params.stride_h(params, p.strideH());
            tt_conv_params.stride_w(params, p.strideW());
            tt_conv_params.pad_h(params, p.padH());
            tt_conv_params.pad_w(params, p.padW());
            activation(tt_conv_params.activation(params), p.activation());
            MemorySegment inDims = dims(arena, in);
            MemorySegment fDims = dims(arena, fd);
            MemorySegment ctx = context(arena, (int) scratchSize.invokeExact(inDims, fDims));
            int status = (int) call.pick(input, filter, bias, output).invokeExact(ctx, params, quant(arena, q),
                    inDims, input, fDims, filter, dims(arena, Dims.vector(out.c())), orNull(bias),
                    dims(arena, out), output);
            check(op, status, in, fd, out);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(op + ": downcall failed", t);
        }
    }

    @Override
    public void fullyConnected(FcParams p, ChannelQuant q, Dims in, MemorySegment input, Dims fd,
                               MemorySegment filter, MemorySegment bias, Dims out, MemorySegment output) {
        KernelChecks.fullyConnected(p, q, in, input, fd, filter, bias, out, output);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = tt_fc_params.allocate(arena);
            tt_fc_params.input_offset(params, p.inputOffset());
            tt_fc_params.output_offset(params, p.outputOffset());
            activation(tt_fc_params.activation(params), p.activation());
            MemorySegment fDims = dims(arena, fd);
            MemorySegment ctx = context(arena, (int) fcScratch.invokeExact(fDims));
            int status = (int) fullyConnected.pick(input, filter, bias, output).invokeExact(ctx, params,
                    quant(arena, q), dims(arena, in), input, fDims, filter, dims(arena, Dims.vector(out.c())),
                    orNull(bias), dims(arena, out), output);
            check("fully_connected", status, in, fd, out);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("fully_connected: downcall failed", t);
        }
    }

    @Override
    public void add(AddParams p, Dims in1, MemorySegment input1, Dims in2, MemorySegment input2, Dims out,
                    MemorySegment output) {
        KernelChecks.add(p, in1, input1, in2, input2, out, output);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = tt_add_params.allocate(arena);
            tt_add_params.input1_offset(params, p.input1Offset());
            tt_add_params.input2_offset(params, p.input2Offset());
            tt_add_params.left_shift(params, p.leftShift());
            tt_add_params.input1_multiplier(params, p.input1Multiplier());
            tt_add_params.input1_shift(params, p.input1Shift());
            tt_add_params.input2_multiplier(params, p.input2Multiplier());
            tt_add_params.input2_shift(params, p.input2Shift());
            tt_add_params.output_multiplier(params, p.outputMultiplier());
            tt_add_params.output_shift(params, p.outputShift());
            tt_add_params.output_offset(params, p.outputOffset());
            activation(tt_add_params.activation(params), p.activation());
            int status = (int) add.pick(input1, input2, output).invokeExact(params, dims(arena, in1), input1,
                    dims(arena, in2), input2, dims(arena, out), output);
            check("add", status, in1, in2, out);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("add: downcall failed", t);
        }
    }

    @Override
    public void avgPool2d(PoolParams p, Dims in, MemorySegment input, Dims out, MemorySegment output) {
        KernelChecks.avgPool2d(p, in, input, out, output);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = tt_pool_params.allocate(arena);
            tt_pool_params.filter_h(params, p.filterH());
            tt_pool_params.filter_w(params, p.filterW());
            tt_pool_params.stride_h(params, p.strideH());
            tt_pool_params.stride_w(params, p.strideW());
            tt_pool_params.pad_h(params, p.padH());
            tt_pool_params.pad_w(params, p.padW());
            activation(tt_pool_params.activation(params), p.activation());
            MemorySegment oDims = dims(arena, out);
            MemorySegment ctx = context(arena, (int) avgPoolScratch.invokeExact(oDims));
            int status = (int) avgPool.pick(input, output).invokeExact(ctx, params, dims(arena, in), input,
                    oDims, output);
            check("avgpool2d", status, in, out);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("avgpool2d: downcall failed", t);
        }
    }

    @Override
    public void mean(MeanParams p, Dims in, MemorySegment input, Dims out, MemorySegment output) {
        KernelChecks.mean(p, in, input, out, output);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = tt_mean_params.allocate(arena);
            tt_mean_params.input_offset(params, p.inputOffset());
            tt_mean_params.output_offset(params, p.outputOffset());
            tt_mean_params.multiplier(params, p.multiplier());
            tt_mean_params.shift(params, p.shift());
            activation(tt_mean_params.activation(params), p.activation());
            int status = (int) mean.pick(input, output).invokeExact(params, dims(arena, in), input,
                    dims(arena, out), output);
            check("mean", status, in, out);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mean: downcall failed", t);
        }
    }

    @Override
    public int requantize(int value, int multiplier, int shift) {
        KernelChecks.requantize(multiplier, shift);
        return TinyTrain.tt_requantize(value, multiplier, shift);
    }

    // ---- marshalling -----------------------------------------------------------------------

    private static MemorySegment dims(Arena arena, Dims d) {
        MemorySegment s = tt_dims.allocate(arena);
        tt_dims.n(s, d.n());
        tt_dims.h(s, d.h());
        tt_dims.w(s, d.w());
        tt_dims.c(s, d.c());
        return s;
    }

    private static void activation(MemorySegment s, Activation a) {
        tt_activation.min(s, a.min());
        tt_activation.max(s, a.max());
    }

    private static MemorySegment quant(Arena arena, ChannelQuant q) {
        MemorySegment s = tt_per_channel_quant_params.allocate(arena);
        tt_per_channel_quant_params.multiplier(s, arena.allocateFrom(ValueLayout.JAVA_INT, q.multiplier()));
        tt_per_channel_quant_params.shift(s, arena.allocateFrom(ValueLayout.JAVA_INT, q.shift()));
        return s;
    }

    private static MemorySegment context(Arena arena, int scratchBytes) {
        MemorySegment ctx = tt_context.allocate(arena);
        if (scratchBytes > 0) {
            tt_context.buf(ctx, arena.allocate(scratchBytes, 16));
        } else {
            tt_context.buf(ctx, MemorySegment.NULL);
        }
        tt_context.size(ctx, scratchBytes);
        return ctx;
    }

    private static MemorySegment orNull(MemorySegment s) {
        return s == null ? MemorySegment.NULL : s;
    }

    private static void check(String op, int status, Dims... shapes) {
        if (status != TinyTrain.TT_OK()) {
            throw new NativeKernelException(op, status, "shapes " + java.util.Arrays.toString(shapes)
                    + " passed the Java checks; the C checks disagree (please report)");
        }
    }
}
