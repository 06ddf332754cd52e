/*
 * Argument checks (TT_ARG_ERROR before touching memory), bias saturation, ISA selection,
 * version and scratch sizes.
 */
#include "tt_test.h"

static int failures;
static int checks;

#define EXPECT(cond, msg)                                                   \
    do {                                                                    \
        ++checks;                                                           \
        if (!(cond)) {                                                      \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, msg);            \
            ++failures;                                                     \
        }                                                                   \
    } while (0)

/* A valid 3x3 conv setup: input 1x5x5x3, filter 4x3x3x3, SAME padding, output 1x5x5x4. */
static tt_conv_params cp;
static tt_per_channel_quant_params cq;
static int32_t mult[64], shift[64], bias[64];
static tt_dims cin, cf, cb, cout;
static int8_t in[1024], filt[1024], out[1024];

static void reset_conv(void)
{
    int i;
    cp.input_offset = 5;
    cp.output_offset = -3;
    cp.stride_h = cp.stride_w = 1;
    cp.pad_h = cp.pad_w = 1;
    cp.activation.min = -128;
    cp.activation.max = 127;
    for (i = 0; i < 64; ++i) {
        mult[i] = 1 << 30;
        shift[i] = -4;
        bias[i] = 0;
    }
    cq.multiplier = mult;
    cq.shift = shift;
    cin.n = 1; cin.h = 5; cin.w = 5; cin.c = 3;
    cf.n = 4; cf.h = 3; cf.w = 3; cf.c = 3;
    cb.n = 1; cb.h = 1; cb.w = 1; cb.c = 4;
    cout.n = 1; cout.h = 5; cout.w = 5; cout.c = 4;
    memset(out, 0x5A, sizeof out);
}

static tt_status conv(void) { return tt_conv2d_s8(NULL, &cp, &cq, &cin, in, &cf, filt, &cb, bias, &cout, out); }

static int untouched(void)
{
    size_t i;
    for (i = 0; i < sizeof out; ++i)
        if (out[i] != 0x5A) return 0;
    return 1;
}

