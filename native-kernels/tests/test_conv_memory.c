/*
 * The memory-saving convolution forms against the plain kernels and the naive reference, every ISA
 * path: tt_conv_depthwise_s8 must equal conv2d then depthwise conv2d through a whole intermediate
 * tensor, and tt_conv2d_1x1_inplace_s8 must equal a pointwise conv into a separate buffer, bit for bit.
 * Plus the scratch and overlap errors.
 */
#include "tt_train_test.h"

static int failures;
static long checked;

#define FAIL(seed, ...)                                                     \
    do {                                                                    \
        printf("FAIL %s:%d seed=0x%llx: ", __FILE__, __LINE__, (unsigned long long)(seed)); \
        printf(__VA_ARGS__);                                                \
        printf("\n");                                                       \
        ++failures;                                                         \
    } while (0)

typedef struct {
    int32_t *mult, *shift, *bias;
    tt_per_channel_quant_params q;
} quant;

static quant rnd_quant(int32_t channels, int32_t depth)
{
    quant r;
    int32_t c;
    r.mult = malloc(sizeof(int32_t) * (size_t)channels);
    r.shift = malloc(sizeof(int32_t) * (size_t)channels);
    r.bias = rnd(0, 4) != 0 ? malloc(sizeof(int32_t) * (size_t)channels) : NULL;
    for (c = 0; c < channels; ++c) {
        r.mult[c] = rnd_multiplier();
        r.shift[c] = rnd_shift(depth);
        if (r.bias) r.bias[c] = rnd_bias();
    }
    r.q.multiplier = r.mult;
    r.q.shift = r.shift;
    return r;
}

static void free_quant(quant *q)
{
    free(q->mult);
    free(q->shift);
    free(q->bias);
}

static tt_conv_params rnd_params(void)
{
    tt_conv_params p;
    p.input_offset = rnd_input_offset();
    p.output_offset = rnd_output_offset();
    p.activation = rnd_activation();
    p.stride_h = rnd(1, 2);
    p.stride_w = rnd(0, 3) == 0 ? rnd(1, 2) : p.stride_h;
    p.pad_h = p.pad_w = 0;
    return p;
}

/* Window of one axis: SAME or VALID, or (sometimes) any other valid output size and padding. */
static void rnd_axis(int32_t in, int32_t k, int32_t stride, int32_t *out, int32_t *pad)
{
    const int mode = rnd(0, 4);
    if (mode <= 3 && (mode <= 1 || in >= k)) {
        same_or_valid(in, k, stride, mode <= 1, out, pad);
        return;
    }
    /* any pad in [0, k), any output whose first and last windows touch the input */
    *pad = rnd(0, k - 1);
    {
        const int32_t lo_num = in + *pad - k + 1;
        const int32_t lo = lo_num <= 0 ? 1 : (lo_num + stride - 1) / stride;
        const int32_t hi = (in + *pad - 1) / stride + 1;
        *out = rnd(lo < 1 ? 1 : lo, hi);
    }
}

