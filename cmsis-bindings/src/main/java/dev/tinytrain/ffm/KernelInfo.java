package dev.tinytrain.ffm;

import java.util.List;

/**
 * What the kernel library offers: each forward and training kernel, its C symbol and the ISA paths
 * it has beyond the portable one. The CLI's {@code kernels} command prints this table.
 */
public record KernelInfo(String op, String symbol, List<NativeIsa> tunedPaths) {

    public static final List<KernelInfo> FORWARD = List.of(
            new KernelInfo("conv2d", "tt_conv2d_s8", List.of()),
            new KernelInfo("conv2d 1x1", "tt_conv2d_1x1_s8", List.of(NativeIsa.AVX2)),
            new KernelInfo("depthwise conv2d", "tt_depthwise_conv2d_s8", List.of(NativeIsa.AVX2)),
            new KernelInfo("fully connected", "tt_fully_connected_s8", List.of(NativeIsa.AVX2)),
            new KernelInfo("add", "tt_add_s8", List.of()),
            new KernelInfo("average pool", "tt_avgpool2d_s8", List.of()),
            new KernelInfo("mean (H, W)", "tt_mean_s8", List.of()),
            new KernelInfo("requantize", "tt_requantize", List.of()));

    /** The training kernels (tt_backward.h): portable C only. */
    public static final List<KernelInfo> BACKWARD = List.of(
            new KernelInfo("clamp mask", "tt_clamp_mask_s8", List.of()),
            new KernelInfo("gather channels", "tt_gather_channels_s8", List.of()),
            new KernelInfo("softmax xent", "tt_softmax_xent_s8", List.of()),
            new KernelInfo("grad scale+mask", "tt_grad_scale_mask_f32", List.of()),
            new KernelInfo("mean grad", "tt_mean_grad_f32", List.of()),
            new KernelInfo("avg pool grad", "tt_avgpool2d_grad_f32", List.of()),
            new KernelInfo("add grad", "tt_add_f32", List.of()),
            new KernelInfo("conv2d grad input", "tt_conv2d_grad_input_f32", List.of()),
            new KernelInfo("dw grad input", "tt_depthwise_conv2d_grad_input_f32", List.of()),
            new KernelInfo("conv2d w update", "tt_conv2d_grad_weight_update_s8", List.of()),
            new KernelInfo("dw w update", "tt_depthwise_conv2d_grad_weight_update_s8", List.of()),
            new KernelInfo("bias update", "tt_bias_grad_update_s32", List.of()));

    /** The path this kernel runs on when {@code active} is selected. */
    public NativeIsa pathFor(NativeIsa active) {
        return tunedPaths.contains(active) ? active : NativeIsa.PORTABLE;
    }
}
