/* tt_add_s8 against the naive reference, including in-place (aliased) output. */
#include "tt_test.h"

static int8_t ref_add(const tt_add_params *p, int8_t x1, int8_t x2)
{
    const int64_t scale = (int64_t)1 << p->left_shift;
    const int32_t s1 = ref_requantize((int32_t)((x1 + p->input1_offset) * scale), p->input1_multiplier, p->input1_shift);
    const int32_t s2 = ref_requantize((int32_t)((x2 + p->input2_offset) * scale), p->input2_multiplier, p->input2_shift);
    int64_t r = (int64_t)ref_requantize((int32_t)((int64_t)s1 + s2), p->output_multiplier, p->output_shift)
                + p->output_offset;
    if (r < p->activation.min) r = p->activation.min;
    if (r > p->activation.max) r = p->activation.max;
    return (int8_t)r;
}

static int run_case(uint64_t seed)
{
    tt_add_params p;
    tt_dims d;
    int8_t *a, *b, *want, *got;
    int32_t n, i;
    int failures = 0, alias;
    char what[96];

    rng_seed(seed);
    d.n = rnd(1, 3);
    d.h = rnd(1, 9);
    d.w = rnd(1, 9);
    d.c = pick(TT_CHANNELS, TT_N_CHANNELS);
    n = d.n * d.h * d.w * d.c;
    p.input1_offset = rnd_input_offset();
    p.input2_offset = rnd_input_offset();
    p.left_shift = rnd(0, 3) == 0 ? rnd(0, 22) : 20;
    p.input1_multiplier = rnd_multiplier();
    p.input2_multiplier = rnd_multiplier();
    p.input1_shift = rnd(0, 4) == 0 ? rnd(-31, 0) : rnd(-3, 0);
    p.input2_shift = rnd(0, 4) == 0 ? rnd(-31, 0) : rnd(-3, 0);
    p.output_multiplier = rnd_multiplier();
    p.output_shift = rnd(0, 9) == 0 ? rnd(-31, 30) : -(p.left_shift - rnd(-2, 2)) - rnd(0, 3);
    if (p.output_shift < -31) p.output_shift = -31;
    if (p.output_shift > 30) p.output_shift = 30;
    p.output_offset = rnd_output_offset();
    p.activation = rnd_activation();

    a = malloc((size_t)n);
    b = malloc((size_t)n);
    want = malloc((size_t)n);
    got = malloc((size_t)n);
    fill_s8(a, n, rnd_fill());
    fill_s8(b, n, rnd_fill());
    for (i = 0; i < n; ++i) {
        want[i] = ref_add(&p, a[i], b[i]);
    }
    alias = rnd(0, 2);
    snprintf(what, sizeof what, "add dims=%dx%dx%dx%d alias=%d", d.n, d.h, d.w, d.c, alias);
    if (alias == 0) {
        if (tt_add_s8(&p, &d, a, &d, b, &d, got) != TT_OK) {
            printf("FAIL %s seed=0x%llx: status\n", what, (unsigned long long)seed);
            ++failures;
        } else {
            failures += compare_s8(what, seed, want, got, n);
        }
    } else {
        int8_t *dst = alias == 1 ? a : b;
        if (tt_add_s8(&p, &d, a, &d, b, &d, dst) != TT_OK) {
            printf("FAIL %s seed=0x%llx: status\n", what, (unsigned long long)seed);
            ++failures;
        } else {
            failures += compare_s8(what, seed, want, dst, n);
        }
    }
    free(a); free(b); free(want); free(got);
    return failures;
}

int main(int argc, char **argv)
{
    const uint64_t seed = base_seed(argc, argv);
    int failures = 0, i;
    const int count = 400;
    for (i = 0; i < count; ++i) {
        failures += run_case(seed + 13u * 1000003u + (uint64_t)i);
    }
    printf("test_add: %d cases, %d failures (base seed 0x%llx)\n", count, failures, (unsigned long long)seed);
    return failures == 0 ? 0 : 1;
}
