/*
 * The fused gradient + SGD update kernels against double-precision references written from
 * tt_backward.h: the gradient in double, the step -lr * qas * g (with momentum), then each rounding
 * rule applied to the double step. Elements whose double step lies within the float computation's
 * error of a rounding boundary (a .5 tie for nearest, an integer for truncation and stochastic
 * rounding) are skipped; every other element must match exactly. Plus hand-computed cases for QAS,
 * momentum and saturation, and untouched channels.
 */
#include "tt_train_test.h"

static int failures;
static long checked, skipped;

#define FAIL(seed, ...)                                                     \
    do {                                                                    \
        printf("FAIL %s:%d seed=0x%llx: ", __FILE__, __LINE__, (unsigned long long)(seed)); \
        printf(__VA_ARGS__);                                                \
        printf("\n");                                                       \
        ++failures;                                                         \
    } while (0)

static const char *ROUNDING[] = {"stochastic", "nearest", "truncate", "float-master"};

/** Distance of x to the nearest point of (integers + offset). */
static double boundary_distance(double x, double offset)
{
    const double t = x - offset;
    return fabs(t - floor(t + 0.5));
}

typedef struct {
    tt_sgd_params sgd;
    double lo, hi;      /* saturation range */
} rule;

/**
 * Checks one element: old integer value, the double step (tolerance tol), the kernel's new value
 * and master. Returns 0 when it matches or is too close to a boundary to decide.
 */
static int check_element(uint64_t seed, const rule *r, uint32_t index, double old, double master_old,
                         double delta, double tol, double got, double got_master)
{
    double step, want;
    switch (r->sgd.rounding) {
    case TT_ROUND_STOCHASTIC: {
        const double u = ref_uniform(r->sgd.seed, r->sgd.step, r->sgd.tensor_id, index);
        if (boundary_distance(delta + u, 0.0) <= tol) { ++skipped; return 0; }
        step = floor(delta + u);
        break;
    }
    case TT_ROUND_NEAREST:
        if (boundary_distance(delta, 0.5) <= tol) { ++skipped; return 0; }
        step = delta >= 0 ? floor(delta + 0.5) : -floor(-delta + 0.5);
        break;
    case TT_ROUND_TRUNCATE:
        if (boundary_distance(delta, 0.0) <= tol && fabs(delta) > 0.5) { ++skipped; return 0; }
        step = delta >= 0 ? floor(delta) : -floor(-delta);
        break;
    default: {
        const double m = master_old + delta;
        const double mtol = tol + fabs(m) * 1.2e-7;
        if (fabs(got_master - m) > mtol) {
            FAIL(seed, "%s index %u: master %.9g, want %.9g", ROUNDING[r->sgd.rounding], index, got_master, m);
            return 1;
        }
        if (boundary_distance(m, 0.5) <= mtol) { ++skipped; return 0; }
        want = m >= 0 ? floor(m + 0.5) : -floor(-m + 0.5);
        want = want < r->lo ? r->lo : (want > r->hi ? r->hi : want);
        ++checked;
        if (got != want) {
            FAIL(seed, "%s index %u: value %.0f, want %.0f (master %.9g)", ROUNDING[r->sgd.rounding], index, got, want, m);
            return 1;
        }
        return 0;
    }
    }
    want = old + step;
    want = want < r->lo ? r->lo : (want > r->hi ? r->hi : want);
    ++checked;
    if (got != want) {
        FAIL(seed, "%s index %u: value %.0f, want %.0f (old %.0f, step %.9g)", ROUNDING[r->sgd.rounding], index, got,
             want, old, delta);
        return 1;
    }
    return 0;
}

static rule rnd_rule(void)
{
    rule r;
    r.sgd.rounding = rnd(0, 3);
    r.sgd.momentum = rnd(0, 2) == 0 ? (float)rnd(1, 99) / 100.0f : 0.0f;
    r.sgd.seed = (uint32_t)rng_next();
    r.sgd.step = (uint32_t)rnd(0, 100000);
    r.sgd.tensor_id = (uint32_t)rnd(0, 50);
    r.sgd.lr = 1.0f;
    r.lo = -127;
    r.hi = 127;
    return r;
}

