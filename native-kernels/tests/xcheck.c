/*
 * xcheck: one fixed, deterministic set of kernel calls (the int8 forward kernels, the float backward
 * kernels, the fused updates with every rounding rule, expf/logf, the stochastic-rounding hash) whose
 * every output byte is hashed (64-bit FNV-1a) and printed, one line per call:
 *
 *   = <call> <hash>
 *
 * The same program built for the host and for each Cortex-M core must print the same "= " lines:
 * the device computes the simulation's bits. Within one build, every ISA path it has (portable, AVX2,
 * Arm DSP) computes every call and the paths must agree byte for byte, or the program fails.
 * The data come from splitmix64 seeded per call, so a call's inputs do not depend on the others.
 */
#include "tt_train_test.h"

/* ---- hashing ----------------------------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    size_t i;
    for (i = 0; i < n; ++i) {
        h = (h ^ p[i]) * 0x100000001B3ull;
    }
    return h;
}

#define FNV_START 0xCBF29CE484222325ull

/* ---- random inputs (the tt_test.h generators, seeded per call) ------------------------------- */

static int8_t *s8s(size_t n)
{
    int8_t *p = malloc(n + 1);
    fill_s8(p, (int32_t)n, rnd_fill());
    return p;
}

typedef struct {
    int32_t *bias, *mult, *shift;
} quant;

static quant new_quant(int32_t channels, int32_t depth)
{
    quant q;
    int32_t i;
    q.bias = malloc(sizeof(int32_t) * (size_t)channels);
    q.mult = malloc(sizeof(int32_t) * (size_t)channels);
    q.shift = malloc(sizeof(int32_t) * (size_t)channels);
    for (i = 0; i < channels; ++i) {
        q.bias[i] = rnd_bias();
        q.mult[i] = rnd_multiplier();
        q.shift[i] = rnd_shift(depth);
    }
    return q;
}

static void free_quant(quant *q)
{
    free(q->bias);
    free(q->mult);
    free(q->shift);
}

static tt_dims dims(int32_t n, int32_t h, int32_t w, int32_t c)
{
    tt_dims d;
    d.n = n;
    d.h = h;
    d.w = w;
    d.c = c;
    return d;
}

static int32_t out_size(int32_t in, int32_t k, int32_t stride, int32_t pad)
{
    return (in + 2 * pad - k) / stride + 1;
}

static tt_conv_params conv_params(int32_t stride, int32_t pad)
{
    tt_conv_params p;
    p.input_offset = rnd_input_offset();
    p.output_offset = rnd_output_offset();
    p.stride_h = stride;
    p.stride_w = stride;
    p.pad_h = pad;
    p.pad_w = pad;
    p.activation = rnd_activation();
    return p;
}

/* ---- the calls ----------------------------------------------------------------------------- */

/* A call: computes its outputs from its seed and returns their hash (0 = a kernel refused it). */
typedef uint64_t (*call_fn)(const int32_t *shape);

typedef struct {
    const char *name;
    call_fn fn;
    int32_t shape[8];
} call;

/* shape: h, w, cin, cout, k, stride, pad, batch */
static uint64_t conv2d(const int32_t *s)
{
    const tt_dims in = dims(s[7], s[0], s[1], s[2]);
    const tt_dims fd = dims(s[3], s[4], s[4], s[2]);
    const tt_dims bd = dims(1, 1, 1, s[3]);
    const tt_dims out = dims(s[7], out_size(s[0], s[4], s[5], s[6]), out_size(s[1], s[4], s[5], s[6]), s[3]);
    const tt_conv_params p = conv_params(s[5], s[6]);
    int8_t *x = s8s((size_t)in.n * in.h * in.w * in.c);
    int8_t *f = s8s((size_t)fd.n * fd.h * fd.w * fd.c);
    quant q = new_quant(s[3], s[4] * s[4] * s[2]);
    int8_t *y = malloc((size_t)out.n * out.h * out.w * out.c);
    tt_per_channel_quant_params qp;
    uint64_t h = 0;
    qp.multiplier = q.mult;
    qp.shift = q.shift;
    if (tt_conv2d_s8(NULL, &p, &qp, &in, x, &fd, f, &bd, q.bias, &out, y) == TT_OK) {
        h = fnv(FNV_START, y, (size_t)out.n * out.h * out.w * out.c);
    }
    free(x); free(f); free(y); free_quant(&q);
    return h;
}

