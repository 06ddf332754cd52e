package dev.tinytrain.codegen;

import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.AddParams;
import dev.tinytrain.kernel.ChannelQuant;
import dev.tinytrain.kernel.ConvParams;
import dev.tinytrain.kernel.FcParams;
import dev.tinytrain.kernel.MeanParams;
import dev.tinytrain.kernel.PoolParams;
import dev.tinytrain.plan.InPlace;
import dev.tinytrain.plan.Scratch;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.runtime.OpLowering;
import dev.tinytrain.tensor.Dims;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lowers each op of a training program to one C kernel call with prepared parameters: the same
 * kernel, the same parameters and the same memory as {@code TrainingSession} (through
 * {@code OpLowering} and the native backend's mapping to the {@code tt_} structs), so the
 * generated program computes the same bits. Parameters become {@code static const} data at file
 * scope ({@link #declarations()}); the calls go, in schedule order, into the body of one function
 * whose {@code train} argument skips the training ops in inference.
 *
 * <p>One case per op. The memory-saving forms (fused conv + depthwise, in-place pointwise conv)
 * and the conventional schedule's split gradient and update ops need kernels that newer kernel
 * libraries have: with sources that lack them, the op fails with "not supported by codegen yet"
 * and the compile option that avoids it.
 */
final class KernelCalls {

    private final TrainingProgram program;
    private final MemoryPlan plan;
    private final Symbols symbols;
    private final KernelSources sources;
    private final CWriter decls = new CWriter();
    private final CWriter body;
    private final Map<Dims, String> dims = new LinkedHashMap<>();
    private final Set<String> kernels = new LinkedHashSet<>();
    private final List<String> masterInit = new ArrayList<>();
    private final Set<String> splitLists = new LinkedHashSet<>();
    private long paramBytes;

    /**
     * @param body where the calls go: a writer inside the body of {@code tt_run(int train, float lr)}
     */
    KernelCalls(TrainingProgram program, MemoryPlan plan, Symbols symbols, KernelSources sources, CWriter body) {
        this.body = body;
        this.sources = sources;
        this.program = program;
        this.plan = plan;
        this.symbols = symbols;
    }

    /** File-scope declarations: dims, params, quantization tables, channel lists, state structs. */
    CWriter declarations() {
        return decls;
    }

    /** The shared dims structs, declared before everything else. */
    void writeDims(CWriter w) {
        for (Map.Entry<Dims, String> e : dims.entrySet()) {
            Dims d = e.getKey();
            w.line("static const tt_dims " + e.getValue() + " = {" + d.n() + ", " + d.h() + ", " + d.w() + ", "
                    + d.c() + "};");
        }
        paramBytes += 16L * dims.size();
    }

    /** Statements that set the float master copies from the integer parameters (rounding FLOAT_MASTER). */
    List<String> masterInit() {
        return masterInit;
    }

    /** The kernel functions called, to check against the library's headers. */
    Set<String> kernels() {
        return kernels;
    }

    /** Bytes of the prepared parameters (arrays and structs) placed in flash. */
    long paramBytes() {
        return paramBytes;
    }

    /** Lowers every op of the schedule. */
    void lowerAll() {
        List<Op> ops = program.graph().ops();
        boolean inTrainBlock = false;
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            boolean train = !program.isForward(op);
            if (train != inTrainBlock) {
                if (train) {
                    body.open("if (train)");
                } else {
                    body.close();
                }
                inTrainBlock = train;
            }
            body.comment("op " + i + ": " + op.mnemonic() + describe(op));
            assemble(i, op);
            lower(i, op);
            symbols.clearAssembled();
        }
        if (inTrainBlock) {
            body.close();
        }
    }

    /**
     * Before an op that reads split tensors: each one assembled in the op's scratch, after the kernel's
     * own part (the flash copy, then the trained channels from the SRAM slice), and read from there.
     */
    private void assemble(int i, Op op) {
        List<Value> split = symbols.splits().assembledAt(i);
        if (split.isEmpty()) {
            return;
        }
        long at = plan.scratchOffset(i) + SplitWeights.align(Scratch.bytes(op, plan.inPlace(i) != null));
        for (Value v : split) {
            SplitWeights.Split sp = symbols.splits().split(v);
            String address = "TT_AT(int8_t, " + at + ")";
            body.statement("tt_assemble_s8(", List.of(address, symbols.array(v), symbols.slice(v), sp.rows() + "u",
                    v.dims().c() + "u", sp.channels().length + "u", splitChannels(v)), ");");
            symbols.assembled(v, address);
            at += SplitWeights.align(v.byteSize());
        }
    }

    /** The trained input channels of a split tensor, declared once. */
    String splitChannels(Value v) {
        String name = "tt_split_" + v.id() + "_channels";
        if (splitLists.add(name)) {
            intArray(name, symbols.splits().split(v).channels());
        }
        return name;
    }

    /** 0 .. n-1: a split tensor's slice has all of its channels trained. */
    private String sliceChannels(Value v) {
        String name = "tt_split_" + v.id() + "_all";
        if (splitLists.add(name)) {
            intArray(name, java.util.stream.IntStream.range(0, symbols.splits().split(v).channels().length).toArray());
        }
        return name;
    }

    private static String describe(Op op) {
        StringBuilder b = new StringBuilder();
        List<Value> outs = op.outputs();
        if (!outs.isEmpty()) {
            b.append(" -> ").append(outs.getFirst().name());
        } else {
            op.inputs().stream().filter(v -> v.role() == dev.tinytrain.graph.Role.WEIGHT
                    || v.role() == dev.tinytrain.graph.Role.BIAS).findFirst()
                    .ifPresent(v -> b.append(" of ").append(v.name()));
        }
        return b.toString();
    }

    private void lower(int i, Op op) {
        switch (op) {
            case Op.Conv2d c when plan.inPlace(i) != null -> {
                need(i, op, "tt_conv2d_1x1_inplace_s8", "the in-place pointwise conv", "--no-in-place");
                InPlace ip = plan.inPlace(i);
                long region = plan.offset(c.output());
                if (!ip.input().equals(c.input()) || plan.offset(c.input()) != region + ip.inputOffset()) {
                    throw new CodegenException("op " + i + " (conv2d in place): the plan puts its input at byte offset "
                            + plan.offset(c.input()) + ", the kernel needs it at " + (region + ip.inputOffset())
                            + " (output at " + region + ")");
                }
                ConvParams p = new ConvParams(-c.input().zeroPoint(), c.output().zeroPoint(), c.strideH(), c.strideW(),
                        c.padH(), c.padW(), c.activation());
                String conv = conv(i, p);
                String quant = quant(i, OpLowering.quant(c.input(), c.weight(), c.output()));
                Dims out = c.output().dims();
                call(i, "tt_conv2d_1x1_inplace_s8", context(i), "&" + conv, "&" + quant, dims(c.input().dims()),
                        dims(c.weight().dims()), symbols.pointer(c.weight()), dims(Dims.vector(out.c())),
                        biasPointer(c.bias()), dims(out), symbols.pointer(c.output()));
            }
            case Op.Conv2d c -> {
                ConvParams p = new ConvParams(-c.input().zeroPoint(), c.output().zeroPoint(), c.strideH(), c.strideW(),
                        c.padH(), c.padW(), c.activation());
                convLike(i, "tt_conv2d_s8", p, OpLowering.quant(c.input(), c.weight(), c.output()), c.input().dims(),
                        c.input(), c.weight().dims(), c.weight(), c.bias(), c.output().dims(), c.output());
            }
            case Op.DepthwiseConv2d d -> {
                ConvParams p = new ConvParams(-d.input().zeroPoint(), d.output().zeroPoint(), d.strideH(), d.strideW(),
                        d.padH(), d.padW(), d.activation());
                convLike(i, "tt_depthwise_conv2d_s8", p, OpLowering.quant(d.input(), d.weight(), d.output()),
                        d.input().dims(), d.input(), d.weight().dims(), d.weight(), d.bias(), d.output().dims(),
                        d.output());
            }
            case Op.FullyConnected f -> {
                FcParams p = new FcParams(-f.input().zeroPoint(), f.output().zeroPoint(), f.activation());
                int rows = f.input().shape()[0];
                int features = Math.toIntExact(f.input().elements() / rows);
                int outs = f.weight().shape()[0];
                String name = "tt_op" + i + "_fc";
                struct("tt_fc_params", name, Integer.toString(p.inputOffset()), Integer.toString(p.outputOffset()),
                        activation(p.activation()));
                paramBytes += 16;
                String q = quant(i, OpLowering.quant(f.input(), f.weight(), f.output()));
                call(i, "tt_fully_connected_s8", context(i), "&" + name, "&" + q,
                        dims(Dims.of(rows, 1, 1, features)), symbols.pointer(f.input()),
                        dims(Dims.of(outs, 1, 1, features)), symbols.pointer(f.weight()),
                        dims(Dims.vector(outs)), biasPointer(f.bias()),
                        dims(Dims.of(rows, 1, 1, outs)), symbols.pointer(f.output()));
            }
            case Op.Add a -> {
                AddParams p = AddParams.of(a.a().scale(), a.a().zeroPoint(), a.b().scale(), a.b().zeroPoint(),
                        a.output().scale(), a.output().zeroPoint(), a.activation());
                String name = "tt_op" + i + "_add";
                struct("tt_add_params", name, Integer.toString(p.input1Offset()), Integer.toString(p.input2Offset()),
                        Integer.toString(p.leftShift()), CWriter.intLiteral(p.input1Multiplier()),
                        Integer.toString(p.input1Shift()), CWriter.intLiteral(p.input2Multiplier()),
                        Integer.toString(p.input2Shift()), CWriter.intLiteral(p.outputMultiplier()),
                        Integer.toString(p.outputShift()), Integer.toString(p.outputOffset()),
                        activation(p.activation()));
                paramBytes += 48;
                call(i, "tt_add_s8", "&" + name, dims(a.a().dims()), symbols.pointer(a.a()), dims(a.b().dims()),
                        symbols.pointer(a.b()), dims(a.output().dims()), symbols.pointer(a.output()));
            }
            case Op.AvgPool2d ap -> {
                PoolParams p = new PoolParams(ap.filterH(), ap.filterW(), ap.strideH(), ap.strideW(), ap.padH(),
                        ap.padW(), ap.activation());
                String name = pool(i, p);
                call(i, "tt_avgpool2d_s8", context(i), "&" + name, dims(ap.input().dims()),
                        symbols.pointer(ap.input()), dims(ap.output().dims()), symbols.pointer(ap.output()));
            }
            case Op.Mean m -> {
                MeanParams p = MeanParams.of(m.input().scale(), m.input().zeroPoint(), m.output().scale(),
                        m.output().zeroPoint());
                String name = "tt_op" + i + "_mean";
                struct("tt_mean_params", name, Integer.toString(p.inputOffset()), Integer.toString(p.outputOffset()),
                        CWriter.intLiteral(p.multiplier()), Integer.toString(p.shift()), activation(p.activation()));
                paramBytes += 24;
                call(i, "tt_mean_s8", "&" + name, dims(m.input().dims()), symbols.pointer(m.input()),
                        dims(m.output().dims()), symbols.pointer(m.output()));
            }
            case Op.Reshape r -> {
                // OpLowering.reshape: a copy, nothing when both values have the same bytes
                String x = symbols.pointer(r.input());
                String y = symbols.pointer(r.output());
                if (!x.equals(y)) {
                    body.line("memmove(" + y + ", " + x + ", " + r.input().byteSize() + "u);");
                } else {
                    body.comment("same bytes: nothing to copy");
                }
            }
            case Op.ConvDepthwise f -> {
                need(i, op, "tt_conv_depthwise_s8", "the fused conv + depthwise", "--no-fuse");
                Op.Conv2d c = f.conv();
                Op.DepthwiseConv2d d = f.depthwise();
                ConvParams cp = new ConvParams(-c.input().zeroPoint(), c.output().zeroPoint(), c.strideH(),
                        c.strideW(), c.padH(), c.padW(), c.activation());
                ConvParams dp = new ConvParams(-d.input().zeroPoint(), d.output().zeroPoint(), d.strideH(),
                        d.strideW(), d.padH(), d.padW(), d.activation());
                String conv = conv(i, cp);
                String quant = quant(i, OpLowering.quant(c.input(), c.weight(), c.output()));
                String dwConv = struct("tt_conv_params", "tt_op" + i + "_dw_conv", dp);
                String dwQuant = quant(i, "_dw", OpLowering.quant(d.input(), d.weight(), d.output()));
                Dims mid = f.intermediate().dims();
                String vector = dims(Dims.vector(mid.c()));
                call(i, "tt_conv_depthwise_s8", context(i), "&" + conv, "&" + quant, "&" + dwConv, "&" + dwQuant,
                        dims(c.input().dims()), symbols.pointer(c.input()), dims(c.weight().dims()),
                        symbols.pointer(c.weight()), vector, biasPointer(c.bias()), dims(mid),
                        dims(d.weight().dims()), symbols.pointer(d.weight()), vector, biasPointer(d.bias()),
                        dims(d.output().dims()), symbols.pointer(d.output()));
            }
            case TrainOp t -> lowerTraining(i, t);
        }
    }

    private void lowerTraining(int i, TrainOp op) {
        switch (op) {
            case TrainOp.ClampMask m -> {
                String act = "tt_op" + i + "_act";
                decls.line("static const tt_activation " + act + " = " + activation(m.activation()) + ";");
                paramBytes += 8;
                call(i, "tt_clamp_mask_s8", "&" + act, dims(m.y().dims()), symbols.pointer(m.y()),
                        symbols.pointer(m.mask()));
            }
            case TrainOp.GatherChannels gc -> {
                int[] ch = gc.channels();
                String name = intArray("tt_op" + i + "_channels", ch);
                call(i, "tt_gather_channels_s8", dims(gc.x().dims()), symbols.pointer(gc.x()), Integer.toString(ch.length),
                        name, symbols.pointer(gc.saved()));
            }
            case TrainOp.SoftmaxXent sx -> {
                Value l = sx.logits();
                call(i, "tt_softmax_xent_s8", CWriter.floatLiteral(l.scale()), Integer.toString(l.zeroPoint()),
                        dims(l.dims()), symbols.pointer(l), symbols.pointer(sx.label()), symbols.pointer(sx.loss()),
                        symbols.pointer(sx.grad()));
            }
            case TrainOp.GradScaleMask gs -> {
                String scale = floatArray("tt_op" + i + "_scale", gs.scale());
                call(i, "tt_grad_scale_mask_f32", scale, dims(gs.out().dims()), symbols.pointer(gs.grad()),
                        gs.mask() == null ? "NULL" : symbols.pointer(gs.mask()), symbols.pointer(gs.out()));
            }
            case TrainOp.MeanGrad mg -> call(i, "tt_mean_grad_f32", CWriter.floatLiteral(mg.scale()),
                    dims(mg.grad().dims()), symbols.pointer(mg.grad()), dims(mg.out().dims()), symbols.pointer(mg.out()));
            case TrainOp.AvgPoolGrad ag -> {
                PoolParams p = new PoolParams(ag.filterH(), ag.filterW(), ag.strideH(), ag.strideW(), ag.padH(),
                        ag.padW(), Activation.NONE);
                String name = pool(i, p);
                call(i, "tt_avgpool2d_grad_f32", "&" + name, dims(ag.grad().dims()), symbols.pointer(ag.grad()),
                        dims(ag.out().dims()), symbols.pointer(ag.out()));
            }
            case TrainOp.AddGrads ad -> call(i, "tt_add_f32", dims(ad.out().dims()), symbols.pointer(ad.a()),
                    symbols.pointer(ad.b()), symbols.pointer(ad.out()));
            case TrainOp.ConvGradInput ci -> {
                ConvParams p = new ConvParams(0, 0, ci.strideH(), ci.strideW(), ci.padH(), ci.padW(), Activation.NONE);
                String name = conv(i, p);
                call(i, ci.depthwise() ? "tt_depthwise_conv2d_grad_input_f32" : "tt_conv2d_grad_input_f32",
                        "&" + name, dims(ci.grad().dims()), symbols.pointer(ci.grad()), dims(ci.weight().dims()),
                        symbols.pointer(ci.weight()), dims(ci.out().dims()), symbols.pointer(ci.out()));
            }
            case TrainOp.WeightUpdate wu -> {
                ConvParams p = new ConvParams(wu.inputOffset(), 0, wu.strideH(), wu.strideW(), wu.padH(), wu.padW(),
                        Activation.NONE);
                String conv = conv(i, p);
                String qas = floatArray("tt_op" + i + "_qas", wu.qas());
                int[] ch = wu.channels();
                Dims fd = wu.weight().dims();
                long slice = wu.depthwise() ? (long) fd.h() * fd.w() * ch.length
                        : (long) fd.n() * fd.h() * fd.w() * ch.length;
                String state = state(i, wu.weight(), slice);
                if (symbols.splits().isSplit(wu.weight())) {
                    // the slice as a tensor [out][kh][kw][n] whose channels all train: the same bits
                    masterInitSlice(wu.weight(), slice);
                    call(i, "tt_conv2d_grad_weight_update_s8", sgd(wu.tensorId()), "&" + conv, qas,
                            dims(wu.grad().dims()), symbols.pointer(wu.grad()), dims(wu.saved().dims()),
                            symbols.pointer(wu.saved()), Integer.toString(ch.length), sliceChannels(wu.weight()),
                            dims(Dims.of(fd.n(), fd.h(), fd.w(), ch.length)), symbols.slice(wu.weight()), "&" + state);
                    return;
                }
                String channels = intArray("tt_op" + i + "_channels", ch);
                masterInitWeights(wu.weight(), slice, ch.length, fd.c(), channels);
                call(i, wu.depthwise() ? "tt_depthwise_conv2d_grad_weight_update_s8" : "tt_conv2d_grad_weight_update_s8",
                        sgd(wu.tensorId()), "&" + conv, qas, dims(wu.grad().dims()), symbols.pointer(wu.grad()),
                        dims(wu.saved().dims()), symbols.pointer(wu.saved()), Integer.toString(ch.length), channels,
                        dims(fd), symbols.pointer(wu.weight()), "&" + state);
            }
            case TrainOp.BiasUpdate bu -> {
                String qas = floatArray("tt_op" + i + "_qas", bu.qas());
                int channels = Math.toIntExact(bu.bias().elements());
                String state = state(i, bu.bias(), channels);
                masterInitBias(bu.bias(), channels);
                call(i, "tt_bias_grad_update_s32", sgd(bu.tensorId()), qas, dims(bu.grad().dims()),
                        symbols.pointer(bu.grad()), dims(Dims.vector(channels)), symbols.pointer(bu.bias()), "&" + state);
            }
            case TrainOp.WeightGrad wg -> {
                String kernel = wg.depthwise() ? "tt_depthwise_conv2d_grad_weight_f32" : "tt_conv2d_grad_weight_f32";
                need(i, op, kernel, "the stored weight gradient", "reordering (drop --no-reorder)");
                ConvParams p = new ConvParams(wg.inputOffset(), 0, wg.strideH(), wg.strideW(), wg.padH(), wg.padW(),
                        Activation.NONE);
                String conv = conv(i, p);
                int[] ch = wg.channels();
                String channels = intArray("tt_op" + i + "_channels", ch);
                call(i, kernel, "&" + conv, dims(wg.grad().dims()), symbols.pointer(wg.grad()), dims(wg.saved().dims()),
                        symbols.pointer(wg.saved()), Integer.toString(ch.length), channels, dims(wg.weight().dims()),
                        symbols.pointer(wg.out()));
            }
            case TrainOp.BiasGrad bg -> {
                need(i, op, "tt_bias_grad_f32", "the stored bias gradient", "reordering (drop --no-reorder)");
                call(i, "tt_bias_grad_f32", dims(bg.grad().dims()), symbols.pointer(bg.grad()), symbols.pointer(bg.out()));
            }
            case TrainOp.ApplyWeightGrad a -> {
                need(i, op, "tt_sgd_update_s8", "the SGD step from a stored weight gradient",
                        "reordering (drop --no-reorder)");
                String qas = floatArray("tt_op" + i + "_qas", a.qas());
                int[] ch = a.channels();
                Dims fd = a.weight().dims();
                long slice = (a.depthwise() ? 1L : fd.n()) * fd.h() * fd.w() * ch.length;
                String state = state(i, a.weight(), slice);
                if (symbols.splits().isSplit(a.weight())) {
                    masterInitSlice(a.weight(), slice);
                    call(i, "tt_sgd_update_s8", sgd(a.tensorId()), qas, "0", symbols.pointer(a.gradient()),
                            Integer.toString(ch.length), sliceChannels(a.weight()),
                            dims(Dims.of(fd.n(), fd.h(), fd.w(), ch.length)), symbols.slice(a.weight()), "&" + state);
                    return;
                }
                String channels = intArray("tt_op" + i + "_channels", ch);
                masterInitWeights(a.weight(), slice, ch.length, fd.c(), channels);
                call(i, "tt_sgd_update_s8", sgd(a.tensorId()), qas, a.depthwise() ? "1" : "0",
                        symbols.pointer(a.gradient()), Integer.toString(ch.length), channels, dims(fd),
                        symbols.pointer(a.weight()), "&" + state);
            }
            case TrainOp.ApplyBiasGrad a -> {
                need(i, op, "tt_sgd_update_s32", "the SGD step from a stored bias gradient",
                        "reordering (drop --no-reorder)");
                String qas = floatArray("tt_op" + i + "_qas", a.qas());
                int channels = Math.toIntExact(a.bias().elements());
                String state = state(i, a.bias(), channels);
                masterInitBias(a.bias(), channels);
                call(i, "tt_sgd_update_s32", sgd(a.tensorId()), qas, symbols.pointer(a.gradient()),
                        dims(Dims.vector(channels)), symbols.pointer(a.bias()), "&" + state);
            }
        }
    }

    /** Fails with "not supported by codegen yet" when the kernel sources lack {@code kernel}. */
    private void need(int i, Op op, String kernel, String what, String instead) {
        if (!sources.declares(kernel)) {
            throw unsupported(i, op, "the kernel library copied into the project has no " + kernel + " ("
                    + what + "); compile with " + instead);
        }
    }

    /** TrainingSession.state: element i of a weight slice [..][j] starts as weight (i / n) * C + channels[i % n]. */
    private void masterInitWeights(Value weight, long slice, int n, int c, String channels) {
        if (symbols.state(weight).master() != null) {
            masterInit.add("for (i = 0; i < " + slice + "u; ++i) {");
            masterInit.add("    " + symbols.state(weight).master() + "[i] = (float)" + symbols.array(weight)
                    + "[(i / " + n + "u) * " + c + "u + (uint32_t)" + channels + "[i % " + n + "u]];");
            masterInit.add("}");
        }
    }

    /** A split tensor's master copy starts as its SRAM slice, laid out alike. */
    private void masterInitSlice(Value weight, long slice) {
        if (symbols.state(weight).master() != null) {
            masterInit.add("for (i = 0; i < " + slice + "u; ++i) {");
            masterInit.add("    " + symbols.state(weight).master() + "[i] = (float)" + symbols.slice(weight) + "[i];");
            masterInit.add("}");
        }
    }

    private void masterInitBias(Value bias, int channels) {
        if (symbols.state(bias).master() != null) {
            masterInit.add("for (i = 0; i < " + channels + "u; ++i) {");
            masterInit.add("    " + symbols.state(bias).master() + "[i] = (float)" + symbols.array(bias) + "[i];");
            masterInit.add("}");
        }
    }

    static CodegenException unsupported(int i, Op op, String why) {
        return new CodegenException("op " + i + " (" + op.mnemonic() + describe(op) + ") is not supported by codegen"
                + " yet: " + why);
    }

    // ---- pieces ------------------------------------------------------------------------------

    /** One kernel call whose status is checked: {@code TT_CHECK(op, kernel(args));}. */
    private void call(int i, String kernel, String... args) {
        kernels.add(kernel);
        body.statement("TT_CHECK(" + i + ", " + kernel + "(", List.of(args), "));");
    }

    /** A shared {@code static const tt_dims}, by value; returns {@code &name}. */
    private String dims(Dims d) {
        return "&" + dims.computeIfAbsent(d, k -> "tt_dims_" + k.n() + "x" + k.h() + "x" + k.w() + "x" + k.c());
    }

    /** {@code static const type name = {fields};}, wrapped like a call when long. */
    private void struct(String type, String name, String... fields) {
        decls.statement("static const " + type + " " + name + " = {", List.of(fields), "};");
    }

    private static String activation(Activation a) {
        return "{" + a.min() + ", " + a.max() + "}";
    }

    private String conv(int i, ConvParams p) {
        return struct("tt_conv_params", "tt_op" + i + "_conv", p);
    }

    private String struct(String type, String name, ConvParams p) {
        struct(type, name, Integer.toString(p.inputOffset()), Integer.toString(p.outputOffset()),
                Integer.toString(p.strideH()), Integer.toString(p.strideW()), Integer.toString(p.padH()),
                Integer.toString(p.padW()), activation(p.activation()));
        paramBytes += 32;
        return name;
    }

    private String pool(int i, PoolParams p) {
        String name = "tt_op" + i + "_pool";
        struct("tt_pool_params", name, Integer.toString(p.filterH()), Integer.toString(p.filterW()),
                Integer.toString(p.strideH()), Integer.toString(p.strideW()), Integer.toString(p.padH()),
                Integer.toString(p.padW()), activation(p.activation()));
        paramBytes += 32;
        return name;
    }

    private String quant(int i, ChannelQuant q) {
        return quant(i, "", q);
    }

    private String quant(int i, String part, ChannelQuant q) {
        String m = intArray("tt_op" + i + part + "_multiplier", q.multiplier());
        String s = intArray("tt_op" + i + part + "_shift", q.shift());
        String name = "tt_op" + i + part + "_quant";
        decls.line("static const tt_per_channel_quant_params " + name + " = {" + m + ", " + s + "};");
        paramBytes += 8;
        return name;
    }

    private String intArray(String name, int[] values) {
        decls.array("static const int32_t " + name + "[" + values.length + "]", values);
        paramBytes += 4L * values.length;
        return name;
    }

    private String floatArray(String name, float[] values) {
        decls.array("static const float " + name + "[" + values.length + "]", values);
        paramBytes += 4L * values.length;
        return name;
    }

    private void convLike(int i, String kernel, ConvParams p, ChannelQuant q, Dims in, Value x, Dims fd, Value w,
                          Value b, Dims out, Value y) {
        String conv = conv(i, p);
        String quant = quant(i, q);
        call(i, kernel, context(i), "&" + conv, "&" + quant, dims(in), symbols.pointer(x), dims(fd),
                symbols.pointer(w), dims(Dims.vector(out.c())), biasPointer(b), dims(out), symbols.pointer(y));
    }

    private String biasPointer(Value b) {
        return b == null ? "NULL" : symbols.pointer(b);
    }

    /** The op's planned scratch as a {@code tt_context}, or the shared empty one. */
    private String context(int i) {
        long offset = plan.scratchOffset(i);
        InPlace ip = plan.inPlace(i);
        long bytes = Scratch.bytes(program.graph().ops().get(i), ip != null);
        if (offset < 0 || bytes == 0) {
            return "&tt_no_scratch";      // (a scratch planned only to assemble a split tensor in)
        }
        String name = "tt_op" + i + "_scratch";
        decls.line("static const tt_context " + name + " = {" + symbols.arena(offset) + ", " + bytes + "};");
        paramBytes += 8;
        return "&" + name;
    }

    /** The op's {@code tt_sgd_state}: momentum and master buffers of the trained slice, or NULLs. */
    private String state(int i, Value param, long elements) {
        Symbols.State s = symbols.state(param);
        if (s.elements() != elements) {
            throw new IllegalStateException("state of " + param.name() + ": " + s.elements() + " elements planned, "
                    + elements + " needed");
        }
        String name = "tt_op" + i + "_state";
        decls.line("static const tt_sgd_state " + name + " = {" + (s.velocity() == null ? "NULL" : s.velocity()) + ", "
                + (s.master() == null ? "NULL" : s.master()) + "};");
        paramBytes += 8;
        return name;
    }

    /** The step's SGD parameters with the model's step counter and this tensor's id. */
    private static String sgd(int tensorId) {
        return "tt_sgd_at(lr, " + CWriter.uintLiteral(tensorId) + ")";
    }
}
