/*
 * tinytrain kernel library: the sparse backward pass and the fused in-place updates.
 *
 * Gradients are float32 and taken with respect to the *integer-domain* values of the int8
 * graph (PAPER.md section 3): rounding is straight-through, a clamp passes gradient only where
 * its output was strictly inside (min, max) (a 1-bit mask saved in forward), a conv's output
 * gradient is scaled by its effective scale m[c] = s_x s_w[c] / s_y before it flows on.
 *
 * Bit-exactness across platforms is by construction:
 *   - every float sum starts at +0.0f and is accumulated in the order its kernel's comment states,
 *     one add at a time;
 *   - SIMD only across independent outputs; compiled with -ffp-contract=off (no fused multiply-add);
 *   - products are formed as (float)int_value * float, in that order;
 *   - the only transcendentals (exp and log, in softmax cross-entropy) are the library's own
 *     tt_expf and tt_logf; the only libm calls are floorf, roundf and truncf (exact everywhere).
 *
 * Layouts as in tt_types.h (NHWC activations, OHWI filters, 1HWC depthwise filters). Masks are
 * packed little-endian bits: element i is bit (i & 7) of byte i >> 3.
 */
#ifndef TT_BACKWARD_H
#define TT_BACKWARD_H

#include "tt_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How a trained int8 weight or int32 bias absorbs a real-valued step. */
typedef enum {
    TT_ROUND_STOCHASTIC = 0,   /**< floor(delta + u), u in [0,1) from tt_hash_uniform(seed, step, tensor, index) */
    TT_ROUND_NEAREST = 1,      /**< nearest, ties away from zero */
    TT_ROUND_TRUNCATE = 2,     /**< toward zero (the original engine's int8 -= float) */
    TT_ROUND_FLOAT_MASTER = 3  /**< a float master copy takes the step; the integer is its nearest value */
} tt_rounding;

/**
 * SGD step for one trained tensor (weights slice or bias vector), per element, each line one float
 * operation rounded to float:
 *   g' = g * qas_scale[o]                         (QAS; qas_scale NULL = 1.0f for every channel)
 *   v  = momentum * v + g'  (only when momentum != 0; velocity buffer required)   g'' = momentum ? v : g'
 *   delta = -lr * g''
 *   integer value = saturate(value + rounding(delta)), where stochastic = floorf(delta + u),
 *   nearest = roundf(delta) (ties away from zero), truncate = truncf(delta);
 *   with TT_ROUND_FLOAT_MASTER: master = master + delta; integer value = saturate(roundf(master))
 *   (the caller initializes master from the integer values).
 * saturate clamps to [-127, 127] for int8 weights (so a -128 weight becomes -127 at its first update)
 * and to [INT32_MIN, INT32_MAX] for biases, exactly (no overflow, no float conversion of the sum).
 * A NaN step (or NaN master) leaves the integer value unchanged.
 */
typedef struct {
    float lr;              /**< learning rate, > 0 and finite, in the integer domain's units */
    float momentum;        /**< 0 (plain SGD, no velocity buffer) or (0, 1) */
    int32_t rounding;      /**< a tt_rounding */
    uint32_t seed;         /**< run seed of the stochastic rounding */
    uint32_t step;         /**< training step counter (stochastic rounding) */
    uint32_t tensor_id;    /**< stable id of the trained tensor (stochastic rounding) */
} tt_sgd_params;

/**
 * Optional per-element state of the trained slice, laid out like the slice itself (weights:
 * [out channels][kh][kw][trained channels], bias: [channels]); NULL when not used.
 */
typedef struct {
    float *velocity;  /**< momentum buffer, required iff momentum != 0 */
    float *master;    /**< float master copy, required iff rounding == TT_ROUND_FLOAT_MASTER */
} tt_sgd_state;

/* ---- support ---------------------------------------------------------------------------- */