/* shape: h, w, cin, cout, batch */
static uint64_t conv2d_1x1(const int32_t *s)
{
    const tt_dims in = dims(s[4], s[0], s[1], s[2]);
    const tt_dims fd = dims(s[3], 1, 1, s[2]);
    const tt_dims bd = dims(1, 1, 1, s[3]);
    const tt_dims out = dims(s[4], s[0], s[1], s[3]);
    const tt_conv_params p = conv_params(1, 0);
    int8_t *x = s8s((size_t)in.n * in.h * in.w * in.c);
    int8_t *f = s8s((size_t)fd.n * fd.c);
    quant q = new_quant(s[3], s[2]);
    int8_t *y = malloc((size_t)out.n * out.h * out.w * out.c);
    tt_per_channel_quant_params qp;
    uint64_t h = 0;
    qp.multiplier = q.mult;
    qp.shift = q.shift;
    if (tt_conv2d_1x1_s8(NULL, &p, &qp, &in, x, &fd, f, &bd, q.bias, &out, y) == TT_OK) {
        h = fnv(FNV_START, y, (size_t)out.n * out.h * out.w * out.c);
    }
    free(x); free(f); free(y); free_quant(&q);
    return h;
}

/* shape: h, w, c, -, k, stride, pad, batch */
static uint64_t depthwise(const int32_t *s)
{
    const tt_dims in = dims(s[7], s[0], s[1], s[2]);
    const tt_dims fd = dims(1, s[4], s[4], s[2]);
    const tt_dims bd = dims(1, 1, 1, s[2]);
    const tt_dims out = dims(s[7], out_size(s[0], s[4], s[5], s[6]), out_size(s[1], s[4], s[5], s[6]), s[2]);
    const tt_conv_params p = conv_params(s[5], s[6]);
    int8_t *x = s8s((size_t)in.n * in.h * in.w * in.c);
    int8_t *f = s8s((size_t)fd.h * fd.w * fd.c);
    quant q = new_quant(s[2], s[4] * s[4]);
    int8_t *y = malloc((size_t)out.n * out.h * out.w * out.c);
    tt_per_channel_quant_params qp;
    uint64_t h = 0;
    qp.multiplier = q.mult;
    qp.shift = q.shift;
    if (tt_depthwise_conv2d_s8(NULL, &p, &qp, &in, x, &fd, f, &bd, q.bias, &out, y) == TT_OK) {
        h = fnv(FNV_START, y, (size_t)out.n * out.h * out.w * out.c);
    }
    free(x); free(f); free(y); free_quant(&q);
    return h;
}

/* shape: batch, in features, out features */
static uint64_t fully_connected(const int32_t *s)
{
    const tt_dims in = dims(s[0], 1, 1, s[1]);
    const tt_dims fd = dims(s[2], 1, 1, s[1]);
    const tt_dims bd = dims(1, 1, 1, s[2]);
    const tt_dims out = dims(s[0], 1, 1, s[2]);
    tt_fc_params p;
    int8_t *x = s8s((size_t)s[0] * s[1]);
    int8_t *f = s8s((size_t)s[1] * s[2]);
    quant q = new_quant(s[2], s[1]);
    int8_t *y = malloc((size_t)s[0] * s[2]);
    tt_per_channel_quant_params qp;
    uint64_t h = 0;
    p.input_offset = rnd_input_offset();
    p.output_offset = rnd_output_offset();
    p.activation = rnd_activation();
    qp.multiplier = q.mult;
    qp.shift = q.shift;
    if (tt_fully_connected_s8(NULL, &p, &qp, &in, x, &fd, f, &bd, q.bias, &out, y) == TT_OK) {
        h = fnv(FNV_START, y, (size_t)s[0] * s[2]);
    }
    free(x); free(f); free(y); free_quant(&q);
    return h;
}

