/*
 * The float32 convolutions (tt_fp32.h) against naive references written from the header:
 *   - bit for bit, on every ISA path, against a gather-style loop that sums each output in the
 *     documented order (the order is the specification, so this is exact);
 *   - the adjoint identities in double precision, independent of any order:
 *       <conv(x, w), g> = <x, grad_input(g, w)> = <w, grad_weight(g, x)>;
 *   - argument errors: nothing written, TT_ARG_ERROR / TT_BUFFER_ERROR.
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

static const int32_t CHANNELS[] = {1, 3, 5, 7, 8, 15, 16, 17, 31, 32, 33, 40};
#define N_CHANNELS ((int32_t)(sizeof CHANNELS / sizeof CHANNELS[0]))

static long first_diff(const float *want, const float *got, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        if (memcmp(&want[i], &got[i], sizeof(float)) != 0) {
            return (long)i;
        }
    }
    return -1;
}

static double dot(const float *a, const float *b, size_t n, double *mag)
{
    double s = 0.0, m = 0.0;
    size_t i;
    for (i = 0; i < n; ++i) {
        s += (double)a[i] * (double)b[i];
        m += fabs((double)a[i] * (double)b[i]);
    }
    *mag += m;
    return s;
}

/* ---- references: each output gathers its terms in the documented order ---------------------- */

static float ref_forward(const geometry *g, int depthwise, const float *x, const float *w, const float *bias,
                         int32_t n, int32_t oy, int32_t ox, int32_t oc)
{
    float acc = 0.0f;
    int32_t ky, kx, ic;
    for (ky = 0; ky < g->kh; ++ky) {
        for (kx = 0; kx < g->kw; ++kx) {
            const int32_t iy = oy * g->stride_h - g->pad_h + ky, ix = ox * g->stride_w - g->pad_w + kx;
            if (iy < 0 || iy >= g->in.h || ix < 0 || ix >= g->in.w) {
                continue;
            }
            if (depthwise) {
                acc = acc + x[(((size_t)n * g->in.h + iy) * g->in.w + ix) * g->in.c + oc]
                            * w[((size_t)ky * g->kw + kx) * g->in.c + oc];
            } else {
                for (ic = 0; ic < g->in.c; ++ic) {
                    acc = acc + x[(((size_t)n * g->in.h + iy) * g->in.w + ix) * g->in.c + ic]
                                * w[(((size_t)oc * g->kh + ky) * g->kw + kx) * g->in.c + ic];
                }
            }
        }
    }
    return bias != NULL ? acc + bias[oc] : acc;
}

static float ref_grad_input(const geometry *g, int depthwise, const float *gr, const float *w,
                            int32_t n, int32_t iy, int32_t ix, int32_t ic)
{
    float acc = 0.0f;
    int32_t ky, kx, oy, ox, oc;
    for (ky = 0; ky < g->kh; ++ky) {
        for (kx = 0; kx < g->kw; ++kx) {
            /* the output cell whose window puts tap (ky, kx) on (iy, ix), if any */
            int found = 0;
            for (oy = 0; oy < g->out.h && !found; ++oy) {
                for (ox = 0; ox < g->out.w && !found; ++ox) {
                    if (oy * g->stride_h - g->pad_h + ky == iy && ox * g->stride_w - g->pad_w + kx == ix) {
                        found = 1;
                        if (depthwise) {
                            acc = acc + w[((size_t)ky * g->kw + kx) * g->in.c + ic]
                                        * gr[(((size_t)n * g->out.h + oy) * g->out.w + ox) * g->out.c + ic];
                        } else {
                            for (oc = 0; oc < g->out.c; ++oc) {
                                acc = acc + w[(((size_t)oc * g->kh + ky) * g->kw + kx) * g->in.c + ic]
                                            * gr[(((size_t)n * g->out.h + oy) * g->out.w + ox) * g->out.c + oc];
                            }
                        }
                    }
                }
            }
        }
    }
    return acc;
}

static float ref_grad_weight(const geometry *g, int depthwise, const float *gr, const float *x,
                             int32_t oc, int32_t ky, int32_t kx, int32_t ic)
{
    float acc = 0.0f;
    int32_t n, oy, ox;
    for (n = 0; n < g->out.n; ++n) {
        for (oy = 0; oy < g->out.h; ++oy) {
            for (ox = 0; ox < g->out.w; ++ox) {
                const int32_t iy = oy * g->stride_h - g->pad_h + ky, ix = ox * g->stride_w - g->pad_w + kx;
                if (iy < 0 || iy >= g->in.h || ix < 0 || ix >= g->in.w) {
                    continue;
                }
                acc = acc + x[(((size_t)n * g->in.h + iy) * g->in.w + ix) * g->in.c + ic]
                            * gr[(((size_t)n * g->out.h + oy) * g->out.w + ox) * g->out.c + (depthwise ? ic : oc)];
            }
        }
    }
    return acc;
}

