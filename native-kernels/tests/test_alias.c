/*
 * Kernels documented to allow an output that aliases an input (the memory planner relies on it):
 * tt_add_s8 (output = input1 or input2), tt_grad_scale_mask_f32 (out = grad) and tt_add_f32
 * (out = a or b) give exactly the bytes of the same call into a separate buffer, on every ISA path.
 * Sizes cover the vector widths' tails (1 to 70 elements and a few thousand).
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

static tt_dims rnd_dims(void)
{
    tt_dims d;
    d.n = rnd(1, 2);
    d.h = rnd(1, 5);
    d.w = rnd(1, 7);
    d.c = rnd(0, 4) == 0 ? rnd(32, 150) : pick(TT_CHANNELS, TT_N_CHANNELS);
    if (rnd(0, 5) == 0) {
        d.n = d.h = d.w = 1;
        d.c = rnd(1, 70);
    }
    return d;
}

static void add_case(uint64_t seed)
{
    tt_add_params p;
    tt_dims d;
    int8_t *a, *b, *sep, *alias;
    size_t n;
    int which, np, i;
    tt_isa paths[2];
    rng_seed(seed);
    d = rnd_dims();
    n = elements(&d);
    p.input1_offset = rnd_input_offset();
    p.input2_offset = rnd_input_offset();
    p.left_shift = 20;
    p.input1_multiplier = rnd(1 << 30, INT32_MAX);
    p.input1_shift = rnd(-3, 0);
    p.input2_multiplier = rnd(1 << 30, INT32_MAX);
    p.input2_shift = rnd(-3, 0);
    p.output_multiplier = rnd(1 << 30, INT32_MAX);
    p.output_shift = rnd(-22, -18);
    p.output_offset = rnd_output_offset();
    p.activation = rnd_activation();
    a = new_s8(n);
    b = new_s8(n);
    sep = malloc(n);
    alias = malloc(n);
    np = isa_paths(paths);
    for (i = 0; i < np; ++i) {
        tt_isa_select(paths[i]);
        for (which = 1; which <= 2; ++which) {
            tt_status s1 = tt_add_s8(&p, &d, a, &d, b, &d, sep);
            tt_status s2;
            memcpy(alias, which == 1 ? a : b, n);
            s2 = which == 1 ? tt_add_s8(&p, &d, alias, &d, b, &d, alias) : tt_add_s8(&p, &d, a, &d, alias, &d, alias);
            if (s1 != TT_OK || s2 != TT_OK) {
                FAIL(seed, "add status %d %d", s1, s2);
            } else if (memcmp(sep, alias, n) != 0) {
                FAIL(seed, "add %s: output aliasing input%d differs (%zu elements)", isa_name(paths[i]), which, n);
            }
            ++checked;
        }
    }
    tt_isa_select(tt_isa_best());
    free(a); free(b); free(sep); free(alias);
}

static void float_case(uint64_t seed)
{
    tt_dims d;
    float *scale, *g, *g2, *sep, *alias;
    uint8_t *mask;
    size_t n, i;
    int np, k, which;
    tt_isa paths[2];
    rng_seed(seed);
    d = rnd_dims();
    n = elements(&d);
    scale = new_floats((size_t)d.c, 0.5f);
    g = new_floats(n, 3.0f);
    g2 = new_floats(n, 3.0f);
    sep = malloc(n * sizeof *sep);
    alias = malloc(n * sizeof *alias);
    mask = rnd(0, 3) == 0 ? NULL : malloc((n + 7) / 8);
    if (mask) for (i = 0; i < (n + 7) / 8; ++i) mask[i] = (uint8_t)rnd(0, 255);
    np = isa_paths(paths);
    for (k = 0; k < np; ++k) {
        tt_isa_select(paths[k]);
        memcpy(alias, g, n * sizeof *alias);
        if (tt_grad_scale_mask_f32(scale, &d, g, mask, sep) != TT_OK
            || tt_grad_scale_mask_f32(scale, &d, alias, mask, alias) != TT_OK) {
            FAIL(seed, "grad_scale_mask status");
        } else if (memcmp(sep, alias, n * sizeof *sep) != 0) {
            FAIL(seed, "grad_scale_mask %s: out aliasing grad differs (%zu elements)", isa_name(paths[k]), n);
        }
        ++checked;
        for (which = 0; which < 2; ++which) {
            memcpy(alias, which == 0 ? g : g2, n * sizeof *alias);
            if (tt_add_f32(&d, g, g2, sep) != TT_OK
                || (which == 0 ? tt_add_f32(&d, alias, g2, alias) : tt_add_f32(&d, g, alias, alias)) != TT_OK) {
                FAIL(seed, "add_f32 status");
            } else if (memcmp(sep, alias, n * sizeof *sep) != 0) {
                FAIL(seed, "add_f32 %s: out aliasing %s differs", isa_name(paths[k]), which == 0 ? "a" : "b");
            }
            ++checked;
        }
    }
    tt_isa_select(tt_isa_best());
    free(scale); free(g); free(g2); free(sep); free(alias); free(mask);
}

int main(int argc, char **argv)
{
    const uint64_t base = base_seed(argc, argv);
    int i;
    for (i = 0; i < 300; ++i) {
        add_case(base + 0x600000ull + (uint64_t)i * 7919u);
        float_case(base + 0x700000ull + (uint64_t)i * 7919u);
    }
    printf("test_alias: %ld checks, %d failures\n", checked, failures);
    return failures == 0 ? 0 : 1;
}
