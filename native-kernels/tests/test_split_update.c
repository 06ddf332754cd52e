/*
 * The split weight/bias gradient + SGD update kernels against the fused ones, bit for bit: for random
 * conv and depthwise geometries, channel subsets, every rounding rule, momentum on and off, with and
 * without QAS scales, tt_*_grad_weight_f32 + tt_sgd_update_s8 (and tt_bias_grad_f32 + tt_sgd_update_s32)
 * must leave exactly the filter, bias, velocity and master the fused kernel leaves, over two steps.
 * The stored gradient is also compared with a transcription of the documented sum (raster order, one
 * float add per term) and with a double-precision sum.
 */
#include "tt_train_test.h"

static int failures;
static long cases;

#define FAIL(seed, ...)                                                     \
    do {                                                                    \
        printf("FAIL %s:%d seed=0x%llx: ", __FILE__, __LINE__, (unsigned long long)(seed)); \
        printf(__VA_ARGS__);                                                \
        printf("\n");                                                       \
        ++failures;                                                         \
    } while (0)

static tt_sgd_params rnd_sgd(float typical)
{
    tt_sgd_params s;
    s.rounding = rnd(0, 3);
    s.momentum = rnd(0, 2) == 0 ? (float)rnd(1, 99) / 100.0f : 0.0f;
    s.seed = (uint32_t)rng_next();
    s.step = (uint32_t)rnd(0, 100000);
    s.tensor_id = (uint32_t)rnd(0, 50);
    s.lr = (float)((rnd(0, 6) == 0 ? 400.0 : 0.2 + rnd(0, 1000) / 300.0) / (typical > 0 ? typical : 1.0f));
    return s;
}

/** Two state buffers (velocity, master) for n elements, or NULL when the rule needs none. */
static void new_state(const tt_sgd_params *s, size_t n, float **velocity, float **master)
{
    size_t i;
    *velocity = s->momentum != 0.0f ? new_floats(n, 1.0f) : NULL;
    *master = NULL;
    if (s->rounding == TT_ROUND_FLOAT_MASTER) {
        *master = new_floats(n, 0.5f);
        for (i = 0; i < n; ++i) (*master)[i] += (float)rnd(-127, 127);
    }
}

static float *dup_floats(const float *p, size_t n)
{
    float *q;
    if (p == NULL) return NULL;
    q = malloc(n * sizeof *q + 4);
    memcpy(q, p, n * sizeof *q);
    return q;
}

static int same_floats(const float *a, const float *b, size_t n)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && memcmp(a, b, n * sizeof *a) == 0);
}