/* shape: h, w, c; then avgpool window/stride/pad and the mean over the same input */
static uint64_t add_pool_mean(const int32_t *s)
{
    const tt_dims d = dims(1, s[0], s[1], s[2]);
    const size_t n = (size_t)s[0] * s[1] * s[2];
    const tt_dims pd = dims(1, out_size(s[0], s[3], s[4], s[5]), out_size(s[1], s[3], s[4], s[5]), s[2]);
    const tt_dims md = dims(1, 1, 1, s[2]);
    int8_t *a = s8s(n), *b = s8s(n), *y = malloc(n), *py = malloc((size_t)pd.h * pd.w * pd.c), my[256];
    tt_add_params ap;
    tt_pool_params pp;
    tt_mean_params mp;
    uint64_t h = FNV_START;
    ap.input1_offset = rnd_input_offset();
    ap.input2_offset = rnd_input_offset();
    ap.left_shift = 20;
    ap.input1_multiplier = rnd(1 << 30, INT32_MAX);
    ap.input1_shift = rnd(-3, 0);
    ap.input2_multiplier = rnd(1 << 30, INT32_MAX);
    ap.input2_shift = rnd(-3, 0);
    ap.output_multiplier = rnd(1 << 30, INT32_MAX);
    ap.output_shift = rnd(-22, -18);
    ap.output_offset = rnd_output_offset();
    ap.activation = rnd_activation();
    pp.filter_h = s[3];
    pp.filter_w = s[3];
    pp.stride_h = s[4];
    pp.stride_w = s[4];
    pp.pad_h = s[5];
    pp.pad_w = s[5];
    pp.activation = rnd_activation();
    mp.input_offset = rnd_input_offset();
    mp.output_offset = rnd_output_offset();
    mp.multiplier = rnd(1 << 30, INT32_MAX);
    mp.shift = rnd(-2, 1);
    mp.activation = rnd_activation();
    if (tt_add_s8(&ap, &d, a, &d, b, &d, y) != TT_OK || tt_avgpool2d_s8(NULL, &pp, &d, a, &pd, py) != TT_OK
        || tt_mean_s8(&mp, &d, b, &md, my) != TT_OK) {
        h = 0;
    } else {
        h = fnv(h, y, n);
        h = fnv(h, py, (size_t)pd.h * pd.w * pd.c);
        h = fnv(h, my, (size_t)s[2]);
    }
    free(a); free(b); free(y); free(py);
    return h;
}

/* shape: count */
static uint64_t requantize(const int32_t *s)
{
    uint64_t h = FNV_START;
    int32_t i;
    for (i = 0; i < s[0]; ++i) {
        /* one draw per statement: argument evaluation order differs between compilers */
        const int32_t x = rnd(INT32_MIN, INT32_MAX);
        const int32_t m = rnd_multiplier();
        const int32_t shift = rnd(-31, 30);
        const int32_t r = tt_requantize(x, m, shift);
        h = fnv(h, &r, sizeof r);
    }
    return h;
}

