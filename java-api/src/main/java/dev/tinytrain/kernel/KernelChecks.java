package dev.tinytrain.kernel;

import dev.tinytrain.tensor.Dims;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Argument checks shared by every backend, run in Java before any kernel touches memory, so
 * that a wrong shape, a short buffer, a null or an out-of-range parameter is an exception that
 * names the argument and the expected value, never a crash in native code.
 */
public final class KernelChecks {

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    private KernelChecks() {
    }

    public static void conv2d(ConvParams p, ChannelQuant q, Dims in, MemorySegment input, Dims filter,
                              MemorySegment filterData, MemorySegment bias, Dims out, MemorySegment output) {
        String op = "conv2d";
        notNull(op, "params", p);
        notNull(op, "quant", q);
        dims(op, in, filter, out);
        equal(op, "filter dims.c (input channels)", in.c(), filter.c());
        equal(op, "output dims.c", filter.n(), out.c());
        equal(op, "output dims.n (batch)", in.n(), out.n());
        convCommon(op, p, q, in, input, filter, filterData, bias, out, output, filter.n());
    }

    public static void depthwiseConv2d(ConvParams p, ChannelQuant q, Dims in, MemorySegment input, Dims filter,
                                       MemorySegment filterData, MemorySegment bias, Dims out, MemorySegment output) {
        String op = "depthwise_conv2d";
        notNull(op, "params", p);
        notNull(op, "quant", q);
        dims(op, in, filter, out);
        equal(op, "filter dims.n (depth multiplier layout 1HWC)", 1, filter.n());
        equal(op, "filter dims.c", in.c(), filter.c());
        equal(op, "output dims.c", in.c(), out.c());
        equal(op, "output dims.n (batch)", in.n(), out.n());
        convCommon(op, p, q, in, input, filter, filterData, bias, out, output, in.c());
    }

    public static void fullyConnected(FcParams p, ChannelQuant q, Dims in, MemorySegment input, Dims filter,
                                      MemorySegment filterData, MemorySegment bias, Dims out, MemorySegment output) {
        String op = "fully_connected";
        notNull(op, "params", p);
        notNull(op, "quant", q);
        dims(op, in, filter, out);
        if (filter.h() != 1 || filter.w() != 1) {
            throw new KernelArgumentException(op, "filter dims", "[out,1,1,in]", filter.toString());
        }
        if (filter.c() != in.rowElements()) {
            throw new KernelArgumentException(op, "filter dims.c (input features)",
                    Long.toString(in.rowElements()) + " (input h*w*c)", Integer.toString(filter.c()));
        }
        Dims expectedOut = Dims.of(in.n(), 1, 1, filter.n());
        if (!out.equals(expectedOut)) {
            throw new KernelArgumentException(op, "output dims", expectedOut.toString(), out.toString());
        }
        offsets(op, p.inputOffset(), p.outputOffset());
        quant(op, q, filter.n());
        segments(op, in, input, filter, filterData, bias, filter.n(), out, output);
    }

    public static void add(AddParams p, Dims in1, MemorySegment input1, Dims in2, MemorySegment input2,
                           Dims out, MemorySegment output) {
        String op = "add";
        notNull(op, "params", p);
        notNull(op, "input1 dims", in1);
        notNull(op, "input2 dims", in2);
        notNull(op, "output dims", out);
        if (!in1.equals(in2)) {
            throw new KernelArgumentException(op, "input2 dims", in1 + " (same as input1)", in2.toString());
        }
        if (!in1.equals(out)) {
            throw new KernelArgumentException(op, "output dims", in1 + " (same as inputs)", out.toString());
        }
        range(op, "params.input1Offset", p.input1Offset(), -127, 128);
        range(op, "params.input2Offset", p.input2Offset(), -127, 128);
        range(op, "params.outputOffset", p.outputOffset(), -128, 127);
        range(op, "params.leftShift", p.leftShift(), 0, 22);
        multiplier(op, "params.input1Multiplier", p.input1Multiplier());
        multiplier(op, "params.input2Multiplier", p.input2Multiplier());
        multiplier(op, "params.outputMultiplier", p.outputMultiplier());
        range(op, "params.input1Shift", p.input1Shift(), -31, 0);
        range(op, "params.input2Shift", p.input2Shift(), -31, 0);
        range(op, "params.outputShift", p.outputShift(), -31, 30);
        segment(op, "input1", input1, in1.elements(), false);
        segment(op, "input2", input2, in2.elements(), false);
        segment(op, "output", output, out.elements(), true);
    }

    public static void avgPool2d(PoolParams p, Dims in, MemorySegment input, Dims out, MemorySegment output) {
        String op = "avgpool2d";
        notNull(op, "params", p);
        notNull(op, "input dims", in);
        notNull(op, "output dims", out);
        equal(op, "output dims.n (batch)", in.n(), out.n());
        equal(op, "output dims.c", in.c(), out.c());
        window(op, "h", in.h(), out.h(), p.filterH(), p.strideH(), p.padH());
        window(op, "w", in.w(), out.w(), p.filterW(), p.strideW(), p.padW());
        if ((long) p.filterH() * p.filterW() > (1 << 24)) {
            throw new KernelArgumentException(op, "params.filter", "filterH*filterW <= 2^24 (int32 sum)",
                    p.filterH() + "x" + p.filterW());
        }
        segment(op, "input", input, in.elements(), false);
        segment(op, "output", output, out.elements(), true);
    }