static void weight_case(uint64_t seed, int depthwise)
{
    geometry geo;
    tt_conv_params p;
    tt_dims fd, sd;
    tt_sgd_params sgd;
    tt_sgd_state fused_st, split_st;
    int8_t *saved, *f_fused, *f_split;
    float *g, *qas, *grad_w, *v_fused, *m_fused, *v_split, *m_split, gmax = 0.0f;
    int32_t channels[160], nch, cin, cout, n_out, j, oc, ky, kx, b, oy, ox, step;
    size_t nstate, i;
    const char *what = depthwise ? "depthwise" : "conv2d";
    rng_seed(seed);
    cin = rnd(0, 6) == 0 ? rnd(64, 150) : pick(TT_CHANNELS, TT_N_CHANNELS);
    cout = depthwise ? cin : pick(TT_CHANNELS, TT_N_CHANNELS);
    geo = rnd_geometry(cin, cout);
    p = conv_params_of(&geo, rnd_input_offset());
    nch = rnd_channels(cin, channels);
    fd.n = depthwise ? 1 : cout; fd.h = geo.kh; fd.w = geo.kw; fd.c = cin;
    sd = geo.in; sd.c = nch;
    n_out = fd.n;
    nstate = (size_t)n_out * geo.kh * geo.kw * nch;
    saved = new_s8(elements(&sd));
    g = new_floats(elements(&geo.out), 1.0f);
    for (i = 0; i < elements(&geo.out); ++i) gmax = fmaxf(gmax, fabsf(g[i]));
    f_fused = new_s8(elements(&fd));
    f_split = malloc(elements(&fd));
    memcpy(f_split, f_fused, elements(&fd));
    qas = rnd(0, 2) == 0 ? NULL : new_floats((size_t)(depthwise ? cin : cout), 4.0f);
    sgd = rnd_sgd(gmax * 128.0f * (float)(geo.out.h * geo.out.w) / 4.0f);
    new_state(&sgd, nstate, &v_fused, &m_fused);
    v_split = dup_floats(v_fused, nstate);
    m_split = dup_floats(m_fused, nstate);
    fused_st.velocity = v_fused; fused_st.master = m_fused;
    split_st.velocity = v_split; split_st.master = m_split;
    grad_w = malloc(nstate * sizeof *grad_w);
    ++cases;

    for (step = 0; step < 2; ++step) {
        tt_status s1 = depthwise
            ? tt_depthwise_conv2d_grad_weight_update_s8(&sgd, &p, qas, &geo.out, g, &sd, saved, nch, channels, &fd,
                                                        f_fused, &fused_st)
            : tt_conv2d_grad_weight_update_s8(&sgd, &p, qas, &geo.out, g, &sd, saved, nch, channels, &fd, f_fused,
                                              &fused_st);
        tt_status s2 = depthwise
            ? tt_depthwise_conv2d_grad_weight_f32(&p, &geo.out, g, &sd, saved, nch, channels, &fd, grad_w)
            : tt_conv2d_grad_weight_f32(&p, &geo.out, g, &sd, saved, nch, channels, &fd, grad_w);
        tt_status s3 = tt_sgd_update_s8(&sgd, qas, depthwise, grad_w, nch, channels, &fd, f_split, &split_st);
        if (s1 != TT_OK || s2 != TT_OK || s3 != TT_OK) {
            FAIL(seed, "%s status fused %d grad %d update %d", what, s1, s2, s3);
            break;
        }
        if (memcmp(f_fused, f_split, elements(&fd)) != 0 || !same_floats(v_fused, v_split, nstate)
            || !same_floats(m_fused, m_split, nstate)) {
            FAIL(seed, "%s step %d: split != fused (rounding %d, momentum %g, %d channels)", what, step,
                 sgd.rounding, (double)sgd.momentum, nch);
            break;
        }
        sgd.step += 1;
    }

    /* the stored gradient: the documented sum, transcribed, and close to the exact one */
    for (oc = 0; oc < n_out; ++oc)
        for (ky = 0; ky < geo.kh; ++ky)
            for (kx = 0; kx < geo.kw; ++kx)
                for (j = 0; j < nch; ++j) {
                    const size_t s = (((size_t)oc * geo.kh + ky) * geo.kw + kx) * nch + j;
                    const int32_t gc = depthwise ? channels[j] : oc;
                    float acc = 0.0f;
                    double exact = 0.0, mag = 0.0;
                    for (b = 0; b < geo.out.n; ++b)
                        for (oy = 0; oy < geo.out.h; ++oy)
                            for (ox = 0; ox < geo.out.w; ++ox) {
                                const int32_t iy = oy * geo.stride_h - geo.pad_h + ky;
                                const int32_t ix = ox * geo.stride_w - geo.pad_w + kx;
                                float x, gv;
                                if (iy < 0 || iy >= sd.h || ix < 0 || ix >= sd.w) continue;
                                x = (float)(saved[nhwc(&sd, b, iy, ix, j)] + p.input_offset);
                                gv = g[nhwc(&geo.out, b, oy, ox, gc)];
                                acc = acc + x * gv;
                                exact += (double)x * gv;
                                mag += fabs((double)x * gv);
                            }
                    if (memcmp(&acc, &grad_w[s], sizeof acc) != 0 || fabs(exact - grad_w[s]) > mag * 1e-5 + 1e-30) {
                        FAIL(seed, "%s gradient %u = %a, want %a (exact %.9g)", what, (unsigned)s, (double)grad_w[s],
                             (double)acc, exact);
                        oc = n_out; ky = geo.kh; kx = geo.kw; break;
                    }
                }
    free(saved); free(g); free(f_fused); free(f_split); free(qas); free(grad_w);
    free(v_fused); free(m_fused); free(v_split); free(m_split);
}

