package dev.tinytrain.runtime;

import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.Sample;
import dev.tinytrain.graph.Constant;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.ConvParams;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.PoolParams;
import dev.tinytrain.kernel.SgdParams;
import dev.tinytrain.kernel.SgdState;
import dev.tinytrain.tensor.Dims;
import dev.tinytrain.train.TrainConfig;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs a compiled training program on a kernel backend. The session owns one native arena: the
 * parameters (frozen and trained, updated in place), the optimizer state the program's rules need
 * (momentum, float master copies), and every activation, mask, saved slice and gradient at the
 * offset its memory plan gives it. Kernel parameters are prepared once; a step only calls kernels.
 *
 * <p>Not thread-safe. Close it to free the arena.
 */
public final class TrainingSession implements AutoCloseable {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    private final TrainingProgram program;
    private final KernelBackend backend;
    private final Arena arena;
    private final MemoryPlan plan;
    private final MemorySegment memory;
    private final Map<Integer, MemorySegment> params = new HashMap<>();
    private final List<Runnable> forwardSteps = new ArrayList<>();
    private final List<Runnable> trainSteps = new ArrayList<>();
    private final SgdParams sgd;
    private int step;

    /** A session on the planned arena ({@link MemoryPlan#planned}). */
    public TrainingSession(TrainingProgram program, KernelBackend backend) {
        this(program, backend, MemoryPlan.of(program));
    }

