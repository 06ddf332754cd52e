/*
 * The Arm DSP building blocks of src/support/tt_dsp.h against independent references (Cortex-M builds
 * with the DSP extension only): the rewritten requantization (QADD, floor-form doubling high multiply,
 * 32-bit rounding divide) against tt_test.h's int64 reference of TF-Lite's arithmetic, over random and
 * boundary accumulators, biases, multipliers, shifts, offsets and clamps; the 2x2, 1x2 and 1x1 dot
 * products against plain int64 sums for every depth 0..70 with extreme and random data.
 */
#include "../src/support/tt_dsp.h"
#include "tt_test.h"

static int failures;

#if TT_HAVE_ARM_DSP

static int32_t boundary_s32(void)
{
    static const int32_t values[] = {INT32_MIN, INT32_MIN + 1, -(1 << 30), -65536, -1, 0, 1, 65535, 1 << 30,
                                     INT32_MAX - 1, INT32_MAX};
    return rnd(0, 3) == 0 ? values[rnd(0, 10)] : rnd(INT32_MIN, INT32_MAX);
}

static void requantize_cases(uint64_t seed, long n)
{
    long i;
    rng_seed(seed);
    for (i = 0; i < n && failures < 10; ++i) {
        const uint32_t acc = (uint32_t)boundary_s32();
        const int32_t bias = rnd(0, 1) ? rnd_bias() : boundary_s32();
        const int32_t mult = rnd(0, 5) == 0 ? (rnd(0, 1) ? 0 : INT32_MAX) : rnd_multiplier();
        const int32_t shift = rnd(-31, 30);
        const int32_t out_off = rnd_output_offset();
        const tt_activation act = rnd_activation();
        const int32_t lo = act.min - out_off, hi = act.max - out_off;
        tt__dsp_rq q = tt__dsp_rq_of(&bias, &mult, &shift, 0);
        const int8_t got = tt__dsp_output_s8(acc, &q, out_off, lo, hi);
        const int8_t want = ref_output((int64_t)(int32_t)acc, bias, mult, shift, out_off, act);
        if (got != want) {
            printf("FAIL requantize seed=0x%llx case %ld: acc %ld bias %ld mult %ld shift %ld off %ld [%ld, %ld]: "
                   "got %d want %d\n", (unsigned long long)seed, i, (long)(int32_t)acc, (long)bias, (long)mult,
                   (long)shift, (long)out_off, (long)act.min, (long)act.max, got, want);
            ++failures;
        }
        /* no bias pointer: the kernels' NULL bias */
        q = tt__dsp_rq_of(NULL, &mult, &shift, 0);
        if (tt__dsp_output_s8(acc, &q, out_off, lo, hi) != ref_output((int64_t)(int32_t)acc, 0, mult, shift, out_off, act)) {
            printf("FAIL requantize without bias seed=0x%llx case %ld\n", (unsigned long long)seed, i);
            ++failures;
        }
    }
}

static int64_t ref_dot(const int8_t *x, const int8_t *w, int32_t depth, int32_t off)
{
    int64_t s = 0;
    int32_t k;
    for (k = 0; k < depth; ++k) {
        s += (int64_t)(x[k] + off) * w[k];
    }
    return s;
}

static void dot_cases(uint64_t seed)
{
    int8_t x[2 * 72], w[2 * 72];
    int32_t depth, rep;
    rng_seed(seed);
    for (depth = 0; depth <= 70; ++depth) {
        for (rep = 0; rep < 6; ++rep) {
            const int32_t off = rep == 0 ? 128 : (rep == 1 ? -127 : rnd_input_offset());
            uint32_t a4[4] = {7, 8, 9, 10}, a2[2] = {11, 12}, a1;
            fill_s8(x, 2 * 72, rep == 0 ? FILL_MIN : (rep == 1 ? FILL_MAX : rnd_fill()));
            fill_s8(w, 2 * 72, rep == 0 ? FILL_MIN : (rep == 1 ? FILL_EXTREMES : rnd_fill()));
            tt__dsp_dot_2x2(x, w, depth, off, a4);
            tt__dsp_dot_1x2(x, w, depth, depth, off, a2);
            a1 = tt__dsp_dot_1x1(x + depth, w + depth, depth, off, 13);
            if (a4[0] != (uint32_t)(7 + ref_dot(x, w, depth, off))
                || a4[1] != (uint32_t)(8 + ref_dot(x, w + depth, depth, off))
                || a4[2] != (uint32_t)(9 + ref_dot(x + depth, w, depth, off))
                || a4[3] != (uint32_t)(10 + ref_dot(x + depth, w + depth, depth, off))
                || a2[0] != (uint32_t)(11 + ref_dot(x, w, depth, off))
                || a2[1] != (uint32_t)(12 + ref_dot(x, w + depth, depth, off))
                || a1 != (uint32_t)(13 + ref_dot(x + depth, w + depth, depth, off))) {
                printf("FAIL dot seed=0x%llx depth %ld offset %ld\n", (unsigned long long)seed, (long)depth, (long)off);
                ++failures;
            }
        }
    }
}

int main(int argc, char **argv)
{
    const uint64_t seed = base_seed(argc, argv);
    requantize_cases(seed, 200000);
    dot_cases(seed ^ 0xD07ull);
    printf("test_dsp: 200000 requantizations, 71 depths x 6 dot products x 3 shapes, %d failure(s) (seed 0x%llx)\n",
           failures, (unsigned long long)seed);
    return failures == 0 ? 0 : 1;
}

#else

int main(void)
{
    printf("test_dsp: this build has no Arm DSP paths\n");
    return 1;
}

#endif
