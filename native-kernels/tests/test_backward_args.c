/* Argument checks of the training kernels: TT_ARG_ERROR before any output is written. */
#include "tt_train_test.h"

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

/* Valid setups: a 3x3 conv, input 1x5x5x4, filter 3x3x3x4 (depthwise 1x3x3x4), SAME, output 1x5x5x3. */
static tt_conv_params cp;
static tt_sgd_params sgd;
static tt_sgd_state st;
static tt_dims gdims, sdims, fdims, odims, bdims;
static float grad[1024], out[1024], qas[64], velocity[1024], master[1024], loss[8];
static int8_t saved[1024], filt[1024], filt_copy[1024], y8[1024];
static int32_t bias[64], channels[8], n_channels, labels[8];
static uint8_t mask[256];

static void reset(void)
{
    int i;
    cp.input_offset = 3; cp.output_offset = 0;
    cp.stride_h = cp.stride_w = 1; cp.pad_h = cp.pad_w = 1;
    cp.activation.min = -128; cp.activation.max = 127;
    sgd.lr = 0.5f; sgd.momentum = 0.0f; sgd.rounding = TT_ROUND_NEAREST;
    sgd.seed = 1; sgd.step = 2; sgd.tensor_id = 3;
    st.velocity = NULL; st.master = NULL;
    gdims.n = 1; gdims.h = 5; gdims.w = 5; gdims.c = 3;
    fdims.n = 3; fdims.h = 3; fdims.w = 3; fdims.c = 4;
    odims.n = 1; odims.h = 5; odims.w = 5; odims.c = 4;
    n_channels = 2; channels[0] = 1; channels[1] = 3;
    sdims.n = 1; sdims.h = 5; sdims.w = 5; sdims.c = 2;
    bdims.n = bdims.h = bdims.w = 1; bdims.c = 3;
    for (i = 0; i < 1024; ++i) {
        grad[i] = 0.25f;
        out[i] = 12345.0f;
        saved[i] = (int8_t)(i % 7);
        filt[i] = filt_copy[i] = (int8_t)(i % 11 - 5);
        velocity[i] = master[i] = 0.0f;
        y8[i] = (int8_t)(i % 256 - 128);
    }
    for (i = 0; i < 64; ++i) {
        qas[i] = 1.0f;
        bias[i] = 100 + i;
    }
    for (i = 0; i < 8; ++i) {
        loss[i] = 12345.0f;
        labels[i] = i % 3;
    }
    memset(mask, 0x5A, sizeof mask);
}

static int out_untouched(void)
{
    int i;
    for (i = 0; i < 1024; ++i)
        if (out[i] != 12345.0f) return 0;
    for (i = 0; i < 8; ++i)
        if (loss[i] != 12345.0f) return 0;
    return 1;
}

static int weights_untouched(void)
{
    int i;
    for (i = 0; i < 64; ++i)
        if (bias[i] != 100 + i) return 0;
    return memcmp(filt, filt_copy, sizeof filt) == 0;
}

static tt_status conv_in(void) { return tt_conv2d_grad_input_f32(&cp, &gdims, grad, &fdims, filt, &odims, out); }

