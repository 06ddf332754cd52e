/*
 * kernel_counts: Cortex-M firmware that runs one call of each kernel on the layer shapes of
 * benchmarks/.../KernelBenchmark.java (mcunet-5fps and MobileNetV2-w0.35 at 128x128) plus the
 * backward kernels of a trained mcunet-5fps block, each between tt_count_begin() and tt_count_end(),
 * so the ttcount QEMU plugin reports its instructions. For every call it prints, in the same order,
 *
 *   count <layer> <MACs> <FNV-1a hash of the outputs>
 *
 * (the hash shows the DSP and the portable build computed the same bits). scripts/mcu-kernel-counts
 * builds it with and without the DSP paths and tabulates. Inputs are seeded random data; buffers
 * come from one static arena, one layer at a time, inside the 256 KB SRAM budget.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../tests/tt_train_test.h"
#include "tt_board.h"

static uint64_t fnv(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0xCBF29CE484222325ull;
    size_t i;
    for (i = 0; i < n; ++i) {
        h = (h ^ p[i]) * 0x100000001B3ull;
    }
    return h;
}

static void report(const char *name, long macs, uint64_t hash)
{
    printf("count %s %ld %08lx%08lx\n", name, macs, (unsigned long)(hash >> 32), (unsigned long)(hash & 0xFFFFFFFFu));
}

/*
 * One static arena for every layer's buffers (a bump allocator, reset per layer): the largest layer,
 * mbv2.pw_expand, needs 229,936 B. It is .bss, so the link checks it against the 256 KB budget.
 */
#define ARENA_BYTES (232 * 1024)
static uint32_t arena[ARENA_BYTES / 4];
static size_t arena_used;

static void *alloc(size_t n)
{
    void *p = (char *)arena + arena_used;
    n = (n + 7) & ~(size_t)7;
    if (n > ARENA_BYTES - arena_used) {
        printf("kernel_counts: arena too small (%lu more bytes)\n", (unsigned long)n);
        exit(2);
    }
    arena_used += n;
    return p;
}

static void release_all(void)
{
    arena_used = 0;
}

enum kind { CONV, DEPTHWISE, FC };

typedef struct {
    const char *name;
    enum kind kind;
    int32_t h, w, cin, cout, k, stride, pad, in_zero, out_zero;
} layer;

/* The shapes and zero points of KernelBenchmark.layer(...), then two deep pointwise convs of mcunet-5fps
 * (layers 23 and 41 of models/ARCHITECTURES.md), where most of its pointwise MACs are. */
static const layer FORWARD[] = {
    {"mcunet.conv0_3x3s2", CONV, 128, 128, 3, 16, 3, 2, 1, 0, -128},
    {"mcunet.dw3x3s2", DEPTHWISE, 64, 64, 32, 32, 3, 2, 1, -128, -128},
    {"mcunet.pw_expand", CONV, 64, 64, 8, 32, 1, 1, 0, -6, -128},
    {"mcunet.pw_project", CONV, 64, 64, 16, 8, 1, 1, 0, -128, -6},
    {"mbv2.pw_expand", CONV, 64, 64, 8, 48, 1, 1, 0, -4, -128},
    {"mcunet.dw7x7", DEPTHWISE, 8, 8, 160, 160, 7, 1, 3, -128, -128},
    {"mcunet.classifier", FC, 1, 1, 160, 1000, 1, 1, 0, -1, -34},
    {"mcunet.pw23_160to48", CONV, 8, 8, 160, 48, 1, 1, 0, -128, 2},
    {"mcunet.pw41_576to160", CONV, 4, 4, 576, 160, 1, 1, 0, -128, -1},
};