static void conv_depthwise_case(uint64_t seed)
{
    tt_conv_params cp, dp;
    tt_dims id, cfd, cbd, md, dfd, dbd, od;
    quant cq, dq;
    int8_t *in, *cf, *df, *mid, *want, *got, *scratch;
    int32_t scratch_size, np, i;
    tt_isa paths[2];
    rng_seed(seed);
    id.n = rnd(0, 4) == 0 ? 2 : 1;
    id.c = pick(TT_CHANNELS, TT_N_CHANNELS);
    cfd.n = rnd(0, 2) == 0 ? id.c * rnd(1, 6) : pick(TT_CHANNELS, TT_N_CHANNELS);
    cfd.c = id.c;
    cfd.h = rnd(0, 1) ? 1 : pick(KERNELS, 3);
    cfd.w = rnd(0, 3) == 0 ? pick(KERNELS, 3) : cfd.h;
    cp = rnd_params();
    if (cfd.h == 1 && cfd.w == 1 && rnd(0, 1)) {
        cp.stride_h = cp.stride_w = 1;   /* the expansion pointwise conv */
    }
    id.h = rnd(1, 12);
    id.w = rnd(1, 12);
    if (id.h < cfd.h) id.h = cfd.h;
    if (id.w < cfd.w) id.w = cfd.w;
    md.n = id.n;
    md.c = cfd.n;
    rnd_axis(id.h, cfd.h, cp.stride_h, &md.h, &cp.pad_h);
    rnd_axis(id.w, cfd.w, cp.stride_w, &md.w, &cp.pad_w);
    dfd.n = 1;
    dfd.c = md.c;
    dfd.h = pick(KERNELS, 4);
    dfd.w = rnd(0, 3) == 0 ? pick(KERNELS, 4) : dfd.h;
    dp = rnd_params();
    od.n = md.n;
    od.c = md.c;
    rnd_axis(md.h, dfd.h, dp.stride_h, &od.h, &dp.pad_h);
    rnd_axis(md.w, dfd.w, dp.stride_w, &od.w, &dp.pad_w);
    cbd.n = cbd.h = cbd.w = 1; cbd.c = md.c;
    dbd = cbd;

    in = malloc(elements(&id));
    cf = malloc(elements(&cfd));
    df = malloc(elements(&dfd));
    mid = malloc(elements(&md));
    want = malloc(elements(&od));
    got = malloc(elements(&od));
    fill_s8(in, (int32_t)elements(&id), rnd_fill());
    fill_s8(cf, (int32_t)elements(&cfd), rnd(0, 4) == 0 ? rnd_fill() : FILL_RANDOM);
    fill_s8(df, (int32_t)elements(&dfd), rnd(0, 4) == 0 ? rnd_fill() : FILL_RANDOM);
    cq = rnd_quant(md.c, cfd.h * cfd.w * cfd.c);
    dq = rnd_quant(md.c, dfd.h * dfd.w);
    ref_conv2d(&cp, cq.mult, cq.shift, &id, in, &cfd, cf, cq.bias, &md, mid, 0);
    ref_conv2d(&dp, dq.mult, dq.shift, &md, mid, &dfd, df, dq.bias, &od, want, 1);
    scratch_size = tt_conv_depthwise_s8_get_buffer_size(&md);
    if (scratch_size != md.h * md.w) {
        FAIL(seed, "conv_depthwise scratch %d, want %d", scratch_size, md.h * md.w);
    }
    scratch = malloc((size_t)scratch_size);
    np = isa_paths(paths);
    for (i = 0; i < np; ++i) {
        tt_context ctx;
        tt_status st;
        char what[160];
        ctx.buf = scratch;
        ctx.size = scratch_size;
        tt_isa_select(paths[i]);
        snprintf(what, sizeof what, "conv_depthwise %s in=%dx%dx%dx%d conv %dx%dx%d s=%d,%d p=%d,%d mid=%dx%d "
                 "dw %dx%d s=%d,%d p=%d,%d out=%dx%d", isa_name(paths[i]), id.n, id.h, id.w, id.c, cfd.n, cfd.h,
                 cfd.w, cp.stride_h, cp.stride_w, cp.pad_h, cp.pad_w, md.h, md.w, dfd.h, dfd.w, dp.stride_h,
                 dp.stride_w, dp.pad_h, dp.pad_w, od.h, od.w);
        /* the two-op sequence through the whole intermediate, as the planner would run it unfused */
        memset(mid, 0x55, elements(&md));
        memset(got, 0x55, elements(&od));
        if (tt_conv2d_s8(NULL, &cp, &cq.q, &id, in, &cfd, cf, &cbd, cq.bias, &md, mid) != TT_OK
            || tt_depthwise_conv2d_s8(NULL, &dp, &dq.q, &md, mid, &dfd, df, &dbd, dq.bias, &od, got) != TT_OK) {
            FAIL(seed, "%s: the two-op sequence failed", what);
        } else {
            failures += compare_s8(what, seed, want, got, (int32_t)elements(&od));
        }
        memset(got, 0x55, elements(&od));
        st = tt_conv_depthwise_s8(&ctx, &cp, &cq.q, &dp, &dq.q, &id, in, &cfd, cf, &cbd, cq.bias, &md, &dfd, df,
                                  &dbd, dq.bias, &od, got);
        if (st != TT_OK) {
            FAIL(seed, "%s: status %d", what, st);
        } else {
            failures += compare_s8(what, seed, want, got, (int32_t)elements(&od));
        }
        ++checked;
        if (i == 0 && scratch_size > 1) {
            ctx.size = scratch_size - 1;
            if (tt_conv_depthwise_s8(&ctx, &cp, &cq.q, &dp, &dq.q, &id, in, &cfd, cf, &cbd, cq.bias, &md, &dfd, df,
                                     &dbd, dq.bias, &od, got) != TT_BUFFER_ERROR) {
                FAIL(seed, "%s: a short scratch was accepted", what);
            }
        }
    }
    tt_isa_select(tt_isa_best());
    free(in); free(cf); free(df); free(mid); free(want); free(got); free(scratch);
    free_quant(&cq); free_quant(&dq);
}