static void grad_input_errors(void)
{
    reset();
    EXPECT(conv_in() == TT_OK, "valid conv grad input");
#define BAD(stmt, msg) do { reset(); stmt; EXPECT(conv_in() == TT_ARG_ERROR && out_untouched(), msg); } while (0)
    BAD(gdims.h = 0, "grad h = 0");
    BAD(gdims.c = 2, "grad c != filter n");
    BAD(fdims.c = 3, "filter c != output c");
    BAD(odims.n = 2, "batch mismatch");
    BAD(gdims.h = 7, "grad h too large for the input");
    BAD(cp.pad_h = 3, "pad >= kernel");
    BAD(cp.stride_w = 0, "stride 0");
    EXPECT(tt_conv2d_grad_input_f32(NULL, &gdims, grad, &fdims, filt, &odims, out) == TT_ARG_ERROR, "NULL params");
    EXPECT(tt_conv2d_grad_input_f32(&cp, &gdims, NULL, &fdims, filt, &odims, out) == TT_ARG_ERROR, "NULL grad");
    EXPECT(tt_conv2d_grad_input_f32(&cp, &gdims, grad, &fdims, NULL, &odims, out) == TT_ARG_ERROR, "NULL filter");
    EXPECT(tt_conv2d_grad_input_f32(&cp, &gdims, grad, &fdims, filt, &odims, NULL) == TT_ARG_ERROR, "NULL output");
    EXPECT(tt_conv2d_grad_input_f32(&cp, NULL, grad, &fdims, filt, &odims, out) == TT_ARG_ERROR, "NULL dims");
#undef BAD
    /* depthwise: grad c == filter c == output c, filter n == 1 */
    reset();
    gdims.c = 4; fdims.n = 1;
    EXPECT(tt_depthwise_conv2d_grad_input_f32(&cp, &gdims, grad, &fdims, filt, &odims, out) == TT_OK, "valid dw input");
#define BAD(stmt, msg) do { reset(); gdims.c = 4; fdims.n = 1; stmt; \
        EXPECT(tt_depthwise_conv2d_grad_input_f32(&cp, &gdims, grad, &fdims, filt, &odims, out) == TT_ARG_ERROR \
               && out_untouched(), msg); } while (0)
    BAD(fdims.n = 2, "depthwise filter n != 1");
    BAD(gdims.c = 3, "depthwise grad c");
    BAD(odims.w = 3, "depthwise output w too small for the grad");
    BAD(cp.pad_w = -1, "negative pad");
#undef BAD
}

static tt_status conv_update(void)
{
    return tt_conv2d_grad_weight_update_s8(&sgd, &cp, qas, &gdims, grad, &sdims, saved, n_channels, channels, &fdims,
                                           filt, &st);
}

static tt_status bias_update(void) { return tt_bias_grad_update_s32(&sgd, qas, &gdims, grad, &bdims, bias, &st); }

static void update_errors(void)
{
    reset();
    EXPECT(conv_update() == TT_OK && !weights_untouched(), "valid conv update changes weights");
    reset();
    EXPECT(bias_update() == TT_OK && !weights_untouched(), "valid bias update");
    reset();
    EXPECT(tt_conv2d_grad_weight_update_s8(&sgd, &cp, NULL, &gdims, grad, &sdims, saved, n_channels, channels, &fdims,
                                           filt, NULL) == TT_OK, "qas and state NULL are fine");
#define BAD(stmt, msg) do { reset(); stmt; \
        EXPECT(conv_update() == TT_ARG_ERROR && weights_untouched(), "conv " msg); \
        reset(); stmt; EXPECT(bias_update() == TT_ARG_ERROR && weights_untouched(), "bias " msg); } while (0)
    BAD(sgd.lr = 0.0f, "lr 0");
    BAD(sgd.lr = -1.0f, "lr < 0");
    BAD(sgd.lr = INFINITY, "lr inf");
    BAD(sgd.lr = NAN, "lr NaN");
    BAD(sgd.momentum = 1.0f; st.velocity = velocity, "momentum 1");
    BAD(sgd.momentum = -0.5f; st.velocity = velocity, "momentum < 0");
    BAD(sgd.momentum = NAN; st.velocity = velocity, "momentum NaN");
    BAD(sgd.momentum = 0.9f, "momentum without velocity");
    BAD(st.velocity = velocity, "velocity without momentum");
    BAD(sgd.rounding = 4, "rounding 4");
    BAD(sgd.rounding = -1, "rounding -1");
    BAD(sgd.rounding = TT_ROUND_FLOAT_MASTER, "master missing");
    BAD(st.master = master, "master without FLOAT_MASTER");
    BAD(gdims.w = 0, "grad w = 0");
#undef BAD
    EXPECT(tt_conv2d_grad_weight_update_s8(NULL, &cp, qas, &gdims, grad, &sdims, saved, n_channels, channels, &fdims,
                                           filt, &st) == TT_ARG_ERROR, "NULL sgd");
    EXPECT(tt_bias_grad_update_s32(&sgd, qas, &gdims, grad, &bdims, NULL, &st) == TT_ARG_ERROR, "NULL bias");
    EXPECT(tt_bias_grad_update_s32(&sgd, qas, &gdims, NULL, &bdims, bias, &st) == TT_ARG_ERROR, "NULL bias grad");