    public static void mean(MeanParams p, Dims in, MemorySegment input, Dims out, MemorySegment output) {
        String op = "mean";
        notNull(op, "params", p);
        notNull(op, "input dims", in);
        notNull(op, "output dims", out);
        Dims expectedOut = Dims.of(in.n(), 1, 1, in.c());
        if (!out.equals(expectedOut)) {
            throw new KernelArgumentException(op, "output dims", expectedOut.toString(), out.toString());
        }
        if (in.h() * (long) in.w() > (1 << 24)) {
            throw new KernelArgumentException(op, "input dims", "h*w <= 2^24 (int32 sum)", in.toString());
        }
        range(op, "params.inputOffset (minus the input zero point)", p.inputOffset(), -127, 128);
        range(op, "params.outputOffset (the output zero point)", p.outputOffset(), -128, 127);
        multiplier(op, "params.multiplier", p.multiplier());
        range(op, "params.shift", p.shift(), -31, 30);
        segment(op, "input", input, in.elements(), false);
        segment(op, "output", output, out.elements(), true);
    }

    public static void requantize(int multiplier, int shift) {
        multiplier("requantize", "multiplier", multiplier);
        range("requantize", "shift", shift, -31, 30);
    }

    // ---- training kernels ------------------------------------------------------------------

    public static void clampMask(Activation a, Dims dims, MemorySegment y, MemorySegment mask) {
        String op = "clamp_mask";
        notNull(op, "activation", a);
        notNull(op, "dims", dims);
        segment(op, "y", y, dims.elements(), false);
        segment(op, "mask", mask, maskBytes(dims), true);
    }

    public static void gatherChannels(Dims in, MemorySegment input, int[] channels, MemorySegment output) {
        String op = "gather_channels";
        notNull(op, "input dims", in);
        channels(op, channels, in.c());
        segment(op, "input", input, in.elements(), false);
        segment(op, "output", output, (long) in.n() * in.h() * in.w() * channels.length, true);
    }

    public static void softmaxXent(float scale, int zeroPoint, Dims logitsDims, MemorySegment logits,
                                   MemorySegment labels, MemorySegment loss, MemorySegment grad) {
        String op = "softmax_xent";
        notNull(op, "logits dims", logitsDims);
        if (logitsDims.h() != 1 || logitsDims.w() != 1) {
            throw new KernelArgumentException(op, "logits dims", "[n,1,1,classes]", logitsDims.toString());
        }
        positiveFinite(op, "scale", scale);
        range(op, "zeroPoint", zeroPoint, -128, 127);
        segment(op, "logits", logits, logitsDims.elements(), false);
        segment(op, "labels", labels, 4L * logitsDims.n(), false);
        if (loss != null) {
            segment(op, "loss", loss, 4L * logitsDims.n(), true);
        }
        segment(op, "grad", grad, 4 * logitsDims.elements(), true);
        for (int b = 0; b < logitsDims.n(); b++) {
            range(op, "labels[" + b + "]", labels.get(I32, 4L * b), 0, logitsDims.c() - 1);
        }
    }

    public static void gradScaleMask(float[] scale, Dims dims, MemorySegment grad, MemorySegment mask,
                                     MemorySegment out) {
        String op = "grad_scale_mask";
        notNull(op, "dims", dims);
        notNull(op, "scale", scale);
        equal(op, "scale.length (channels)", dims.c(), scale.length);
        segment(op, "grad", grad, 4 * dims.elements(), false);
        if (mask != null) {
            segment(op, "mask", mask, maskBytes(dims), false);
        }
        segment(op, "out", out, 4 * dims.elements(), true);
    }

    public static void meanGrad(float scale, Dims gradDims, MemorySegment grad, Dims outputDims,
                                MemorySegment output) {
        String op = "mean_grad";
        notNull(op, "grad dims", gradDims);
        notNull(op, "output dims", outputDims);
        Dims expected = Dims.of(outputDims.n(), 1, 1, outputDims.c());
        if (!gradDims.equals(expected)) {
            throw new KernelArgumentException(op, "grad dims", expected + " (output n and c)", gradDims.toString());
        }
        if ((long) outputDims.h() * outputDims.w() > (1 << 24)) {
            throw new KernelArgumentException(op, "output dims", "h*w <= 2^24 (exact as a float)", outputDims.toString());
        }
        positiveFinite(op, "scale", scale);
        segment(op, "grad", grad, 4 * gradDims.elements(), false);
        segment(op, "output", output, 4 * outputDims.elements(), true);
    }