/**
 * exp(x) in float32 by a fixed formula the Java reference mirrors (every constant a float, written
 * in hex in the sources): NaN returns NaN; for x < -87.33f returns 0, for x > 88.72f returns +inf;
 * else k = roundf(x * LOG2E) (ties away; k in [-126, 128]), r = (x - k*LN2_HI) - k*LN2_LO with
 * LN2_HI = 0x1.63p-1f (k*LN2_HI exact), LN2_LO = -0x1.bd0106p-13f,
 * p = Horner degree-7 polynomial of r with the floats nearest the Taylor coefficients
 * 1/7!, 1/6!, ..., 1/2, 1, 1 (p = c7; p = p*r + c6; ...; p = p*r + 1), result = p * 2^k
 * (for k = 128: (p * 2^127) * 2). Max error 1.22 ulp (exhaustive over [-87.33, 88.72]; degree 6 had
 * 3.02); identical bits on every conforming IEEE-754 float32 platform.
 */
float tt_expf(float x);

/**
 * log(x) in float32 by a fixed formula the Java reference mirrors: NaN and x < 0 give NaN, +-0
 * gives -inf, +inf gives +inf; else x = m * 2^e (subnormals scaled by 2^23 first) with m in [1, 2),
 * halved (e + 1) when m >= SQRT2 = 0x1.6a09e6p+0f, f = m - 1 (exact), s = f / (2 + f), z = s * s,
 * q = ((C9*z + C7)*z + C5)*z + C3 with Ck the float nearest 1/k,
 * log(m) = 2 * (s + s * (z * q))   (= 2 * (s + s^3/3 + s^5/5 + s^7/7 + s^9/9)),
 * result = (float)e * LN2 + log(m) with LN2 = 0x1.62e43p-1f. Max error 1.97 ulp (exhaustive over the
 * positive floats).
 */
float tt_logf(float x);

/**
 * The stochastic-rounding variate, a counter-based hash mapped to [0, 1) with 24 bits:
 *   mix(x) = x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16   (uint32)
 *   h = mix(mix(mix(mix(seed ^ 0x9e3779b9) ^ step) ^ tensor_id) ^ index)
 *   (each counter mixed in separately, so different seeds give unrelated streams)
 *   u = (float)(h >> 8) * 2^-24
 */
float tt_hash_uniform(uint32_t seed, uint32_t step, uint32_t tensor_id, uint32_t index);

/* ---- forward-time helpers for training --------------------------------------------------- */

/**
 * mask bit i = (min < y[i] < max): the clamp was not active. mask holds ceil(n/8) bytes; the unused
 * high bits of the last byte are 0.
 */
tt_status tt_clamp_mask_s8(const tt_activation *activation,
                           const tt_dims *dims, const int8_t *y,
                           uint8_t *mask);

/**
 * Saves the trained input channels of an int8 activation for the weight gradient (the rest is
 * never needed): out[p][j] = x[p][channels[j]], out laid out [n, h, w, n_channels].
 * channels: strictly increasing indices in [0, c).
 */
tt_status tt_gather_channels_s8(const tt_dims *input_dims, const int8_t *input,
                                int32_t n_channels, const int32_t *channels,
                                int8_t *output);

/* ---- loss ------------------------------------------------------------------------------- */

/**
 * Softmax cross-entropy on the dequantized logits z[i] = scale * (float)(q[i] - zero_point), per batch row
 * (logits dims [n, 1, 1, classes]): m = max z, s = sum over i ascending of tt_expf(z[i] - m),
 * loss[n] = (m + tt_logf(s)) - z[label], and the gradient with respect to
 * the int8 logits grad[n][i] = scale * (tt_expf(z[i] - m) / s - (i == label ? 1.0f : 0.0f)).
 * scale > 0 and finite, zero_point in [-128, 127], labels[n] in [0, classes) (all checked before any
 * write); loss (n floats) may be NULL when only the gradient is wanted.
 */
tt_status tt_softmax_xent_s8(float scale, int32_t zero_point,
                             const tt_dims *logits_dims, const int8_t *logits,
                             const int32_t *labels,
                             float *loss, float *grad);

/* ---- gradient plumbing ------------------------------------------------------------------ */

/**
 * out[p][c] = mask(p,c) ? grad[p][c] * scale[c] : +0.0f (mask NULL = all ones; mask(p,c) is bit
 * p*C + c of the mask). Per-channel scale, c floats (a conv's effective scale m[c], or one repeated
 * value for add / pool). out may alias grad.
 */
tt_status tt_grad_scale_mask_f32(const float *scale,
                                 const tt_dims *dims, const float *grad,
                                 const uint8_t *mask,
                                 float *out);

