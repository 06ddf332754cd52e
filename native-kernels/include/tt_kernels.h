/*
 * tinytrain kernel library: int8 forward kernels.
 *
 * Signature order never varies: scratch context, op params, quant params, then (dims, data)
 * pairs for the inputs, the output last. Every kernel checks its arguments cheaply and
 * returns TT_ARG_ERROR before touching memory when they disagree.
 *
 * Numerics are TF-Lite's reference int8 kernels exactly (TF-Lite Micro and CMSIS-NN compute
 * the same): int32 accumulation of (x + input_offset) * w, bias added with saturation to the
 * int32 range, then tt_requantize (saturating rounding doubling high multiply, then rounding
 * divide by a power of two, ties away from zero), output offset, clamp.
 */
#ifndef TT_KERNELS_H
#define TT_KERNELS_H

#include "tt_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- support -------------------------------------------------------------------------- */

/** Library version string, e.g. "0.1.0". */
const char *tt_version(void);

/** Best ISA path this build and this CPU support. */
tt_isa tt_isa_best(void);

/** ISA path the kernels use now (defaults to tt_isa_best()). */
tt_isa tt_isa_active(void);

/** Selects the ISA path; TT_UNSUPPORTED when this build or CPU lacks it. Not thread-safe. */
tt_status tt_isa_select(tt_isa isa);

/**
 * TF-Lite's MultiplyByQuantizedMultiplier: value * 2^max(shift,0), then the saturating rounding
 * doubling high multiply by multiplier, then a rounding right shift by max(-shift,0) with ties
 * away from zero. shift in [-31, 30]. Overflow of the left shift wraps (two's complement).
 */
int32_t tt_requantize(int32_t value, int32_t multiplier, int32_t shift);

/* ---- forward: convolution ------------------------------------------------------------- */

/**
 * 2-D convolution, int8 in/out, OHWI filter, optional int32 bias (NULL = zero).
 * Output size is given by output_dims; input positions outside the input read as the zero point.
 * Dispatches to tt_conv2d_1x1_s8 when the filter is 1x1, stride 1, padding 0 and the output has
 * the input's height and width.
 */
tt_status tt_conv2d_s8(const tt_context *ctx,
                       const tt_conv_params *conv_params,
                       const tt_per_channel_quant_params *quant_params,
                       const tt_dims *input_dims, const int8_t *input,
                       const tt_dims *filter_dims, const int8_t *filter,
                       const tt_dims *bias_dims, const int32_t *bias,
                       const tt_dims *output_dims, int8_t *output);

/** Scratch bytes tt_conv2d_s8 needs for these shapes. */
int32_t tt_conv2d_s8_get_buffer_size(const tt_dims *input_dims, const tt_dims *filter_dims);

/** Pointwise (1x1, stride 1, no padding) convolution; output h, w equal the input's. */
tt_status tt_conv2d_1x1_s8(const tt_context *ctx,
                           const tt_conv_params *conv_params,
                           const tt_per_channel_quant_params *quant_params,
                           const tt_dims *input_dims, const int8_t *input,
                           const tt_dims *filter_dims, const int8_t *filter,
                           const tt_dims *bias_dims, const int32_t *bias,
                           const tt_dims *output_dims, int8_t *output);

/** Scratch bytes tt_conv2d_1x1_s8 needs. */
int32_t tt_conv2d_1x1_s8_get_buffer_size(const tt_dims *input_dims, const tt_dims *filter_dims);

/** Depthwise convolution, channel multiplier 1, 1HWC filter. */
tt_status tt_depthwise_conv2d_s8(const tt_context *ctx,
                                 const tt_conv_params *conv_params,
                                 const tt_per_channel_quant_params *quant_params,
                                 const tt_dims *input_dims, const int8_t *input,
                                 const tt_dims *filter_dims, const int8_t *filter,
                                 const tt_dims *bias_dims, const int32_t *bias,
                                 const tt_dims *output_dims, int8_t *output);

/** Scratch bytes tt_depthwise_conv2d_s8 needs. */
int32_t tt_depthwise_conv2d_s8_get_buffer_size(const tt_dims *input_dims, const tt_dims *filter_dims);

/**
 * Fully connected: input [n, h*w*c] flattened per batch row, filter [out, in] (OI),
 * output [n, 1, 1, out]; per-output-channel quantization (per-tensor: repeat the values).
 */
tt_status tt_fully_connected_s8(const tt_context *ctx,
                                const tt_fc_params *fc_params,
                                const tt_per_channel_quant_params *quant_params,
                                const tt_dims *input_dims, const int8_t *input,
                                const tt_dims *filter_dims, const int8_t *filter,
                                const tt_dims *bias_dims, const int32_t *bias,
                                const tt_dims *output_dims, int8_t *output);