static void forward(const layer *l)
{
    const int32_t oh = (l->h + 2 * l->pad - l->k) / l->stride + 1;
    const int32_t ow = (l->w + 2 * l->pad - l->k) / l->stride + 1;
    const int32_t depth = l->kind == CONV ? l->k * l->k * l->cin : (l->kind == DEPTHWISE ? l->k * l->k : l->cin);
    const tt_dims in = {1, l->h, l->w, l->cin};
    const tt_dims fd = l->kind == DEPTHWISE ? (tt_dims){1, l->k, l->k, l->cin} : (tt_dims){l->cout, l->k, l->k, l->cin};
    const tt_dims bd = {1, 1, 1, l->cout};
    const tt_dims out = {1, oh, ow, l->cout};
    const size_t n_in = (size_t)l->h * l->w * l->cin, n_f = (size_t)fd.n * fd.h * fd.w * fd.c;
    const size_t n_out = (size_t)oh * ow * l->cout;
    int8_t *x = alloc(n_in), *f = alloc(n_f), *y = alloc(n_out);
    int32_t *bias = alloc(sizeof(int32_t) * (size_t)l->cout), *mult = alloc(sizeof(int32_t) * (size_t)l->cout);
    int32_t *shift = alloc(sizeof(int32_t) * (size_t)l->cout);
    tt_per_channel_quant_params q;
    tt_status st;
    int32_t c;
    fill_s8(x, (int32_t)n_in, FILL_RANDOM);
    fill_s8(f, (int32_t)n_f, FILL_RANDOM);
    for (c = 0; c < l->cout; ++c) {
        bias[c] = rnd(-2000, 2000);
        mult[c] = rnd(1 << 30, INT32_MAX);
        shift[c] = rnd_shift(depth);
    }
    q.multiplier = mult;
    q.shift = shift;
    if (l->kind == FC) {
        const tt_fc_params p = {-l->in_zero, l->out_zero, {-128, 127}};
        tt_count_begin();
        st = tt_fully_connected_s8(NULL, &p, &q, &in, x, &fd, f, &bd, bias, &out, y);
        tt_count_end();
    } else {
        const tt_conv_params p = {-l->in_zero, l->out_zero, l->stride, l->stride, l->pad, l->pad, {-128, 127}};
        tt_count_begin();
        st = l->kind == CONV ? tt_conv2d_s8(NULL, &p, &q, &in, x, &fd, f, &bd, bias, &out, y)
                             : tt_depthwise_conv2d_s8(NULL, &p, &q, &in, x, &fd, f, &bd, bias, &out, y);
        tt_count_end();
    }
    if (st != TT_OK) {
        printf("kernel_counts: %s returned %d\n", l->name, (int)st);
        exit(1);
    }
    report(l->name, (long)oh * ow * l->cout * depth, fnv(y, n_out));
    release_all();
}

/*
 * Backward of mcunet-5fps block 8 (convs 24-26: pw1 8x8x48 -> 144, dw 3x3 on 144 channels, pw2 144 -> 48),
 * trained by the paper's "99 KB" scheme: fused weight gradient + update of pw1 on all input channels,
 * input gradients of pw2 and dw, depthwise weight update, bias update; and the loss on 1000 classes.
 */
