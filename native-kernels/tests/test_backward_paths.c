/*
 * The ISA paths of the backward kernels against each other, byte for byte: the conv and depthwise
 * input gradients and the fused weight-gradient updates (every rounding rule, momentum, float master,
 * QAS scales, channel subsets) on random geometries (kernels 1/3/5/7, strides 1/2, SAME and VALID,
 * channel counts that leave every tile remainder), once on the portable path and once on the best path
 * of this build (Arm DSP on Cortex-M4/M7; on a host without such a path both runs take the same code).
 * The portable path itself is checked against references by test_backward and test_update.
 */
#include "tt_train_test.h"

static int failures;

#ifdef TT_TEST_EMULATED
#define CASES 150
#else
#define CASES 300
#endif

typedef struct {
    float *gi;              /* input gradient */
    int8_t *filter;         /* filter after the update */
    int32_t *bias;
    float *velocity, *master;
} result;

/* Runs one case on the selected path; the inputs come from seed, so both paths see the same data. */
static tt_status run_case(uint64_t seed, int depthwise, result *r, size_t *n_gi, size_t *n_f, size_t *n_b,
                          size_t *n_state)
{
    geometry geo;
    tt_conv_params p;
    tt_dims fd, sd, bd;
    int32_t channels[64], nch, cin, cout, i;
    int8_t *x, *saved;
    float *g, *qas;
    tt_sgd_params sgd;
    tt_sgd_state st;
    tt_status s1, s2, s3;
    rng_seed(seed);
    cin = rnd(0, 3) == 0 ? rnd(1, 40) : pick(TT_CHANNELS, TT_N_CHANNELS);
    cout = depthwise ? cin : (rnd(0, 3) == 0 ? rnd(1, 40) : pick(TT_CHANNELS, TT_N_CHANNELS));
    geo = rnd_geometry(cin, cout);
    p = conv_params_of(&geo, rnd_input_offset());
    fd.n = depthwise ? 1 : cout; fd.h = geo.kh; fd.w = geo.kw; fd.c = cin;
    nch = rnd_channels(cin, channels);
    sd = geo.in;
    sd.c = nch;
    bd.n = bd.h = bd.w = 1; bd.c = cout;
    x = new_s8(elements(&geo.in));
    saved = malloc(elements(&sd) + 1);
    g = new_floats(elements(&geo.out), 2.0f);
    qas = new_floats((size_t)cout, 30.0f);
    for (i = 0; i < cout; ++i) {
        qas[i] = qas[i] < 0.0f ? -qas[i] : qas[i];
    }
    *n_gi = elements(&geo.in);
    *n_f = elements(&fd);
    *n_b = (size_t)cout;
    /* the weight update's state is [out][kh][kw][nch]; the bias update then uses the first cout entries */
    *n_state = (size_t)fd.n * fd.h * fd.w * nch;
    if (*n_state < (size_t)cout) {
        *n_state = (size_t)cout;
    }
    r->gi = malloc(*n_gi * sizeof(float));
    r->filter = new_s8(*n_f);
    r->bias = malloc(*n_b * sizeof(int32_t));
    r->velocity = calloc(*n_state + 1, sizeof(float));
    r->master = malloc((*n_state + 1) * sizeof(float));
    for (i = 0; i < cout; ++i) {
        r->bias[i] = rnd_bias();
    }
    for (i = 0; i < (int32_t)*n_state; ++i) {
        r->master[i] = rnd_unit() * 100.0f;
    }
    sgd.lr = 0.02f + (rnd_unit() + 1.0f);
    sgd.rounding = rnd(TT_ROUND_STOCHASTIC, TT_ROUND_FLOAT_MASTER);
    sgd.momentum = rnd(0, 2) == 0 ? 0.5f : 0.0f;
    sgd.seed = (uint32_t)rng_next();
    sgd.step = (uint32_t)rnd(0, 99);
    sgd.tensor_id = (uint32_t)rnd(0, 9);
    st.velocity = sgd.momentum != 0.0f ? r->velocity : NULL;
    st.master = sgd.rounding == TT_ROUND_FLOAT_MASTER ? r->master : NULL;
    s1 = tt_gather_channels_s8(&geo.in, x, nch, channels, saved);
    s2 = depthwise ? tt_depthwise_conv2d_grad_input_f32(&p, &geo.out, g, &fd, r->filter, &geo.in, r->gi)
                   : tt_conv2d_grad_input_f32(&p, &geo.out, g, &fd, r->filter, &geo.in, r->gi);
    s3 = depthwise
        ? tt_depthwise_conv2d_grad_weight_update_s8(&sgd, &p, rnd(0, 3) ? qas : NULL, &geo.out, g, &sd, saved, nch,
                                                    channels, &fd, r->filter, &st)
        : tt_conv2d_grad_weight_update_s8(&sgd, &p, rnd(0, 3) ? qas : NULL, &geo.out, g, &sd, saved, nch, channels,
                                          &fd, r->filter, &st);
    if (s3 == TT_OK) {
        s3 = tt_bias_grad_update_s32(&sgd, qas, &geo.out, g, &bd, r->bias, &st);
    }
    free(x); free(saved); free(g); free(qas);
    return s1 != TT_OK ? s1 : (s2 != TT_OK ? s2 : s3);
}

static void free_result(result *r)
{
    free(r->gi); free(r->filter); free(r->bias); free(r->velocity); free(r->master);
}

static void compare(uint64_t seed, int depthwise, tt_isa best)
{
    result a, b;
    size_t n_gi, n_f, n_b, n_state;
    tt_status sa, sb;
    const char *kind = depthwise ? "depthwise" : "conv2d";
    tt_isa_select(TT_ISA_PORTABLE);
    sa = run_case(seed, depthwise, &a, &n_gi, &n_f, &n_b, &n_state);
    tt_isa_select(best);
    sb = run_case(seed, depthwise, &b, &n_gi, &n_f, &n_b, &n_state);
    if (sa != TT_OK || sb != TT_OK) {
        printf("FAIL %s seed=0x%llx: status %d / %d\n", kind, (unsigned long long)seed, (int)sa, (int)sb);
        ++failures;
    } else if (memcmp(a.gi, b.gi, n_gi * sizeof(float)) != 0) {
        printf("FAIL %s seed=0x%llx: the input gradient differs between the portable and the %s path\n", kind,
               (unsigned long long)seed, isa_name(best));
        ++failures;
    } else if (memcmp(a.filter, b.filter, n_f) != 0 || memcmp(a.bias, b.bias, n_b * sizeof(int32_t)) != 0
               || memcmp(a.velocity, b.velocity, n_state * sizeof(float)) != 0
               || memcmp(a.master, b.master, n_state * sizeof(float)) != 0) {
        printf("FAIL %s seed=0x%llx: the update differs between the portable and the %s path\n", kind,
               (unsigned long long)seed, isa_name(best));
        ++failures;
    }
    free_result(&a);
    free_result(&b);
}

int main(int argc, char **argv)
{
    const uint64_t base = base_seed(argc, argv);
    const tt_isa best = tt_isa_best();
    int i;
    for (i = 0; i < CASES && failures < 10; ++i) {
        compare(base + (uint64_t)i * 6151u, 0, best);
        compare(base + (uint64_t)i * 6151u + 1, 1, best);
    }
    tt_isa_select(best);
    printf("test_backward_paths: %d conv2d + %d depthwise cases, portable vs %s, %d failure(s) (base seed 0x%llx)\n",
           CASES, CASES, isa_name(best), failures, (unsigned long long)base);
    return failures == 0 ? 0 : 1;
}