static void conv_errors(void)
{
    reset_conv();
    EXPECT(conv() == TT_OK, "valid conv");
    EXPECT(tt_conv2d_s8(NULL, &cp, &cq, &cin, in, &cf, filt, NULL, NULL, &cout, out) == TT_OK, "bias NULL is fine");

#define BAD(stmt, msg) do { reset_conv(); stmt; EXPECT(conv() == TT_ARG_ERROR && untouched(), msg); } while (0)
    BAD(cin.h = 0, "input h = 0");
    BAD(cin.n = -1, "input n < 0");
    BAD(cf.c = 2, "filter in-channels != input c");
    BAD(cout.c = 5, "output c != filter n");
    BAD(cout.n = 2, "output n != input n");
    BAD(cout.h = 7, "output h too large for the input");
    BAD(cp.pad_h = 3, "pad >= kernel");
    BAD(cp.pad_w = -1, "negative pad");
    BAD(cp.stride_h = 0, "stride 0");
    BAD(cp.input_offset = 129, "input offset 129");
    BAD(cp.input_offset = -128, "input offset -128");
    BAD(cp.output_offset = 128, "output offset 128");
    BAD(cp.output_offset = -129, "output offset -129");
    BAD(cp.activation.min = 10; cp.activation.max = 9, "activation min > max");
    BAD(cp.activation.max = 128, "activation max 128");
    BAD(shift[2] = 31, "shift 31");
    BAD(shift[0] = -32, "shift -32");
    BAD(mult[3] = -1, "negative multiplier");
    BAD(cq.multiplier = NULL, "NULL multiplier array");
    BAD(cb.c = 3, "bias dims disagree");
#undef BAD
    reset_conv();
    EXPECT(tt_conv2d_s8(NULL, NULL, &cq, &cin, in, &cf, filt, &cb, bias, &cout, out) == TT_ARG_ERROR, "NULL params");
    EXPECT(tt_conv2d_s8(NULL, &cp, NULL, &cin, in, &cf, filt, &cb, bias, &cout, out) == TT_ARG_ERROR, "NULL quant");
    EXPECT(tt_conv2d_s8(NULL, &cp, &cq, NULL, in, &cf, filt, &cb, bias, &cout, out) == TT_ARG_ERROR, "NULL input dims");
    EXPECT(tt_conv2d_s8(NULL, &cp, &cq, &cin, NULL, &cf, filt, &cb, bias, &cout, out) == TT_ARG_ERROR, "NULL input");
    EXPECT(tt_conv2d_s8(NULL, &cp, &cq, &cin, in, &cf, NULL, &cb, bias, &cout, out) == TT_ARG_ERROR, "NULL filter");
    EXPECT(tt_conv2d_s8(NULL, &cp, &cq, &cin, in, &cf, filt, NULL, bias, &cout, out) == TT_ARG_ERROR, "bias without dims");
    EXPECT(tt_conv2d_s8(NULL, &cp, &cq, &cin, in, &cf, filt, &cb, bias, &cout, NULL) == TT_ARG_ERROR, "NULL output");

    /* 1x1 entry point refuses what is not pointwise */
    reset_conv();
    EXPECT(tt_conv2d_1x1_s8(NULL, &cp, &cq, &cin, in, &cf, filt, &cb, bias, &cout, out) == TT_ARG_ERROR
           && untouched(), "1x1 with a 3x3 filter");
    reset_conv();
    cf.h = cf.w = 1;
    cp.pad_h = cp.pad_w = 0;
    cp.stride_h = 2;
    cout.h = 3;
    EXPECT(conv() == TT_OK, "strided 1x1 through the general path");
    EXPECT(tt_conv2d_1x1_s8(NULL, &cp, &cq, &cin, in, &cf, filt, &cb, bias, &cout, out) == TT_ARG_ERROR,
           "1x1 with stride 2");

    /* depthwise: filter n must be 1, channels must agree */
    reset_conv();
    cf.n = 1;
    cf.c = 3;
    cout.c = 3;
    cb.c = 3;
    EXPECT(tt_depthwise_conv2d_s8(NULL, &cp, &cq, &cin, in, &cf, filt, &cb, bias, &cout, out) == TT_OK, "valid depthwise");
    cf.n = 2;
    EXPECT(tt_depthwise_conv2d_s8(NULL, &cp, &cq, &cin, in, &cf, filt, &cb, bias, &cout, out) == TT_ARG_ERROR, "depthwise filter n 2");
    cf.n = 1;
    cout.c = 4;
    EXPECT(tt_depthwise_conv2d_s8(NULL, &cp, &cq, &cin, in, &cf, filt, &cb, bias, &cout, out) == TT_ARG_ERROR, "depthwise channels");
}

static void fc_errors(void)
{
    tt_fc_params p;
    tt_dims id = {2, 2, 2, 3}, fd = {5, 1, 1, 12}, bd = {1, 1, 1, 5}, od = {2, 1, 1, 5};
    p.input_offset = 0;
    p.output_offset = 0;
    p.activation.min = -128;
    p.activation.max = 127;
    reset_conv();
    EXPECT(tt_fully_connected_s8(NULL, &p, &cq, &id, in, &fd, filt, &bd, bias, &od, out) == TT_OK, "valid fc");
    fd.c = 11;
    EXPECT(tt_fully_connected_s8(NULL, &p, &cq, &id, in, &fd, filt, &bd, bias, &od, out) == TT_ARG_ERROR, "fc in features");
    fd.c = 12;
    od.h = 2;
    EXPECT(tt_fully_connected_s8(NULL, &p, &cq, &id, in, &fd, filt, &bd, bias, &od, out) == TT_ARG_ERROR, "fc output h");
    od.h = 1;
    p.input_offset = 200;
    EXPECT(tt_fully_connected_s8(NULL, &p, &cq, &id, in, &fd, filt, &bd, bias, &od, out) == TT_ARG_ERROR, "fc input offset");
    p.input_offset = 0;
    EXPECT(tt_fully_connected_s8(NULL, &p, &cq, &id, in, &fd, NULL, &bd, bias, &od, out) == TT_ARG_ERROR, "fc NULL filter");
}