/** lr so the largest step is about `target` integer units. */
static float lr_for(const double *g, size_t n, const float *qas, double target)
{
    double mx = 0.0;
    size_t i;
    for (i = 0; i < n; ++i) mx = fmax(mx, fabs(g[i]));
    (void)qas;
    return mx > 0 ? (float)(target / mx) : 1.0f;
}

/* ---- conv2d and depthwise weight updates --------------------------------------------------- */

static void weight_update_case(uint64_t seed, int depthwise)
{
    geometry geo;
    tt_conv_params p;
    tt_dims fd, sd;
    tt_sgd_state st;
    rule r;
    int8_t *x, *saved, *filter, *before;
    float *g, *qas, *velocity = NULL, *master = NULL, *v_before = NULL, *m_before = NULL;
    double *gd, *mag;
    int32_t channels[64], nch, cin, cout, j, oc, ky, kx, b, oy, ox, n_out;
    size_t nstate, i, p_, pixels;
    const char *what = depthwise ? "depthwise update" : "conv2d update";
    rng_seed(seed);
    cin = pick(TT_CHANNELS, TT_N_CHANNELS);
    cout = depthwise ? cin : pick(TT_CHANNELS, TT_N_CHANNELS);
    geo = rnd_geometry(cin, cout);
    p = conv_params_of(&geo, rnd_input_offset());
    nch = rnd_channels(cin, channels);
    fd.n = depthwise ? 1 : cout; fd.h = geo.kh; fd.w = geo.kw; fd.c = cin;
    sd = geo.in; sd.c = nch;
    x = new_s8(elements(&geo.in));
    saved = malloc(elements(&sd));
    pixels = (size_t)geo.in.n * geo.in.h * geo.in.w;
    for (p_ = 0; p_ < pixels; ++p_)
        for (j = 0; j < nch; ++j) saved[p_ * nch + j] = x[p_ * cin + channels[j]];
    g = new_floats(elements(&geo.out), 1.0f);
    filter = new_s8(elements(&fd));
    for (i = 0; i < elements(&fd); ++i) if (filter[i] == -128) filter[i] = -127;
    before = malloc(elements(&fd));
    memcpy(before, filter, elements(&fd));
    qas = rnd(0, 2) == 0 ? NULL : new_floats((size_t)(depthwise ? cin : cout), 1.0f);
    if (qas) for (i = 0; i < (size_t)(depthwise ? cin : cout); ++i) qas[i] = 0.25f + fabsf(qas[i]) * 2.0f;
    n_out = depthwise ? 1 : cout;
    nstate = (size_t)n_out * geo.kh * geo.kw * nch;

    /* the gradient in double, laid out like the state */
    gd = calloc(nstate, sizeof *gd);
    mag = calloc(nstate, sizeof *mag);
    for (oc = 0; oc < n_out; ++oc)
        for (ky = 0; ky < geo.kh; ++ky)
            for (kx = 0; kx < geo.kw; ++kx)
                for (j = 0; j < nch; ++j) {
                    const size_t s = (((size_t)oc * geo.kh + ky) * geo.kw + kx) * nch + j;
                    for (b = 0; b < geo.out.n; ++b)
                        for (oy = 0; oy < geo.out.h; ++oy)
                            for (ox = 0; ox < geo.out.w; ++ox) {
                                const int32_t iy = oy * geo.stride_h - geo.pad_h + ky;
                                const int32_t ix = ox * geo.stride_w - geo.pad_w + kx;
                                double term;
                                if (iy < 0 || iy >= geo.in.h || ix < 0 || ix >= geo.in.w) continue;
                                term = (double)g[nhwc(&geo.out, b, oy, ox, depthwise ? channels[j] : oc)]
                                       * (x[nhwc(&geo.in, b, iy, ix, channels[j])] + p.input_offset);
                                gd[s] += term;
                                mag[s] += fabs(term);
                            }
                }
    r = rnd_rule();
    r.sgd.lr = lr_for(gd, nstate, qas, rnd(0, 4) == 0 ? 400.0 : 3.0); /* sometimes saturating */
    st.velocity = NULL;
    st.master = NULL;
    if (r.sgd.momentum != 0.0f) {
        velocity = new_floats(nstate, 1.0f);
        for (i = 0; i < nstate; ++i) velocity[i] *= (float)(mag[i] > 0 ? gd[i] : 1.0);
        v_before = malloc(nstate * sizeof *v_before);
        memcpy(v_before, velocity, nstate * sizeof *v_before);
        st.velocity = velocity;
    }
    if (r.sgd.rounding == TT_ROUND_FLOAT_MASTER) {
        master = malloc(nstate * sizeof *master);
        m_before = malloc(nstate * sizeof *m_before);
        st.master = master;
    }
    /* master starts at the integer value (plus a random fraction, as after earlier steps) */
    for (oc = 0; oc < n_out && master; ++oc)
        for (ky = 0; ky < geo.kh; ++ky)
            for (kx = 0; kx < geo.kw; ++kx)
                for (j = 0; j < nch; ++j) {
                    const size_t s = (((size_t)oc * geo.kh + ky) * geo.kw + kx) * nch + j;
                    master[s] = (float)filter[(((size_t)oc * geo.kh + ky) * geo.kw + kx) * cin + channels[j]]
                                + rnd_unit() * 0.49f;
                    m_before[s] = master[s];
                }

    if ((depthwise ? tt_depthwise_conv2d_grad_weight_update_s8(&r.sgd, &p, qas, &geo.out, g, &sd, saved, nch, channels,
                                                               &fd, filter, &st)
                   : tt_conv2d_grad_weight_update_s8(&r.sgd, &p, qas, &geo.out, g, &sd, saved, nch, channels, &fd,
                                                     filter, &st)) != TT_OK) {
        FAIL(seed, "%s status", what);
    } else {
        int bad = 0;
        for (oc = 0; oc < n_out && !bad; ++oc)
            for (ky = 0; ky < geo.kh && !bad; ++ky)
                for (kx = 0; kx < geo.kw && !bad; ++kx) {
                    const size_t tap = ((size_t)oc * geo.kh + ky) * geo.kw + kx;
                    int32_t c, jj = 0;
                    for (c = 0; c < cin && !bad; ++c) {
                        const size_t fi = tap * cin + c;
                        const size_t s = tap * nch + jj;
                        double q, step, tol;
                        if (jj >= nch || channels[jj] != c) {
                            if (filter[fi] != before[fi]) {
                                FAIL(seed, "%s: untrained channel %d changed", what, c);
                                bad = 1;
                            }
                            continue;
                        }
                        ++jj;
                        q = qas ? qas[depthwise ? c : oc] : 1.0;
                        step = gd[s] * q;
                        tol = mag[s] * q * 1e-5;
                        if (velocity) {
                            step = r.sgd.momentum * (double)v_before[s] + step;
                            tol += fabs(r.sgd.momentum * (double)v_before[s]) * 1e-6;
                            if (fabs(velocity[s] - step) > tol + 1e-6 * fabs(step)) {
                                FAIL(seed, "%s: velocity %u = %.9g, want %.9g", what, (unsigned)s, (double)velocity[s], step);
                                bad = 1;
                                break;
                            }
                        }
                        tol = r.sgd.lr * (tol + 1e-6 * fabs(step)) + 1e-6;
                        bad = check_element(seed, &r, (uint32_t)s, before[fi], master ? m_before[s] : 0.0,
                                            -(double)r.sgd.lr * step, tol, filter[fi], master ? master[s] : 0.0);
                    }
                }
    }
    free(x); free(saved); free(g); free(filter); free(before); free(qas); free(gd); free(mag);
    free(velocity); free(master); free(v_before); free(m_before);
}

