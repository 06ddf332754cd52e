/*
 * tinytrain kernel library: shared types.
 *
 * Layout conventions (all kernels):
 *   activations  NHWC, int8, batch n >= 1
 *   conv filters OHWI  (tt_dims: n = output channels, h, w = kernel, c = input channels)
 *   depthwise    1HWC  (tt_dims: n = 1, h, w = kernel, c = channels)
 *   fc filters   OI    (tt_dims: n = output features, h = w = 1, c = input features)
 *   bias         int32, one per output channel (tt_dims: n = h = w = 1, c = channels)
 *
 * Quantization follows TF-Lite's int8 scheme: real = scale * (q - zero_point);
 * weights are symmetric (zero point 0), biases are int32 with scale s_x * s_w[c].
 */
#ifndef TT_TYPES_H
#define TT_TYPES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Status returned by every kernel. */
typedef enum {
    TT_OK = 0,             /**< success */
    TT_ARG_ERROR = 1,      /**< an argument is out of range or shapes disagree */
    TT_BUFFER_ERROR = 2,   /**< scratch buffer missing or smaller than _get_buffer_size() */
    TT_UNSUPPORTED = 3     /**< valid request this build cannot serve (e.g. an ISA path not compiled in) */
} tt_status;

/** Instruction-set path used by the kernels that have hand-tuned variants. */
typedef enum {
    TT_ISA_PORTABLE = 0,   /**< plain C99, every platform */
    TT_ISA_AVX2 = 1,       /**< x86-64 AVX2 (selected at run time when the CPU has it) */
    TT_ISA_ARM_DSP = 2     /**< Arm DSP extension (compile time: __ARM_FEATURE_DSP) */
} tt_isa;

/** Tensor dimensions, NHWC. Every field >= 1. */
typedef struct {
    int32_t n; /**< batch, or output channels for filters */
    int32_t h; /**< height in elements */
    int32_t w; /**< width in elements */
    int32_t c; /**< channels (innermost, contiguous) */
} tt_dims;

/** Caller-owned scratch memory; buf may be NULL when size is 0. */
typedef struct {
    void *buf;     /**< 4-byte aligned scratch, at least _get_buffer_size() bytes */
    int32_t size;  /**< bytes available at buf */
} tt_context;

/** Output clamp of a fused activation, in the output's int8 domain. */
typedef struct {
    int32_t min; /**< lower bound, [-128, 127] */
    int32_t max; /**< upper bound, [min, 127] */
} tt_activation;

/** Parameters of conv2d and depthwise conv2d. */
typedef struct {
    int32_t input_offset;   /**< minus the input zero point, [-127, 128] */
    int32_t output_offset;  /**< the output zero point, [-128, 127] */
    int32_t stride_h;       /**< vertical stride, >= 1 */
    int32_t stride_w;       /**< horizontal stride, >= 1 */
    int32_t pad_h;          /**< rows of implicit padding above the input (value = input zero point), >= 0 */
    int32_t pad_w;          /**< columns of implicit padding left of the input, >= 0 */
    tt_activation activation; /**< output clamp */
} tt_conv_params;

/** Parameters of fully connected. */
typedef struct {
    int32_t input_offset;   /**< minus the input zero point, [-127, 128] */
    int32_t output_offset;  /**< the output zero point, [-128, 127] */
    tt_activation activation; /**< output clamp */
} tt_fc_params;

/**
 * Per-output-channel requantization: out = requantize(acc, multiplier[c], shift[c]).
 * multiplier is Q31 in [2^30, 2^31) (or 0); shift is a power-of-two exponent in [-31, 30],
 * positive = left shift before the multiply, negative = rounding right shift after it.
 */
typedef struct {
    const int32_t *multiplier; /**< one per output channel */
    const int32_t *shift;      /**< one per output channel */
} tt_per_channel_quant_params;

/**
 * Elementwise add of two int8 tensors with their own scales (TF-Lite's scheme):
 *   a_i = requantize((x_i + input_offset_i) << left_shift, input_multiplier_i, input_shift_i)
 *   out = clamp(requantize(a_1 + a_2, output_multiplier, output_shift) + output_offset)
 */
typedef struct {
    int32_t input1_offset;     /**< minus zero point of input 1, [-127, 128] */
    int32_t input2_offset;     /**< minus zero point of input 2, [-127, 128] */
    int32_t left_shift;        /**< headroom shift applied to both inputs, [0, 22]; 20 for int8 */
    int32_t input1_multiplier; /**< Q31 multiplier of input 1 */
    int32_t input1_shift;      /**< exponent of input 1, [-31, 0] */
    int32_t input2_multiplier; /**< Q31 multiplier of input 2 */
    int32_t input2_shift;      /**< exponent of input 2, [-31, 0] */
    int32_t output_multiplier; /**< Q31 multiplier of the sum */
    int32_t output_shift;      /**< exponent of the sum, [-31, 30] */
    int32_t output_offset;     /**< the output zero point, [-128, 127] */
    tt_activation activation;  /**< output clamp */
} tt_add_params;

/** Average pooling; input and output share scale and zero point. */
typedef struct {
    int32_t filter_h;  /**< window height, >= 1 */
    int32_t filter_w;  /**< window width, >= 1 */
    int32_t stride_h;  /**< >= 1 */
    int32_t stride_w;  /**< >= 1 */
    int32_t pad_h;     /**< rows of padding above, >= 0; padded cells are not counted */
    int32_t pad_w;     /**< columns of padding left, >= 0 */
    tt_activation activation; /**< output clamp */
} tt_pool_params;

/**
 * Mean over H and W (keep dims), as TF-Lite Micro's reference int8 MEAN computes it:
 *   acc = requantize(sum_hw (q + input_offset), multiplier, shift)      (multiplier: s_in / s_out)
 *   out = clamp(round_half_away_from_zero(acc / (H * W)) + output_offset)
 */
typedef struct {
    int32_t input_offset;   /**< minus the input zero point, [-127, 128] */
    int32_t output_offset;  /**< the output zero point, [-128, 127] */
    int32_t multiplier;     /**< Q31 multiplier of s_in / s_out */
    int32_t shift;          /**< exponent, [-31, 30] */
    tt_activation activation; /**< output clamp */
} tt_mean_params;

#ifdef __cplusplus
}
#endif

#endif /* TT_TYPES_H */