static void inplace_case(uint64_t seed)
{
    static const int32_t FACTORS[] = {1, 2, 3, 4, 5, 6};
    tt_conv_params p;
    tt_dims id, fd, bd, od;
    quant q;
    int8_t *in, *f, *want, *region, *scratch;
    size_t in_bytes, out_bytes, size, in_off;
    int32_t np, i, pad;
    int mode;
    tt_isa paths[2];
    rng_seed(seed);
    id.n = rnd(0, 3) == 0 ? rnd(2, 3) : 1;
    id.h = rnd(1, 9);
    id.w = rnd(1, 9);
    mode = rnd(0, 3);   /* 0: equal, 1-2: widening by 2..6 (or odd ratios), 3: narrowing */
    if (mode == 0) {
        id.c = pick(TT_CHANNELS, TT_N_CHANNELS);
        od.c = id.c;
    } else if (mode <= 2) {
        id.c = pick(TT_CHANNELS, TT_N_CHANNELS);
        od.c = mode == 1 ? id.c * FACTORS[rnd(1, 5)] : id.c + rnd(1, 40);
    } else {
        od.c = pick(TT_CHANNELS, TT_N_CHANNELS);
        id.c = od.c * FACTORS[rnd(1, 5)] + rnd(0, 3);
    }
    od.n = id.n; od.h = id.h; od.w = id.w;
    fd.n = od.c; fd.h = fd.w = 1; fd.c = id.c;
    bd.n = bd.h = bd.w = 1; bd.c = od.c;
    p = rnd_params();
    p.stride_h = p.stride_w = 1;
    in_bytes = elements(&id);
    out_bytes = elements(&od);
    size = in_bytes > out_bytes ? in_bytes : out_bytes;
    in_off = out_bytes > in_bytes ? out_bytes - in_bytes : 0;
    in = malloc(in_bytes);
    f = malloc(elements(&fd));
    want = malloc(out_bytes);
    pad = 16;
    region = malloc(size + (size_t)pad);
    scratch = malloc((size_t)id.c);
    fill_s8(in, (int32_t)in_bytes, rnd_fill());
    fill_s8(f, (int32_t)elements(&fd), rnd(0, 4) == 0 ? rnd_fill() : FILL_RANDOM);
    q = rnd_quant(od.c, id.c);
    ref_conv2d(&p, q.mult, q.shift, &id, in, &fd, f, q.bias, &od, want, 0);
    if (tt_conv2d_1x1_inplace_s8_get_buffer_size(&id) != id.c) {
        FAIL(seed, "inplace scratch size %d, want %d", tt_conv2d_1x1_inplace_s8_get_buffer_size(&id), id.c);
    }
    np = isa_paths(paths);
    for (i = 0; i < np; ++i) {
        tt_context ctx;
        tt_status st;
        char what[128];
        int32_t k;
        ctx.buf = scratch;
        ctx.size = id.c;
        tt_isa_select(paths[i]);
        snprintf(what, sizeof what, "conv2d_1x1_inplace %s pixels=%dx%dx%d cin=%d cout=%d", isa_name(paths[i]), id.n,
                 id.h, id.w, id.c, od.c);
        memset(region, 0x5A, size + (size_t)pad);
        memcpy(region + in_off, in, in_bytes);
        st = tt_conv2d_1x1_inplace_s8(&ctx, &p, &q.q, &id, &fd, f, &bd, q.bias, &od, region);
        if (st != TT_OK) {
            FAIL(seed, "%s: status %d", what, st);
        } else {
            failures += compare_s8(what, seed, want, region, (int32_t)out_bytes);
        }
        for (k = 0; k < pad; ++k) {
            if (region[size + (size_t)k] != 0x5A) {
                FAIL(seed, "%s: wrote past the region", what);
                break;
            }
        }
        ++checked;
    }
    tt_isa_select(tt_isa_best());
    free(in); free(f); free(want); free(region); free(scratch);
    free_quant(&q);
}

