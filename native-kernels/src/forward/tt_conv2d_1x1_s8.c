/* tt_conv2d_1x1_s8: pointwise convolution as a [pixels x in] by [out x in]^T product. */
#include "../support/tt_internal.h"
#include "../support/tt_avx2.h"
#include "../support/tt_dsp.h"

TT_API int32_t tt_conv2d_1x1_s8_get_buffer_size(const tt_dims *input_dims, const tt_dims *filter_dims)
{
    (void)input_dims;
    (void)filter_dims;
    return 0;
}

TT_API tt_status tt_conv2d_1x1_s8(const tt_context *ctx,
                                  const tt_conv_params *conv_params,
                                  const tt_per_channel_quant_params *quant_params,
                                  const tt_dims *input_dims, const int8_t *input,
                                  const tt_dims *filter_dims, const int8_t *filter,
                                  const tt_dims *bias_dims, const int32_t *bias,
                                  const tt_dims *output_dims, int8_t *output)
{
    int32_t pixels;
    if (!tt__conv_args_ok(conv_params, quant_params, input_dims, input, filter_dims, filter,
                          bias_dims, bias, output_dims, output, 0)) {
        return TT_ARG_ERROR;
    }
    if (filter_dims->h != 1 || filter_dims->w != 1 || conv_params->stride_h != 1
        || conv_params->stride_w != 1 || conv_params->pad_h != 0 || conv_params->pad_w != 0
        || output_dims->h != input_dims->h || output_dims->w != input_dims->w) {
        return TT_ARG_ERROR;
    }
    if (!tt__context_ok(ctx, tt_conv2d_1x1_s8_get_buffer_size(input_dims, filter_dims))) {
        return TT_BUFFER_ERROR;
    }
    pixels = input_dims->n * input_dims->h * input_dims->w;
#if TT_HAVE_AVX2
    if (tt__use_avx2() && tt__avx2_packed_pays(pixels, input_dims->c, filter_dims->n)) {
        const tt__avx2_geom g = {input, 1, 1, pixels, input_dims->c, 1, pixels, 1, 1, 1, 1, 0, 0,
                                 conv_params->input_offset};
        tt__avx2_conv_packed(&g, filter, filter_dims->n, bias, quant_params->multiplier,
                             quant_params->shift, conv_params->output_offset, conv_params->activation,
                             output);
        return TT_OK;
    }
    if (tt__use_avx2()) {
        tt__gemm_s8_avx2(input, pixels, input_dims->c, filter, filter_dims->n, bias,
                         quant_params->multiplier, quant_params->shift, conv_params->input_offset,
                         conv_params->output_offset, conv_params->activation, output);
        return TT_OK;
    }
#endif
#if TT_HAVE_ARM_DSP
    if (tt__use_dsp()) {
        tt__gemm_s8_dsp(input, pixels, input_dims->c, filter, filter_dims->n, bias, quant_params->multiplier,
                        quant_params->shift, conv_params->input_offset, conv_params->output_offset,
                        conv_params->activation, output);
        return TT_OK;
    }
#endif
    tt__gemm_s8_portable(input, pixels, input_dims->c, filter, filter_dims->n, bias,
                         quant_params->multiplier, quant_params->shift, conv_params->input_offset,
                         conv_params->output_offset, conv_params->activation, output);
    return TT_OK;
}