/* shape: count of expf arguments, count of logf arguments, count of hash values */
static uint64_t math(const int32_t *s)
{
    uint64_t h = FNV_START;
    int32_t i;
    for (i = 0; i < s[0]; ++i) {
        /* spread over [-90, 90] plus a few special values */
        const float x = i < 5 ? (float[]){0.0f, -0.0f, 88.72f, -87.33f, 1.0f}[i] : (rnd_unit() * 90.0f);
        const float y = tt_expf(x);
        h = fnv(h, &y, sizeof y);
    }
    for (i = 0; i < s[1]; ++i) {
        /* every binade: random mantissa and exponent, including subnormals */
        const uint32_t bits = (uint32_t)rnd(1, 0x7F7FFFFF);
        float x, y;
        memcpy(&x, &bits, sizeof x);
        y = tt_logf(x);
        h = fnv(h, &y, sizeof y);
    }
    for (i = 0; i < s[2]; ++i) {
        const uint32_t seed = (uint32_t)rng_next();
        const uint32_t tensor = (uint32_t)rnd(0, 60);
        const uint32_t index = (uint32_t)rng_next();
        const float u = tt_hash_uniform(seed, (uint32_t)i, tensor, index);
        h = fnv(h, &u, sizeof u);
    }
    return h;
}

/* shape: batch, classes; softmax cross-entropy loss and gradient */
static uint64_t softmax(const int32_t *s)
{
    const tt_dims d = dims(s[0], 1, 1, s[1]);
    const size_t n = (size_t)s[0] * s[1];
    int8_t *q = s8s(n);
    int32_t labels[8], b;
    float *loss = malloc(sizeof(float) * (size_t)s[0]), *grad = malloc(sizeof(float) * n);
    const float scale = 0.01f + (rnd_unit() + 1.0f) * 0.2f;
    uint64_t h = 0;
    for (b = 0; b < s[0]; ++b) {
        labels[b] = rnd(0, s[1] - 1);
    }
    if (tt_softmax_xent_s8(scale, rnd(-128, 127), &d, q, labels, loss, grad) == TT_OK) {
        h = fnv(fnv(FNV_START, loss, sizeof(float) * (size_t)s[0]), grad, sizeof(float) * n);
    }
    free(q); free(loss); free(grad);
    return h;
}

/* shape: h, w, c; the gradient plumbing: clamp mask, scale+mask, mean and pool gradients, add, gather */
static uint64_t plumbing(const int32_t *s)
{
    const tt_dims d = dims(1, s[0], s[1], s[2]);
    const size_t n = (size_t)s[0] * s[1] * s[2];
    const tt_dims md = dims(1, 1, 1, s[2]);
    const tt_dims pd = dims(1, out_size(s[0], 3, 2, 1), out_size(s[1], 3, 2, 1), s[2]);
    const tt_activation act = {-100, 90};
    int8_t *y = s8s(n), *gathered = malloc(n);
    uint8_t *mask = malloc((n + 7) / 8);
    float *g = new_floats(n, 3.0f), *scale = new_floats((size_t)s[2], 0.5f), *out = malloc(sizeof(float) * n);
    float *mg = new_floats((size_t)s[2], 1.0f), *mean_out = malloc(sizeof(float) * n);
    float *pg = new_floats((size_t)pd.h * pd.w * pd.c, 1.0f), *pool_out = malloc(sizeof(float) * n);
    float *sum = malloc(sizeof(float) * n);
    int32_t channels[64], nch = rnd_channels(s[2], channels);
    tt_pool_params pp = {3, 3, 2, 2, 1, 1, {-128, 127}};
    uint64_t h = 0;
    if (tt_clamp_mask_s8(&act, &d, y, mask) == TT_OK && tt_grad_scale_mask_f32(scale, &d, g, mask, out) == TT_OK
        && tt_mean_grad_f32(0.75f, &md, mg, &d, mean_out) == TT_OK
        && tt_avgpool2d_grad_f32(&pp, &pd, pg, &d, pool_out) == TT_OK
        && tt_add_f32(&d, out, pool_out, sum) == TT_OK
        && tt_gather_channels_s8(&d, y, nch, channels, gathered) == TT_OK) {
        h = fnv(FNV_START, mask, (n + 7) / 8);
        h = fnv(h, out, sizeof(float) * n);
        h = fnv(h, mean_out, sizeof(float) * n);
        h = fnv(h, pool_out, sizeof(float) * n);
        h = fnv(h, sum, sizeof(float) * n);
        h = fnv(h, gathered, (size_t)s[0] * s[1] * nch);
    }
    free(y); free(gathered); free(mask); free(g); free(scale); free(out); free(mg); free(mean_out);
    free(pg); free(pool_out); free(sum);
    return h;
}

