/*
 * tinytrain kernel library: float32 convolutions for float training (pre-training with BatchNorm,
 * before post-training quantization). Host-side kernels: the device runs the int8 graph.
 *
 * Names: tt_<op>_f32[_<pass>]: "conv2d_f32" is the float-weight convolution, as opposed to the
 * int8-weight backward kernels of tt_backward.h (tt_conv2d_grad_input_f32 reads int8 filters).
 *
 * Layouts as in tt_types.h, all float32: activations NHWC; conv filters OHWI (tt_dims n = output
 * channels, h, w = kernel, c = input channels); depthwise filters 1HWC; bias c floats or NULL.
 *
 * Bit-exactness with the Java reference (dev.tinytrain.fp32.Fp32Reference) by construction:
 *   - every output is one float sum that starts at +0.0f and takes one rounded product and one
 *     rounded add at a time, in the order its kernel's comment states;
 *   - taps in the padding are skipped (never multiplied);
 *   - SIMD (the AVX2 path, chosen at run time like the int8 kernels' paths) only across independent
 *     outputs, with separate multiply and add instructions; compiled with -ffp-contract=off.
 *
 * Every kernel checks its arguments (window rule of tt_types.h's convs: stride >= 1,
 * 0 <= pad < kernel, output within the sizes the input allows) and returns TT_ARG_ERROR before
 * writing anything when one is wrong.
 */
#ifndef TT_FP32_H
#define TT_FP32_H

#include "tt_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Stride and padding of a float convolution. */
typedef struct {
    int32_t stride_h; /**< vertical stride, >= 1 */
    int32_t stride_w; /**< horizontal stride, >= 1 */
    int32_t pad_h;    /**< rows of padding above the input, [0, kernel h) */
    int32_t pad_w;    /**< columns of padding left of the input, [0, kernel w) */
} tt_window_params;

/** Scratch bytes tt_conv2d_f32 needs: the filter transposed to HWIO (its AVX2 path), 0 for 1 output channel. */
int32_t tt_conv2d_f32_get_buffer_size(const tt_dims *filter_dims);

/**
 * out[n][oy][ox][oc] = sum over ky, kx, ic (row-major) of
 *   x[n][oy*stride_h - pad_h + ky][ox*stride_w - pad_w + kx][ic] * w[oc][ky][kx][ic],
 * then + bias[oc] (bias NULL: no add). ctx: tt_conv2d_f32_get_buffer_size() bytes, 4-aligned.
 */
tt_status tt_conv2d_f32(const tt_context *ctx, const tt_window_params *window,
                        const tt_dims *input_dims, const float *input,
                        const tt_dims *filter_dims, const float *filter,
                        const float *bias,
                        const tt_dims *output_dims, float *output);

/**
 * Input gradient: out[n][iy][ix][ic] = sum over ky, kx (row-major) of the output cells (oy, ox)
 * whose window covers (iy, ix) (oy*stride_h - pad_h + ky = iy), then over oc ascending, of
 * w[oc][ky][kx][ic] * grad[n][oy][ox][oc]; +0.0f where no window covers the cell.
 * output_dims are the forward input's.
 */
tt_status tt_conv2d_f32_grad_input(const tt_window_params *window,
                                   const tt_dims *grad_dims, const float *grad,
                                   const tt_dims *filter_dims, const float *filter,
                                   const tt_dims *output_dims, float *output);

/**
 * Weight gradient, overwriting output (OHWI, filter_dims): out[oc][ky][kx][ic] = sum over
 * (n, oy, ox) in raster order, taps inside the input only, of x[n][iy][ix][ic] * grad[n][oy][ox][oc].
 */
tt_status tt_conv2d_f32_grad_weight(const tt_window_params *window,
                                    const tt_dims *grad_dims, const float *grad,
                                    const tt_dims *input_dims, const float *input,
                                    const tt_dims *filter_dims, float *output);

/** Depthwise: out[n][oy][ox][c] = sum over ky, kx (row-major) of x * w[0][ky][kx][c], then + bias[c]. */
tt_status tt_depthwise_conv2d_f32(const tt_window_params *window,
                                  const tt_dims *input_dims, const float *input,
                                  const tt_dims *filter_dims, const float *filter,
                                  const float *bias,
                                  const tt_dims *output_dims, float *output);

/** Depthwise input gradient: per channel, sum over the covering taps ky, kx (row-major) of w * grad. */
tt_status tt_depthwise_conv2d_f32_grad_input(const tt_window_params *window,
                                             const tt_dims *grad_dims, const float *grad,
                                             const tt_dims *filter_dims, const float *filter,
                                             const tt_dims *output_dims, float *output);

/**
 * Depthwise weight gradient, overwriting output (1HWC): out[0][ky][kx][c] = sum over (n, oy, ox)
 * in raster order, taps inside the input only, of x[n][iy][ix][c] * grad[n][oy][ox][c].
 */
tt_status tt_depthwise_conv2d_f32_grad_weight(const tt_window_params *window,
                                              const tt_dims *grad_dims, const float *grad,
                                              const tt_dims *input_dims, const float *input,
                                              const tt_dims *filter_dims, float *output);

#ifdef __cplusplus
}
#endif

#endif /* TT_FP32_H */
