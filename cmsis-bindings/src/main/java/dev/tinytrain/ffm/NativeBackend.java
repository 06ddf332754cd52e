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
import dev.tinytrain.ffm.raw.tt_sgd_params;
import dev.tinytrain.ffm.raw.tt_sgd_state;
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
import dev.tinytrain.kernel.SgdParams;
import dev.tinytrain.kernel.SgdState;
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
    private final Downcall clampMask;
    private final Downcall gatherChannels;
    private final Downcall softmaxXent;
    private final Downcall gradScaleMask;
    private final Downcall meanGrad;
    private final Downcall avgPoolGrad;
    private final Downcall addF32;
    private final Downcall conv2dGradInput;
    private final Downcall depthwiseGradInput;
    private final Downcall conv2dWeightUpdate;
    private final Downcall depthwiseWeightUpdate;
    private final Downcall biasUpdate;
    private final Downcall conv2dGradWeight;
    private final Downcall depthwiseGradWeight;
    private final Downcall biasGrad;
    private final Downcall sgdUpdateS8;
    private final Downcall sgdUpdateS32;
    private final Downcall convDepthwise;
    private final Downcall conv1x1InPlace;
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
            clampMask = Downcall.of(TinyTrain.tt_clamp_mask_s8$address(), TinyTrain.tt_clamp_mask_s8$descriptor());
            gatherChannels = Downcall.of(TinyTrain.tt_gather_channels_s8$address(),
                    TinyTrain.tt_gather_channels_s8$descriptor());
            softmaxXent = Downcall.of(TinyTrain.tt_softmax_xent_s8$address(), TinyTrain.tt_softmax_xent_s8$descriptor());
            gradScaleMask = Downcall.of(TinyTrain.tt_grad_scale_mask_f32$address(),
                    TinyTrain.tt_grad_scale_mask_f32$descriptor());
            meanGrad = Downcall.of(TinyTrain.tt_mean_grad_f32$address(), TinyTrain.tt_mean_grad_f32$descriptor());
            avgPoolGrad = Downcall.of(TinyTrain.tt_avgpool2d_grad_f32$address(),
                    TinyTrain.tt_avgpool2d_grad_f32$descriptor());
            addF32 = Downcall.of(TinyTrain.tt_add_f32$address(), TinyTrain.tt_add_f32$descriptor());
            conv2dGradInput = Downcall.of(TinyTrain.tt_conv2d_grad_input_f32$address(),
                    TinyTrain.tt_conv2d_grad_input_f32$descriptor());
            depthwiseGradInput = Downcall.of(TinyTrain.tt_depthwise_conv2d_grad_input_f32$address(),
                    TinyTrain.tt_depthwise_conv2d_grad_input_f32$descriptor());
            conv2dWeightUpdate = Downcall.of(TinyTrain.tt_conv2d_grad_weight_update_s8$address(),
                    TinyTrain.tt_conv2d_grad_weight_update_s8$descriptor());
            depthwiseWeightUpdate = Downcall.of(TinyTrain.tt_depthwise_conv2d_grad_weight_update_s8$address(),
                    TinyTrain.tt_depthwise_conv2d_grad_weight_update_s8$descriptor());
            biasUpdate = Downcall.of(TinyTrain.tt_bias_grad_update_s32$address(),
                    TinyTrain.tt_bias_grad_update_s32$descriptor());
            conv2dGradWeight = Downcall.of(TinyTrain.tt_conv2d_grad_weight_f32$address(),
                    TinyTrain.tt_conv2d_grad_weight_f32$descriptor());
            depthwiseGradWeight = Downcall.of(TinyTrain.tt_depthwise_conv2d_grad_weight_f32$address(),
                    TinyTrain.tt_depthwise_conv2d_grad_weight_f32$descriptor());
            biasGrad = Downcall.of(TinyTrain.tt_bias_grad_f32$address(), TinyTrain.tt_bias_grad_f32$descriptor());
            sgdUpdateS8 = Downcall.of(TinyTrain.tt_sgd_update_s8$address(), TinyTrain.tt_sgd_update_s8$descriptor());
            sgdUpdateS32 = Downcall.of(TinyTrain.tt_sgd_update_s32$address(), TinyTrain.tt_sgd_update_s32$descriptor());
            convDepthwise = Downcall.of(TinyTrain.tt_conv_depthwise_s8$address(),
                    TinyTrain.tt_conv_depthwise_s8$descriptor());
            conv1x1InPlace = Downcall.of(TinyTrain.tt_conv2d_1x1_inplace_s8$address(),
                    TinyTrain.tt_conv2d_1x1_inplace_s8$descriptor());
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
        call(op, arena -> {
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
            return (int) call.pick(input, filter, bias, output).invokeExact(ctx, params, quant(arena, q),
                    inDims, input, fDims, filter, dims(arena, Dims.vector(out.c())), orNull(bias),
                    dims(arena, out), output);
        }, in, fd, out);
    }

    @Override
    public void fullyConnected(FcParams p, ChannelQuant q, Dims in, MemorySegment input, Dims fd,
                               MemorySegment filter, MemorySegment bias, Dims out, MemorySegment output) {
        KernelChecks.fullyConnected(p, q, in, input, fd, filter, bias, out, output);
        call("fully_connected", arena -> {
            MemorySegment params = tt_fc_params.allocate(arena);
            tt_fc_params.input_offset(params, p.inputOffset());
            tt_fc_params.output_offset(params, p.outputOffset());
            activation(tt_fc_params.activation(params), p.activation());
            MemorySegment fDims = dims(arena, fd);
            MemorySegment ctx = context(arena, (int) fcScratch.invokeExact(fDims));
            return (int) fullyConnected.pick(input, filter, bias, output).invokeExact(ctx, params,
                    quant(arena, q), dims(arena, in), input, fDims, filter, dims(arena, Dims.vector(out.c())),
                    orNull(bias), dims(arena, out), output);
        }, in, fd, out);
    }

    @Override
    public void add(AddParams p, Dims in1, MemorySegment input1, Dims in2, MemorySegment input2, Dims out,
                    MemorySegment output) {
        KernelChecks.add(p, in1, input1, in2, input2, out, output);
        call("add", arena -> {
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
            return (int) add.pick(input1, input2, output).invokeExact(params, dims(arena, in1), input1,
                    dims(arena, in2), input2, dims(arena, out), output);
        }, in1, in2, out);
    }

    @Override
    public void avgPool2d(PoolParams p, Dims in, MemorySegment input, Dims out, MemorySegment output) {
        KernelChecks.avgPool2d(p, in, input, out, output);
        call("avgpool2d", arena -> {
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
            return (int) avgPool.pick(input, output).invokeExact(ctx, params, dims(arena, in), input,
                    oDims, output);
        }, in, out);
    }

    @Override
    public void mean(MeanParams p, Dims in, MemorySegment input, Dims out, MemorySegment output) {
        KernelChecks.mean(p, in, input, out, output);
        call("mean", arena -> {
            MemorySegment params = tt_mean_params.allocate(arena);
            tt_mean_params.input_offset(params, p.inputOffset());
            tt_mean_params.output_offset(params, p.outputOffset());
            tt_mean_params.multiplier(params, p.multiplier());
            tt_mean_params.shift(params, p.shift());
            activation(tt_mean_params.activation(params), p.activation());
            return (int) mean.pick(input, output).invokeExact(params, dims(arena, in), input,
                    dims(arena, out), output);
        }, in, out);
    }

    @Override
    public int requantize(int value, int multiplier, int shift) {
        KernelChecks.requantize(multiplier, shift);
        return TinyTrain.tt_requantize(value, multiplier, shift);
    }

    // ---- training kernels --------------------------------------------------------------------

    @Override
    public void clampMask(Activation a, Dims dims, MemorySegment y, MemorySegment mask) {
        KernelChecks.clampMask(a, dims, y, mask);
        call("clamp_mask", arena -> {
            MemorySegment act = tt_activation.allocate(arena);
            activation(act, a);
            return (int) clampMask.pick(y, mask).invokeExact(act, dims(arena, dims), y, mask);
        }, dims);
    }

    @Override
    public void gatherChannels(Dims in, MemorySegment input, int[] channels, MemorySegment output) {
        KernelChecks.gatherChannels(in, input, channels, output);
        call("gather_channels", arena -> {
            return (int) gatherChannels.pick(input, output).invokeExact(dims(arena, in), input,
                    channels.length, arena.allocateFrom(ValueLayout.JAVA_INT, channels), output);
        }, in);
    }

    @Override
    public void softmaxXent(float scale, int zeroPoint, Dims d, MemorySegment logits, MemorySegment labels,
                            MemorySegment loss, MemorySegment grad) {
        KernelChecks.softmaxXent(scale, zeroPoint, d, logits, labels, loss, grad);
        call("softmax_xent", arena -> {
            return (int) softmaxXent.pick(logits, labels, loss, grad).invokeExact(scale, zeroPoint,
                    dims(arena, d), logits, labels, orNull(loss), grad);
        }, d);
    }

    @Override
    public void gradScaleMask(float[] scale, Dims d, MemorySegment grad, MemorySegment mask, MemorySegment out) {
        KernelChecks.gradScaleMask(scale, d, grad, mask, out);
        call("grad_scale_mask", arena -> {
            return (int) gradScaleMask.pick(grad, mask, out).invokeExact(floats(arena, scale), dims(arena, d),
                    grad, orNull(mask), out);
        }, d);
    }

    @Override
    public void meanGrad(float scale, Dims gd, MemorySegment grad, Dims od, MemorySegment output) {
        KernelChecks.meanGrad(scale, gd, grad, od, output);
        call("mean_grad", arena -> {
            return (int) meanGrad.pick(grad, output).invokeExact(scale, dims(arena, gd), grad, dims(arena, od),
                    output);
        }, gd, od);
    }

    @Override
    public void avgPoolGrad(PoolParams p, Dims gd, MemorySegment grad, Dims od, MemorySegment output) {
        KernelChecks.avgPoolGrad(p, gd, grad, od, output);
        call("avgpool2d_grad", arena -> {
            return (int) avgPoolGrad.pick(grad, output).invokeExact(pool(arena, p), dims(arena, gd), grad,
                    dims(arena, od), output);
        }, gd, od);
    }

    @Override
    public void addF32(Dims d, MemorySegment a, MemorySegment b, MemorySegment out) {
        KernelChecks.addF32(d, a, b, out);
        call("add_f32", arena -> {
            return (int) addF32.pick(a, b, out).invokeExact(dims(arena, d), a, b, out);
        }, d);
    }

    @Override
    public void conv2dGradInput(ConvParams p, Dims gd, MemorySegment grad, Dims fd, MemorySegment filter, Dims od,
                                MemorySegment output) {
        KernelChecks.conv2dGradInput(p, gd, grad, fd, filter, od, output);
        gradInput("conv2d_grad_input", conv2dGradInput, p, gd, grad, fd, filter, od, output);
    }

    @Override
    public void depthwiseConv2dGradInput(ConvParams p, Dims gd, MemorySegment grad, Dims fd, MemorySegment filter,
                                         Dims od, MemorySegment output) {
        KernelChecks.depthwiseConv2dGradInput(p, gd, grad, fd, filter, od, output);
        gradInput("depthwise_conv2d_grad_input", depthwiseGradInput, p, gd, grad, fd, filter, od, output);
    }

    private static void gradInput(String op, Downcall call, ConvParams p, Dims gd, MemorySegment grad, Dims fd,
                                  MemorySegment filter, Dims od, MemorySegment output) {
        call(op, arena -> {
            return (int) call.pick(grad, filter, output).invokeExact(conv(arena, p), dims(arena, gd), grad,
                    dims(arena, fd), filter, dims(arena, od), output);
        }, gd, fd, od);
    }

    @Override
    public void conv2dGradWeightUpdate(SgdParams sgd, ConvParams p, float[] qasScale, Dims gd, MemorySegment grad,
                                       Dims sd, MemorySegment saved, int[] channels, Dims fd, MemorySegment filter,
                                       SgdState state) {
        KernelChecks.conv2dGradWeightUpdate(sgd, p, qasScale, gd, grad, sd, saved, channels, fd, filter, state);
        weightUpdate("conv2d_grad_weight_update", conv2dWeightUpdate, sgd, p, qasScale, gd, grad, sd, saved,
                channels, fd, filter, state, (long) fd.n() * fd.h() * fd.w() * channels.length);
    }

    @Override
    public void depthwiseConv2dGradWeightUpdate(SgdParams sgd, ConvParams p, float[] qasScale, Dims gd,
                                                MemorySegment grad, Dims sd, MemorySegment saved, int[] channels,
                                                Dims fd, MemorySegment filter, SgdState state) {
        KernelChecks.depthwiseConv2dGradWeightUpdate(sgd, p, qasScale, gd, grad, sd, saved, channels, fd, filter,
                state);
        weightUpdate("depthwise_conv2d_grad_weight_update", depthwiseWeightUpdate, sgd, p, qasScale, gd, grad, sd,
                saved, channels, fd, filter, state, (long) fd.h() * fd.w() * channels.length);
    }

    private static void weightUpdate(String op, Downcall call, SgdParams sgd, ConvParams p, float[] qasScale, Dims gd,
                                     MemorySegment grad, Dims sd, MemorySegment saved, int[] channels, Dims fd,
                                     MemorySegment filter, SgdState state, long stateElements) {
        call(op, arena -> {
            NativeState ns = NativeState.of(arena, state, 4 * stateElements);
            int status = (int) call.pick(grad, saved, filter).invokeExact(sgd(arena, sgd), conv(arena, p),
                    floats(arena, qasScale), dims(arena, gd), grad, dims(arena, sd), saved, channels.length,
                    arena.allocateFrom(ValueLayout.JAVA_INT, channels), dims(arena, fd), filter, ns.struct());
            ns.copyBack();
            return status;
        }, gd, sd, fd);
    }

    @Override
    public void biasGradUpdate(SgdParams sgd, float[] qasScale, Dims gd, MemorySegment grad, Dims biasDims,
                               MemorySegment bias, SgdState state) {
        KernelChecks.biasGradUpdate(sgd, qasScale, gd, grad, biasDims, bias, state);
        call("bias_grad_update", arena -> {
            NativeState ns = NativeState.of(arena, state, 4L * gd.c());
            int status = (int) biasUpdate.pick(grad, bias).invokeExact(sgd(arena, sgd), floats(arena, qasScale),
                    dims(arena, gd), grad, dims(arena, biasDims), bias, ns.struct());
            ns.copyBack();
            return status;
        }, gd, biasDims);
    }

    // ---- kernels for the memory planner ------------------------------------------------------

    @Override
    public void conv2dGradWeight(ConvParams p, Dims gd, MemorySegment grad, Dims sd, MemorySegment saved,
                                 int[] channels, Dims fd, MemorySegment output) {
        KernelChecks.conv2dGradWeight(p, gd, grad, sd, saved, channels, fd, output);
        gradWeight("conv2d_grad_weight", conv2dGradWeight, p, gd, grad, sd, saved, channels, fd, output);
    }

    @Override
    public void depthwiseConv2dGradWeight(ConvParams p, Dims gd, MemorySegment grad, Dims sd, MemorySegment saved,
                                          int[] channels, Dims fd, MemorySegment output) {
        KernelChecks.depthwiseConv2dGradWeight(p, gd, grad, sd, saved, channels, fd, output);
        gradWeight("depthwise_conv2d_grad_weight", depthwiseGradWeight, p, gd, grad, sd, saved, channels, fd, output);
    }

    private static void gradWeight(String op, Downcall call, ConvParams p, Dims gd, MemorySegment grad, Dims sd,
                                   MemorySegment saved, int[] channels, Dims fd, MemorySegment output) {
        call(op, arena -> {
            return (int) call.pick(grad, saved, output).invokeExact(conv(arena, p), dims(arena, gd), grad,
                    dims(arena, sd), saved, channels.length, arena.allocateFrom(ValueLayout.JAVA_INT, channels),
                    dims(arena, fd), output);
        }, gd, sd, fd);
    }

    @Override
    public void biasGrad(Dims gd, MemorySegment grad, MemorySegment output) {
        KernelChecks.biasGrad(gd, grad, output);
        call("bias_grad", arena -> {
            return (int) biasGrad.pick(grad, output).invokeExact(dims(arena, gd), grad, output);
        }, gd);
    }

    @Override
    public void sgdUpdateWeights(SgdParams sgd, float[] qasScale, boolean depthwise, MemorySegment gradient,
                                 int[] channels, Dims fd, MemorySegment filter, SgdState state) {
        KernelChecks.sgdUpdateWeights(sgd, qasScale, depthwise, gradient, channels, fd, filter, state);
        long stateElements = KernelChecks.weightGradientElements(depthwise, channels, fd);
        call("sgd_update_weights", arena -> {
            NativeState ns = NativeState.of(arena, state, 4 * stateElements);
            int status = (int) sgdUpdateS8.pick(gradient, filter).invokeExact(sgd(arena, sgd),
                    floats(arena, qasScale), depthwise ? 1 : 0, gradient, channels.length,
                    arena.allocateFrom(ValueLayout.JAVA_INT, channels), dims(arena, fd), filter, ns.struct());
            ns.copyBack();
            return status;
        }, fd);
    }

    @Override
    public void sgdUpdateBias(SgdParams sgd, float[] qasScale, MemorySegment gradient, Dims biasDims,
                              MemorySegment bias, SgdState state) {
        KernelChecks.sgdUpdateBias(sgd, qasScale, gradient, biasDims, bias, state);
        call("sgd_update_bias", arena -> {
            NativeState ns = NativeState.of(arena, state, 4L * biasDims.c());
            int status = (int) sgdUpdateS32.pick(gradient, bias).invokeExact(sgd(arena, sgd),
                    floats(arena, qasScale), gradient, dims(arena, biasDims), bias, ns.struct());
            ns.copyBack();
            return status;
        }, biasDims);
    }

    @Override
    public void convDepthwise(ConvParams cp, ChannelQuant cq, Dims in, MemorySegment input, Dims cfd,
                              MemorySegment convFilter, MemorySegment convBias, Dims mid, ConvParams dp,
                              ChannelQuant dq, Dims dfd, MemorySegment dwFilter, MemorySegment dwBias, Dims out,
                              MemorySegment output, MemorySegment scratch) {
        KernelChecks.convDepthwise(cp, cq, in, input, cfd, convFilter, convBias, mid, dp, dq, dfd, dwFilter, dwBias,
                out, output, scratch);
        call("conv_depthwise", arena -> {
            MemorySegment vector = dims(arena, Dims.vector(mid.c()));
            return (int) convDepthwise.pick(input, convFilter, convBias, dwFilter, dwBias, output).invokeExact(
                    context(arena, scratch, KernelChecks.convDepthwiseScratchBytes(mid)), conv(arena, cp),
                    quant(arena, cq), conv(arena, dp), quant(arena, dq), dims(arena, in), input, dims(arena, cfd),
                    convFilter, vector, orNull(convBias), dims(arena, mid), dims(arena, dfd), dwFilter, vector,
                    orNull(dwBias), dims(arena, out), output);
        }, in, cfd, mid, dfd, out);
    }

    @Override
    public void conv2d1x1InPlace(ConvParams p, ChannelQuant q, Dims in, Dims fd, MemorySegment filter,
                                 MemorySegment bias, Dims out, MemorySegment region, MemorySegment scratch) {
        KernelChecks.conv2d1x1InPlace(p, q, in, fd, filter, bias, out, region, scratch);
        call("conv2d_1x1_inplace", arena -> {
            return (int) conv1x1InPlace.pick(filter, bias, region).invokeExact(
                    context(arena, scratch, KernelChecks.conv2d1x1InPlaceScratchBytes(in)), conv(arena, p),
                    quant(arena, q), dims(arena, in), dims(arena, fd), filter, dims(arena, Dims.vector(out.c())),
                    orNull(bias), dims(arena, out), region);
        }, in, fd, out);
    }

    /**
     * A {@code tt_context} over the caller's scratch. A struct cannot point into the Java heap, so a heap
     * scratch is replaced by native memory of the same size for the call (its contents are the kernel's own:
     * nothing to copy in or out).
     */
    private static MemorySegment context(Arena arena, MemorySegment scratch, long bytes) {
        MemorySegment ctx = tt_context.allocate(arena);
        tt_context.buf(ctx, scratch.isNative() ? scratch : arena.allocate(bytes, 16));
        tt_context.size(ctx, (int) Math.min(Integer.MAX_VALUE, scratch.isNative() ? scratch.byteSize() : bytes));
        return ctx;
    }

    /**
     * A {@code tt_sgd_state} struct. A struct cannot point into the Java heap, so heap buffers are
     * copied to native memory for the call and back afterwards; native buffers are passed as they are.
     */
    private record NativeState(MemorySegment struct, MemorySegment[] heap, MemorySegment[] copies) {

        static NativeState of(Arena arena, SgdState state, long bytes) {
            MemorySegment velocity = state == null ? null : state.velocity();
            MemorySegment master = state == null ? null : state.master();
            MemorySegment[] heap = {velocity, master};
            MemorySegment[] copies = new MemorySegment[2];
            for (int i = 0; i < 2; i++) {
                if (heap[i] == null) {
                    copies[i] = MemorySegment.NULL;
                } else if (heap[i].isNative()) {
                    copies[i] = heap[i];
                    heap[i] = null;
                } else {
                    copies[i] = arena.allocate(bytes, 4).copyFrom(heap[i].asSlice(0, bytes));
                }
            }
            MemorySegment struct = tt_sgd_state.allocate(arena);
            tt_sgd_state.velocity(struct, copies[0]);
            tt_sgd_state.master(struct, copies[1]);
            return new NativeState(struct, heap, copies);
        }

        void copyBack() {
            for (int i = 0; i < 2; i++) {
                if (heap[i] != null) {
                    heap[i].asSlice(0, copies[i].byteSize()).copyFrom(copies[i]);
                }
            }
        }
    }

    /** A kernel call's body: marshals into {@code arena}, downcalls, returns the status. */
    @FunctionalInterface
    private interface Body {
        int run(Arena arena) throws Throwable;
    }

    /** Runs {@code body} with a confined arena for its structs; a non-OK status becomes a typed exception. */
    private static void call(String op, Body body, Dims... shapes) {
        int status;
        try (Arena arena = Arena.ofConfined()) {
            status = body.run(arena);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(op + ": downcall failed", t);
        }
        check(op, status, shapes);
    }

    // ---- marshalling -----------------------------------------------------------------------

    private static MemorySegment sgd(Arena arena, SgdParams p) {
        MemorySegment s = tt_sgd_params.allocate(arena);
        tt_sgd_params.lr(s, p.lr());
        tt_sgd_params.momentum(s, p.momentum());
        tt_sgd_params.rounding(s, p.rounding().ordinal());
        tt_sgd_params.seed(s, p.seed());
        tt_sgd_params.step(s, p.step());
        tt_sgd_params.tensor_id(s, p.tensorId());
        return s;
    }

    private static MemorySegment conv(Arena arena, ConvParams p) {
        MemorySegment params = tt_conv_params.allocate(arena);
        tt_conv_params.input_offset(params, p.inputOffset());
        tt_conv_params.output_offset(params, p.outputOffset());
        tt_conv_params.stride_h(params, p.strideH());
        tt_conv_params.stride_w(params, p.strideW());
        tt_conv_params.pad_h(params, p.padH());
        tt_conv_params.pad_w(params, p.padW());
        activation(tt_conv_params.activation(params), p.activation());
        return params;
    }

    private static MemorySegment pool(Arena arena, PoolParams p) {
        MemorySegment params = tt_pool_params.allocate(arena);
        tt_pool_params.filter_h(params, p.filterH());
        tt_pool_params.filter_w(params, p.filterW());
        tt_pool_params.stride_h(params, p.strideH());
        tt_pool_params.stride_w(params, p.strideW());
        tt_pool_params.pad_h(params, p.padH());
        tt_pool_params.pad_w(params, p.padW());
        activation(tt_pool_params.activation(params), p.activation());
        return params;
    }

    private static MemorySegment floats(Arena arena, float[] values) {
        return values == null ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_FLOAT, values);
    }

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
