/* tt_fully_connected_s8: [batch x in] by [out x in]^T, per-output-channel requantization. */
#include "../support/tt_internal.h"
#include "../support/tt_avx2.h"
#include "../support/tt_dsp.h"

TT_API int32_t tt_fully_connected_s8_get_buffer_size(const tt_dims *filter_dims)
{
    (void)filter_dims;
    return 0;
}

TT_API tt_status tt_fully_connected_s8(const tt_context *ctx,
                                       const tt_fc_params *fc_params,
                                       const tt_per_channel_quant_params *quant_params,
                                       const tt_dims *input_dims, const int8_t *input,
                                       const tt_dims *filter_dims, const int8_t *filter,
                                       const tt_dims *bias_dims, const int32_t *bias,
                                       const tt_dims *output_dims, int8_t *output)
{
    int32_t depth;
    if (fc_params == NULL || input == NULL || filter == NULL || output == NULL) {
        return TT_ARG_ERROR;
    }
    if (!tt__dims_ok(input_dims) || !tt__dims_ok(filter_dims) || !tt__dims_ok(output_dims)) {
        return TT_ARG_ERROR;
    }
    if (!tt__input_offset_ok(fc_params->input_offset)
        || !tt__output_offset_ok(fc_params->output_offset)
        || !tt__activation_ok(fc_params->activation)) {
        return TT_ARG_ERROR;
    }
    depth = input_dims->h * input_dims->w * input_dims->c;
    if (filter_dims->h != 1 || filter_dims->w != 1 || filter_dims->c != depth
        || output_dims->n != input_dims->n || output_dims->h != 1 || output_dims->w != 1
        || output_dims->c != filter_dims->n) {
        return TT_ARG_ERROR;
    }
    if (!tt__bias_ok(bias_dims, bias, filter_dims->n) || !tt__quant_ok(quant_params, filter_dims->n)) {
        return TT_ARG_ERROR;
    }
    if (!tt__context_ok(ctx, tt_fully_connected_s8_get_buffer_size(filter_dims))) {
        return TT_BUFFER_ERROR;
    }
#if TT_HAVE_AVX2
    if (tt__use_avx2() && tt__avx2_packed_pays(input_dims->n, depth, filter_dims->n)) {
        const tt__avx2_geom g = {input, 1, 1, input_dims->n, depth, 1, input_dims->n, 1, 1, 1, 1, 0, 0,
                                 fc_params->input_offset};
        tt__avx2_conv_packed(&g, filter, filter_dims->n, bias, quant_params->multiplier,
                             quant_params->shift, fc_params->output_offset, fc_params->activation,
                             output);
        return TT_OK;
    }
    if (tt__use_avx2()) {
        tt__gemm_s8_avx2(input, input_dims->n, depth, filter, filter_dims->n, bias,
                         quant_params->multiplier, quant_params->shift, fc_params->input_offset,
                         fc_params->output_offset, fc_params->activation, output);
        return TT_OK;
    }
#endif
#if TT_HAVE_ARM_DSP
    if (tt__use_dsp()) {
        tt__gemm_s8_dsp(input, input_dims->n, depth, filter, filter_dims->n, bias, quant_params->multiplier,
                        quant_params->shift, fc_params->input_offset, fc_params->output_offset,
                        fc_params->activation, output);
        return TT_OK;
    }
#endif
    tt__gemm_s8_portable(input, input_dims->n, depth, filter, filter_dims->n, bias,
                         quant_params->multiplier, quant_params->shift, fc_params->input_offset,
                         fc_params->output_offset, fc_params->activation, output);
    return TT_OK;
}