#define BAD(stmt, msg) do { reset(); stmt; EXPECT(conv_update() == TT_ARG_ERROR && weights_untouched(), msg); } while (0)
    BAD(channels[1] = 1, "duplicate channel");
    BAD(channels[0] = 3; channels[1] = 1, "decreasing channels");
    BAD(channels[1] = 4, "channel >= c");
    BAD(channels[0] = -1, "negative channel");
    BAD(n_channels = 0, "no channels");
    BAD(n_channels = 5, "more channels than c");
    BAD(sdims.c = 3, "saved c != n_channels");
    BAD(sdims.n = 2, "saved batch");
    BAD(sdims.h = 2, "saved h too small for the grad");
    BAD(gdims.c = 4, "grad c != filter n");
    BAD(cp.input_offset = 129, "input offset 129");
    BAD(cp.input_offset = -128, "input offset -128");
    BAD(cp.stride_h = 0, "stride 0");
    EXPECT(tt_conv2d_grad_weight_update_s8(&sgd, &cp, qas, &gdims, grad, &sdims, saved, n_channels, NULL, &fdims,
                                           filt, &st) == TT_ARG_ERROR, "NULL channels");
    EXPECT(tt_conv2d_grad_weight_update_s8(&sgd, &cp, qas, &gdims, grad, &sdims, NULL, n_channels, channels, &fdims,
                                           filt, &st) == TT_ARG_ERROR, "NULL saved");
#undef BAD
#define BAD(stmt, msg) do { reset(); stmt; EXPECT(bias_update() == TT_ARG_ERROR && weights_untouched(), msg); } while (0)
    BAD(bdims.c = 4, "bias c != grad c");
    BAD(bdims.h = 3, "bias h != 1");
#undef BAD
    /* depthwise: filter 1x3x3x4, grad c = 4 */
#define DW() tt_depthwise_conv2d_grad_weight_update_s8(&sgd, &cp, qas, &gdims, grad, &sdims, saved, n_channels, \
                                                       channels, &fdims, filt, &st)
    reset();
    fdims.n = 1; gdims.c = 4;
    EXPECT(DW() == TT_OK, "valid depthwise update");
#define BAD(stmt, msg) do { reset(); fdims.n = 1; gdims.c = 4; stmt; \
        EXPECT(DW() == TT_ARG_ERROR && weights_untouched(), msg); } while (0)
    BAD(fdims.n = 3, "depthwise filter n != 1");
    BAD(gdims.c = 3, "depthwise grad c != filter c");
    BAD(channels[1] = 9, "depthwise channel out of range");
    BAD(sgd.rounding = 7, "depthwise rounding");
#undef BAD
#undef DW
}