/* shape: h, w, cin, cout, k, stride, pad, depthwise; input gradient of the forward conv in -> out */
static uint64_t grad_input(const int32_t *s)
{
    const int dw = s[7];
    const tt_dims in = dims(1, s[0], s[1], s[2]);
    const tt_dims out = dims(1, out_size(s[0], s[4], s[5], s[6]), out_size(s[1], s[4], s[5], s[6]), dw ? s[2] : s[3]);
    const tt_dims fd = dw ? dims(1, s[4], s[4], s[2]) : dims(s[3], s[4], s[4], s[2]);
    const tt_conv_params p = conv_params(s[5], s[6]);
    const size_t n = (size_t)in.h * in.w * in.c;
    int8_t *f = s8s((size_t)fd.n * fd.h * fd.w * fd.c);
    float *g = new_floats((size_t)out.h * out.w * out.c, 1.0f), *gi = malloc(sizeof(float) * n);
    uint64_t h = 0;
    if ((dw ? tt_depthwise_conv2d_grad_input_f32(&p, &out, g, &fd, f, &in, gi)
            : tt_conv2d_grad_input_f32(&p, &out, g, &fd, f, &in, gi)) == TT_OK) {
        h = fnv(FNV_START, gi, sizeof(float) * n);
    }
    free(f); free(g); free(gi);
    return h;
}

/*
 * shape: h, w, cin, cout, k, stride, pad, depthwise; the fused weight-gradient updates of a channel
 * subset under all four rounding rules (momentum with nearest), then the bias update of the output
 * gradient. Hashes the updated filter, biases and the velocity and master state.
 */