static void conv_case(uint64_t seed, int depthwise, int pointwise)
{
    geometry g;
    tt_window_params p;
    tt_dims fd;
    float *x, *w, *bias, *gr, *want_y, *want_gi, *want_gw, *y, *gi, *gw, *scratch;
    size_t nx, nw, ny, i;
    int32_t n, a, b, c, k;
    tt_isa paths[2];
    int np, pi;
    tt_context ctx;
    double mag = 0.0, lhs, rhs1, rhs2;
    rng_seed(seed);
    {
        const int32_t ic = pick(CHANNELS, N_CHANNELS);
        g = rnd_geometry(ic, depthwise ? ic : pick(CHANNELS, N_CHANNELS));
    }
    if (pointwise) {
        g.kh = g.kw = 1;
        g.stride_h = g.stride_w = 1;
        g.pad_h = g.pad_w = 0;
        g.in.n = rnd(1, 3);
        g.in.h = rnd(1, 9);
        g.in.w = rnd(1, 9);
        g.out.n = g.in.n;
        g.out.h = g.in.h;
        g.out.w = g.in.w;
    }
    p.stride_h = g.stride_h;
    p.stride_w = g.stride_w;
    p.pad_h = g.pad_h;
    p.pad_w = g.pad_w;
    fd.n = depthwise ? 1 : g.out.c;
    fd.h = g.kh;
    fd.w = g.kw;
    fd.c = g.in.c;
    nx = elements(&g.in);
    nw = elements(&fd);
    ny = elements(&g.out);
    x = new_floats(nx, 2.0f);
    w = new_floats(nw, 1.0f);
    bias = rnd(0, 1) ? new_floats((size_t)g.out.c, 1.0f) : NULL;
    gr = new_floats(ny, 1.0f);
    want_y = malloc(ny * sizeof(float));
    want_gi = malloc(nx * sizeof(float));
    want_gw = malloc(nw * sizeof(float));
    y = malloc(ny * sizeof(float));
    gi = malloc(nx * sizeof(float));
    gw = malloc(nw * sizeof(float));
    scratch = malloc(nw * sizeof(float) + 16);
    for (n = 0; n < g.out.n; ++n)
        for (a = 0; a < g.out.h; ++a)
            for (b = 0; b < g.out.w; ++b)
                for (c = 0; c < g.out.c; ++c)
                    want_y[(((size_t)n * g.out.h + a) * g.out.w + b) * g.out.c + c]
                        = ref_forward(&g, depthwise, x, w, bias, n, a, b, c);
    for (n = 0; n < g.in.n; ++n)
        for (a = 0; a < g.in.h; ++a)
            for (b = 0; b < g.in.w; ++b)
                for (c = 0; c < g.in.c; ++c)
                    want_gi[(((size_t)n * g.in.h + a) * g.in.w + b) * g.in.c + c]
                        = ref_grad_input(&g, depthwise, gr, w, n, a, b, c);
    for (k = 0; k < fd.n; ++k)
        for (a = 0; a < g.kh; ++a)
            for (b = 0; b < g.kw; ++b)
                for (c = 0; c < g.in.c; ++c)
                    want_gw[(((size_t)k * g.kh + a) * g.kw + b) * g.in.c + c]
                        = ref_grad_weight(&g, depthwise, gr, x, k, a, b, c);
    np = isa_paths(paths);
    for (pi = 0; pi < np; ++pi) {
        tt_status s1, s2, s3;
        long d;
        tt_isa_select(paths[pi]);
        ctx.buf = scratch;
        ctx.size = tt_conv2d_f32_get_buffer_size(&fd);
        if (depthwise) {
            s1 = tt_depthwise_conv2d_f32(&p, &g.in, x, &fd, w, bias, &g.out, y);
            s2 = tt_depthwise_conv2d_f32_grad_input(&p, &g.out, gr, &fd, w, &g.in, gi);
            s3 = tt_depthwise_conv2d_f32_grad_weight(&p, &g.out, gr, &g.in, x, &fd, gw);
        } else {
            s1 = tt_conv2d_f32(&ctx, &p, &g.in, x, &fd, w, bias, &g.out, y);
            s2 = tt_conv2d_f32_grad_input(&p, &g.out, gr, &fd, w, &g.in, gi);
            s3 = tt_conv2d_f32_grad_weight(&p, &g.out, gr, &g.in, x, &fd, gw);
        }
        if (s1 != TT_OK || s2 != TT_OK || s3 != TT_OK) {
            FAIL(seed, "%s status %d %d %d", isa_name(paths[pi]), s1, s2, s3);
            continue;
        }
        if ((d = first_diff(want_y, y, ny)) >= 0) {
            FAIL(seed, "%s %s forward in=%dx%dx%dx%d out c=%d k=%dx%d s=%d,%d pad=%d,%d: element %ld %.9g vs %.9g",
                 isa_name(paths[pi]), depthwise ? "depthwise" : "conv2d", g.in.n, g.in.h, g.in.w, g.in.c, g.out.c,
                 g.kh, g.kw, g.stride_h, g.stride_w, g.pad_h, g.pad_w, d, (double)y[d], (double)want_y[d]);
        }
        if ((d = first_diff(want_gi, gi, nx)) >= 0) {
            FAIL(seed, "%s %s grad input in=%dx%dx%dx%d out c=%d k=%dx%d s=%d,%d: element %ld %.9g vs %.9g",
                 isa_name(paths[pi]), depthwise ? "depthwise" : "conv2d", g.in.n, g.in.h, g.in.w, g.in.c, g.out.c,
                 g.kh, g.kw, g.stride_h, g.stride_w, d, (double)gi[d], (double)want_gi[d]);
        }
        if ((d = first_diff(want_gw, gw, nw)) >= 0) {
            FAIL(seed, "%s %s grad weight in=%dx%dx%dx%d out c=%d k=%dx%d s=%d,%d: element %ld %.9g vs %.9g",
                 isa_name(paths[pi]), depthwise ? "depthwise" : "conv2d", g.in.n, g.in.h, g.in.w, g.in.c, g.out.c,
                 g.kh, g.kw, g.stride_h, g.stride_w, d, (double)gw[d], (double)want_gw[d]);
        }
    }
    tt_isa_select(tt_isa_best());
    /* adjoints in double (bias excluded: subtract it from y) */
    if (bias != NULL) {
        for (i = 0; i < ny; ++i) {
            y[i] = want_y[i] - bias[i % (size_t)g.out.c];
        }
    } else {
        memcpy(y, want_y, ny * sizeof(float));
    }
    lhs = dot(y, gr, ny, &mag);
    rhs1 = dot(x, want_gi, nx, &mag);
    rhs2 = dot(w, want_gw, nw, &mag);
    if (fabs(lhs - rhs1) > 1e-5 * (mag + 1.0) || fabs(lhs - rhs2) > 1e-5 * (mag + 1.0)) {
        FAIL(seed, "%s adjoints: <y,g> %.9g, <x,gi> %.9g, <w,gw> %.9g", depthwise ? "depthwise" : "conv2d", lhs,
             rhs1, rhs2);
    }
    free(x); free(w); free(bias); free(gr); free(want_y); free(want_gi); free(want_gw);
    free(y); free(gi); free(gw); free(scratch);
}