static void bias_case(uint64_t seed)
{
    tt_dims gd, bd;
    tt_sgd_params sgd;
    tt_sgd_state fused_st, split_st;
    float *g, *qas, *grad_b, *v_fused, *m_fused, *v_split, *m_split, gmax = 0.0f;
    int32_t *b_fused, *b_split, c, step;
    size_t px, pixels, i;
    rng_seed(seed);
    gd.n = rnd(1, 2); gd.h = rnd(1, 7); gd.w = rnd(1, 7);
    gd.c = rnd(0, 4) == 0 ? rnd(65, 150) : pick(TT_CHANNELS, TT_N_CHANNELS);
    bd.n = bd.h = bd.w = 1; bd.c = gd.c;
    g = new_floats(elements(&gd), 2.0f);
    for (i = 0; i < elements(&gd); ++i) gmax = fmaxf(gmax, fabsf(g[i]));
    b_fused = malloc((size_t)gd.c * sizeof *b_fused);
    b_split = malloc((size_t)gd.c * sizeof *b_split);
    for (c = 0; c < gd.c; ++c) b_fused[c] = b_split[c] = rnd_bias();
    qas = rnd(0, 2) == 0 ? NULL : new_floats((size_t)gd.c, 100.0f);
    sgd = rnd_sgd(gmax * (float)(gd.h * gd.w));
    new_state(&sgd, (size_t)gd.c, &v_fused, &m_fused);
    if (m_fused) for (c = 0; c < gd.c; ++c) m_fused[c] = (float)b_fused[c] + rnd_unit() * 0.5f;
    v_split = dup_floats(v_fused, (size_t)gd.c);
    m_split = dup_floats(m_fused, (size_t)gd.c);
    fused_st.velocity = v_fused; fused_st.master = m_fused;
    split_st.velocity = v_split; split_st.master = m_split;
    grad_b = malloc((size_t)gd.c * sizeof *grad_b);
    ++cases;
    for (step = 0; step < 2; ++step) {
        tt_status s1 = tt_bias_grad_update_s32(&sgd, qas, &gd, g, &bd, b_fused, &fused_st);
        tt_status s2 = tt_bias_grad_f32(&gd, g, grad_b);
        tt_status s3 = tt_sgd_update_s32(&sgd, qas, grad_b, &bd, b_split, &split_st);
        if (s1 != TT_OK || s2 != TT_OK || s3 != TT_OK) {
            FAIL(seed, "bias status fused %d grad %d update %d", s1, s2, s3);
            break;
        }
        if (memcmp(b_fused, b_split, (size_t)gd.c * sizeof *b_fused) != 0
            || !same_floats(v_fused, v_split, (size_t)gd.c) || !same_floats(m_fused, m_split, (size_t)gd.c)) {
            FAIL(seed, "bias step %d: split != fused (rounding %d)", step, sgd.rounding);
            break;
        }
        sgd.step += 1;
    }
    pixels = (size_t)gd.n * gd.h * gd.w;
    for (c = 0; c < gd.c; ++c) {
        float acc = 0.0f;
        for (px = 0; px < pixels; ++px) acc = acc + g[px * gd.c + c];
        if (memcmp(&acc, &grad_b[c], sizeof acc) != 0) {
            FAIL(seed, "bias gradient %d = %a, want %a", c, (double)grad_b[c], (double)acc);
            break;
        }
    }
    free(g); free(qas); free(grad_b); free(b_fused); free(b_split);
    free(v_fused); free(m_fused); free(v_split); free(m_split);
}

/* Hand-computed: a 1x1 conv, 2 output channels, 2 trained of 3 input channels. */
static void hand_case(void)
{
    const tt_dims gd = {1, 1, 2, 2}, sd = {1, 1, 2, 2}, fd = {2, 1, 1, 3};
    const tt_conv_params p = {1, 0, 1, 1, 0, 0, {-128, 127}};
    const float g[4] = {0.5f, -1.0f, 2.0f, 0.25f};     /* [px][oc] */
    const int8_t saved[4] = {1, -2, 3, 0};             /* [px][j], + offset 1: {2, -1, 4, 1} */
    const int32_t channels[2] = {0, 2};
    const float qas[2] = {1.0f, 2.0f};
    float w[4];
    int8_t filter[6] = {10, 20, 30, 40, 50, 60};
    tt_sgd_params sgd = {1.0f, 0.0f, TT_ROUND_NEAREST, 0u, 0u, 0u};
    /* g[oc][j] = sum_px x[px][j] * g[px][oc]: oc 0: {2*0.5 + 4*2, -1*0.5 + 1*2} = {9, 1.5};
       oc 1: {2*-1 + 4*0.25, -1*-1 + 1*0.25} = {-1, 1.25} */
    if (tt_conv2d_grad_weight_f32(&p, &gd, g, &sd, saved, 2, channels, &fd, w) != TT_OK || w[0] != 9.0f
        || w[1] != 1.5f || w[2] != -1.0f || w[3] != 1.25f) {
        FAIL(0, "hand gradient {%g, %g, %g, %g}", (double)w[0], (double)w[1], (double)w[2], (double)w[3]);
    }
    /* delta = -g * qas[oc]: {-9, -1.5 -> -2}, {+2, -2.5 -> -3}; channel 1 of the filter untouched */
    if (tt_sgd_update_s8(&sgd, qas, 0, w, 2, channels, &fd, filter, NULL) != TT_OK || filter[0] != 1
        || filter[1] != 20 || filter[2] != 28 || filter[3] != 42 || filter[4] != 50 || filter[5] != 57) {
        FAIL(0, "hand update {%d, %d, %d, %d, %d, %d}", filter[0], filter[1], filter[2], filter[3], filter[4],
             filter[5]);
    }
}