    public static void avgPoolGrad(PoolParams p, Dims gradDims, MemorySegment grad, Dims outputDims,
                                   MemorySegment output) {
        String op = "avgpool2d_grad";
        notNull(op, "params", p);
        notNull(op, "grad dims", gradDims);
        notNull(op, "output dims", outputDims);
        equal(op, "grad dims.n (batch)", outputDims.n(), gradDims.n());
        equal(op, "grad dims.c", outputDims.c(), gradDims.c());
        window(op, "h", outputDims.h(), gradDims.h(), p.filterH(), p.strideH(), p.padH());
        window(op, "w", outputDims.w(), gradDims.w(), p.filterW(), p.strideW(), p.padW());
        if ((long) p.filterH() * p.filterW() > (1 << 24)) {
            throw new KernelArgumentException(op, "params.filter", "filterH*filterW <= 2^24 (exact as a float)",
                    p.filterH() + "x" + p.filterW());
        }
        segment(op, "grad", grad, 4 * gradDims.elements(), false);
        segment(op, "output", output, 4 * outputDims.elements(), true);
    }

    public static void addF32(Dims dims, MemorySegment a, MemorySegment b, MemorySegment out) {
        String op = "add_f32";
        notNull(op, "dims", dims);
        segment(op, "a", a, 4 * dims.elements(), false);
        segment(op, "b", b, 4 * dims.elements(), false);
        segment(op, "out", out, 4 * dims.elements(), true);
    }

    public static void conv2dGradInput(ConvParams p, Dims gradDims, MemorySegment grad, Dims filterDims,
                                       MemorySegment filter, Dims outputDims, MemorySegment output) {
        String op = "conv2d_grad_input";
        gradInputCommon(op, p, gradDims, filterDims, outputDims);
        equal(op, "grad dims.c (filter output channels)", filterDims.n(), gradDims.c());
        equal(op, "output dims.c (filter input channels)", filterDims.c(), outputDims.c());
        gradInputSegments(op, p, gradDims, grad, filterDims, filter, outputDims, output);
    }

    public static void depthwiseConv2dGradInput(ConvParams p, Dims gradDims, MemorySegment grad, Dims filterDims,
                                                MemorySegment filter, Dims outputDims, MemorySegment output) {
        String op = "depthwise_conv2d_grad_input";
        gradInputCommon(op, p, gradDims, filterDims, outputDims);
        equal(op, "filter dims.n (depth multiplier layout 1HWC)", 1, filterDims.n());
        equal(op, "filter dims.c", outputDims.c(), filterDims.c());
        equal(op, "grad dims.c", outputDims.c(), gradDims.c());
        gradInputSegments(op, p, gradDims, grad, filterDims, filter, outputDims, output);
    }

    public static void conv2dGradWeightUpdate(SgdParams sgd, ConvParams p, float[] qasScale, Dims gradDims,
                                              MemorySegment grad, Dims savedDims, MemorySegment saved,
                                              int[] channels, Dims filterDims, MemorySegment filter,
                                              SgdState state) {
        String op = "conv2d_grad_weight_update";
        weightUpdateCommon(op, sgd, p, gradDims, savedDims, channels, filterDims);
        equal(op, "grad dims.c (filter output channels)", filterDims.n(), gradDims.c());
        if (qasScale != null) {
            equal(op, "qasScale.length (output channels)", filterDims.n(), qasScale.length);
        }
        segment(op, "grad", grad, 4 * gradDims.elements(), false);
        segment(op, "saved", saved, savedDims.elements(), false);
        segment(op, "filter", filter, filterDims.elements(), true);
        sgdState(op, sgd, state, (long) filterDims.n() * filterDims.h() * filterDims.w() * channels.length);
    }

    public static void depthwiseConv2dGradWeightUpdate(SgdParams sgd, ConvParams p, float[] qasScale, Dims gradDims,
                                                       MemorySegment grad, Dims savedDims, MemorySegment saved,
                                                       int[] channels, Dims filterDims, MemorySegment filter,
                                                       SgdState state) {
        String op = "depthwise_conv2d_grad_weight_update";
        weightUpdateCommon(op, sgd, p, gradDims, savedDims, channels, filterDims);
        equal(op, "filter dims.n (depth multiplier layout 1HWC)", 1, filterDims.n());
        equal(op, "grad dims.c", filterDims.c(), gradDims.c());
        if (qasScale != null) {
            equal(op, "qasScale.length (channels)", filterDims.c(), qasScale.length);
        }
        segment(op, "grad", grad, 4 * gradDims.elements(), false);
        segment(op, "saved", saved, savedDims.elements(), false);
        segment(op, "filter", filter, filterDims.elements(), true);
        sgdState(op, sgd, state, (long) filterDims.h() * filterDims.w() * channels.length);
    }

    public static void biasGradUpdate(SgdParams sgd, float[] qasScale, Dims gradDims, MemorySegment grad,
                                      Dims biasDims, MemorySegment bias, SgdState state) {
        String op = "bias_grad_update";
        notNull(op, "sgd", sgd);
        notNull(op, "grad dims", gradDims);
        notNull(op, "bias dims", biasDims);
        if (!biasDims.equals(Dims.vector(gradDims.c()))) {
            throw new KernelArgumentException(op, "bias dims", Dims.vector(gradDims.c()) + " (grad channels)",
                    biasDims.toString());
        }
        if (qasScale != null) {
            equal(op, "qasScale.length (channels)", gradDims.c(), qasScale.length);
        }
        segment(op, "grad", grad, 4 * gradDims.elements(), false);
        segment(op, "bias", bias, 4L * gradDims.c(), true);
        sgdState(op, sgd, state, gradDims.c());
    }