static void backward(void)
{
    const tt_dims x48 = {1, 8, 8, 48}, x144 = {1, 8, 8, 144}, b144 = {1, 1, 1, 144};
    const tt_dims f_pw1 = {144, 1, 1, 48}, f_pw2 = {48, 1, 1, 144}, f_dw = {1, 3, 3, 144};
    const tt_conv_params pw = {6, 0, 1, 1, 0, 0, {-128, 127}}, dw = {128, 0, 1, 1, 1, 1, {-128, 127}};
    const tt_dims logits = {1, 1, 1, 1000};
    int32_t channels[144], i;
    int8_t *saved48 = alloc(64 * 48), *saved144 = alloc(64 * 144), *w_pw1 = alloc(144 * 48);
    int8_t *w_pw2 = alloc(48 * 144), *w_dw = alloc(9 * 144), *q = alloc(1000);
    float *g48 = alloc(sizeof(float) * 64 * 48), *g144 = alloc(sizeof(float) * 64 * 144);
    float *gi144 = alloc(sizeof(float) * 64 * 144), *gdw = alloc(sizeof(float) * 64 * 144);
    float *qas = alloc(sizeof(float) * 144), *loss = alloc(sizeof(float)), *gl = alloc(sizeof(float) * 1000);
    int32_t *bias = alloc(sizeof(int32_t) * 144), label = 7;
    tt_sgd_params sgd = {0.1f, 0.0f, TT_ROUND_STOCHASTIC, 1234u, 1u, 24u};
    tt_status st[6];
    for (i = 0; i < 144; ++i) {
        channels[i] = i;
        qas[i] = 50.0f + (float)i;
        bias[i] = rnd(-2000, 2000);
    }
    fill_s8(saved48, 64 * 48, FILL_RANDOM);
    fill_s8(saved144, 64 * 144, FILL_RANDOM);
    fill_s8(w_pw1, 144 * 48, FILL_RANDOM);
    fill_s8(w_pw2, 48 * 144, FILL_RANDOM);
    fill_s8(w_dw, 9 * 144, FILL_RANDOM);
    fill_s8(q, 1000, FILL_RANDOM);
    for (i = 0; i < 64 * 48; ++i) {
        g48[i] = rnd_unit() * 0.01f;
    }
    for (i = 0; i < 64 * 144; ++i) {
        g144[i] = rnd_unit() * 0.01f;
    }

    tt_count_begin();
    st[0] = tt_softmax_xent_s8(0.17f, -34, &logits, q, &label, loss, gl);
    tt_count_end();
    report("train.softmax_xent_1000", 0, fnv(gl, sizeof(float) * 1000));

    tt_count_begin();
    st[1] = tt_conv2d_grad_input_f32(&pw, &x48, g48, &f_pw2, w_pw2, &x144, gi144);
    tt_count_end();
    report("train.pw_grad_input_48to144", 64L * 48 * 144, fnv(gi144, sizeof(float) * 64 * 144));

    tt_count_begin();
    st[2] = tt_depthwise_conv2d_grad_input_f32(&dw, &x144, g144, &f_dw, w_dw, &x144, gdw);
    tt_count_end();
    report("train.dw3x3_grad_input_144", 64L * 9 * 144, fnv(gdw, sizeof(float) * 64 * 144));

    tt_count_begin();
    st[3] = tt_depthwise_conv2d_grad_weight_update_s8(&sgd, &dw, qas, &x144, g144, &x144, saved144, 144, channels,
                                                      &f_dw, w_dw, NULL);
    tt_count_end();
    report("train.dw3x3_grad_weight_update_144", 64L * 9 * 144, fnv(w_dw, 9 * 144));

    tt_count_begin();
    st[4] = tt_conv2d_grad_weight_update_s8(&sgd, &pw, qas, &x144, g144, &x48, saved48, 48, channels, &f_pw1,
                                            w_pw1, NULL);
    tt_count_end();
    report("train.pw_grad_weight_update_48to144", 64L * 48 * 144, fnv(w_pw1, 144 * 48));

    tt_count_begin();
    st[5] = tt_bias_grad_update_s32(&sgd, qas, &x144, g144, &b144, bias, NULL);
    tt_count_end();
    report("train.bias_grad_update_144", 64L * 144, fnv(bias, sizeof(int32_t) * 144));

    for (i = 0; i < 6; ++i) {
        if (st[i] != TT_OK) {
            printf("kernel_counts: backward call %d returned %d\n", (int)i, (int)st[i]);
            exit(1);
        }
    }
    release_all();
}

int main(void)
{
    size_t i;
    rng_seed(0x5EED20250B3Eull);
    printf("kernel_counts: isa %s\n", isa_name(tt_isa_active()));
    for (i = 0; i < sizeof FORWARD / sizeof FORWARD[0]; ++i) {
        forward(&FORWARD[i]);
    }
    backward();
    printf("kernel_counts: stack peak %lu B, heap used %lu B\n", (unsigned long)tt_board_stack_peak(),
           (unsigned long)tt_board_heap_used());
    return 0;
}