/* Argument errors: every one returns TT_ARG_ERROR before touching memory. */
static void arg_cases(void)
{
    const tt_dims gd = {1, 3, 3, 2}, sd = {1, 3, 3, 1}, fd = {2, 3, 3, 4}, dfd = {1, 3, 3, 2}, bd = {1, 1, 1, 2};
    const tt_conv_params p = {0, 0, 1, 1, 1, 1, {-128, 127}};
    const tt_sgd_params sgd = {1.0f, 0.0f, TT_ROUND_NEAREST, 0u, 0u, 0u};
    const tt_sgd_params mom = {1.0f, 0.5f, TT_ROUND_NEAREST, 0u, 0u, 0u};
    float g[18] = {0}, out[72];
    int8_t saved[9] = {0}, filter[72] = {0};
    int32_t bias[2] = {0};
    const int32_t ch1[1] = {1}, bad[2] = {1, 1}, big[1] = {4};
    const tt_dims bad_bd = {1, 1, 2, 1};
    int errors = 0;
    errors += tt_conv2d_grad_weight_f32(&p, &gd, g, &sd, saved, 1, big, &fd, out) != TT_ARG_ERROR;
    errors += tt_conv2d_grad_weight_f32(&p, &gd, g, &sd, saved, 2, bad, &fd, out) != TT_ARG_ERROR;
    errors += tt_conv2d_grad_weight_f32(&p, &gd, g, &sd, saved, 1, ch1, &fd, NULL) != TT_ARG_ERROR;
    errors += tt_conv2d_grad_weight_f32(&p, &gd, g, &sd, saved, 1, ch1, &dfd, out) != TT_ARG_ERROR;
    errors += tt_depthwise_conv2d_grad_weight_f32(&p, &gd, g, &sd, saved, 1, ch1, &fd, out) != TT_ARG_ERROR;
    errors += tt_bias_grad_f32(&gd, NULL, out) != TT_ARG_ERROR;
    errors += tt_sgd_update_s8(&sgd, NULL, 2, g, 1, ch1, &fd, filter, NULL) != TT_ARG_ERROR;
    errors += tt_sgd_update_s8(&sgd, NULL, 1, g, 1, ch1, &fd, filter, NULL) != TT_ARG_ERROR;
    errors += tt_sgd_update_s8(&mom, NULL, 0, g, 1, ch1, &fd, filter, NULL) != TT_ARG_ERROR;
    errors += tt_sgd_update_s8(&sgd, NULL, 0, g, 1, big, &fd, filter, NULL) != TT_ARG_ERROR;
    errors += tt_sgd_update_s32(&sgd, NULL, g, &bad_bd, bias, NULL) != TT_ARG_ERROR;
    errors += tt_sgd_update_s32(&sgd, NULL, NULL, &bd, bias, NULL) != TT_ARG_ERROR;
    if (errors != 0) {
        FAIL(0, "%d argument errors were not reported", errors);
    }
    if (tt_conv2d_grad_weight_f32(&p, &gd, g, &sd, saved, 1, ch1, &fd, out) != TT_OK
        || tt_depthwise_conv2d_grad_weight_f32(&p, &gd, g, &sd, saved, 1, ch1, &dfd, out) != TT_OK
        || tt_sgd_update_s32(&sgd, NULL, g, &bd, bias, NULL) != TT_OK) {
        FAIL(0, "a valid call was rejected");
    }
}

int main(int argc, char **argv)
{
    const uint64_t base = base_seed(argc, argv);
    int i;
    hand_case();
    arg_cases();
    for (i = 0; i < 400; ++i) {
        weight_case(base + 0x100000ull + (uint64_t)i * 7919u, 0);
        weight_case(base + 0x200000ull + (uint64_t)i * 7919u, 1);
        bias_case(base + 0x300000ull + (uint64_t)i * 7919u);
    }
    printf("test_split_update: %ld random cases, %d failures\n", cases, failures);
    return failures == 0 ? 0 : 1;
}