    // ---- kernels for the memory planner ------------------------------------------------------

    public static void conv2dGradWeight(ConvParams p, Dims gradDims, MemorySegment grad, Dims savedDims,
                                        MemorySegment saved, int[] channels, Dims filterDims, MemorySegment output) {
        String op = "conv2d_grad_weight";
        gradWeightCommon(op, p, gradDims, savedDims, channels, filterDims);
        equal(op, "grad dims.c (filter output channels)", filterDims.n(), gradDims.c());
        segment(op, "grad", grad, 4 * gradDims.elements(), false);
        segment(op, "saved", saved, savedDims.elements(), false);
        segment(op, "output", output, 4 * weightGradientElements(false, channels, filterDims), true);
    }

    public static void depthwiseConv2dGradWeight(ConvParams p, Dims gradDims, MemorySegment grad, Dims savedDims,
                                                 MemorySegment saved, int[] channels, Dims filterDims,
                                                 MemorySegment output) {
        String op = "depthwise_conv2d_grad_weight";
        gradWeightCommon(op, p, gradDims, savedDims, channels, filterDims);
        equal(op, "filter dims.n (depth multiplier layout 1HWC)", 1, filterDims.n());
        equal(op, "grad dims.c", filterDims.c(), gradDims.c());
        segment(op, "grad", grad, 4 * gradDims.elements(), false);
        segment(op, "saved", saved, savedDims.elements(), false);
        segment(op, "output", output, 4 * weightGradientElements(true, channels, filterDims), true);
    }

    public static void biasGrad(Dims gradDims, MemorySegment grad, MemorySegment output) {
        String op = "bias_grad";
        notNull(op, "grad dims", gradDims);
        segment(op, "grad", grad, 4 * gradDims.elements(), false);
        segment(op, "output", output, 4L * gradDims.c(), true);
    }

    public static void sgdUpdateWeights(SgdParams sgd, float[] qasScale, boolean depthwise, MemorySegment gradient,
                                        int[] channels, Dims filterDims, MemorySegment filter, SgdState state) {
        String op = "sgd_update_weights";
        notNull(op, "sgd", sgd);
        notNull(op, "filter dims", filterDims);
        channels(op, channels, filterDims.c());
        if (depthwise) {
            equal(op, "filter dims.n (depth multiplier layout 1HWC)", 1, filterDims.n());
        }
        if (qasScale != null) {
            if (depthwise) {
                equal(op, "qasScale.length (channels)", filterDims.c(), qasScale.length);
            } else {
                equal(op, "qasScale.length (output channels)", filterDims.n(), qasScale.length);
            }
        }
        long elements = weightGradientElements(depthwise, channels, filterDims);
        segment(op, "gradient", gradient, 4 * elements, false);
        segment(op, "filter", filter, filterDims.elements(), true);
        sgdState(op, sgd, state, elements);
    }

    public static void sgdUpdateBias(SgdParams sgd, float[] qasScale, MemorySegment gradient, Dims biasDims,
                                     MemorySegment bias, SgdState state) {
        String op = "sgd_update_bias";
        notNull(op, "sgd", sgd);
        notNull(op, "bias dims", biasDims);
        if (!biasDims.equals(Dims.vector(biasDims.c()))) {
            throw new KernelArgumentException(op, "bias dims", "[1,1,1,c]", biasDims.toString());
        }
        if (qasScale != null) {
            equal(op, "qasScale.length (channels)", biasDims.c(), qasScale.length);
        }
        segment(op, "gradient", gradient, 4L * biasDims.c(), false);
        segment(op, "bias", bias, 4L * biasDims.c(), true);
        sgdState(op, sgd, state, biasDims.c());
    }

    /** Floats of a stored weight gradient (and of its SGD state): [filter n or 1][kh][kw][channels]. */
    public static long weightGradientElements(boolean depthwise, int[] channels, Dims filterDims) {
        return (depthwise ? 1L : filterDims.n()) * filterDims.h() * filterDims.w() * channels.length;
    }