static void add_pool_mean_errors(void)
{
    tt_add_params a;
    tt_pool_params pp;
    tt_mean_params mp;
    tt_dims d = {1, 2, 3, 4}, d2 = {1, 2, 3, 5}, pin = {1, 4, 4, 2}, pout = {1, 2, 2, 2};
    tt_dims min = {1, 3, 3, 2}, mout = {1, 1, 1, 2};
    memset(&a, 0, sizeof a);
    a.left_shift = 20;
    a.input1_multiplier = a.input2_multiplier = a.output_multiplier = 1 << 30;
    a.input1_shift = a.input2_shift = 0;
    a.output_shift = -20;
    a.activation.min = -128;
    a.activation.max = 127;
    EXPECT(tt_add_s8(&a, &d, in, &d, filt, &d, out) == TT_OK, "valid add");
    EXPECT(tt_add_s8(&a, &d, in, &d2, filt, &d, out) == TT_ARG_ERROR, "add shapes differ");
    EXPECT(tt_add_s8(&a, &d, in, &d, filt, &d2, out) == TT_ARG_ERROR, "add output shape differs");
    a.left_shift = 23;
    EXPECT(tt_add_s8(&a, &d, in, &d, filt, &d, out) == TT_ARG_ERROR, "add left shift 23");
    a.left_shift = 20;
    a.input2_offset = -128;
    EXPECT(tt_add_s8(&a, &d, in, &d, filt, &d, out) == TT_ARG_ERROR, "add input offset -128");
    a.input2_offset = 0;
    a.input1_shift = 1;
    EXPECT(tt_add_s8(&a, &d, in, &d, filt, &d, out) == TT_ARG_ERROR, "add input shift > 0");
    a.input1_shift = 0;
    EXPECT(tt_add_s8(&a, &d, NULL, &d, filt, &d, out) == TT_ARG_ERROR, "add NULL input");

    memset(&pp, 0, sizeof pp);
    pp.filter_h = pp.filter_w = 2;
    pp.stride_h = pp.stride_w = 2;
    pp.activation.min = -128;
    pp.activation.max = 127;
    EXPECT(tt_avgpool2d_s8(NULL, &pp, &pin, in, &pout, out) == TT_OK, "valid avgpool");
    pp.pad_h = 2;
    EXPECT(tt_avgpool2d_s8(NULL, &pp, &pin, in, &pout, out) == TT_ARG_ERROR, "avgpool: a window with no input cell");
    pp.pad_h = 0;
    pout.h = 3;
    EXPECT(tt_avgpool2d_s8(NULL, &pp, &pin, in, &pout, out) == TT_ARG_ERROR, "avgpool: output too tall");
    pout.h = 2;
    pout.c = 3;
    EXPECT(tt_avgpool2d_s8(NULL, &pp, &pin, in, &pout, out) == TT_ARG_ERROR, "avgpool: channels");

    memset(&mp, 0, sizeof mp);
    mp.multiplier = 1 << 30;
    mp.shift = -3;
    mp.activation.min = -128;
    mp.activation.max = 127;
    EXPECT(tt_mean_s8(&mp, &min, in, &mout, out) == TT_OK, "valid mean");
    mout.h = 3;
    EXPECT(tt_mean_s8(&mp, &min, in, &mout, out) == TT_ARG_ERROR, "mean output h");
    mout.h = 1;
    mp.shift = 31;
    EXPECT(tt_mean_s8(&mp, &min, in, &mout, out) == TT_ARG_ERROR, "mean shift 31");
    mp.shift = -3;
    mp.multiplier = -5;
    EXPECT(tt_mean_s8(&mp, &min, in, &mout, out) == TT_ARG_ERROR, "mean negative multiplier");
    mp.multiplier = 1 << 30;
    mp.input_offset = -128;
    EXPECT(tt_mean_s8(&mp, &min, in, &mout, out) == TT_ARG_ERROR, "mean input offset -128");
    mp.input_offset = 0;
    mp.output_offset = 128;
    EXPECT(tt_mean_s8(&mp, &min, in, &mout, out) == TT_ARG_ERROR, "mean output offset 128");
}