/* ---- bias -------------------------------------------------------------------------------------- */

static void bias_update_case(uint64_t seed)
{
    tt_dims gd_dims, bd;
    tt_sgd_state st = {NULL, NULL};
    rule r;
    float *g, *qas, *velocity = NULL, *master = NULL, *v_before = NULL, *m_before = NULL;
    int32_t *bias, *before;
    double *gd, *mag;
    int32_t c;
    size_t px, pixels;
    rng_seed(seed);
    gd_dims.n = rnd(1, 2); gd_dims.h = rnd(1, 7); gd_dims.w = rnd(1, 7);
    gd_dims.c = rnd(0, 4) == 0 ? rnd(65, 150) : pick(TT_CHANNELS, TT_N_CHANNELS);
    bd.n = bd.h = bd.w = 1; bd.c = gd_dims.c;
    g = new_floats(elements(&gd_dims), 2.0f);
    bias = malloc((size_t)bd.c * sizeof *bias);
    before = malloc((size_t)bd.c * sizeof *before);
    for (c = 0; c < bd.c; ++c) before[c] = bias[c] = rnd_bias();
    qas = rnd(0, 1) ? NULL : new_floats((size_t)bd.c, 1.0f);
    if (qas) for (c = 0; c < bd.c; ++c) qas[c] = 0.5f + fabsf(qas[c]) * 100.0f;
    gd = calloc((size_t)bd.c, sizeof *gd);
    mag = calloc((size_t)bd.c, sizeof *mag);
    pixels = (size_t)gd_dims.n * gd_dims.h * gd_dims.w;
    for (px = 0; px < pixels; ++px)
        for (c = 0; c < bd.c; ++c) {
            gd[c] += g[px * bd.c + c];
            mag[c] += fabs(g[px * bd.c + c]);
        }
    r = rnd_rule();
    r.lo = INT32_MIN;
    r.hi = INT32_MAX;
    r.sgd.lr = lr_for(gd, (size_t)bd.c, qas, rnd(0, 3) == 0 ? 1e4 : 3.0);
    if (r.sgd.momentum != 0.0f) {
        velocity = new_floats((size_t)bd.c, 1.0f);
        v_before = malloc((size_t)bd.c * sizeof *v_before);
        memcpy(v_before, velocity, (size_t)bd.c * sizeof *v_before);
        st.velocity = velocity;
    }
    if (r.sgd.rounding == TT_ROUND_FLOAT_MASTER) {
        master = malloc((size_t)bd.c * sizeof *master);
        m_before = malloc((size_t)bd.c * sizeof *m_before);
        for (c = 0; c < bd.c; ++c) m_before[c] = master[c] = (float)bias[c];
        st.master = master;
    }
    if (tt_bias_grad_update_s32(&r.sgd, qas, &gd_dims, g, &bd, bias, &st) != TT_OK) {
        FAIL(seed, "bias update status");
    } else {
        for (c = 0; c < bd.c; ++c) {
            const double q = qas ? qas[c] : 1.0;
            double step = gd[c] * q, tol = mag[c] * q * 1e-5;
            if (velocity) {
                step = r.sgd.momentum * (double)v_before[c] + step;
                tol += fabs(r.sgd.momentum * (double)v_before[c]) * 1e-6;
            }
            tol = r.sgd.lr * (tol + 1e-6 * fabs(step)) + 1e-6;
            if (check_element(seed, &r, (uint32_t)c, before[c], master ? m_before[c] : 0.0, -(double)r.sgd.lr * step,
                              tol, bias[c], master ? master[c] : 0.0)) {
                break;
            }
        }
    }
    free(g); free(bias); free(before); free(qas); free(gd); free(mag);
    free(velocity); free(master); free(v_before); free(m_before);
}