    public static void convDepthwise(ConvParams cp, ChannelQuant cq, Dims in, MemorySegment input, Dims convFilter,
                                     MemorySegment convFilterData, MemorySegment convBias, Dims mid, ConvParams dp,
                                     ChannelQuant dq, Dims dwFilter, MemorySegment dwFilterData, MemorySegment dwBias,
                                     Dims out, MemorySegment output, MemorySegment scratch) {
        String op = "conv_depthwise";
        notNull(op, "convParams", cp);
        notNull(op, "convQuant", cq);
        notNull(op, "dwParams", dp);
        notNull(op, "dwQuant", dq);
        notNull(op, "input dims", in);
        notNull(op, "conv filter dims", convFilter);
        notNull(op, "intermediate dims", mid);
        notNull(op, "dw filter dims", dwFilter);
        notNull(op, "output dims", out);
        equal(op, "conv filter dims.c (input channels)", in.c(), convFilter.c());
        equal(op, "intermediate dims.n (batch)", in.n(), mid.n());
        equal(op, "intermediate dims.c (conv filter output channels)", convFilter.n(), mid.c());
        equal(op, "dw filter dims.n (depth multiplier layout 1HWC)", 1, dwFilter.n());
        equal(op, "dw filter dims.c (intermediate channels)", mid.c(), dwFilter.c());
        equal(op, "output dims.c (intermediate channels)", mid.c(), out.c());
        equal(op, "output dims.n (batch)", in.n(), out.n());
        if (mid.elements() > Integer.MAX_VALUE) {
            throw new KernelArgumentException(op, "intermediate dims", "at most 2^31 - 1 elements", mid.toString());
        }
        range(op, "convParams.inputOffset (minus the input zero point)", cp.inputOffset(), -127, 128);
        range(op, "convParams.outputOffset (the intermediate zero point)", cp.outputOffset(), -128, 127);
        range(op, "dwParams.inputOffset (minus the intermediate zero point)", dp.inputOffset(), -127, 128);
        range(op, "dwParams.outputOffset (the output zero point)", dp.outputOffset(), -128, 127);
        window(op, "conv ", "h", "intermediate dims.h", in.h(), mid.h(), convFilter.h(), cp.strideH(), cp.padH());
        window(op, "conv ", "w", "intermediate dims.w", in.w(), mid.w(), convFilter.w(), cp.strideW(), cp.padW());
        window(op, "dw ", "h", "output dims.h", mid.h(), out.h(), dwFilter.h(), dp.strideH(), dp.padH());
        window(op, "dw ", "w", "output dims.w", mid.w(), out.w(), dwFilter.w(), dp.strideW(), dp.padW());
        quant(op, "convQuant", cq, mid.c());
        quant(op, "dwQuant", dq, mid.c());
        segment(op, "input", input, in.elements(), false);
        segment(op, "convFilter", convFilterData, convFilter.elements(), false);
        if (convBias != null) {
            segment(op, "convBias", convBias, 4L * mid.c(), false);
        }
        segment(op, "dwFilter", dwFilterData, dwFilter.elements(), false);
        if (dwBias != null) {
            segment(op, "dwBias", dwBias, 4L * mid.c(), false);
        }
        segment(op, "output", output, out.elements(), true);
        long scratchBytes = convDepthwiseScratchBytes(mid);
        segment(op, "scratch", scratch, scratchBytes, true);
        disjoint(op, "output", output, out.elements(), "input", input, in.elements());
        disjoint(op, "scratch", scratch, scratchBytes, "input", input, in.elements());
        disjoint(op, "scratch", scratch, scratchBytes, "output", output, out.elements());
    }

    /**
     * The intermediate dims [n, H1, W1, C1] of a fused conv + depthwise: the one size per axis that the conv's
     * window (input to H1) and the depthwise's window (H1 to output) both accept. A 1x1 conv always has exactly
     * one; for a kxk conv several sizes often fit (the window rule admits every output from the first window to
     * the last one starting inside the input), and then the caller must say which.
     *
     * @throws KernelArgumentException naming {@code intermediate dims} when no size or more than one fits
     */
    public static Dims convDepthwiseIntermediate(Dims inputDims, Dims convFilterDims, ConvParams convParams,
                                                 Dims dwFilterDims, ConvParams dwParams, Dims outputDims) {
        String op = "conv_depthwise";
        notNull(op, "input dims", inputDims);
        notNull(op, "conv filter dims", convFilterDims);
        notNull(op, "convParams", convParams);
        notNull(op, "dw filter dims", dwFilterDims);
        notNull(op, "dwParams", dwParams);
        notNull(op, "output dims", outputDims);
        int h = intermediateSize(op, "h", inputDims.h(), convFilterDims.h(), convParams.strideH(), convParams.padH(),
                dwFilterDims.h(), dwParams.strideH(), dwParams.padH(), outputDims.h());
        int w = intermediateSize(op, "w", inputDims.w(), convFilterDims.w(), convParams.strideW(), convParams.padW(),
                dwFilterDims.w(), dwParams.strideW(), dwParams.padW(), outputDims.w());
        return Dims.of(inputDims.n(), h, w, convFilterDims.n());
    }

    private static int intermediateSize(String op, String axis, int in, int k, int stride, int pad, int dk,
                                        int dStride, int dPad, int out) {
        range(op, "conv stride_" + axis, stride, 1, Integer.MAX_VALUE);
        range(op, "conv filter " + axis, k, 1, Integer.MAX_VALUE);
        range(op, "conv pad_" + axis, pad, 0, k - 1);
        List<Integer> fits = new ArrayList<>();
        for (long m = Windows.minOutput(in, k, stride, pad); m <= Windows.maxOutput(in, stride, pad); m++) {
            if (Windows.problem((int) m, out, dk, dStride, dPad) == null) {
                fits.add((int) m);
            }
        }
        if (fits.size() != 1) {
            throw new KernelArgumentException(op, "intermediate dims." + axis,
                    "exactly one size that both the conv window (input " + in + ", filter " + k + ", stride " + stride
                            + ", pad " + pad + ") and the depthwise window (filter " + dk + ", stride " + dStride
                            + ", pad " + dPad + ", output " + out + ") accept; pass the intermediate dims explicitly",
                    fits.isEmpty() ? "none" : "several: " + fits);
        }
        return fits.getFirst();
    }

