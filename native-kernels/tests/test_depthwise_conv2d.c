/* tt_depthwise_conv2d_s8 against the naive reference, every ISA path. */
#include "tt_test.h"

static const int32_t KERNELS[] = {1, 3, 5, 7};

static int run_case(uint64_t seed, long *checked)
{
    tt_conv_params p;
    tt_per_channel_quant_params q;
    tt_dims id, fd, bd, od;
    int8_t *in, *f, *want, *got;
    int32_t *bias, *mult, *shift, c, in_elems, out_elems;
    int same, use_bias, failures = 0, np, i;
    tt_isa paths[2];

    rng_seed(seed);
    id.n = rnd(1, 2);
    id.c = rnd(0, 9) == 0 ? rnd(32, 100) : pick(TT_CHANNELS, TT_N_CHANNELS);
    fd.n = 1;
    fd.c = id.c;
    fd.h = pick(KERNELS, 4);
    fd.w = rnd(0, 3) == 0 ? pick(KERNELS, 4) : fd.h;
    if (rnd(0, 29) == 0) {
        fd.h = 9; /* 81 taps: beyond the AVX2 path's limit, portable fallback */
        fd.w = 9;
    }
    p.stride_h = rnd(1, 2);
    p.stride_w = rnd(0, 3) == 0 ? rnd(1, 2) : p.stride_h;
    same = rnd(0, 1);
    id.h = rnd(same ? 1 : fd.h, fd.h + 10);
    id.w = rnd(same ? 1 : fd.w, fd.w + 10);
    od.n = id.n;
    od.c = id.c;
    same_or_valid(id.h, fd.h, p.stride_h, same, &od.h, &p.pad_h);
    same_or_valid(id.w, fd.w, p.stride_w, same, &od.w, &p.pad_w);
    bd.n = bd.h = bd.w = 1;
    bd.c = id.c;
    p.input_offset = rnd_input_offset();
    p.output_offset = rnd_output_offset();
    p.activation = rnd_activation();

    in_elems = id.n * id.h * id.w * id.c;
    out_elems = od.n * od.h * od.w * od.c;
    in = malloc((size_t)in_elems);
    f = malloc((size_t)fd.h * fd.w * fd.c);
    want = malloc((size_t)out_elems);
    got = malloc((size_t)out_elems);
    bias = malloc(sizeof(int32_t) * (size_t)id.c);
    mult = malloc(sizeof(int32_t) * (size_t)id.c);
    shift = malloc(sizeof(int32_t) * (size_t)id.c);
    fill_s8(in, in_elems, rnd_fill());
    fill_s8(f, fd.h * fd.w * fd.c, rnd(0, 4) == 0 ? rnd_fill() : FILL_RANDOM);
    for (c = 0; c < id.c; ++c) {
        bias[c] = rnd_bias();
        mult[c] = rnd_multiplier();
        shift[c] = rnd_shift(fd.h * fd.w);
    }
    q.multiplier = mult;
    q.shift = shift;
    use_bias = rnd(0, 4) != 0;

    ref_conv2d(&p, mult, shift, &id, in, &fd, f, use_bias ? bias : NULL, &od, want, 1);
    np = isa_paths(paths);
    for (i = 0; i < np; ++i) {
        tt_status st;
        char what[96];
        tt_isa_select(paths[i]);
        memset(got, 0x55, (size_t)out_elems);
        st = tt_depthwise_conv2d_s8(NULL, &p, &q, &id, in, &fd, f, &bd, use_bias ? bias : NULL, &od, got);
        snprintf(what, sizeof what, "depthwise %s in=%dx%dx%dx%d k=%dx%d s=%d,%d pad=%d,%d",
                 isa_name(paths[i]), id.n, id.h, id.w, id.c, fd.h, fd.w, p.stride_h, p.stride_w,
                 p.pad_h, p.pad_w);
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
    const int count = 600;
    for (i = 0; i < count; ++i) {
        failures += run_case(seed + 7u * 1000003u + (uint64_t)i, &checked);
    }
    printf("test_depthwise_conv2d: %d cases, %ld path runs, %d failures (base seed 0x%llx, paths: portable%s)\n",
           count, checked, failures, (unsigned long long)seed, tt_isa_best() == TT_ISA_AVX2 ? " avx2" : (tt_isa_best() == TT_ISA_ARM_DSP ? " arm-dsp" : ""));
    return failures == 0 ? 0 : 1;
}
