/* tt_requantize: hand-worked values (ties, shift edges, saturation) and random agreement. */
#include "tt_test.h"

typedef struct {
    int32_t x, m, shift, want;
    const char *why;
} rq_case;

static const rq_case CASES[] = {
    {5, 1 << 30, 1, 5, "x * 2 * 0.5 exactly"},
    {1, 1 << 30, 0, 1, "0.5: high multiply rounds the tie up"},
    {-1, 1 << 30, 0, 0, "-0.5: high multiply rounds the tie up (toward +inf)"},
    {3, 1 << 30, 0, 2, "1.5 -> 2"},
    {-3, 1 << 30, 0, -1, "-1.5 -> -1 in the high multiply"},
    {6, 1 << 30, -1, 2, "3 / 2 = 1.5: divide tie away from zero"},
    {-6, 1 << 30, -1, -2, "-3 / 2 = -1.5: divide tie away from zero"},
    {10, 1 << 30, -2, 1, "5 / 4 = 1.25"},
    {-10, 1 << 30, -2, -1, "-5 / 4 = -1.25"},
    {12, 1 << 30, -2, 2, "6 / 4 = 1.5"},
    {-12, 1 << 30, -2, -2, "-6 / 4 = -1.5"},
    {1000, 1518500250, -3, 88, "1000 / sqrt(2) / 8 = 88.39"},
    {-1000, 1518500250, -3, -88, "symmetric"},
    {1, 1 << 30, 30, 536870912, "shift 30: 2^30 * 0.5"},
    {2, 1 << 30, 30, -1073741824, "shift 30: 2 << 30 wraps to INT32_MIN"},
    {3, 1 << 30, 30, -536870912, "shift 30: 3 << 30 wraps to -2^30"},
    {-1, INT32_MAX, 30, -1073741823, "shift 30, negative"},
    {INT32_MAX, INT32_MAX, -31, 1, "shift -31: 0.99999 -> 1"},
    {INT32_MIN, 1 << 30, -31, -1, "shift -31: -0.5 tie -> -1"},
    {1 << 30, 1 << 30, -31, 0, "shift -31: 0.25 -> 0"},
    {INT32_MIN, INT32_MAX, -31, -1, "shift -31: -0.99999 -> -1"},
    {INT32_MAX, INT32_MAX, 0, 2147483646, "largest product"},
    {INT32_MIN, INT32_MAX, 0, -2147483647, "most negative product"},
    {INT32_MIN, INT32_MIN, 0, INT32_MAX, "INT32_MIN * INT32_MIN saturates"},
    {INT32_MIN, INT32_MIN, -1, 1073741824, "saturated, then halved"},
    {INT32_MIN, INT32_MIN, 30, 0, "left shift wraps to 0 first"},
    {123, 0, 5, 0, "zero multiplier"},
    {0, INT32_MAX, -31, 0, "zero value"},
};

int main(int argc, char **argv)
{
    const uint64_t seed = base_seed(argc, argv);
    int failures = 0;
    size_t i;
    long random_cases = 0;

    for (i = 0; i < sizeof CASES / sizeof CASES[0]; ++i) {
        const rq_case *c = &CASES[i];
        const int32_t got = tt_requantize(c->x, c->m, c->shift);
        if (got != c->want) {
            printf("FAIL tt_requantize(%d, %d, %d) = %d, want %d (%s)\n", c->x, c->m, c->shift, got,
                   c->want, c->why);
            ++failures;
        }
    }

    /* every shift, values and multipliers across the range (with edges), against the reference */
    rng_seed(seed);
    for (i = 0; i < 200000; ++i) {
        static const int32_t edges[] = {0, 1, -1, 2, -2, INT32_MAX, INT32_MIN, INT32_MIN + 1, 1 << 30, -(1 << 30)};
        const int32_t shift = (int32_t)(i % 62) - 31;
        const int32_t x = rnd(0, 3) == 0 ? pick(edges, 10) : rnd(INT32_MIN, INT32_MAX);
        const int32_t m = rnd(0, 3) == 0 ? pick(edges, 10) : rnd(0, INT32_MAX);
        const int32_t want = ref_requantize(x, m, shift);
        const int32_t got = tt_requantize(x, m, shift);
        ++random_cases;
        if (got != want) {
            printf("FAIL seed=0x%llx tt_requantize(%d, %d, %d) = %d, reference %d\n",
                   (unsigned long long)seed, x, m, shift, got, want);
            if (++failures > 10) break;
        }
    }

    /* exact ties of the rounding divide, both signs, every right shift */
    for (i = 1; i <= 31; ++i) {
        const int32_t e = (int32_t)i;
        int32_t k;
        for (k = -3; k <= 3; ++k) {
            /* m = 2^30 with shift s: x -> x/2 exactly for even x, then divided by 2^e */
            const int64_t y = (int64_t)k * ((int64_t)1 << e) + ((int64_t)1 << (e - 1)); /* (k + 0.5) * 2^e */
            const int64_t x = 2 * y;
            int32_t want, got;
            if (x > INT32_MAX || x < INT32_MIN) continue;
            want = (int32_t)(y >= 0 ? k + 1 : k); /* away from zero */
            got = tt_requantize((int32_t)x, 1 << 30, -e);
            ++random_cases;
            if (got != want) {
                printf("FAIL tie: tt_requantize(%lld, 2^30, %d) = %d, want %d\n", (long long)x, -e, got, want);
                ++failures;
            }
        }
    }

    printf("test_requantize: %zu hand-worked cases, %ld generated cases, %d failures (seed 0x%llx)\n",
           sizeof CASES / sizeof CASES[0], random_cases, failures, (unsigned long long)seed);
    return failures == 0 ? 0 : 1;
}