    /** Scratch bytes of {@code tt_conv_depthwise_s8} for this intermediate: one channel plane, H1 * W1. */
    public static long convDepthwiseScratchBytes(Dims intermediateDims) {
        notNull("conv_depthwise", "intermediate dims", intermediateDims);
        return (long) intermediateDims.h() * intermediateDims.w();
    }

    /**
     * An upper bound of the scratch bytes of a fused conv + depthwise from the conv alone: the largest
     * H1 * W1 its window admits. Exact for 1x1 convs (their output size is unique), at most one row and one
     * column more than {@link #convDepthwiseScratchBytes(Dims)} otherwise.
     */
    public static long convDepthwiseScratchBytes(Dims inputDims, Dims convFilterDims, ConvParams convParams) {
        String op = "conv_depthwise";
        notNull(op, "input dims", inputDims);
        notNull(op, "conv filter dims", convFilterDims);
        notNull(op, "convParams", convParams);
        range(op, "conv stride_h", convParams.strideH(), 1, Integer.MAX_VALUE);
        range(op, "conv stride_w", convParams.strideW(), 1, Integer.MAX_VALUE);
        return Windows.maxOutput(inputDims.h(), convParams.strideH(), convParams.padH())
                * Windows.maxOutput(inputDims.w(), convParams.strideW(), convParams.padW());
    }

    public static void conv2d1x1InPlace(ConvParams p, ChannelQuant q, Dims in, Dims filter, MemorySegment filterData,
                                        MemorySegment bias, Dims out, MemorySegment region, MemorySegment scratch) {
        String op = "conv2d_1x1_inplace";
        notNull(op, "params", p);
        notNull(op, "quant", q);
        dims(op, in, filter, out);
        if (filter.h() != 1 || filter.w() != 1) {
            throw new KernelArgumentException(op, "filter dims", "[out,1,1,in] (a pointwise conv)", filter.toString());
        }
        equal(op, "filter dims.c (input channels)", in.c(), filter.c());
        equal(op, "output dims.c", filter.n(), out.c());
        if (out.n() != in.n() || out.h() != in.h() || out.w() != in.w()) {
            throw new KernelArgumentException(op, "output dims", "[" + in.n() + "," + in.h() + "," + in.w() + ","
                    + filter.n() + "] (the input's n, h, w)", out.toString());
        }
        range(op, "params.strideH", p.strideH(), 1, 1);
        range(op, "params.strideW", p.strideW(), 1, 1);
        range(op, "params.padH", p.padH(), 0, 0);
        range(op, "params.padW", p.padW(), 0, 0);
        offsets(op, p.inputOffset(), p.outputOffset());
        quant(op, q, filter.n());
        if (out.elements() > Integer.MAX_VALUE) {
            throw new KernelArgumentException(op, "output dims", "at most 2^31 - 1 elements", out.toString());
        }
        segment(op, "filter", filterData, filter.elements(), false);
        if (bias != null) {
            segment(op, "bias", bias, 4L * filter.n(), false);
        }
        long regionBytes = conv2d1x1InPlaceRegionBytes(in, out);
        segment(op, "region", region, regionBytes, true);
        segment(op, "scratch", scratch, conv2d1x1InPlaceScratchBytes(in), true);
        disjoint(op, "scratch", scratch, in.c(), "region", region, regionBytes);
    }

    /** Scratch bytes of {@code tt_conv2d_1x1_inplace_s8}: one input pixel, Cin. */
    public static long conv2d1x1InPlaceScratchBytes(Dims inputDims) {
        notNull("conv2d_1x1_inplace", "input dims", inputDims);
        return inputDims.c();
    }

    /** Bytes of the shared region of an in-place pointwise conv: max(input bytes, output bytes). */
    public static long conv2d1x1InPlaceRegionBytes(Dims inputDims, Dims outputDims) {
        notNull("conv2d_1x1_inplace", "input dims", inputDims);
        notNull("conv2d_1x1_inplace", "output dims", outputDims);
        return Math.max(inputDims.elements(), outputDims.elements());
    }

    /**
     * Where the input sits in the region of an in-place pointwise conv (the output always starts at 0):
     * output bytes - input bytes when the conv widens, so the input ends where the output ends; else 0.
     */
    public static long conv2d1x1InPlaceInputOffset(Dims inputDims, Dims outputDims) {
        notNull("conv2d_1x1_inplace", "input dims", inputDims);
        notNull("conv2d_1x1_inplace", "output dims", outputDims);
        return Math.max(0, outputDims.elements() - inputDims.elements());
    }