static uint64_t grad_update(const int32_t *s)
{
    const int dw = s[7];
    const tt_dims in = dims(1, s[0], s[1], s[2]);
    const tt_dims out = dims(1, out_size(s[0], s[4], s[5], s[6]), out_size(s[1], s[4], s[5], s[6]), dw ? s[2] : s[3]);
    const tt_dims fd = dw ? dims(1, s[4], s[4], s[2]) : dims(s[3], s[4], s[4], s[2]);
    const tt_dims bd = dims(1, 1, 1, out.c);
    const tt_conv_params p = conv_params(s[5], s[6]);
    const size_t nf = (size_t)fd.n * fd.h * fd.w * fd.c;
    int32_t channels[64], nch = rnd_channels(s[2], channels), rounding, i;
    int8_t *x = s8s((size_t)in.h * in.w * in.c), *f = s8s(nf), *saved;
    float *g = new_floats((size_t)out.h * out.w * out.c, 2.0f), *qas = new_floats((size_t)out.c, 40.0f);
    const size_t nstate = (size_t)fd.n * fd.h * fd.w * nch;
    float *velocity = calloc(nstate, sizeof(float)), *master = malloc(sizeof(float) * nstate);
    int32_t *bias = malloc(sizeof(int32_t) * (size_t)out.c);
    const tt_dims sd = dims(1, in.h, in.w, nch);
    uint64_t h = FNV_START;
    for (i = 0; i < out.c; ++i) {
        qas[i] = qas[i] < 0.0f ? -qas[i] : qas[i];
        bias[i] = rnd_bias();
    }
    saved = malloc((size_t)in.h * in.w * nch + 1);
    if (tt_gather_channels_s8(&in, x, nch, channels, saved) != TT_OK) {
        h = 0;
    }
    for (rounding = TT_ROUND_STOCHASTIC; rounding <= TT_ROUND_FLOAT_MASTER && h != 0; ++rounding) {
        tt_sgd_params sgd;
        tt_sgd_state st;
        sgd.lr = 0.05f + (rnd_unit() + 1.0f) * 0.5f;
        sgd.momentum = rounding == TT_ROUND_NEAREST ? 0.9f : 0.0f;
        sgd.rounding = rounding;
        sgd.seed = (uint32_t)rng_next();
        sgd.step = (uint32_t)rnd(0, 1000);
        sgd.tensor_id = (uint32_t)rnd(0, 60);
        st.velocity = sgd.momentum != 0.0f ? velocity : NULL;
        st.master = rounding == TT_ROUND_FLOAT_MASTER ? master : NULL;
        if (rounding == TT_ROUND_FLOAT_MASTER) {
            size_t k = 0;
            int32_t o, t, j;
            for (o = 0; o < fd.n; ++o)
                for (t = 0; t < fd.h * fd.w; ++t)
                    for (j = 0; j < nch; ++j)
                        master[k++] = (float)f[((size_t)o * fd.h * fd.w + t) * fd.c + channels[j]];
        }
        if ((dw ? tt_depthwise_conv2d_grad_weight_update_s8(&sgd, &p, qas, &out, g, &sd, saved, nch, channels, &fd, f, &st)
                : tt_conv2d_grad_weight_update_s8(&sgd, &p, qas, &out, g, &sd, saved, nch, channels, &fd, f, &st))
            != TT_OK
            || tt_bias_grad_update_s32(&sgd, qas, &out, g, &bd, bias, &st) != TT_OK) {
            h = 0;
            break;
        }
        h = fnv(h, f, nf);
        h = fnv(h, bias, sizeof(int32_t) * (size_t)out.c);
    }
    if (h != 0) {
        h = fnv(h, velocity, sizeof(float) * nstate);
        h = fnv(h, master, sizeof(float) * nstate);
    }
    free(x); free(f); free(saved); free(g); free(qas); free(velocity); free(master); free(bias);
    return h;
}

