/*
 * The backward kernels against naive references written from tt_backward.h:
 *   - exact (bit for bit) where one float operation per output is specified, or where the
 *     reference follows the documented accumulation order in its own (gather) loop structure;
 *   - within a relative tolerance against double precision for the conv input gradients
 *     (the transposed convolution) and the softmax cross-entropy.
 */
#include "tt_train_test.h"

static int failures;

#define FAIL(seed, ...)                                                     \
    do {                                                                    \
        printf("FAIL %s:%d seed=0x%llx: ", __FILE__, __LINE__, (unsigned long long)(seed)); \
        printf(__VA_ARGS__);                                                \
        printf("\n");                                                       \
        ++failures;                                                         \
    } while (0)

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/** First index where the float arrays differ bitwise, or -1. */
static long first_diff(const float *want, const float *got, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        if (!same_bits(want[i], got[i])) {
            return (long)i;
        }
    }
    return -1;
}

/* ---- forward-time helpers ------------------------------------------------------------------- */

static void clamp_mask_case(uint64_t seed)
{
    tt_dims d;
    tt_activation act;
    int8_t *y;
    uint8_t *mask;
    size_t n, i;
    rng_seed(seed);
    d.n = rnd(1, 2); d.h = rnd(1, 5); d.w = rnd(1, 5); d.c = pick(TT_CHANNELS, TT_N_CHANNELS);
    act = rnd_activation();
    n = elements(&d);
    y = new_s8(n);
    if (rnd(0, 1)) {
        for (i = 0; i < n; ++i) y[i] = (int8_t)rnd(act.min, act.max); /* many values on the bounds */
    }
    mask = malloc((n + 7) / 8);
    memset(mask, 0xA5, (n + 7) / 8);
    if (tt_clamp_mask_s8(&act, &d, y, mask) != TT_OK) {
        FAIL(seed, "clamp_mask status");
    } else {
        for (i = 0; i < (n + 7) / 8 * 8; ++i) {
            const int want = i < n && y[i] > act.min && y[i] < act.max;
            const int got = (mask[i / 8] >> (i % 8)) & 1;
            if (want != got) {
                FAIL(seed, "clamp_mask bit %zu of %zu: want %d got %d (y %d, [%d, %d])", i, n, want, got,
                     i < n ? y[i] : 0, act.min, act.max);
                break;
            }
        }
    }
    free(y);
    free(mask);
}

static void gather_case(uint64_t seed)
{
    tt_dims d;
    int32_t channels[256], nch, j;
    int8_t *x, *out;
    size_t p, pixels;
    rng_seed(seed);
    d.n = rnd(1, 2); d.h = rnd(1, 6); d.w = rnd(1, 6);
    d.c = rnd(0, 4) == 0 ? rnd(60, 200) : pick(TT_CHANNELS, TT_N_CHANNELS);
    nch = rnd_channels(d.c, channels);
    x = new_s8(elements(&d));
    pixels = (size_t)d.n * d.h * d.w;
    out = malloc(pixels * nch);
    if (tt_gather_channels_s8(&d, x, nch, channels, out) != TT_OK) {
        FAIL(seed, "gather status");
    } else {
        for (p = 0; p < pixels; ++p)
            for (j = 0; j < nch; ++j)
                if (out[p * nch + j] != x[p * d.c + channels[j]]) {
                    FAIL(seed, "gather pixel %zu channel %d", p, channels[j]);
                    p = pixels;
                    break;
                }
    }
    free(x);
    free(out);
}

/* ---- plumbing: one float operation per output, so exact against double-then-round --------- */

