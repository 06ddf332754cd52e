/* tt_avgpool2d_s8 and tt_mean_s8 against the naive reference. */
#include "tt_test.h"

static const int32_t WINDOWS[] = {1, 2, 3, 5, 7};

static int run_pool(uint64_t seed)
{
    tt_pool_params p;
    tt_dims id, od;
    int8_t *in, *want, *got;
    int32_t b, y, x, c, ky, kx, n_in, n_out;
    int same, failures = 0;
    char what[96];

    rng_seed(seed);
    id.n = rnd(1, 2);
    id.c = pick(TT_CHANNELS, TT_N_CHANNELS);
    if (rnd(0, 9) == 0) id.c = rnd(60, 140); /* more than one channel block */
    p.filter_h = pick(WINDOWS, 5);
    p.filter_w = rnd(0, 3) == 0 ? pick(WINDOWS, 5) : p.filter_h;
    p.stride_h = rnd(1, 2);
    p.stride_w = rnd(0, 3) == 0 ? rnd(1, 2) : p.stride_h;
    same = rnd(0, 1);
    id.h = rnd(same ? 1 : p.filter_h, p.filter_h + 8);
    id.w = rnd(same ? 1 : p.filter_w, p.filter_w + 8);
    od.n = id.n;
    od.c = id.c;
    same_or_valid(id.h, p.filter_h, p.stride_h, same, &od.h, &p.pad_h);
    same_or_valid(id.w, p.filter_w, p.stride_w, same, &od.w, &p.pad_w);
    p.activation = rnd_activation();
    n_in = id.n * id.h * id.w * id.c;
    n_out = od.n * od.h * od.w * od.c;
    in = malloc((size_t)n_in);
    want = malloc((size_t)n_out);
    got = malloc((size_t)n_out);
    fill_s8(in, n_in, rnd_fill());
    for (b = 0; b < od.n; ++b)
        for (y = 0; y < od.h; ++y)
            for (x = 0; x < od.w; ++x)
                for (c = 0; c < od.c; ++c) {
                    int64_t sum = 0, count = 0, avg;
                    for (ky = 0; ky < p.filter_h; ++ky)
                        for (kx = 0; kx < p.filter_w; ++kx) {
                            const int32_t iy = y * p.stride_h - p.pad_h + ky;
                            const int32_t ix = x * p.stride_w - p.pad_w + kx;
                            if (iy < 0 || iy >= id.h || ix < 0 || ix >= id.w) continue;
                            sum += in[nhwc(&id, b, iy, ix, c)];
                            ++count;
                        }
                    /* round half away from zero by magnitude */
                    avg = sum >= 0 ? (2 * sum + count) / (2 * count) : -((-2 * sum + count) / (2 * count));
                    if (avg < p.activation.min) avg = p.activation.min;
                    if (avg > p.activation.max) avg = p.activation.max;
                    want[nhwc(&od, b, y, x, c)] = (int8_t)avg;
                }
    snprintf(what, sizeof what, "avgpool in=%dx%dx%dx%d win=%dx%d s=%d,%d pad=%d,%d", id.n, id.h, id.w,
             id.c, p.filter_h, p.filter_w, p.stride_h, p.stride_w, p.pad_h, p.pad_w);
    if (tt_avgpool2d_s8(NULL, &p, &id, in, &od, got) != TT_OK) {
        printf("FAIL %s seed=0x%llx: status\n", what, (unsigned long long)seed);
        ++failures;
    } else {
        failures += compare_s8(what, seed, want, got, n_out);
    }
    free(in); free(want); free(got);
    return failures;
}

static int run_mean(uint64_t seed)
{
    tt_mean_params p;
    tt_dims id, od;
    int8_t *in, *want, *got;
    int32_t b, c, i, n_in, n_out, area;
    int failures = 0;
    char what[96];

    rng_seed(seed);
    id.n = rnd(1, 3);
    id.h = rnd(1, 12);
    id.w = rnd(1, 12);
    id.c = pick(TT_CHANNELS, TT_N_CHANNELS);
    if (rnd(0, 9) == 0) id.c = rnd(60, 140);
    od.n = id.n;
    od.h = od.w = 1;
    od.c = id.c;
    area = id.h * id.w;
    p.multiplier = rnd_multiplier();
    p.shift = rnd(0, 9) == 0 ? rnd(-31, 4) : rnd(-2, 1);
    p.input_offset = rnd(0, 3) == 0 ? (rnd(0, 1) ? -127 : 128) : rnd(-127, 128);
    p.output_offset = rnd(0, 3) == 0 ? (rnd(0, 1) ? -128 : 127) : rnd(-128, 127);
    p.activation = rnd_activation();
    n_in = id.n * area * id.c;
    n_out = od.n * od.c;
    in = malloc((size_t)n_in);
    want = malloc((size_t)n_out);
    got = malloc((size_t)n_out);
    fill_s8(in, n_in, rnd_fill());
    for (b = 0; b < id.n; ++b)
        for (c = 0; c < id.c; ++c) {
            int64_t sum = 0, r, scaled, q;
            for (i = 0; i < area; ++i) sum += in[((size_t)b * area + i) * id.c + c] + p.input_offset;
            scaled = ref_requantize((int32_t)sum, p.multiplier, p.shift);
            /* nearest, ties away from zero, on the magnitude */
            q = ((scaled < 0 ? -scaled : scaled) * 2 + area) / (2 * (int64_t)area);
            r = (scaled < 0 ? -q : q) + p.output_offset;
            if (r < p.activation.min) r = p.activation.min;
            if (r > p.activation.max) r = p.activation.max;
            want[(size_t)b * id.c + c] = (int8_t)r;
        }
    snprintf(what, sizeof what, "mean in=%dx%dx%dx%d", id.n, id.h, id.w, id.c);
    if (tt_mean_s8(&p, &id, in, &od, got) != TT_OK) {
        printf("FAIL %s seed=0x%llx: status\n", what, (unsigned long long)seed);
        ++failures;
    } else {
        failures += compare_s8(what, seed, want, got, n_out);
    }
    free(in); free(want); free(got);
    return failures;
}

int main(int argc, char **argv)
{
    const uint64_t seed = base_seed(argc, argv);
    int failures = 0, i;
    const int pools = 400, means = 400;
    for (i = 0; i < pools; ++i) failures += run_pool(seed + 17u * 1000003u + (uint64_t)i);
    for (i = 0; i < means; ++i) failures += run_mean(seed + 19u * 1000003u + (uint64_t)i);
    printf("test_pool_mean: %d avgpool + %d mean cases, %d failures (base seed 0x%llx)\n", pools, means,
           failures, (unsigned long long)seed);
    return failures == 0 ? 0 : 1;
}