/* A dead channel: bias near INT32_MAX plus a positive accumulation saturates, never wraps. */
static void bias_saturation(void)
{
    tt_isa paths[2];
    int np = isa_paths(paths), i;
    for (i = 0; i < np; ++i) {
        tt_fc_params p;
        tt_dims id = {1, 1, 1, 20}, fd = {3, 1, 1, 20}, bd = {1, 1, 1, 3}, od = {1, 1, 1, 3};
        int32_t b[3] = {INT32_MAX - 100, INT32_MIN + 100, INT32_MAX - 100};
        int32_t m[3] = {INT32_MAX, INT32_MAX, INT32_MAX};
        int32_t s[3] = {-24, -24, -24};
        tt_per_channel_quant_params q;
        int8_t x[20], w[60], o[3];
        int k;
        char msg[96];
        q.multiplier = m;
        q.shift = s;
        p.input_offset = 0;
        p.output_offset = 0;
        p.activation.min = -128;
        p.activation.max = 127;
        for (k = 0; k < 20; ++k) {
            x[k] = 100;
            w[k] = 100;       /* channel 0: +200000 on top of INT32_MAX - 100 */
            w[20 + k] = -100; /* channel 1: -200000 below INT32_MIN + 100 */
            w[40 + k] = 0;    /* channel 2: the bias alone */
        }
        tt_isa_select(paths[i]);
        EXPECT(tt_fully_connected_s8(NULL, &p, &q, &id, x, &fd, w, &bd, b, &od, o) == TT_OK, "fc saturation call");
        /* saturated: requantize(INT32_MAX, ~1, -24) = 128 -> clamp 127; wrapped would be -128 */
        snprintf(msg, sizeof msg, "%s: positive saturation (got %d)", isa_name(paths[i]), o[0]);
        EXPECT(o[0] == 127, msg);
        snprintf(msg, sizeof msg, "%s: negative saturation (got %d)", isa_name(paths[i]), o[1]);
        EXPECT(o[1] == -128, msg);
        snprintf(msg, sizeof msg, "%s: bias alone (got %d)", isa_name(paths[i]), o[2]);
        EXPECT(o[2] == 127, msg);

        /* the same through a 1x1 convolution and a depthwise convolution */
        {
            tt_conv_params cpp;
            tt_dims ci = {1, 1, 1, 20}, cf1 = {3, 1, 1, 20}, co = {1, 1, 1, 3};
            tt_dims di = {1, 3, 3, 3}, df = {1, 3, 3, 3}, dout = {1, 1, 1, 3};
            int8_t dx[27], dw[27];
            memset(&cpp, 0, sizeof cpp);
            cpp.stride_h = cpp.stride_w = 1;
            cpp.activation.min = -128;
            cpp.activation.max = 127;
            EXPECT(tt_conv2d_s8(NULL, &cpp, &q, &ci, x, &cf1, w, &bd, b, &co, o) == TT_OK
                   && o[0] == 127 && o[1] == -128, "1x1 conv saturation");
            for (k = 0; k < 27; ++k) {
                dx[k] = 127;
                dw[k] = (int8_t)(k % 3 == 1 ? -128 : 127);
            }
            EXPECT(tt_depthwise_conv2d_s8(NULL, &cpp, &q, &di, dx, &df, dw, &bd, b, &dout, o) == TT_OK
                   && o[0] == 127 && o[1] == -128 && o[2] == 127, "depthwise saturation");
        }
    }
    tt_isa_select(tt_isa_best());
}

static void support(void)
{
    tt_dims d = {1, 8, 8, 16};
    EXPECT(strcmp(tt_version(), "0.1.0") == 0, "version 0.1.0");
    EXPECT(tt_isa_active() == tt_isa_best(), "active defaults to best");
    EXPECT(tt_isa_select(TT_ISA_PORTABLE) == TT_OK && tt_isa_active() == TT_ISA_PORTABLE, "select portable");
#if defined(__x86_64__)
    EXPECT(tt_isa_select(TT_ISA_ARM_DSP) == TT_UNSUPPORTED, "no Arm DSP on x86-64");
#endif
    EXPECT(tt_isa_select((tt_isa)7) == TT_ARG_ERROR, "unknown ISA");
    EXPECT(tt_isa_select(tt_isa_best()) == TT_OK, "select best");
    EXPECT(tt_conv2d_s8_get_buffer_size(&d, &d) == 0 && tt_conv2d_1x1_s8_get_buffer_size(&d, &d) == 0
           && tt_depthwise_conv2d_s8_get_buffer_size(&d, &d) == 0 && tt_fully_connected_s8_get_buffer_size(&d) == 0
           && tt_avgpool2d_s8_get_buffer_size(&d) == 0, "no kernel needs scratch");
}

int main(void)
{
    support();
    conv_errors();
    fc_errors();
    add_pool_mean_errors();
    bias_saturation();
    printf("test_args: %d checks, %d failures (isa best: %s)\n", checks, failures, isa_name(tt_isa_best()));
    return failures == 0 ? 0 : 1;
}
