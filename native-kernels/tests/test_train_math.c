/*
 * tt_expf and tt_logf against the C library's double exp and log (max ulp error over a sweep of
 * float bit patterns), their special values, and tt_hash_uniform against an independent
 * implementation of its formula and values computed by hand.
 */
#include "tt_train_test.h"

static int failures;

#define EXPECT(cond, ...)                                                   \
    do {                                                                    \
        if (!(cond)) {                                                      \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                     \
            printf(__VA_ARGS__);                                            \
            printf("\n");                                                   \
            ++failures;                                                     \
        }                                                                   \
    } while (0)

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/** |got - exact| in units of the last place of the float nearest exact (normal range). */
static double ulp_error(float got, double exact)
{
    int e;
    if (isinf(exact) && isinf(got) && (exact > 0) == (got > 0)) {
        return 0.0;
    }
    frexp(exact, &e);                       /* exact = f * 2^e, f in [0.5, 1) */
    if (e - 24 < -149) {
        e = -149 + 24;                      /* subnormal results: the fixed subnormal spacing */
    }
    return fabs((double)got - exact) / ldexp(1.0, e - 24);
}

/*
 * The sweep visits every STRIDE-th bit pattern (plus a random offset, so reruns cover others). Under
 * emulation (Cortex-M in QEMU, where the double-precision reference runs in software) a sparser sweep
 * keeps the test to seconds.
 */
#ifdef TT_TEST_EMULATED
#define STRIDE 6011u
#else
#define STRIDE 61u
#endif

static void expf_sweep(uint32_t offset)
{
    double worst = 0.0;
    float worst_x = 0.0f;
    uint32_t u;
    long n = 0;
    for (u = offset; u < 0xFF800000u - STRIDE; u += STRIDE) {
        const float x = from_bits(u);
        double err;
        if (isnan(x) || x < -87.33f || x > 88.72f) {
            continue;
        }
        err = ulp_error(tt_expf(x), exp((double)x));
        ++n;
        if (err > worst) {
            worst = err;
            worst_x = x;
        }
    }
    printf("tt_expf: max error %.3f ulp at x = %.9g over %ld arguments in [-87.33, 88.72]\n", worst,
           (double)worst_x, n);
    EXPECT(worst <= 1.5, "tt_expf error %.3f ulp > 1.5 at %.9g", worst, (double)worst_x);
}

static void logf_sweep(uint32_t offset)
{
    double worst = 0.0;
    float worst_x = 0.0f;
    uint32_t u;
    long n = 0;
    for (u = 1 + offset; u < 0x7F800000u - STRIDE; u += STRIDE) {
        const float x = from_bits(u);
        const double err = ulp_error(tt_logf(x), log((double)x));
        ++n;
        if (err > worst) {
            worst = err;
            worst_x = x;
        }
    }
    printf("tt_logf: max error %.3f ulp at x = %.9g over %ld positive arguments\n", worst, (double)worst_x, n);
    EXPECT(worst <= 2.0, "tt_logf error %.3f ulp > 2 at %.9g", worst, (double)worst_x);
}

static void special_values(void)
{
    EXPECT(tt_expf(0.0f) == 1.0f, "expf(0) = %.9g", (double)tt_expf(0.0f));
    EXPECT(tt_expf(-0.0f) == 1.0f, "expf(-0)");
    EXPECT(tt_expf(-87.34f) == 0.0f && tt_expf(-1000.0f) == 0.0f, "expf below -87.33 is 0");
    EXPECT(tt_expf(-INFINITY) == 0.0f, "expf(-inf)");
    EXPECT(isinf(tt_expf(88.73f)) && isinf(tt_expf(INFINITY)), "expf above 88.72 is +inf");
    EXPECT(isfinite(tt_expf(88.72f)) && tt_expf(88.72f) > 3.3e38f, "expf(88.72) = %.9g", (double)tt_expf(88.72f));
    EXPECT(tt_expf(-87.33f) > 1.17e-38f, "expf(-87.33) is normal: %.9g", (double)tt_expf(-87.33f));
    EXPECT(isnan(tt_expf(NAN)), "expf(NaN)");
    EXPECT(tt_logf(1.0f) == 0.0f, "logf(1) = %.9g", (double)tt_logf(1.0f));
    EXPECT(tt_logf(0.0f) == -INFINITY && tt_logf(-0.0f) == -INFINITY, "logf(0) = -inf");
    EXPECT(isnan(tt_logf(-1.0f)) && isnan(tt_logf(-INFINITY)) && isnan(tt_logf(NAN)), "logf of negatives, NaN");
    EXPECT(tt_logf(INFINITY) == INFINITY, "logf(inf)");
    EXPECT(ulp_error(tt_logf(from_bits(1)), log(0x1p-149)) <= 2.0, "logf(min subnormal) = %.9g",
           (double)tt_logf(from_bits(1)));
}

static void hash_values(void)
{
    /* computed by hand (Python big integers masked to 32 bits) from the header's formula */
    static const struct { uint32_t s, t, k, i, top24; } fixed[] = {
        {0u, 0u, 0u, 0u, 0x41f39eu},
        {1u, 2u, 3u, 4u, 0x8f0ba4u},
        {0xdeadbeefu, 1000u, 7u, 123456u, 0xe5be8bu},
        {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x7272f4u},
    };
    double sum = 0.0, lo = 1.0, hi = 0.0;
    int i;
    for (i = 0; i < 4; ++i) {
        const float u = tt_hash_uniform(fixed[i].s, fixed[i].t, fixed[i].k, fixed[i].i);
        EXPECT((double)u == (double)fixed[i].top24 / 16777216.0, "hash fixed value %d: %.9g", i, (double)u);
    }
    rng_seed(0x4A54);
    for (i = 0; i < 200000; ++i) {
        const uint32_t s = (uint32_t)rng_next(), t = (uint32_t)rng_next() & 0xFFFF;
        const uint32_t k = (uint32_t)rnd(0, 100), idx = (uint32_t)i;
        const float u = tt_hash_uniform(s, t, k, idx);
        if ((double)u != ref_uniform(s, t, k, idx)) {
            EXPECT(0, "hash(%u, %u, %u, %u) = %.9g, reference %.9g", s, t, k, idx, (double)u, ref_uniform(s, t, k, idx));
            break;
        }
        sum += u;
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    EXPECT(lo >= 0.0 && hi < 1.0, "hash range [%g, %g]", lo, hi);
    EXPECT(fabs(sum / 200000.0 - 0.5) < 0.005, "hash mean %g", sum / 200000.0);
    EXPECT(lo < 1e-4 && hi > 1.0 - 1e-4, "hash covers [0, 1): [%g, %g]", lo, hi);
}

int main(int argc, char **argv)
{
    const uint64_t seed = base_seed(argc, argv);
    const uint32_t offset = (uint32_t)(seed % STRIDE);
    special_values();
    hash_values();
    expf_sweep(offset);
    logf_sweep(offset);
    if (failures != 0) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("test_train_math: all checks passed\n");
    return 0;
}