/* ---- hand-computed cases ---------------------------------------------------------------------- */

static void hand_cases(void)
{
    /* grad [1,1,2,2] = {0.25, 1, 0.5, -2}: g = {0.75, -1}; qas {4, 0.5}; lr 2: delta = {-6, +1} */
    const tt_dims gd = {1, 1, 2, 2}, bd = {1, 1, 1, 2};
    const float g[4] = {0.25f, 1.0f, 0.5f, -2.0f};
    const float qas[2] = {4.0f, 0.5f};
    tt_sgd_params sgd = {2.0f, 0.0f, TT_ROUND_NEAREST, 1u, 2u, 3u};
    tt_sgd_state st = {NULL, NULL};
    float velocity[2] = {1.0f, -2.0f}, master[2];
    int32_t bias[2] = {10, -3};
    int8_t w[2];
    tt_dims wd = {1, 1, 1, 2}, wsd = {1, 1, 1, 1}, wgd = {1, 1, 1, 2};
    tt_conv_params cp = {0, 0, 1, 1, 0, 0, {-128, 127}};
    int32_t ch0 = 0, ch1 = 1;
    int8_t sv;
    float gv[2];

    if (tt_bias_grad_update_s32(&sgd, qas, &gd, g, &bd, bias, &st) != TT_OK || bias[0] != 4 || bias[1] != -2) {
        FAIL(0, "QAS bias: {%d, %d}, want {4, -2}", bias[0], bias[1]);
    }
    /* momentum 0.5, v = {1, -2}: v' = {0.5 + 3, -1 - 0.5} = {3.5, -1.5}, delta = -2 v' = {-7, 3} */
    sgd.momentum = 0.5f;
    st.velocity = velocity;
    bias[0] = 10; bias[1] = -3;
    if (tt_bias_grad_update_s32(&sgd, qas, &gd, g, &bd, bias, &st) != TT_OK || bias[0] != 3 || bias[1] != 0
        || velocity[0] != 3.5f || velocity[1] != -1.5f) {
        FAIL(0, "momentum bias: {%d, %d} v {%g, %g}", bias[0], bias[1], (double)velocity[0], (double)velocity[1]);
    }
    /* truncation toward zero: delta = {-6, +1} * 0.9 = {-5.4, 0.9} -> {-5, 0} */
    sgd.momentum = 0.0f;
    sgd.lr = 1.8f;
    sgd.rounding = TT_ROUND_TRUNCATE;
    st.velocity = NULL;
    bias[0] = 10; bias[1] = -3;
    if (tt_bias_grad_update_s32(&sgd, qas, &gd, g, &bd, bias, &st) != TT_OK || bias[0] != 5 || bias[1] != -3) {
        FAIL(0, "truncate bias: {%d, %d}, want {5, -3}", bias[0], bias[1]);
    }
    /* int32 saturation, additive and master */
    sgd.rounding = TT_ROUND_NEAREST;
    sgd.lr = 2.0f;
    bias[0] = INT32_MIN + 3; bias[1] = INT32_MAX;
    if (tt_bias_grad_update_s32(&sgd, qas, &gd, g, &bd, bias, &st) != TT_OK || bias[0] != INT32_MIN
        || bias[1] != INT32_MAX) {
        FAIL(0, "bias saturation: {%d, %d}", bias[0], bias[1]);
    }
    sgd.lr = 1e30f;
    bias[0] = 0; bias[1] = 0;
    if (tt_bias_grad_update_s32(&sgd, qas, &gd, g, &bd, bias, &st) != TT_OK || bias[0] != INT32_MIN
        || bias[1] != INT32_MAX) {
        FAIL(0, "bias saturation, huge step: {%d, %d}", bias[0], bias[1]);
    }
    sgd.rounding = TT_ROUND_FLOAT_MASTER;
    st.master = master;
    master[0] = -2147483648.0f; master[1] = 2147483520.0f;  /* the largest float below 2^31 */
    sgd.lr = 1e3f;   /* delta = {-3000, +500} */
    if (tt_bias_grad_update_s32(&sgd, qas, &gd, g, &bd, bias, &st) != TT_OK || bias[0] != INT32_MIN
        || bias[1] != INT32_MAX || master[0] != (float)(-2147483648.0 - 3000.0)
        || master[1] != (float)(2147483520.0 + 500.0)) {
        FAIL(0, "master saturation: {%d, %d}, master {%.9g, %.9g}", bias[0], bias[1], (double)master[0], (double)master[1]);
    }
    /* a NaN gradient leaves the value unchanged */
    {
        const float gn[4] = {NAN, 1.0f, 0.5f, -2.0f};
        sgd.rounding = TT_ROUND_STOCHASTIC;
        sgd.lr = 2.0f;
        st.master = NULL;
        bias[0] = 77; bias[1] = 5;
        if (tt_bias_grad_update_s32(&sgd, qas, &gd, gn, &bd, bias, &st) != TT_OK || bias[0] != 77) {
            FAIL(0, "NaN gradient changed the bias to %d", bias[0]);
        }
    }
    /* int8 saturation at +-127 (never -128) and a -128 weight clamped to -127 by a zero step */
    sgd.rounding = TT_ROUND_NEAREST;
    sgd.lr = 1.0f;
    sgd.momentum = 0.0f;
    st.velocity = st.master = NULL;
    wd.n = 2; wd.c = 1; wgd.c = 2;
    sv = 1;
    gv[0] = -100.0f; gv[1] = 100.0f;     /* delta = {+100, -100} per output channel */
    w[0] = 120; w[1] = -120;
    if (tt_conv2d_grad_weight_update_s8(&sgd, &cp, NULL, &wgd, gv, &wsd, &sv, 1, &ch0, &wd, w, &st) != TT_OK
        || w[0] != 127 || w[1] != -127) {
        FAIL(0, "int8 saturation: {%d, %d}", w[0], w[1]);
    }
    gv[0] = 0.0f; gv[1] = 0.0f;
    w[0] = -128; w[1] = 127;
    if (tt_conv2d_grad_weight_update_s8(&sgd, &cp, NULL, &wgd, gv, &wsd, &sv, 1, &ch0, &wd, w, &st) != TT_OK
        || w[0] != -127 || w[1] != 127) {
        FAIL(0, "zero step: {%d, %d}", w[0], w[1]);
    }
    /* stochastic rounding: the floor of delta + u with u from the hash at the state index */
    sgd.rounding = TT_ROUND_STOCHASTIC;
    sgd.seed = 0xdeadbeefu; sgd.step = 1000u; sgd.tensor_id = 7u;
    gv[0] = -0.3f; gv[1] = 0.3f;
    w[0] = 0; w[1] = 0;
    {
        const int want0 = (int)floor(0.3 + ref_uniform(0xdeadbeefu, 1000u, 7u, 0u));
        const int want1 = (int)floor(-0.3 + ref_uniform(0xdeadbeefu, 1000u, 7u, 1u));
        if (tt_conv2d_grad_weight_update_s8(&sgd, &cp, NULL, &wgd, gv, &wsd, &sv, 1, &ch0, &wd, w, &st) != TT_OK
            || w[0] != want0 || w[1] != want1) {
            FAIL(0, "stochastic: {%d, %d}, want {%d, %d}", w[0], w[1], want0, want1);
        }
    }
    (void)ch1;
}

