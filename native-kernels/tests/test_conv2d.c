/* tt_conv2d_s8 and tt_conv2d_1x1_s8 against the naive reference, every ISA path. */
#include "tt_test.h"

static const int32_t KERNELS[] = {1, 3, 5, 7};

/*
 * kind: 0 = general conv (any kernel), 1 = pointwise through tt_conv2d_s8, 2 = tt_conv2d_1x1_s8,
 * 3 = tt_conv2d_1x1_s8 on larger images (many pixels: the AVX2 packed-weight engine, shallow to deep,
 * narrow to wide), 4 = general conv with 1..4 input channels on larger images (first layers) or with
 * deep receptive fields (the AVX2 im2col paths, and past their depth limit the plain loop)
 */
static int run_case(uint64_t seed, int kind, long *checked)
{
    tt_conv_params p;
    tt_per_channel_quant_params q;
    tt_dims id, fd, bd, od;
    int8_t *in, *f, *want, *got;
    int32_t *bias, *mult, *shift, k, depth, oc, in_elems, out_elems;
    int same, fill, failures = 0, np, i;
    tt_isa paths[2];

    rng_seed(seed);
    id.n = rnd(1, 2);
    id.c = rnd(0, 9) == 0 ? rnd(32, 80) : pick(TT_CHANNELS, TT_N_CHANNELS);
    fd.n = rnd(0, 9) == 0 ? (rnd(0, 1) ? rnd(32, 80) : rnd(250, 300)) : pick(TT_CHANNELS, TT_N_CHANNELS);
    fd.c = id.c;
    if (kind == 0 || kind == 4) {
        fd.h = pick(KERNELS, 4);
        fd.w = rnd(0, 3) == 0 ? pick(KERNELS, 4) : fd.h;
        p.stride_h = rnd(1, 2);
        p.stride_w = rnd(0, 3) == 0 ? rnd(1, 2) : p.stride_h;
        same = rnd(0, 1);
    } else {
        fd.h = fd.w = 1;
        p.stride_h = p.stride_w = 1;
        same = 0;
    }
    id.h = rnd(same ? 1 : fd.h, fd.h + 9);
    id.w = rnd(same ? 1 : fd.w, fd.w + 9);
    if (kind == 3) {
        id.c = rnd(0, 2) == 0 ? rnd(1, 300) : pick(TT_CHANNELS, TT_N_CHANNELS);
        fd.n = rnd(0, 4) == 0 ? rnd(250, 300) : (rnd(0, 1) ? rnd(1, 64) : pick(TT_CHANNELS, TT_N_CHANNELS));
        fd.c = id.c;
        id.h = rnd(2, 24);
        id.w = rnd(2, 24);
    } else if (kind == 4 && rnd(0, 1)) {
        id.c = rnd(1, 4);
        fd.c = id.c;
        id.h = rnd(same ? 1 : fd.h, 40);
        id.w = rnd(same ? 1 : fd.w, 40);
    } else if (kind == 4) {
        id.c = rnd(0, 1) ? rnd(60, 210) : rnd(20, 60);
        fd.n = pick(TT_CHANNELS, TT_N_CHANNELS);
        fd.c = id.c;
        id.h = rnd(same ? 1 : fd.h, fd.h + 3);
        id.w = rnd(same ? 1 : fd.w, fd.w + 3);
    }
    od.n = id.n;
    od.c = fd.n;
    same_or_valid(id.h, fd.h, p.stride_h, same, &od.h, &p.pad_h);
    same_or_valid(id.w, fd.w, p.stride_w, same, &od.w, &p.pad_w);
    bd.n = bd.h = bd.w = 1;
    bd.c = fd.n;
    p.input_offset = rnd_input_offset();
    p.output_offset = rnd_output_offset();
    p.activation = rnd_activation();

    in_elems = id.n * id.h * id.w * id.c;
    out_elems = od.n * od.h * od.w * od.c;
    in = malloc((size_t)in_elems);
    f = malloc((size_t)fd.n * fd.h * fd.w * fd.c);
    want = malloc((size_t)out_elems);
    got = malloc((size_t)out_elems);
    bias = malloc(sizeof(int32_t) * (size_t)fd.n);
    mult = malloc(sizeof(int32_t) * (size_t)fd.n);
    shift = malloc(sizeof(int32_t) * (size_t)fd.n);
    fill = rnd_fill();
    fill_s8(in, in_elems, fill);
    fill_s8(f, fd.n * fd.h * fd.w * fd.c, rnd(0, 4) == 0 ? rnd_fill() : FILL_RANDOM);
    depth = fd.h * fd.w * fd.c;
    for (oc = 0; oc < fd.n; ++oc) {
        bias[oc] = rnd_bias();
        mult[oc] = rnd_multiplier();
        shift[oc] = rnd_shift(depth);
    }
    q.multiplier = mult;
    q.shift = shift;
    k = rnd(0, 4) != 0; /* with bias most of the time */

    ref_conv2d(&p, mult, shift, &id, in, &fd, f, k ? bias : NULL, &od, want, 0);
    np = isa_paths(paths);
    for (i = 0; i < np; ++i) {
        tt_status st;
        char what[96];
        tt_isa_select(paths[i]);
        memset(got, 0x55, (size_t)out_elems);
        st = kind == 2 || kind == 3 ? tt_conv2d_1x1_s8(NULL, &p, &q, &id, in, &fd, f, &bd, k ? bias : NULL, &od, got)
                       : tt_conv2d_s8(NULL, &p, &q, &id, in, &fd, f, &bd, k ? bias : NULL, &od, got);
        snprintf(what, sizeof what, "%s %s in=%dx%dx%dx%d f=%dx%dx%dx%d s=%d,%d pad=%d,%d",
                 kind == 2 || kind == 3 ? "conv2d_1x1" : "conv2d", isa_name(paths[i]), id.n, id.h, id.w, id.c,
                 fd.n, fd.h, fd.w, fd.c, p.stride_h, p.stride_w, p.pad_h, p.pad_w);
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
    int failures = 0, kind, i;
    const int counts[5] = {400, 150, 200, 150, 100};
    for (kind = 0; kind < 5; ++kind) {
        for (i = 0; i < counts[kind]; ++i) {
            failures += run_case(seed + (uint64_t)kind * 1000003u + (uint64_t)i, kind, &checked);
        }
    }
    printf("test_conv2d: %d general + %d pointwise-dispatch + %d conv2d_1x1 + %d large conv2d_1x1 + "
           "%d first-layer/deep cases, %ld path runs, %d failures (base seed 0x%llx, paths: portable%s)\n",
           counts[0], counts[1], counts[2], counts[3], counts[4], checked, failures,
           (unsigned long long)seed,
           tt_isa_best() == TT_ISA_AVX2 ? " avx2" : (tt_isa_best() == TT_ISA_ARM_DSP ? " arm-dsp" : ""));
    return failures == 0 ? 0 : 1;
}