static void plumbing_case(uint64_t seed)
{
    tt_dims d, gd, od;
    float *g, *g2, *scale, *out, *want;
    uint8_t *mask;
    int32_t b, y, x, c;
    size_t n, i;
    int use_mask;
    float s;
    rng_seed(seed);
    d.n = rnd(1, 2); d.h = rnd(1, 6); d.w = rnd(1, 6); d.c = pick(TT_CHANNELS, TT_N_CHANNELS);
    n = elements(&d);
    g = new_floats(n, 4.0f);
    g2 = new_floats(n, 4.0f);
    scale = new_floats((size_t)d.c, 0.1f);
    out = malloc(n * sizeof *out);
    want = malloc(n * sizeof *want);
    mask = malloc((n + 7) / 8);
    for (i = 0; i < (n + 7) / 8; ++i) mask[i] = (uint8_t)rnd(0, 255);
    use_mask = rnd(0, 3) != 0;

    /* grad_scale_mask: a product of two floats is exact in double, so rounding it is the float product */
    for (i = 0; i < n; ++i) {
        const int on = !use_mask || ((mask[i / 8] >> (i % 8)) & 1);
        want[i] = on ? (float)((double)g[i] * (double)scale[i % (size_t)d.c]) : 0.0f;
    }
    if (tt_grad_scale_mask_f32(scale, &d, g, use_mask ? mask : NULL, out) != TT_OK || first_diff(want, out, n) >= 0) {
        FAIL(seed, "grad_scale_mask element %ld", first_diff(want, out, n));
    }
    memcpy(out, g, n * sizeof *out); /* in place */
    if (tt_grad_scale_mask_f32(scale, &d, out, use_mask ? mask : NULL, out) != TT_OK || first_diff(want, out, n) >= 0) {
        FAIL(seed, "grad_scale_mask in place element %ld", first_diff(want, out, n));
    }

    /* add: exact; out may alias either input */
    for (i = 0; i < n; ++i) want[i] = (float)((double)g[i] + (double)g2[i]);
    if (tt_add_f32(&d, g, g2, out) != TT_OK || first_diff(want, out, n) >= 0) {
        FAIL(seed, "add_f32 element %ld", first_diff(want, out, n));
    }
    memcpy(out, g2, n * sizeof *out);
    if (tt_add_f32(&d, g, out, out) != TT_OK || first_diff(want, out, n) >= 0) {
        FAIL(seed, "add_f32 aliased element %ld", first_diff(want, out, n));
    }

    /* mean grad: (g * scale) / (H * W), each operation rounded to float (double rounding is innocuous:
       53 >= 2 * 24 + 2) */
    gd.n = d.n; gd.h = 1; gd.w = 1; gd.c = d.c;
    od = d;
    s = 0.05f + (float)rnd(0, 1000) / 128.0f;
    for (b = 0; b < od.n; ++b)
        for (y = 0; y < od.h; ++y)
            for (x = 0; x < od.w; ++x)
                for (c = 0; c < od.c; ++c) {
                    const float gs = (float)((double)g[(size_t)b * d.c + c] * (double)s);
                    want[nhwc(&od, b, y, x, c)] = (float)((double)gs / (double)(od.h * od.w));
                }
    if (tt_mean_grad_f32(s, &gd, g, &od, out) != TT_OK || first_diff(want, out, n) >= 0) {
        FAIL(seed, "mean_grad element %ld", first_diff(want, out, n));
    }
    free(g); free(g2); free(scale); free(out); free(want); free(mask);
}

/* ---- average pool: the documented order, written as a gather per input cell ---------------- */

static void avgpool_grad_case(uint64_t seed)
{
    static const int32_t windows[] = {1, 2, 3, 5, 7};
    tt_pool_params p;
    tt_dims in, out;
    float *g, *got, *want;
    int32_t b, iy, ix, c, oy, ox, same;
    size_t n;
    rng_seed(seed);
    p.filter_h = pick(windows, 5);
    p.filter_w = rnd(0, 3) == 0 ? pick(windows, 5) : p.filter_h;
    p.stride_h = rnd(1, 2);
    p.stride_w = rnd(1, 2);
    p.activation.min = -128;
    p.activation.max = 127;
    same = rnd(0, 1);
    in.n = rnd(1, 2); in.h = rnd(same ? 1 : p.filter_h, p.filter_h + 6); in.w = rnd(same ? 1 : p.filter_w, p.filter_w + 6);
    in.c = pick(TT_CHANNELS, TT_N_CHANNELS);
    out.n = in.n; out.c = in.c;
    same_or_valid(in.h, p.filter_h, p.stride_h, same, &out.h, &p.pad_h);
    same_or_valid(in.w, p.filter_w, p.stride_w, same, &out.w, &p.pad_w);
    g = new_floats(elements(&out), 2.0f);
    n = elements(&in);
    got = malloc(n * sizeof *got);
    want = malloc(n * sizeof *want);
    for (b = 0; b < in.n; ++b)
        for (iy = 0; iy < in.h; ++iy)
            for (ix = 0; ix < in.w; ++ix)
                for (c = 0; c < in.c; ++c) {
                    float acc = 0.0f;
                    double exact = 0.0;
                    for (oy = 0; oy < out.h; ++oy)
                        for (ox = 0; ox < out.w; ++ox) {
                            const int32_t y0 = oy * p.stride_h - p.pad_h, x0 = ox * p.stride_w - p.pad_w;
                            int32_t count;
                            if (iy < y0 || iy >= y0 + p.filter_h || ix < x0 || ix >= x0 + p.filter_w) continue;
                            count = (imin(in.h, y0 + p.filter_h) - imax(0, y0))
                                    * (imin(in.w, x0 + p.filter_w) - imax(0, x0));
                            acc = acc + g[nhwc(&out, b, oy, ox, c)] / (float)count;
                            exact += (double)g[nhwc(&out, b, oy, ox, c)] / count;
                        }
                    want[nhwc(&in, b, iy, ix, c)] = acc;
                    if (fabs(acc - exact) > 1e-5 * (fabs(exact) + 1.0)) {
                        FAIL(seed, "avgpool grad reference drifted from double");
                    }
                }
    if (tt_avgpool2d_grad_f32(&p, &out, g, &in, got) != TT_OK || first_diff(want, got, n) >= 0) {
        FAIL(seed, "avgpool2d_grad in=%dx%dx%dx%d win=%dx%d s=%d,%d pad=%d,%d: element %ld", in.n, in.h, in.w,
             in.c, p.filter_h, p.filter_w, p.stride_h, p.stride_w, p.pad_h, p.pad_w, first_diff(want, got, n));
    }
    free(g); free(got); free(want);
}