/**
 * Gradient of mean over H and W: out[n][h][w][c] = (grad[n][c] * scale) / (float)(H * W), where scale
 * (> 0, finite) is s_in / s_out of the forward mean; grad dims [n, 1, 1, c], H * W <= 2^24.
 * (The division's rounding is straight-through.)
 */
tt_status tt_mean_grad_f32(float scale,
                           const tt_dims *grad_dims, const float *grad,
                           const tt_dims *output_dims, float *output);

/**
 * Gradient of average pooling: out starts at 0; for each output cell in raster order (n, y, x, c)
 * its gradient / (float)(in-bounds cell count) is added to every in-bounds input cell of its window,
 * window rows then columns in order. grad_dims are the forward output's, output_dims the forward
 * input's; the window rules are the forward kernel's; the activation is ignored.
 */
tt_status tt_avgpool2d_grad_f32(const tt_pool_params *pool_params,
                                const tt_dims *grad_dims, const float *grad,
                                const tt_dims *output_dims, float *output);

/** out[i] = a[i] + b[i] (two gradient branches meeting at a fork). out may alias a or b. */
tt_status tt_add_f32(const tt_dims *dims, const float *a, const float *b, float *out);

/* ---- conv input gradients ---------------------------------------------------------------- */

/**
 * Input gradient of conv2d (the transposed convolution): for each input cell (n, iy, ix, ic),
 * out = sum over ky, kx (row-major) and then oc ascending of (float)w[oc][ky][kx][ic] * grad[n][oy][ox][oc]
 * for every output cell (oy, ox) whose window covers (iy, ix) (oy * stride_h - pad_h + ky = iy), 0 when
 * none does. grad is the scaled, masked output gradient; conv_params supplies stride and padding (offsets
 * and activation are ignored); output_dims are the forward input's. Reads the weights: call it before the
 * layer's fused weight update.
 */
tt_status tt_conv2d_grad_input_f32(const tt_conv_params *conv_params,
                                   const tt_dims *grad_dims, const float *grad,
                                   const tt_dims *filter_dims, const int8_t *filter,
                                   const tt_dims *output_dims, float *output);

/** Input gradient of depthwise conv2d: as above per channel, sum over taps ky, kx row-major of (float)w * grad. */
tt_status tt_depthwise_conv2d_grad_input_f32(const tt_conv_params *conv_params,
                                             const tt_dims *grad_dims, const float *grad,
                                             const tt_dims *filter_dims, const int8_t *filter,
                                             const tt_dims *output_dims, float *output);

/* ---- fused weight gradient + update (the gradient is never stored) ------------------------- */

/**
 * Conv2d weight gradient for a subset of input channels, applied immediately:
 *   g[oc][ky][kx][j] = sum over (n, oy, ox) in raster order of
 *                      (float)(saved[n][iy][ix][j] + input_offset) * grad[n][oy][ox][oc]
 * with iy = oy*stride_h - pad_h + ky (cells outside the input skipped), saved = the trained input
 * channels (tt_gather_channels_s8, dims [n, H, W, n_channels]), then the SGD step on
 * filter[oc][ky][kx][channels[j]] with qas_scale[oc] (qas_scale: filter n floats, or NULL).
 * State arrays (tt_sgd_state) are laid out [oc][ky][kx][j]; the stochastic index is that position,
 * ((oc*KH + ky)*KW + kx)*n_channels + j. channels: strictly increasing in [0, filter c).
 * conv_params supplies input_offset, stride and padding (output offset and activation are ignored).
 */
tt_status tt_conv2d_grad_weight_update_s8(const tt_sgd_params *sgd,
                                          const tt_conv_params *conv_params,
                                          const float *qas_scale,
                                          const tt_dims *grad_dims, const float *grad,
                                          const tt_dims *saved_dims, const int8_t *saved,
                                          int32_t n_channels, const int32_t *channels,
                                          const tt_dims *filter_dims, int8_t *filter,
                                          const tt_sgd_state *state);

/**
 * Depthwise weight gradient for a subset of channels, applied immediately:
 *   g[ky][kx][j] = sum over (n, oy, ox) in raster order of
 *                  (float)(saved[n][iy][ix][j] + input_offset) * grad[n][oy][ox][channels[j]]
 * then the SGD step on filter[0][ky][kx][channels[j]] with qas_scale[channels[j]] (qas_scale: c floats,
 * or NULL); state and stochastic index [ky][kx][j], i.e. (ky*KW + kx)*n_channels + j.
 */
