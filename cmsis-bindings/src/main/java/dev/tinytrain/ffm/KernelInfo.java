package dev.tinytrain.ffm;

import java.util.List;

/**
 * What the kernel library offers: each forward kernel, its C symbol and the ISA paths it has
 * beyond the portable one. The CLI's {@code kernels} command prints this table.
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

    /** The path this kernel runs on when {@code active} is selected. */
    public NativeIsa pathFor(NativeIsa active) {
        return tunedPaths.contains(active) ? active : NativeIsa.PORTABLE;
    }
}