/* ---- conv input gradients: double transposed conv (tolerance) and the documented order (exact) ---- */

static void conv_grad_input_case(uint64_t seed, int depthwise)
{
    geometry geo;
    tt_conv_params p;
    tt_dims fd;
    int8_t *w;
    float *g, *got, *want;
    double *exact, *magnitude;
    int32_t b, iy, ix, ic, oy, ox, oc, ky, kx, cin, cout;
    size_t n, i;
    rng_seed(seed);
    cin = pick(TT_CHANNELS, TT_N_CHANNELS);
    cout = depthwise ? cin : pick(TT_CHANNELS, TT_N_CHANNELS);
    geo = rnd_geometry(cin, cout);
    p = conv_params_of(&geo, rnd_input_offset());
    fd.n = depthwise ? 1 : cout; fd.h = geo.kh; fd.w = geo.kw; fd.c = cin;
    w = new_s8(elements(&fd));
    g = new_floats(elements(&geo.out), 1.0f);
    n = elements(&geo.in);
    got = malloc(n * sizeof *got);
    want = malloc(n * sizeof *want);
    exact = calloc(n, sizeof *exact);
    magnitude = calloc(n, sizeof *magnitude);

    /* double: scatter every output cell's gradient through its window (the transposed conv) */
    for (b = 0; b < geo.out.n; ++b)
        for (oy = 0; oy < geo.out.h; ++oy)
            for (ox = 0; ox < geo.out.w; ++ox)
                for (oc = 0; oc < cout; ++oc)
                    for (ky = 0; ky < geo.kh; ++ky)
                        for (kx = 0; kx < geo.kw; ++kx) {
                            iy = oy * geo.stride_h - geo.pad_h + ky;
                            ix = ox * geo.stride_w - geo.pad_w + kx;
                            if (iy < 0 || iy >= geo.in.h || ix < 0 || ix >= geo.in.w) continue;
                            for (ic = 0; ic < cin; ++ic) {
                                double term;
                                if (depthwise && ic != oc) continue;
                                term = (double)g[nhwc(&geo.out, b, oy, ox, oc)]
                                       * w[depthwise ? nhwc(&fd, 0, ky, kx, ic) : nhwc(&fd, oc, ky, kx, ic)];
                                exact[nhwc(&geo.in, b, iy, ix, ic)] += term;
                                magnitude[nhwc(&geo.in, b, iy, ix, ic)] += fabs(term);
                            }
                        }
    /* float, the header's order: per input cell, ky, kx row-major, then oc ascending */
    for (b = 0; b < geo.in.n; ++b)
        for (iy = 0; iy < geo.in.h; ++iy)
            for (ix = 0; ix < geo.in.w; ++ix)
                for (ic = 0; ic < cin; ++ic) {
                    float acc = 0.0f;
                    for (ky = 0; ky < geo.kh; ++ky)
                        for (kx = 0; kx < geo.kw; ++kx) {
                            const int32_t ty = iy + geo.pad_h - ky, tx = ix + geo.pad_w - kx;
                            if (ty < 0 || tx < 0 || ty % geo.stride_h || tx % geo.stride_w) continue;
                            oy = ty / geo.stride_h;
                            ox = tx / geo.stride_w;
                            if (oy >= geo.out.h || ox >= geo.out.w) continue;
                            for (oc = 0; oc < cout; ++oc) {
                                if (depthwise && oc != ic) continue;
                                acc = acc + (float)w[depthwise ? nhwc(&fd, 0, ky, kx, ic) : nhwc(&fd, oc, ky, kx, ic)]
                                            * g[nhwc(&geo.out, b, oy, ox, oc)];
                            }
                        }
                    want[nhwc(&geo.in, b, iy, ix, ic)] = acc;
                }
    if ((depthwise ? tt_depthwise_conv2d_grad_input_f32(&p, &geo.out, g, &fd, w, &geo.in, got)
                   : tt_conv2d_grad_input_f32(&p, &geo.out, g, &fd, w, &geo.in, got)) != TT_OK) {
        FAIL(seed, "%s grad input status", depthwise ? "depthwise" : "conv2d");
    } else {
        for (i = 0; i < n; ++i) {
            if (fabs((double)got[i] - exact[i]) > 1e-5 * magnitude[i]) {
                FAIL(seed, "%s grad input element %zu: %.9g vs double %.9g (sum |terms| %g)",
                     depthwise ? "depthwise" : "conv2d", i, (double)got[i], exact[i], magnitude[i]);
                break;
            }
        }
        if (first_diff(want, got, n) >= 0) {
            FAIL(seed, "%s grad input in=%dx%dx%dx%d k=%dx%d s=%d,%d: element %ld differs from the documented order",
                 depthwise ? "depthwise" : "conv2d", geo.in.n, geo.in.h, geo.in.w, cin, geo.kh, geo.kw, geo.stride_h,
                 geo.stride_w, first_diff(want, got, n));
        }
    }
    free(w); free(g); free(got); free(want); free(exact); free(magnitude);
}