/* Stochastic rounding is unbiased: the mean of many updates of the same step is the step. */
static void stochastic_mean(void)
{
    const tt_dims gd = {1, 1, 1, 1}, bd = {1, 1, 1, 1};
    const float g = -0.3f;
    tt_sgd_params sgd = {1.0f, 0.0f, TT_ROUND_STOCHASTIC, 42u, 0u, 9u};
    int32_t bias = 0;
    uint32_t step;
    for (step = 0; step < 100000; ++step) {
        sgd.step = step;
        tt_bias_grad_update_s32(&sgd, NULL, &gd, &g, &bd, &bias, NULL);
    }
    if (fabs(bias / 100000.0 - 0.3) > 0.005) {
        FAIL(0, "stochastic rounding mean %g, want 0.3", bias / 100000.0);
    }
}

int main(int argc, char **argv)
{
    const uint64_t base = base_seed(argc, argv);
    int i;
    hand_cases();
    stochastic_mean();
    for (i = 0; i < 400 && failures < 10; ++i) {
        const uint64_t seed = base + (uint64_t)i * 104729u;
        weight_update_case(seed, 0);
        weight_update_case(seed + 1, 1);
        bias_update_case(seed + 2);
    }
    printf("test_update: %ld elements checked exactly, %ld skipped near a rounding boundary\n", checked, skipped);
    if (failures != 0) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("test_update: all checks passed\n");
    return 0;
}