    public TrainingSession(TrainingProgram program, KernelBackend backend, MemoryPlan plan) {
        this.program = Objects.requireNonNull(program, "program");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.plan = Objects.requireNonNull(plan, "plan");
        Graph g = program.graph();
        TrainConfig c = program.config();
        this.sgd = new SgdParams(c.lr(), c.momentum(), c.rounding(), c.seed(), 0, 0);
        this.arena = Arena.ofShared();
        try {
            this.memory = arena.allocate(Math.max(plan.arenaBytes(), 1), 16);
            copyParameters(g);
            List<Op> ops = g.ops();
            for (int i = 0; i < ops.size(); i++) {
                Op op = ops.get(i);
                Runnable r = prepare(op, i);
                trainSteps.add(r);
                if (program.isForward(op)) {
                    forwardSteps.add(r);
                }
            }
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    public TrainingProgram program() {
        return program;
    }

    public KernelBackend backend() {
        return backend;
    }

    public MemoryPlan plan() {
        return plan;
    }

    /** Steps run so far. */
    public int steps() {
        return step;
    }

    /**
     * One SGD step on one image (batch 1, the device setting); returns the loss before the update.
     *
     * @throws IllegalArgumentException for an image of the wrong size or a label out of range
     */
    public float trainStep(byte[] image, int label) {
        loadImage(image);
        if (label < 0 || label >= program.classes()) {
            throw new IllegalArgumentException("label " + label + " is out of range: the model has "
                    + program.classes() + " classes (0.." + (program.classes() - 1) + ")");
        }
        segment(program.label()).set(I32, 0, label);
        for (Runnable r : trainSteps) {
            r.run();
        }
        step++;
        return segment(program.loss()).get(F32, 0);
    }

    /** The int8 logits of one image. */
    public byte[] logits(byte[] image) {
        loadImage(image);
        for (Runnable r : forwardSteps) {
            r.run();
        }
        return segment(program.logits()).asSlice(0, program.logits().byteSize()).toArray(ValueLayout.JAVA_BYTE);
    }

    /** The predicted class of one image (the first of equal logits). */
    public int predict(byte[] image) {
        byte[] l = logits(image);
        int best = 0;
        for (int i = 1; i < l.length; i++) {
            if (l[i] > l[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Top-1 accuracy over a dataset. */
    public double evaluate(Dataset data) {
        int correct = 0;
        for (int i = 0; i < data.size(); i++) {
            Sample s = data.get(i);
            if (predict(s.image()) == s.label()) {
                correct++;
            }
        }
        return data.size() == 0 ? 0 : correct / (double) data.size();
    }

    /** The current values of the trained parameters, by value name: int8 weights as byte[], biases as int[]. */
    public Map<String, Object> trainedParameters() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Op op : program.graph().ops()) {
            switch (op) {
                case TrainOp.WeightUpdate w -> m.put(w.weight().name(),
                        params.get(w.weight().id()).toArray(ValueLayout.JAVA_BYTE));
                case TrainOp.BiasUpdate b -> m.put(b.bias().name(), params.get(b.bias().id()).toArray(ValueLayout.JAVA_INT));
                case TrainOp.ApplyWeightGrad w -> m.put(w.weight().name(),
                        params.get(w.weight().id()).toArray(ValueLayout.JAVA_BYTE));
                case TrainOp.ApplyBiasGrad b -> m.put(b.bias().name(),
                        params.get(b.bias().id()).toArray(ValueLayout.JAVA_INT));
                default -> {
                }
            }
        }
        return m;
    }

    /** SHA-256 (first 16 hex digits) over the trained parameters, in schedule order. */
    public String weightsChecksum() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, Object> e : trainedParameters().entrySet()) {
                md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                if (e.getValue() instanceof byte[] b) {
                    md.update(b);
                } else {
                    for (int v : (int[]) e.getValue()) {
                        md.update(new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)});
                    }
                }
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        arena.close();
    }

    // ---- set-up ---------------------------------------------------------------------------

    private void loadImage(byte[] image) {
        Value in = program.image();
        if (image == null || image.length != in.byteSize()) {
            throw new IllegalArgumentException("image must be " + in.byteSize() + " bytes (int8 "
                    + java.util.Arrays.toString(in.shape()) + "), got " + (image == null ? "null" : image.length));
        }
        MemorySegment.copy(image, 0, segment(in), ValueLayout.JAVA_BYTE, 0, image.length);
    }

    private void copyParameters(Graph g) {
        for (Value v : g.values()) {
            if (!g.isConstant(v)) {
                continue;
            }
            switch (g.constant(v)) {
                case Constant.Int8 c -> params.put(v.id(), arena.allocateFrom(ValueLayout.JAVA_BYTE, c.data()));
                case Constant.Int32 c -> params.put(v.id(), arena.allocateFrom(ValueLayout.JAVA_INT, c.data()));
            }
        }
    }

    private MemorySegment segment(Value v) {
        MemorySegment p = params.get(v.id());
        if (p != null) {
            return p;
        }
        long offset = plan.offset(v);
        return memory.asSlice(offset, v.byteSize());
    }

    private Runnable prepare(Op op, int position) {
        if (!(op instanceof TrainOp t)) {
            long s = plan.scratchOffset(position);
            long bytes = dev.tinytrain.plan.Scratch.bytes(op, plan.inPlace(position) != null);
            MemorySegment scratch = s < 0 ? null : memory.asSlice(s, bytes);
            return OpLowering.forward(op, backend, this::segment, scratch, plan.inPlace(position));
        }
        return switch (t) {
            case TrainOp.ClampMask m -> {
                Dims d = m.y().dims();
                MemorySegment y = segment(m.y());
                MemorySegment mask = segment(m.mask());
                yield () -> backend.clampMask(m.activation(), d, y, mask);
            }
            case TrainOp.GatherChannels gc -> {
                Dims d = gc.x().dims();
                MemorySegment x = segment(gc.x());
                MemorySegment s = segment(gc.saved());
                int[] ch = gc.channels();
                yield () -> backend.gatherChannels(d, x, ch, s);
            }
            case TrainOp.SoftmaxXent sx -> {
                Value l = sx.logits();
                Dims d = l.dims();
                MemorySegment logits = segment(l);
                MemorySegment label = segment(sx.label());
                MemorySegment loss = segment(sx.loss());
                MemorySegment grad = segment(sx.grad());
                yield () -> backend.softmaxXent(l.scale(), l.zeroPoint(), d, logits, label, loss, grad);
            }
            case TrainOp.GradScaleMask gs -> {
                Dims d = gs.out().dims();
                float[] scale = gs.scale();
                MemorySegment grad = segment(gs.grad());
                MemorySegment mask = gs.mask() == null ? null : segment(gs.mask());
                MemorySegment out = segment(gs.out());
                yield () -> backend.gradScaleMask(scale, d, grad, mask, out);
            }
            case TrainOp.MeanGrad mg -> {
                Dims gd = mg.grad().dims();
                Dims od = mg.out().dims();
                MemorySegment grad = segment(mg.grad());
                MemorySegment out = segment(mg.out());
                yield () -> backend.meanGrad(mg.scale(), gd, grad, od, out);
            }
            case TrainOp.AvgPoolGrad ag -> {
                PoolParams p = new PoolParams(ag.filterH(), ag.filterW(), ag.strideH(), ag.strideW(), ag.padH(),
                        ag.padW(), Activation.NONE);
                Dims gd = ag.grad().dims();
                Dims od = ag.out().dims();
                MemorySegment grad = segment(ag.grad());
                MemorySegment out = segment(ag.out());
                yield () -> backend.avgPoolGrad(p, gd, grad, od, out);
            }
            case TrainOp.AddGrads ad -> {
                Dims d = ad.out().dims();
                MemorySegment a = segment(ad.a());
                MemorySegment b = segment(ad.b());
                MemorySegment out = segment(ad.out());
                yield () -> backend.addF32(d, a, b, out);
            }
            case TrainOp.ConvGradInput ci -> {
                ConvParams p = new ConvParams(0, 0, ci.strideH(), ci.strideW(), ci.padH(), ci.padW(), Activation.NONE);
                Dims gd = ci.grad().dims();
                Dims fd = ci.weight().dims();
                Dims od = ci.out().dims();
                MemorySegment grad = segment(ci.grad());
                MemorySegment w = segment(ci.weight());
                MemorySegment out = segment(ci.out());
                yield ci.depthwise()
                        ? () -> backend.depthwiseConv2dGradInput(p, gd, grad, fd, w, od, out)
                        : () -> backend.conv2dGradInput(p, gd, grad, fd, w, od, out);
            }
            case TrainOp.WeightUpdate wu -> {
                ConvParams p = new ConvParams(wu.inputOffset(), 0, wu.strideH(), wu.strideW(), wu.padH(), wu.padW(),
                        Activation.NONE);
                float[] qas = wu.qas();
                int[] ch = wu.channels();
                Dims gd = wu.grad().dims();
                Dims sd = wu.saved().dims();
                Dims fd = wu.weight().dims();
                MemorySegment grad = segment(wu.grad());
                MemorySegment saved = segment(wu.saved());
                MemorySegment w = segment(wu.weight());
                SgdState state = weightState(wu.depthwise(), ch, fd, w);
                int tid = wu.tensorId();
                yield wu.depthwise()
                        ? () -> backend.depthwiseConv2dGradWeightUpdate(sgd.at(step, tid), p, qas, gd, grad, sd, saved,
                        ch, fd, w, state)
                        : () -> backend.conv2dGradWeightUpdate(sgd.at(step, tid), p, qas, gd, grad, sd, saved, ch, fd,
                        w, state);
            }
            case TrainOp.BiasUpdate bu -> {
                float[] qas = bu.qas();
                Dims gd = bu.grad().dims();
                int channels = Math.toIntExact(bu.bias().elements());
                Dims bd = Dims.vector(channels);
                MemorySegment grad = segment(bu.grad());
                MemorySegment b = segment(bu.bias());
                SgdState state = state(channels, i -> i, b, true);
                int tid = bu.tensorId();
                yield () -> backend.biasGradUpdate(sgd.at(step, tid), qas, gd, grad, bd, b, state);
            }
            case TrainOp.WeightGrad wg -> {
                ConvParams p = new ConvParams(wg.inputOffset(), 0, wg.strideH(), wg.strideW(), wg.padH(), wg.padW(),
                        Activation.NONE);
                int[] ch = wg.channels();
                Dims gd = wg.grad().dims();
                Dims sd = wg.saved().dims();
                Dims fd = wg.weight().dims();
                MemorySegment grad = segment(wg.grad());
                MemorySegment saved = segment(wg.saved());
                MemorySegment out = segment(wg.out());
                yield wg.depthwise()
                        ? () -> backend.depthwiseConv2dGradWeight(p, gd, grad, sd, saved, ch, fd, out)
                        : () -> backend.conv2dGradWeight(p, gd, grad, sd, saved, ch, fd, out);
            }
            case TrainOp.BiasGrad bg -> {
                Dims gd = bg.grad().dims();
                MemorySegment grad = segment(bg.grad());
                MemorySegment out = segment(bg.out());
                yield () -> backend.biasGrad(gd, grad, out);
            }
            case TrainOp.ApplyWeightGrad a -> {
                float[] qas = a.qas();
                int[] ch = a.channels();
                Dims fd = a.weight().dims();
                MemorySegment gradient = segment(a.gradient());
                MemorySegment w = segment(a.weight());
                SgdState state = weightState(a.depthwise(), ch, fd, w);
                int tid = a.tensorId();
                boolean dw = a.depthwise();
                yield () -> backend.sgdUpdateWeights(sgd.at(step, tid), qas, dw, gradient, ch, fd, w, state);
            }
            case TrainOp.ApplyBiasGrad a -> {
                float[] qas = a.qas();
                int channels = Math.toIntExact(a.bias().elements());
                Dims bd = Dims.vector(channels);
                MemorySegment gradient = segment(a.gradient());
                MemorySegment b = segment(a.bias());
                SgdState state = state(channels, i -> i, b, true);
                int tid = a.tensorId();
                yield () -> backend.sgdUpdateBias(sgd.at(step, tid), qas, gradient, bd, b, state);
            }
        };
    }

    /** State of a trained weight slice, laid out [oc][ky][kx][j] (depthwise [ky][kx][j]). */
    private SgdState weightState(boolean depthwise, int[] ch, Dims fd, MemorySegment w) {
        long slice = depthwise ? (long) fd.h() * fd.w() * ch.length : (long) fd.n() * fd.h() * fd.w() * ch.length;
        return state(slice, i -> {
            // element i of the slice -> weight index
            int j = (int) (i % ch.length);
            long rest = i / ch.length;
            return rest * fd.c() + ch[j];
        }, w, false);
    }

    /** Momentum and master buffers for one trained slice, as the program's rule needs them. */
    private SgdState state(long elements, java.util.function.LongUnaryOperator paramIndex, MemorySegment param,
                           boolean int32) {
        MemorySegment velocity = null;
        MemorySegment master = null;
        if (sgd.needsVelocity()) {
            velocity = arena.allocate(4 * elements, 16);      // zero-filled
        }
        if (sgd.needsMaster()) {
            master = arena.allocate(4 * elements, 16);
            for (long i = 0; i < elements; i++) {
                long k = paramIndex.applyAsLong(i);
                float v = int32 ? param.getAtIndex(I32, k) : param.get(ValueLayout.JAVA_BYTE, k);
                master.setAtIndex(F32, i, v);
            }
        }
        return velocity == null && master == null ? SgdState.NONE : new SgdState(velocity, master);
    }
}
