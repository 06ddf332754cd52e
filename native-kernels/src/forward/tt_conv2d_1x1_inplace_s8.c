/* tt_conv2d_1x1_inplace_s8: pointwise convolution whose output overwrites its own input. */
#include "../support/tt_internal.h"
#include "../support/tt_avx2.h"
#include "../support/tt_memory.h"

TT_API int32_t tt_conv2d_1x1_inplace_s8_get_buffer_size(const tt_dims *input_dims)
{
    return input_dims != NULL && input_dims->c > 0 ? input_dims->c : 0;
}

/*
 * Why no unread input is ever overwritten. P = n*h*w pixels, region holds max(P*Cin, P*Cout) bytes,
 * output pixel p occupies [p*Cout, (p+1)*Cout), input pixel q occupies [off + q*Cin, off + (q+1)*Cin).
 * Pixels go in order p = 0, 1, ...; before output p is written, input p is already in the scratch and
 * inputs q < p are dead, so only inputs q >= p+1 matter; the first of them starts at off + (p+1)*Cin.
 *   widening (Cout > Cin, off = P*(Cout - Cin)): output p ends at (p+1)*Cout, and
 *       (p+1)*Cout <= off + (p+1)*Cin  <=>  (p+1)*(Cout - Cin) <= P*(Cout - Cin)  <=>  p+1 <= P.   True.
 *   narrowing or equal (Cout <= Cin, off = 0): (p+1)*Cout <= (p+1)*Cin.                              True.
 * The copy of input p to the scratch comes first because output p may cover input p itself.
 */
TT_API tt_status tt_conv2d_1x1_inplace_s8(const tt_context *ctx,
                                          const tt_conv_params *conv_params,
                                          const tt_per_channel_quant_params *quant_params,
                                          const tt_dims *input_dims,
                                          const tt_dims *filter_dims, const int8_t *filter,
                                          const tt_dims *bias_dims, const int32_t *bias,
                                          const tt_dims *output_dims, int8_t *region)
{
    const tt_conv_params *p = conv_params;
    size_t pixels, px, in_bytes, out_bytes, in_off;
    int32_t cin, cout;
    int8_t *scratch;
    /* input and output share region; the checks see it as both */
    if (!tt__conv_args_ok(p, quant_params, input_dims, region, filter_dims, filter, bias_dims, bias,
                          output_dims, region, 0)) {
        return TT_ARG_ERROR;
    }
    if (filter_dims->h != 1 || filter_dims->w != 1 || p->stride_h != 1 || p->stride_w != 1 || p->pad_h != 0
        || p->pad_w != 0 || output_dims->h != input_dims->h || output_dims->w != input_dims->w) {
        return TT_ARG_ERROR;
    }
    if (!tt__context_ok(ctx, tt_conv2d_1x1_inplace_s8_get_buffer_size(input_dims))) {
        return TT_BUFFER_ERROR;
    }
    cin = input_dims->c;
    cout = output_dims->c;
    pixels = (size_t)input_dims->n * input_dims->h * input_dims->w;
    in_bytes = pixels * (size_t)cin;
    out_bytes = pixels * (size_t)cout;
    in_off = out_bytes > in_bytes ? out_bytes - in_bytes : 0;
    scratch = (int8_t *)ctx->buf;
    if (tt__overlap(scratch, (size_t)cin, region, in_bytes > out_bytes ? in_bytes : out_bytes)) {
        return TT_BUFFER_ERROR;
    }
    for (px = 0; px < pixels; ++px) {
        const int8_t *x = region + in_off + px * (size_t)cin;
        int32_t k;
        for (k = 0; k < cin; ++k) {
            scratch[k] = x[k];
        }
#if TT_HAVE_AVX2
        if (tt__use_avx2()) {
            tt__gemm_s8_avx2(scratch, 1, cin, filter, cout, bias, quant_params->multiplier, quant_params->shift,
                             p->input_offset, p->output_offset, p->activation, region + px * (size_t)cout);
            continue;
        }
#endif
        tt__gemm_s8_portable(scratch, 1, cin, filter, cout, bias, quant_params->multiplier, quant_params->shift,
                             p->input_offset, p->output_offset, p->activation, region + px * (size_t)cout);
    }
    return TT_OK;
}
