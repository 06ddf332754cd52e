/* tt_fully_connected_s8 against the naive reference, every ISA path. */
#include "tt_test.h"

/* big: batches of 8..80 rows (the AVX2 packed-weight engine takes those) */
static int run_case(uint64_t seed, int big, long *checked)
{
    tt_fc_params p;
    tt_per_channel_quant_params q;
    tt_dims id, fd, bd, od;
    int8_t *in, *f, *want, *got;
    int32_t *bias, *mult, *shift, depth, b, o, k, in_elems, out_elems;
    int use_bias, failures = 0, np, i;
    tt_isa paths[2];

    rng_seed(seed);
    id.n = big ? rnd(8, 80) : rnd(1, 5);
    switch (rnd(0, 3)) {
    case 0: id.h = id.w = 1; id.c = pick(TT_CHANNELS, TT_N_CHANNELS); break;
    case 1: id.h = id.w = 1; id.c = rnd(1, 700); break;
    default: id.h = rnd(1, 4); id.w = rnd(1, 4); id.c = pick(TT_CHANNELS, TT_N_CHANNELS); break;
    }
    depth = id.h * id.w * id.c;
    fd.n = rnd(0, 9) == 0 ? rnd(250, 600) : (rnd(0, 1) ? pick(TT_CHANNELS, TT_N_CHANNELS) : rnd(1, 100));
    fd.h = fd.w = 1;
    fd.c = depth;
    od.n = id.n;
    od.h = od.w = 1;
    od.c = fd.n;
    bd.n = bd.h = bd.w = 1;
    bd.c = fd.n;
    p.input_offset = rnd_input_offset();
    p.output_offset = rnd_output_offset();
    p.activation = rnd_activation();

    in_elems = id.n * depth;
    out_elems = od.n * od.c;
    in = malloc((size_t)in_elems);
    f = malloc((size_t)fd.n * depth);
    want = malloc((size_t)out_elems);
    got = malloc((size_t)out_elems);
    bias = malloc(sizeof(int32_t) * (size_t)fd.n);
    mult = malloc(sizeof(int32_t) * (size_t)fd.n);
    shift = malloc(sizeof(int32_t) * (size_t)fd.n);
    fill_s8(in, in_elems, rnd_fill());
    fill_s8(f, fd.n * depth, rnd(0, 4) == 0 ? rnd_fill() : FILL_RANDOM);
    for (o = 0; o < fd.n; ++o) {
        bias[o] = rnd_bias();
        mult[o] = rnd_multiplier();
        shift[o] = rnd_shift(depth);
    }
    q.multiplier = mult;
    q.shift = shift;
    use_bias = rnd(0, 4) != 0;

    for (b = 0; b < id.n; ++b) {
        for (o = 0; o < fd.n; ++o) {
            int64_t acc = 0;
            for (k = 0; k < depth; ++k) {
                acc += (int64_t)(in[(size_t)b * depth + k] + p.input_offset) * f[(size_t)o * depth + k];
            }
            want[(size_t)b * fd.n + o] = ref_output(acc, use_bias ? bias[o] : 0, mult[o], shift[o],
                                                     p.output_offset, p.activation);
        }
    }
    np = isa_paths(paths);
    for (i = 0; i < np; ++i) {
        tt_status st;
        char what[96];
        tt_isa_select(paths[i]);
        memset(got, 0x55, (size_t)out_elems);
        st = tt_fully_connected_s8(NULL, &p, &q, &id, in, &fd, f, &bd, use_bias ? bias : NULL, &od, got);
        snprintf(what, sizeof what, "fully_connected %s in=%dx%dx%dx%d out=%d", isa_name(paths[i]),
                 id.n, id.h, id.w, id.c, fd.n);
        if (st != TT_OK) {
            printf("FAIL %s seed=0x%llx: status %d\n", what, (unsigned long long)seed, st);
            ++failures;
        } else {
            failures += compare_s8(what, seed, want, got, out_elems);
        }
        ++*checked;
    }
    tt_isa_select(tt_isa_best());
    free(in); free(f); free(want); free(got); free(bias); free(mult); free(shift);
    return failures;
}

int main(int argc, char **argv)
{
    const uint64_t seed = base_seed(argc, argv);
    long checked = 0;
    int failures = 0, i;
    const int count = 500, count_big = 150;
    for (i = 0; i < count; ++i) {
        failures += run_case(seed + 11u * 1000003u + (uint64_t)i, 0, &checked);
    }
    for (i = 0; i < count_big; ++i) {
        failures += run_case(seed + 12u * 1000003u + (uint64_t)i, 1, &checked);
    }
    printf("test_fully_connected: %d + %d large-batch cases, %ld path runs, %d failures (base seed 0x%llx, "
           "paths: portable%s)\n",
           count, count_big, checked, failures, (unsigned long long)seed, tt_isa_best() == TT_ISA_AVX2 ? " avx2" : (tt_isa_best() == TT_ISA_ARM_DSP ? " arm-dsp" : ""));
    return failures == 0 ? 0 : 1;
}