static void plumbing_errors(void)
{
    tt_activation act = {-10, 10};
    tt_dims ld = {2, 1, 1, 3}, d = {1, 2, 2, 3}, md = {1, 1, 1, 3};
    tt_pool_params pp = {2, 2, 2, 2, 0, 0, {-128, 127}};
    tt_dims pin = {1, 4, 4, 3}, pout = {1, 2, 2, 3}, pout2 = {1, 2, 2, 2};

    reset();
    EXPECT(tt_clamp_mask_s8(&act, &d, y8, mask) == TT_OK, "valid clamp mask");
    act.min = 11;
    memset(mask, 0x5A, sizeof mask);
    EXPECT(tt_clamp_mask_s8(&act, &d, y8, mask) == TT_ARG_ERROR && mask[0] == 0x5A, "clamp min > max");
    act.min = -129;
    EXPECT(tt_clamp_mask_s8(&act, &d, y8, mask) == TT_ARG_ERROR, "clamp min < -128");
    EXPECT(tt_clamp_mask_s8(NULL, &d, y8, mask) == TT_ARG_ERROR, "clamp NULL activation");

    reset();
    EXPECT(tt_gather_channels_s8(&d, y8, n_channels, channels, saved) == TT_ARG_ERROR, "gather channel 3 of 3");
    channels[1] = 2;
    EXPECT(tt_gather_channels_s8(&d, y8, n_channels, channels, saved) == TT_OK, "valid gather");
    EXPECT(tt_gather_channels_s8(&d, y8, 0, channels, saved) == TT_ARG_ERROR, "gather no channels");

    reset();
    EXPECT(tt_softmax_xent_s8(0.1f, 5, &ld, y8, labels, loss, out) == TT_OK, "valid softmax");
    reset();
    EXPECT(tt_softmax_xent_s8(0.1f, 5, &ld, y8, labels, NULL, out) == TT_OK, "softmax without loss");
#define BAD(call, msg) do { reset(); EXPECT((call) == TT_ARG_ERROR && out_untouched(), msg); } while (0)
    BAD((labels[1] = 3, tt_softmax_xent_s8(0.1f, 5, &ld, y8, labels, loss, out)), "label = classes");
    BAD((labels[1] = -1, tt_softmax_xent_s8(0.1f, 5, &ld, y8, labels, loss, out)), "label < 0");
    BAD(tt_softmax_xent_s8(0.0f, 5, &ld, y8, labels, loss, out), "softmax scale 0");
    BAD(tt_softmax_xent_s8(INFINITY, 5, &ld, y8, labels, loss, out), "softmax scale inf");
    BAD(tt_softmax_xent_s8(NAN, 5, &ld, y8, labels, loss, out), "softmax scale NaN");
    BAD(tt_softmax_xent_s8(0.1f, 128, &ld, y8, labels, loss, out), "softmax zero point 128");
    BAD(tt_softmax_xent_s8(0.1f, 5, &d, y8, labels, loss, out), "softmax logits h != 1");
    BAD(tt_softmax_xent_s8(0.1f, 5, &ld, y8, NULL, loss, out), "softmax NULL labels");
    BAD(tt_softmax_xent_s8(0.1f, 5, &ld, y8, labels, loss, NULL), "softmax NULL grad");

    EXPECT(tt_grad_scale_mask_f32(qas, &d, grad, NULL, out) == TT_OK, "valid scale mask");
    BAD(tt_grad_scale_mask_f32(NULL, &d, grad, mask, out), "scale mask NULL scale");
    BAD(tt_grad_scale_mask_f32(qas, NULL, grad, mask, out), "scale mask NULL dims");

    EXPECT(tt_mean_grad_f32(0.5f, &md, grad, &d, out) == TT_OK, "valid mean grad");
    BAD(tt_mean_grad_f32(0.5f, &d, grad, &d, out), "mean grad h != 1");
    BAD(tt_mean_grad_f32(0.0f, &md, grad, &d, out), "mean grad scale 0");
    BAD(tt_mean_grad_f32(NAN, &md, grad, &d, out), "mean grad scale NaN");
    BAD(tt_mean_grad_f32(0.5f, &ld, grad, &d, out), "mean grad batch");

    EXPECT(tt_avgpool2d_grad_f32(&pp, &pout, grad, &pin, out) == TT_OK, "valid pool grad");
    BAD(tt_avgpool2d_grad_f32(&pp, &pin, grad, &pin, out), "pool grad too many windows");
    BAD(tt_avgpool2d_grad_f32(&pp, &pout2, grad, &pin, out), "pool grad c");
    BAD(tt_avgpool2d_grad_f32(NULL, &pout, grad, &pin, out), "pool grad NULL params");
    pp.pad_h = 2;
    BAD(tt_avgpool2d_grad_f32(&pp, &pout, grad, &pin, out), "pool grad pad >= filter");

    EXPECT(tt_add_f32(&d, grad, grad, out) == TT_OK, "valid add");
    BAD(tt_add_f32(&d, NULL, grad, out), "add NULL a");
    BAD(tt_add_f32(&d, grad, grad, NULL), "add NULL out");
#undef BAD
}

int main(void)
{
    grad_input_errors();
    update_errors();
    plumbing_errors();
    if (failures != 0) {
        printf("%d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_backward_args: %d checks passed\n", checks);
    return 0;
}