    private static void gradWeightCommon(String op, ConvParams p, Dims gradDims, Dims savedDims, int[] channels,
                                         Dims filterDims) {
        notNull(op, "params", p);
        notNull(op, "grad dims", gradDims);
        notNull(op, "saved dims", savedDims);
        notNull(op, "filter dims", filterDims);
        channels(op, channels, filterDims.c());
        equal(op, "saved dims.c (trained channels)", channels.length, savedDims.c());
        equal(op, "saved dims.n (batch)", gradDims.n(), savedDims.n());
        range(op, "params.inputOffset (minus the input zero point)", p.inputOffset(), -127, 128);
        window(op, "h", savedDims.h(), gradDims.h(), filterDims.h(), p.strideH(), p.padH());
        window(op, "w", savedDims.w(), gradDims.w(), filterDims.w(), p.strideW(), p.padW());
    }

    /** The first {@code aBytes} of a and the first {@code bBytes} of b share no byte (same array or same address range). */
    private static void disjoint(String op, String aName, MemorySegment a, long aBytes, String bName, MemorySegment b,
                                 long bBytes) {
        if (a.asSlice(0, aBytes).asOverlappingSlice(b.asSlice(0, bBytes)).isPresent()) {
            throw new KernelArgumentException(op, aName, "memory disjoint from " + bName, "an overlapping buffer");
        }
    }

    /** Bytes of a 1-bit mask over these dims. */
    public static long maskBytes(Dims dims) {
        return (dims.elements() + 7) / 8;
    }

    private static void gradInputCommon(String op, ConvParams p, Dims gradDims, Dims filterDims, Dims outputDims) {
        notNull(op, "params", p);
        notNull(op, "grad dims", gradDims);
        notNull(op, "filter dims", filterDims);
        notNull(op, "output dims", outputDims);
        equal(op, "grad dims.n (batch)", outputDims.n(), gradDims.n());
    }

    private static void gradInputSegments(String op, ConvParams p, Dims gradDims, MemorySegment grad, Dims filterDims,
                                          MemorySegment filter, Dims outputDims, MemorySegment output) {
        window(op, "h", outputDims.h(), gradDims.h(), filterDims.h(), p.strideH(), p.padH());
        window(op, "w", outputDims.w(), gradDims.w(), filterDims.w(), p.strideW(), p.padW());
        segment(op, "grad", grad, 4 * gradDims.elements(), false);
        segment(op, "filter", filter, filterDims.elements(), false);
        segment(op, "output", output, 4 * outputDims.elements(), true);
    }

    private static void weightUpdateCommon(String op, SgdParams sgd, ConvParams p, Dims gradDims, Dims savedDims,
                                           int[] channels, Dims filterDims) {
        notNull(op, "sgd", sgd);
        notNull(op, "params", p);
        notNull(op, "grad dims", gradDims);
        notNull(op, "saved dims", savedDims);
        notNull(op, "filter dims", filterDims);
        channels(op, channels, filterDims.c());
        equal(op, "saved dims.c (trained channels)", channels.length, savedDims.c());
        equal(op, "saved dims.n (batch)", gradDims.n(), savedDims.n());
        range(op, "params.inputOffset (minus the input zero point)", p.inputOffset(), -127, 128);
        window(op, "h", savedDims.h(), gradDims.h(), filterDims.h(), p.strideH(), p.padH());
        window(op, "w", savedDims.w(), gradDims.w(), filterDims.w(), p.strideW(), p.padW());
    }

    /** Trained channel indices: at least one, strictly increasing, in [0, limit). */
    private static void channels(String op, int[] channels, int limit) {
        notNull(op, "channels", channels);
        if (channels.length < 1 || channels.length > limit) {
            throw new KernelArgumentException(op, "channels.length", "a value in [1, " + limit + "]",
                    Integer.toString(channels.length));
        }
        for (int j = 0; j < channels.length; j++) {
            int lo = j == 0 ? 0 : channels[j - 1] + 1;
            if (channels[j] < lo || channels[j] >= limit) {
                throw new KernelArgumentException(op, "channels[" + j + "]",
                        "strictly increasing indices in [0, " + limit + "), so a value in [" + lo + ", "
                                + (limit - 1) + "]", Integer.toString(channels[j]));
            }
        }
    }

    /** The state buffers the step needs, and no others. */
    private static void sgdState(String op, SgdParams sgd, SgdState state, long elements) {
        MemorySegment velocity = state == null ? null : state.velocity();
        MemorySegment master = state == null ? null : state.master();
        if (sgd.needsVelocity()) {
            segment(op, "state.velocity", velocity, 4 * elements, true);
        } else if (velocity != null) {
            throw new KernelArgumentException(op, "state.velocity", "null (momentum is 0)", "a buffer");
        }
        if (sgd.needsMaster()) {
            segment(op, "state.master", master, 4 * elements, true);
        } else if (master != null) {
            throw new KernelArgumentException(op, "state.master", "null (rounding " + sgd.rounding() + ")", "a buffer");
        }
    }