static void arg_errors(void)
{
    tt_window_params p = {1, 1, 0, 0};
    tt_dims in = {1, 4, 4, 3}, fd = {2, 1, 1, 3}, out = {1, 4, 4, 2}, dfd = {1, 3, 3, 3}, dout = {1, 4, 4, 3};
    float x[48], w[27], y[48], sentinel = 12345.0f;
    float scratch[8];
    tt_context ctx = {scratch, (int32_t)sizeof scratch};
    tt_context small = {scratch, 4};
    int i, bad = 0;
    memset(x, 0, sizeof x);
    memset(w, 0, sizeof w);
    for (i = 0; i < 48; ++i) {
        y[i] = sentinel;
    }
    if (tt_conv2d_f32(&small, &p, &in, x, &fd, w, NULL, &out, y) != TT_BUFFER_ERROR) bad |= 1;
    if (tt_conv2d_f32(&ctx, NULL, &in, x, &fd, w, NULL, &out, y) != TT_ARG_ERROR) bad |= 2;
    fd.c = 4;
    if (tt_conv2d_f32(&ctx, &p, &in, x, &fd, w, NULL, &out, y) != TT_ARG_ERROR) bad |= 4;
    fd.c = 3;
    out.h = 5;
    if (tt_conv2d_f32_grad_input(&p, &out, y, &fd, w, &in, x) != TT_ARG_ERROR) bad |= 8;
    out.h = 4;
    p.pad_h = 1; /* pad must be < kernel */
    if (tt_conv2d_f32_grad_weight(&p, &out, y, &in, x, &fd, w) != TT_ARG_ERROR) bad |= 16;
    p.pad_h = 0;
    dfd.c = 2;
    if (tt_depthwise_conv2d_f32(&p, &in, x, &dfd, w, NULL, &dout, y) != TT_ARG_ERROR) bad |= 32;
    dfd.c = 3;
    dfd.n = 2;
    if (tt_depthwise_conv2d_f32_grad_weight(&p, &dout, y, &in, x, &dfd, w) != TT_ARG_ERROR) bad |= 64;
    for (i = 0; i < 48; ++i) {
        if (y[i] != sentinel) bad |= 128;
    }
    if (bad) {
        FAIL(0, "argument errors: mask 0x%x", bad);
    }
}

int main(int argc, char **argv)
{
    const uint64_t base = base_seed(argc, argv);
    int i;
    arg_errors();
    for (i = 0; i < 200; ++i) {
        const uint64_t seed = base + (uint64_t)i * 7919u;
        conv_case(seed, 0, 0);
        conv_case(seed + 1, 0, 1);
        conv_case(seed + 2, 1, 0);
        if (failures > 20) break;
    }
    if (failures != 0) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("test_fp32: 200 cases x 3 layer kinds x 3 kernels, every ISA path, passed\n");
    return 0;
}