/* Shapes: odd channel counts exercise every vector tail; paddings, strides and kernels 1/3/5/7. */
static const call CALLS[] = {
    {"conv2d.first_3x3s2", conv2d, {17, 15, 3, 16, 3, 2, 1, 1}},
    {"conv2d.3x3s1_c8", conv2d, {7, 7, 8, 8, 3, 1, 1, 1}},
    {"conv2d.3x3s2_c17", conv2d, {8, 9, 17, 31, 3, 2, 1, 1}},
    {"conv2d.5x5_c5", conv2d, {6, 5, 5, 7, 5, 1, 2, 2}},
    {"conv2d.7x7s2_c3", conv2d, {11, 10, 3, 5, 7, 2, 3, 1}},
    {"conv2d.1x1s2_c33", conv2d, {5, 5, 33, 9, 1, 2, 0, 1}},
    {"conv2d.dispatch_1x1", conv2d, {6, 6, 16, 24, 1, 1, 0, 1}},
    {"conv2d_1x1.c8_32", conv2d_1x1, {8, 8, 8, 32, 1}},
    {"conv2d_1x1.c17_7", conv2d_1x1, {5, 3, 17, 7, 2}},
    {"conv2d_1x1.c64_24", conv2d_1x1, {4, 4, 64, 24, 1}},
    {"conv2d_1x1.c3_5", conv2d_1x1, {3, 7, 3, 5, 1}},
    {"depthwise.3x3s1_c32", depthwise, {8, 8, 32, 0, 3, 1, 1, 1}},
    {"depthwise.3x3s2_c17", depthwise, {9, 9, 17, 0, 3, 2, 1, 1}},
    {"depthwise.7x7_c20", depthwise, {8, 8, 20, 0, 7, 1, 3, 1}},
    {"depthwise.5x5_c5", depthwise, {6, 6, 5, 0, 5, 1, 2, 2}},
    {"depthwise.3x3_c1", depthwise, {5, 5, 1, 0, 3, 1, 0, 1}},
    {"depthwise.3x3_c70", depthwise, {4, 4, 70, 0, 3, 1, 1, 1}},
    {"fully_connected.160_100", fully_connected, {1, 160, 100}},
    {"fully_connected.b3_33_17", fully_connected, {3, 33, 17}},
    {"fully_connected.1_1", fully_connected, {1, 1, 1}},
    {"add_pool_mean.c13", add_pool_mean, {7, 6, 13, 3, 2, 1}},
    {"add_pool_mean.c64", add_pool_mean, {4, 4, 64, 2, 2, 0}},
    {"requantize", requantize, {4000}},
    {"expf_logf_hash", math, {20000, 20000, 2000}},
    {"softmax_xent.b3_10", softmax, {3, 10}},
    {"softmax_xent.b1_1000", softmax, {1, 1000}},
    {"plumbing.c19", plumbing, {7, 5, 19}},
    {"grad_input.conv3x3s2", grad_input, {8, 7, 5, 9, 3, 2, 1, 0}},
    {"grad_input.conv1x1_c16", grad_input, {5, 5, 16, 24, 1, 1, 0, 0}},
    {"grad_input.conv5x5", grad_input, {6, 6, 3, 4, 5, 1, 2, 0}},
    {"grad_input.dw3x3s1_c17", grad_input, {6, 6, 17, 17, 3, 1, 1, 1}},
    {"grad_input.dw7x7_c8", grad_input, {8, 8, 8, 8, 7, 1, 3, 1}},
    {"grad_update.conv1x1_c16", grad_update, {6, 6, 16, 24, 1, 1, 0, 0}},
    {"grad_update.conv3x3s2_c7", grad_update, {8, 7, 7, 9, 3, 2, 1, 0}},
    {"grad_update.conv3x3_c33", grad_update, {5, 5, 33, 5, 3, 1, 1, 0}},
    {"grad_update.dw3x3_c17", grad_update, {7, 7, 17, 17, 3, 1, 1, 1}},
    {"grad_update.dw5x5s2_c40", grad_update, {9, 9, 40, 40, 5, 2, 2, 1}},
};

int main(void)
{
    const int32_t n_calls = (int32_t)(sizeof CALLS / sizeof CALLS[0]);
    tt_isa paths[3];
    int n_paths = 0, i, failures = 0;
    int32_t c;
    paths[n_paths++] = TT_ISA_PORTABLE;
    if (tt_isa_best() != TT_ISA_PORTABLE) {
        paths[n_paths++] = tt_isa_best();
    }
    for (c = 0; c < n_calls; ++c) {
        uint64_t first = 0;
        for (i = 0; i < n_paths; ++i) {
            uint64_t h;
            if (tt_isa_select(paths[i]) != TT_OK) {
                printf("FAIL cannot select the %s path\n", isa_name(paths[i]));
                return 1;
            }
            rng_seed(0x5EEDull + (uint64_t)c * 0x9E3779B97F4A7C15ull);
            h = CALLS[c].fn(CALLS[c].shape);
            if (h == 0) {
                printf("FAIL %s: a kernel returned an error status (%s path)\n", CALLS[c].name, isa_name(paths[i]));
                ++failures;
            } else if (i == 0) {
                first = h;
            } else if (h != first) {
                printf("FAIL %s: the %s path differs from the portable path\n", CALLS[c].name, isa_name(paths[i]));
                ++failures;
            }
        }
        printf("= %s %08lx%08lx\n", CALLS[c].name, (unsigned long)(first >> 32), (unsigned long)(first & 0xFFFFFFFFu));
    }
    printf("xcheck: %d calls on %d path(s): portable%s%s, %d failure(s)\n", (int)n_calls, n_paths,
           n_paths > 1 ? ", " : "", n_paths > 1 ? isa_name(paths[1]) : "", failures);
    return failures == 0 ? 0 : 1;
}