/* ---- softmax cross-entropy against double -------------------------------------------------- */

static void softmax_case(uint64_t seed)
{
    tt_dims d;
    int8_t *q;
    int32_t labels[4], b, i;
    float *loss, *grad, scale;
    int32_t zp;
    rng_seed(seed);
    d.n = rnd(1, 4); d.h = 1; d.w = 1;
    d.c = rnd(0, 3) == 0 ? rnd(100, 1000) : rnd(1, 40);
    q = new_s8(elements(&d));
    scale = (float)(0.01 + (double)rnd(0, 10000) / 20000.0);
    zp = rnd_output_offset();
    for (b = 0; b < d.n; ++b) labels[b] = rnd(0, d.c - 1);
    loss = malloc((size_t)d.n * sizeof *loss);
    grad = malloc(elements(&d) * sizeof *grad);
    if (tt_softmax_xent_s8(scale, zp, &d, q, labels, loss, grad) != TT_OK) {
        FAIL(seed, "softmax status");
        return;
    }
    for (b = 0; b < d.n; ++b) {
        const int8_t *row = q + (size_t)b * d.c;
        double m = -1e300, s = 0.0, want_loss;
        for (i = 0; i < d.c; ++i) m = fmax(m, (double)scale * (row[i] - zp));
        for (i = 0; i < d.c; ++i) s += exp((double)scale * (row[i] - zp) - m);
        want_loss = m + log(s) - (double)scale * (row[labels[b]] - zp);
        if (fabs(loss[b] - want_loss) > 1e-5 * (fabs(want_loss) + fabs(m) + 1.0)) {
            FAIL(seed, "softmax loss row %d: %.9g vs %.9g", b, (double)loss[b], want_loss);
        }
        for (i = 0; i < d.c; ++i) {
            const double want = scale * (exp((double)scale * (row[i] - zp) - m) / s - (i == labels[b]));
            if (fabs(grad[(size_t)b * d.c + i] - want) > 2e-6 * scale) {
                FAIL(seed, "softmax grad [%d][%d]: %.9g vs %.9g", b, i, (double)grad[(size_t)b * d.c + i], want);
                break;
            }
        }
    }
    free(q); free(loss); free(grad);
}

/* Under emulation (Cortex-M in QEMU, the double references in software) fewer cases keep it to seconds. */
#ifdef TT_TEST_EMULATED
#define CASES 120
#else
#define CASES 300
#endif

int main(int argc, char **argv)
{
    const uint64_t base = base_seed(argc, argv);
    int i;
    for (i = 0; i < CASES; ++i) {
        const uint64_t seed = base + (uint64_t)i * 7919u;
        clamp_mask_case(seed);
        gather_case(seed + 1);
        plumbing_case(seed + 2);
        avgpool_grad_case(seed + 3);
        conv_grad_input_case(seed + 4, 0);
        conv_grad_input_case(seed + 5, 1);
        softmax_case(seed + 6);
        if (failures > 20) break;
    }
    if (failures != 0) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("test_backward: %d cases x 7 kernels passed\n", CASES);
    return 0;
}