tt_status tt_depthwise_conv2d_grad_weight_update_s8(const tt_sgd_params *sgd,
                                                    const tt_conv_params *conv_params,
                                                    const float *qas_scale,
                                                    const tt_dims *grad_dims, const float *grad,
                                                    const tt_dims *saved_dims, const int8_t *saved,
                                                    int32_t n_channels, const int32_t *channels,
                                                    const tt_dims *filter_dims, int8_t *filter,
                                                    const tt_sgd_state *state);

/**
 * Bias gradient and update: g[c] = sum over (n, y, x) in raster order of grad[n][y][x][c], then the
 * SGD step on bias[c] with qas_scale[c] (qas_scale: c floats, or NULL; int32, saturating).
 * bias_dims [1, 1, 1, c]; state and stochastic index [c].
 */
tt_status tt_bias_grad_update_s32(const tt_sgd_params *sgd,
                                  const float *qas_scale,
                                  const tt_dims *grad_dims, const float *grad,
                                  const tt_dims *bias_dims, int32_t *bias,
                                  const tt_sgd_state *state);

/* ---- split weight gradient and update (the gradient is stored, the update applied later) ---- */

/**
 * The weight gradient tt_conv2d_grad_weight_update_s8 forms, stored instead of applied:
 * output[oc][ky][kx][j] = g[oc][ky][kx][j], the same terms summed in the same order (the same bits);
 * float32, laid out like that kernel's state, filter n * kh * kw * n_channels floats. Arguments as there.
 */
tt_status tt_conv2d_grad_weight_f32(const tt_conv_params *conv_params,
                                    const tt_dims *grad_dims, const float *grad,
                                    const tt_dims *saved_dims, const int8_t *saved,
                                    int32_t n_channels, const int32_t *channels,
                                    const tt_dims *filter_dims, float *output);

/**
 * The weight gradient tt_depthwise_conv2d_grad_weight_update_s8 forms, stored: output[ky][kx][j] =
 * g[ky][kx][j] (the same bits), kh * kw * n_channels floats.
 */
tt_status tt_depthwise_conv2d_grad_weight_f32(const tt_conv_params *conv_params,
                                              const tt_dims *grad_dims, const float *grad,
                                              const tt_dims *saved_dims, const int8_t *saved,
                                              int32_t n_channels, const int32_t *channels,
                                              const tt_dims *filter_dims, float *output);

/** The bias gradient tt_bias_grad_update_s32 forms, stored: output[c] = g[c] (the same bits), c floats. */
tt_status tt_bias_grad_f32(const tt_dims *grad_dims, const float *grad, float *output);

/**
 * The SGD step of a trained weight slice from a stored gradient (tt_conv2d_grad_weight_f32 or
 * tt_depthwise_conv2d_grad_weight_f32 layout), exactly as the fused kernel applies it: element
 * i = tap * n_channels + j, tap = (oc*KH + ky)*KW + kx, updates filter[tap][channels[j]] with gradient[i],
 * state index and stochastic index i, and qas_scale[oc] (conv, filter n floats) or qas_scale[channels[j]]
 * (depthwise = 1: filter n = 1, filter c floats); qas_scale NULL = 1.0f. Gradient + this = the fused kernel.
 */
tt_status tt_sgd_update_s8(const tt_sgd_params *sgd,
                           const float *qas_scale,
                           int32_t depthwise,
                           const float *gradient,
                           int32_t n_channels, const int32_t *channels,
                           const tt_dims *filter_dims, int8_t *filter,
                           const tt_sgd_state *state);

/**
 * The SGD step of an int32 bias [1, 1, 1, c] from a stored gradient (c floats, tt_bias_grad_f32), exactly
 * as tt_bias_grad_update_s32 applies it: qas_scale[c] (or NULL), state and stochastic index c.
 */
tt_status tt_sgd_update_s32(const tt_sgd_params *sgd,
                            const float *qas_scale,
                            const float *gradient,
                            const tt_dims *bias_dims, int32_t *bias,
                            const tt_sgd_state *state);

#ifdef __cplusplus
}
#endif

#endif /* TT_BACKWARD_H */