/* Scratch too small or overlapping, output over input, non-pointwise geometry. */
static void error_cases(void)
{
    const tt_dims id = {1, 2, 2, 4}, fd = {8, 1, 1, 4}, od = {1, 2, 2, 8}, f3 = {8, 3, 3, 4};
    const tt_dims md = {1, 2, 2, 8}, dfd = {1, 3, 3, 8}, dod = {1, 2, 2, 8};
    tt_conv_params p = {0, 0, 1, 1, 0, 0, {-128, 127}};
    tt_conv_params dp = {0, 0, 1, 1, 1, 1, {-128, 127}};
    int32_t mult[8], shift[8], c;
    tt_per_channel_quant_params q;
    int8_t region[64], f[8 * 9 * 4], df[72], scratch[8], big[256];
    tt_context ctx;
    for (c = 0; c < 8; ++c) { mult[c] = 1 << 30; shift[c] = -8; }
    q.multiplier = mult;
    q.shift = shift;
    memset(region, 1, sizeof region);
    memset(f, 1, sizeof f);
    memset(df, 1, sizeof df);
    memset(big, 1, sizeof big);
    ctx.buf = scratch;
    ctx.size = 3;
    if (tt_conv2d_1x1_inplace_s8(&ctx, &p, &q, &id, &fd, f, NULL, NULL, &od, region) != TT_BUFFER_ERROR) {
        FAIL(0, "inplace: a 3-byte scratch for 4 channels was accepted");
    }
    ctx.size = 4;
    if (tt_conv2d_1x1_inplace_s8(NULL, &p, &q, &id, &fd, f, NULL, NULL, &od, region) != TT_BUFFER_ERROR) {
        FAIL(0, "inplace: no scratch was accepted");
    }
    ctx.buf = region + 30;
    if (tt_conv2d_1x1_inplace_s8(&ctx, &p, &q, &id, &fd, f, NULL, NULL, &od, region) != TT_BUFFER_ERROR) {
        FAIL(0, "inplace: a scratch inside the region was accepted");
    }
    ctx.buf = scratch;
    if (tt_conv2d_1x1_inplace_s8(&ctx, &p, &q, &id, &f3, f, NULL, NULL, &od, region) != TT_ARG_ERROR) {
        FAIL(0, "inplace: a 3x3 filter was accepted");
    }
    if (tt_conv2d_1x1_inplace_s8(&ctx, &p, &q, &id, &fd, f, NULL, NULL, &od, region) != TT_OK) {
        FAIL(0, "inplace: a valid call was rejected");
    }
    p.stride_h = 2;
    if (tt_conv2d_1x1_inplace_s8(&ctx, &p, &q, &id, &fd, f, NULL, NULL, &od, region) != TT_ARG_ERROR) {
        FAIL(0, "inplace: stride 2 was accepted");
    }
    p.stride_h = 1;

    ctx.buf = scratch;
    ctx.size = 4;
    if (tt_conv_depthwise_s8(&ctx, &p, &q, &dp, &q, &id, big, &fd, f, NULL, NULL, &md, &dfd, df, NULL, NULL, &dod,
                             big + 128) != TT_OK) {
        FAIL(0, "conv_depthwise: a valid call was rejected");
    }
    if (tt_conv_depthwise_s8(&ctx, &p, &q, &dp, &q, &id, big, &fd, f, NULL, NULL, &md, &dfd, df, NULL, NULL, &dod,
                             big + 8) != TT_ARG_ERROR) {
        FAIL(0, "conv_depthwise: an output over the input was accepted");
    }
    ctx.buf = big + 14;
    if (tt_conv_depthwise_s8(&ctx, &p, &q, &dp, &q, &id, big, &fd, f, NULL, NULL, &md, &dfd, df, NULL, NULL, &dod,
                             big + 128) != TT_BUFFER_ERROR) {
        FAIL(0, "conv_depthwise: a scratch over the input was accepted");
    }
    ctx.buf = scratch;
    ctx.size = 3;
    if (tt_conv_depthwise_s8(&ctx, &p, &q, &dp, &q, &id, big, &fd, f, NULL, NULL, &md, &dfd, df, NULL, NULL, &dod,
                             big + 128) != TT_BUFFER_ERROR) {
        FAIL(0, "conv_depthwise: a short scratch was accepted");
    }
    ctx.size = 4;
    {
        const tt_dims bad_md = {1, 2, 2, 7};
        if (tt_conv_depthwise_s8(&ctx, &p, &q, &dp, &q, &id, big, &fd, f, NULL, NULL, &bad_md, &dfd, df, NULL, NULL,
                                 &dod, big + 128) != TT_ARG_ERROR) {
            FAIL(0, "conv_depthwise: intermediate channels != conv filter n was accepted");
        }
    }
}

int main(int argc, char **argv)
{
    const uint64_t base = base_seed(argc, argv);
    int i;
    error_cases();
    for (i = 0; i < 500; ++i) {
        conv_depthwise_case(base + 0x400000ull + (uint64_t)i * 7919u);
        inplace_case(base + 0x500000ull + (uint64_t)i * 7919u);
    }
    printf("test_conv_memory: %ld checks, %d failures\n", checked, failures);
    return failures == 0 ? 0 : 1;
}
