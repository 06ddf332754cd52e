package dev.tinytrain.fp32;

import dev.tinytrain.tensor.Dims;

import java.lang.foreign.MemorySegment;

/**
 * The float32 kernels of float training (pre-training with BatchNorm before quantization): the
 * convolutions forward and backward, which carry almost all of the arithmetic. A separate interface
 * from {@link dev.tinytrain.kernel.KernelBackend}, which is the int8 device's kernel set: these
 * kernels never run on a microcontroller.
 *
 * <p>Layouts: activations NHWC float32; conv filters OHWI ({@code Dims(out, kh, kw, in)}); depthwise
 * filters 1HWC ({@code Dims(1, kh, kw, c)}); bias one float per output channel or null. Data are
 * {@link MemorySegment}s of native memory or heap {@code float[]} arrays.
 *
 * <p>Numerics, identical bits in every implementation (the {@link Fp32Reference} Java twin is the
 * oracle): each output is one float sum started at +0.0f, accumulated one rounded multiply and one
 * rounded add at a time (no fused multiply-add) in the order each method states; taps that fall
 * in the padding are skipped. Implementations may compute independent outputs in any order or in
 * parallel lanes, never reorder one output's sum.
 *
 * <p>Arguments are checked before any work ({@link Fp32Checks}): wrong shapes, short buffers and
 * invalid windows throw {@link dev.tinytrain.kernel.KernelArgumentException} naming the argument.
 */
public interface Fp32Backend {

    /** Short name ({@code reference}, {@code native}). */
    String name();

    /** A line for humans: implementation and instruction-set path. */
    String description();

    /**
     * {@code out[n][oy][ox][oc] = sum over ky, kx, ic (that order, row-major) of
     * x[n][oy*sh - ph + ky][ox*sw - pw + kx][ic] * w[oc][ky][kx][ic]}, then {@code + bias[oc]}.
     */
    void conv2d(Window win, Dims in, MemorySegment input, Dims fd, MemorySegment filter, MemorySegment bias,
                Dims out, MemorySegment output);

    /**
     * Input gradient (transposed conv): {@code dx[n][iy][ix][ic] = sum over ky, kx (row-major) of the
     * output cells (oy, ox) whose window covers (iy, ix), then over oc ascending, of
     * w[oc][ky][kx][ic] * g[n][oy][ox][oc]}; 0 where no window covers the cell. {@code od} are the
     * forward input's dims.
     */
    void conv2dGradInput(Window win, Dims gd, MemorySegment grad, Dims fd, MemorySegment filter, Dims od,
                         MemorySegment output);

    /**
     * Weight gradient, overwriting {@code output} (OHWI like the filter):
     * {@code dw[oc][ky][kx][ic] = sum over (n, oy, ox) in raster order, taps inside the input only, of
     * x[n][iy][ix][ic] * g[n][oy][ox][oc]}.
     */
    void conv2dGradWeight(Window win, Dims gd, MemorySegment grad, Dims in, MemorySegment input, Dims fd,
                          MemorySegment output);

    /** {@code out[n][oy][ox][c] = sum over ky, kx (row-major) of x * w[0][ky][kx][c]}, then {@code + bias[c]}. */
    void depthwiseConv2d(Window win, Dims in, MemorySegment input, Dims fd, MemorySegment filter,
                         MemorySegment bias, Dims out, MemorySegment output);

    /** Depthwise input gradient: per channel, sum over covering taps ky, kx (row-major) of w * g. */
    void depthwiseConv2dGradInput(Window win, Dims gd, MemorySegment grad, Dims fd, MemorySegment filter, Dims od,
                                  MemorySegment output);

    /** Depthwise weight gradient, overwriting {@code output}: per tap and channel, sum over (n, oy, ox) raster of x * g. */
    void depthwiseConv2dGradWeight(Window win, Dims gd, MemorySegment grad, Dims in, MemorySegment input, Dims fd,
                                   MemorySegment output);
}