/** Scratch bytes tt_fully_connected_s8 needs. */
int32_t tt_fully_connected_s8_get_buffer_size(const tt_dims *filter_dims);

/* ---- forward: elementwise and pooling ------------------------------------------------- */

/** Elementwise add of two same-shape tensors (see tt_add_params). Output may alias an input. */
tt_status tt_add_s8(const tt_add_params *add_params,
                    const tt_dims *input1_dims, const int8_t *input1,
                    const tt_dims *input2_dims, const int8_t *input2,
                    const tt_dims *output_dims, int8_t *output);

/**
 * Average pooling; each output is the sum of the in-bounds window cells divided by their
 * count, rounded half away from zero (TF-Lite), then clamped.
 */
tt_status tt_avgpool2d_s8(const tt_context *ctx,
                          const tt_pool_params *pool_params,
                          const tt_dims *input_dims, const int8_t *input,
                          const tt_dims *output_dims, int8_t *output);

/** Scratch bytes tt_avgpool2d_s8 needs. */
int32_t tt_avgpool2d_s8_get_buffer_size(const tt_dims *output_dims);

/** Mean over H and W per batch and channel; output dims [n, 1, 1, c] (see tt_mean_params). */
tt_status tt_mean_s8(const tt_mean_params *mean_params,
                     const tt_dims *input_dims, const int8_t *input,
                     const tt_dims *output_dims, int8_t *output);

/* ---- forward: memory-saving forms of convolution (planned by the Java memory planner) ---- */

/**
 * conv2d followed by depthwise conv2d without the intermediate tensor. The result is exactly
 *   tt_conv2d_s8(conv_params, conv_quant, input, conv_filter, conv_bias) -> mid [n, mid h, mid w, C1]
 *   tt_depthwise_conv2d_s8(dw_params, dw_quant, mid, dw_filter, dw_bias) -> output
 * (the same bits, on every ISA path), computed per batch item b and intermediate channel c: channel c
 * of mid at every position into the scratch (mid h * mid w int8), then output channel c from it.
 * mid_dims is the intermediate's shape [n, H1, W1, C1] (n = the input's, C1 = conv filter n): a conv's
 * output size is not unique for kernels > 1, so the caller states it. Any conv geometry (kernel, stride,
 * padding); the depthwise geometry is checked against mid_dims. output must not overlap input (it is
 * written while input is still read) and the scratch must overlap neither: TT_ARG_ERROR, TT_BUFFER_ERROR.
 */
tt_status tt_conv_depthwise_s8(const tt_context *ctx,
                               const tt_conv_params *conv_params,
                               const tt_per_channel_quant_params *conv_quant,
                               const tt_conv_params *dw_params,
                               const tt_per_channel_quant_params *dw_quant,
                               const tt_dims *input_dims, const int8_t *input,
                               const tt_dims *conv_filter_dims, const int8_t *conv_filter,
                               const tt_dims *conv_bias_dims, const int32_t *conv_bias,
                               const tt_dims *mid_dims,
                               const tt_dims *dw_filter_dims, const int8_t *dw_filter,
                               const tt_dims *dw_bias_dims, const int32_t *dw_bias,
                               const tt_dims *output_dims, int8_t *output);

/** Scratch bytes tt_conv_depthwise_s8 needs: one intermediate channel plane, mid h * mid w. */
int32_t tt_conv_depthwise_s8_get_buffer_size(const tt_dims *mid_dims);

/**
 * Pointwise convolution (tt_conv2d_1x1_s8's conditions and bits) whose output overwrites its own input
 * in region. With P = n*h*w pixels, in_bytes = P*Cin, out_bytes = P*Cout, region holds
 * max(in_bytes, out_bytes) bytes; the output starts at region, the input at region + out_bytes - in_bytes
 * when Cout > Cin (at the end of the output region), else at region. Pixels are walked in order and
 * each input pixel is copied to the scratch before its output is written, so no unread input is ever
 * overwritten. The scratch must not overlap region (TT_BUFFER_ERROR).
 */
tt_status tt_conv2d_1x1_inplace_s8(const tt_context *ctx,
                                   const tt_conv_params *conv_params,
                                   const tt_per_channel_quant_params *quant_params,
                                   const tt_dims *input_dims,
                                   const tt_dims *filter_dims, const int8_t *filter,
                                   const tt_dims *bias_dims, const int32_t *bias,
                                   const tt_dims *output_dims, int8_t *region);

/** Scratch bytes tt_conv2d_1x1_inplace_s8 needs: one input pixel, Cin. */
int32_t tt_conv2d_1x1_inplace_s8_get_buffer_size(const tt_dims *input_dims);

#ifdef __cplusplus
}
#endif

#endif /* TT_KERNELS_H */
