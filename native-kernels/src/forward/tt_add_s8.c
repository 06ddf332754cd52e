/* tt_add_s8: elementwise add of two int8 tensors with their own scales (TF-Lite's scheme). */
#include "../support/tt_internal.h"

static int tt__same_dims(const tt_dims *a, const tt_dims *b)
{
    return a->n == b->n && a->h == b->h && a->w == b->w && a->c == b->c;
}

TT_API tt_status tt_add_s8(const tt_add_params *add_params,
                           const tt_dims *input1_dims, const int8_t *input1,
                           const tt_dims *input2_dims, const int8_t *input2,
                           const tt_dims *output_dims, int8_t *output)
{
    const tt_add_params *p = add_params;
    int32_t count, i, lo, hi, scale;
    if (p == NULL || input1 == NULL || input2 == NULL || output == NULL) {
        return TT_ARG_ERROR;
    }
    if (!tt__dims_ok(input1_dims) || !tt__dims_ok(input2_dims) || !tt__dims_ok(output_dims)
        || !tt__same_dims(input1_dims, input2_dims) || !tt__same_dims(input1_dims, output_dims)) {
        return TT_ARG_ERROR;
    }
    /* input shifts <= 0 and left_shift <= 22 keep |a1| + |a2| below 2^31: no overflow anywhere */
    if (!tt__input_offset_ok(p->input1_offset) || !tt__input_offset_ok(p->input2_offset)
        || p->left_shift < 0 || p->left_shift > 22
        || p->input1_multiplier < 0 || p->input1_shift < -31 || p->input1_shift > 0
        || p->input2_multiplier < 0 || p->input2_shift < -31 || p->input2_shift > 0
        || p->output_multiplier < 0 || !tt__shift_ok(p->output_shift)
        || !tt__output_offset_ok(p->output_offset) || !tt__activation_ok(p->activation)) {
        return TT_ARG_ERROR;
    }
    count = input1_dims->n * input1_dims->h * input1_dims->w * input1_dims->c;
    scale = (int32_t)1 << p->left_shift;
    lo = p->activation.min - p->output_offset;
    hi = p->activation.max - p->output_offset;
    /* element i is read before it is written: output may alias either input */
    for (i = 0; i < count; ++i) {
        const int32_t a1 = (input1[i] + p->input1_offset) * scale;
        const int32_t a2 = (input2[i] + p->input2_offset) * scale;
        const int32_t s1 = tt__requantize(a1, p->input1_multiplier, p->input1_shift);
        const int32_t s2 = tt__requantize(a2, p->input2_multiplier, p->input2_shift);
        int32_t r = tt__requantize(s1 + s2, p->output_multiplier, p->output_shift);
        r = r < lo ? lo : (r > hi ? hi : r);
        output[i] = (int8_t)(r + p->output_offset);
    }
    return TT_OK;
}