    private static void positiveFinite(String op, String name, float v) {
        if (!(v > 0f) || Float.isInfinite(v)) {
            throw new KernelArgumentException(op, name, "a finite value > 0", Float.toString(v));
        }
    }

    // ---- shared pieces ---------------------------------------------------------------------

    private static void convCommon(String op, ConvParams p, ChannelQuant q, Dims in, MemorySegment input,
                                   Dims filter, MemorySegment filterData, MemorySegment bias, Dims out,
                                   MemorySegment output, int outChannels) {
        offsets(op, p.inputOffset(), p.outputOffset());
        window(op, "h", in.h(), out.h(), filter.h(), p.strideH(), p.padH());
        window(op, "w", in.w(), out.w(), filter.w(), p.strideW(), p.padW());
        quant(op, q, outChannels);
        segments(op, in, input, filter, filterData, bias, outChannels, out, output);
    }

    private static void dims(String op, Dims in, Dims filter, Dims out) {
        notNull(op, "input dims", in);
        notNull(op, "filter dims", filter);
        notNull(op, "output dims", out);
    }

    private static void offsets(String op, int inputOffset, int outputOffset) {
        range(op, "params.inputOffset (minus the input zero point)", inputOffset, -127, 128);
        range(op, "params.outputOffset (the output zero point)", outputOffset, -128, 127);
    }

    private static void quant(String op, ChannelQuant q, int channels) {
        quant(op, "quant", q, channels);
    }

    private static void quant(String op, String name, ChannelQuant q, int channels) {
        equal(op, name + " channels", channels, q.channels());
        int[] m = q.multiplier();
        int[] s = q.shift();
        for (int c = 0; c < channels; c++) {
            if (m[c] < 0) {          // labels are built only on failure: this loop runs on every call
                multiplier(op, name + ".multiplier[" + c + "]", m[c]);
            }
            if (s[c] < -31 || s[c] > 30) {
                range(op, name + ".shift[" + c + "]", s[c], -31, 30);
            }
        }
    }

    private static void segments(String op, Dims in, MemorySegment input, Dims filter, MemorySegment filterData,
                                 MemorySegment bias, int outChannels, Dims out, MemorySegment output) {
        segment(op, "input", input, in.elements(), false);
        segment(op, "filter", filterData, filter.elements(), false);
        if (bias != null) {
            segment(op, "bias", bias, 4L * outChannels, false);
        }
        segment(op, "output", output, out.elements(), true);
    }

    /**
     * One spatial axis of a windowed op: stride and filter >= 1, 0 <= pad < filter, output >= 1,
     * and the last window starts inside the input (so every window sees at least one input cell),
     * while the output covers the input as far as the stride allows.
     */
    private static void window(String op, String axis, int in, int out, int filter, int stride, int pad) {
        window(op, "", axis, "output dims." + axis, in, out, filter, stride, pad);
    }

    /** {@link #window(String, String, int, int, int, int, int)} with a prefix for the parameter names. */
    private static void window(String op, String prefix, String axis, String outName, int in, int out, int filter,
                               int stride, int pad) {
        range(op, prefix + "stride_" + axis, stride, 1, Integer.MAX_VALUE);
        range(op, prefix + "filter " + axis, filter, 1, Integer.MAX_VALUE);
        range(op, prefix + "pad_" + axis, pad, 0, filter - 1);
        long lo = Windows.minOutput(in, filter, stride, pad);
        long hi = Windows.maxOutput(in, stride, pad);
        if (out < lo || out > hi) {
            throw new KernelArgumentException(op, outName,
                    (lo == hi ? Long.toString(lo) : "a value in [" + lo + ", " + hi + "]")
                            + " for input " + in + ", filter " + filter + ", stride " + stride + ", pad " + pad,
                    Integer.toString(out));
        }
    }

    private static void segment(String op, String name, MemorySegment s, long bytes, boolean writable) {
        if (s == null) {
            throw new KernelArgumentException(op, name, "a buffer of at least " + bytes + " bytes", "null");
        }
        if (s.byteSize() < bytes) {
            throw new KernelArgumentException(op, name, "at least " + bytes + " bytes", s.byteSize() + " bytes");
        }
        if (writable && s.isReadOnly()) {
            throw new KernelArgumentException(op, name, "a writable buffer", "a read-only segment");
        }
    }

    private static void multiplier(String op, String name, int m) {
        if (m < 0) {
            throw new KernelArgumentException(op, name, "a Q31 multiplier >= 0", Integer.toString(m));
        }
    }

    private static void range(String op, String name, int v, int lo, int hi) {
        if (v < lo || v > hi) {
            throw new KernelArgumentException(op, name,
                    hi == Integer.MAX_VALUE ? ">= " + lo : "a value in [" + lo + ", " + hi + "]", Integer.toString(v));
        }
    }

    private static void equal(String op, String name, long expected, long actual) {
        if (expected != actual) {
            throw new KernelArgumentException(op, name, Long.toString(expected), Long.toString(actual));
        }
    }

    private static void notNull(String op, String name, Object o) {
        if (o == null) {
            throw new KernelArgumentException(op, name, "non-null", "null");
        }
    }
}
