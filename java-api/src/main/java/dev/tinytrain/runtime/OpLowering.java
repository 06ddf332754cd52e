package dev.tinytrain.runtime;

import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.AddParams;
import dev.tinytrain.kernel.ChannelQuant;
import dev.tinytrain.kernel.ConvParams;
import dev.tinytrain.kernel.FcParams;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.MeanParams;
import dev.tinytrain.kernel.PoolParams;
import dev.tinytrain.tensor.Dims;
import dev.tinytrain.tensor.Quantization;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Lowers one op to a prepared kernel call: parameters (requantization multipliers, offsets, dims)
 * are computed here, once; the returned step only calls the backend. Memory comes from a
 * {@link Memory} (heap buffers in the forward interpreter, one planned arena in a training session).
 */
public final class OpLowering {

    /** Where each value lives: activations, gradients, masks, and constants (int8 weights, int32 biases). */
    @FunctionalInterface
    public interface Memory {
        MemorySegment of(Value v);
    }

    private OpLowering() {
    }

    /** A forward (inference) op as a prepared step, out of place, needing no scratch. */
    public static Runnable forward(Op op, KernelBackend backend, Memory mem) {
        return forward(op, backend, mem, null, null);
    }

    /**
     * A forward op as a prepared step.
     *
     * @param scratch the op's planned scratch ({@link dev.tinytrain.plan.Scratch}), or null when it needs none
     * @param inPlace the planner's in-place decision for the op, or null
     */
    public static Runnable forward(Op op, KernelBackend backend, Memory mem, MemorySegment scratch,
                                   dev.tinytrain.plan.InPlace inPlace) {
        if (inPlace != null && op instanceof Op.Conv2d c) {
            return conv1x1InPlace(c, backend, mem, scratch, inPlace);
        }
        return switch (op) {
            case Op.Conv2d c -> {
                ConvParams p = new ConvParams(-c.input().zeroPoint(), c.output().zeroPoint(), c.strideH(),
                        c.strideW(), c.padH(), c.padW(), c.activation());
                ChannelQuant q = quant(c.input(), c.weight(), c.output());
                Dims in = c.input().dims();
                Dims fd = c.weight().dims();
                Dims out = c.output().dims();
                MemorySegment x = mem.of(c.input());
                MemorySegment w = mem.of(c.weight());
                MemorySegment b = c.bias() == null ? null : mem.of(c.bias());
                MemorySegment y = mem.of(c.output());
                yield () -> backend.conv2d(p, q, in, x, fd, w, b, out, y);
            }
            case Op.DepthwiseConv2d d -> {
                ConvParams p = new ConvParams(-d.input().zeroPoint(), d.output().zeroPoint(), d.strideH(),
                        d.strideW(), d.padH(), d.padW(), d.activation());
                ChannelQuant q = quant(d.input(), d.weight(), d.output());
                Dims in = d.input().dims();
                Dims fd = d.weight().dims();
                Dims out = d.output().dims();
                MemorySegment x = mem.of(d.input());
                MemorySegment w = mem.of(d.weight());
                MemorySegment b = d.bias() == null ? null : mem.of(d.bias());
                MemorySegment y = mem.of(d.output());
                yield () -> backend.depthwiseConv2d(p, q, in, x, fd, w, b, out, y);
            }
            case Op.FullyConnected f -> {
                FcParams p = new FcParams(-f.input().zeroPoint(), f.output().zeroPoint(), f.activation());
                ChannelQuant q = quant(f.input(), f.weight(), f.output());
                int rows = f.input().shape()[0];
                int features = Math.toIntExact(f.input().elements() / rows);
                int outs = f.weight().shape()[0];
                Dims in = Dims.of(rows, 1, 1, features);
                Dims fd = Dims.of(outs, 1, 1, features);
                Dims out = Dims.of(rows, 1, 1, outs);
                MemorySegment x = mem.of(f.input());
                MemorySegment w = mem.of(f.weight());
                MemorySegment b = f.bias() == null ? null : mem.of(f.bias());
                MemorySegment y = mem.of(f.output());
                yield () -> backend.fullyConnected(p, q, in, x, fd, w, b, out, y);
            }
            case Op.Add a -> {
                AddParams p = AddParams.of(a.a().scale(), a.a().zeroPoint(), a.b().scale(), a.b().zeroPoint(),
                        a.output().scale(), a.output().zeroPoint(), a.activation());
                Dims d1 = a.a().dims();
                Dims d2 = a.b().dims();
                Dims out = a.output().dims();
                MemorySegment x1 = mem.of(a.a());
                MemorySegment x2 = mem.of(a.b());
                MemorySegment y = mem.of(a.output());
                yield () -> backend.add(p, d1, x1, d2, x2, out, y);
            }
            case Op.AvgPool2d ap -> {
                PoolParams p = new PoolParams(ap.filterH(), ap.filterW(), ap.strideH(), ap.strideW(), ap.padH(),
                        ap.padW(), ap.activation());
                Dims in = ap.input().dims();
                Dims out = ap.output().dims();
                MemorySegment x = mem.of(ap.input());
                MemorySegment y = mem.of(ap.output());
                yield () -> backend.avgPool2d(p, in, x, out, y);
            }
            case Op.Mean m -> {
                MeanParams p = MeanParams.of(m.input().scale(), m.input().zeroPoint(), m.output().scale(),
                        m.output().zeroPoint());
                Dims in = m.input().dims();
                Dims out = m.output().dims();
                MemorySegment x = mem.of(m.input());
                MemorySegment y = mem.of(m.output());
                yield () -> backend.mean(p, in, x, out, y);
            }
            case Op.Reshape r -> reshape(r, mem);
            case Op.ConvDepthwise f -> {
                Op.Conv2d c = f.conv();
                Op.DepthwiseConv2d d = f.depthwise();
                if (scratch == null) {
                    throw new IllegalArgumentException("conv_depthwise " + d.output().ref() + " needs scratch for one"
                            + " channel of " + c.output().ref() + "; plan it (MemoryPlan)");
                }
                ConvParams cp = new ConvParams(-c.input().zeroPoint(), c.output().zeroPoint(), c.strideH(),
                        c.strideW(), c.padH(), c.padW(), c.activation());
                ChannelQuant cq = quant(c.input(), c.weight(), c.output());
                ConvParams dp = new ConvParams(-d.input().zeroPoint(), d.output().zeroPoint(), d.strideH(),
                        d.strideW(), d.padH(), d.padW(), d.activation());
                ChannelQuant dq = quant(d.input(), d.weight(), d.output());
                Dims in = c.input().dims();
                Dims cfd = c.weight().dims();
                Dims mid = f.intermediate().dims();
                Dims dfd = d.weight().dims();
                Dims out = d.output().dims();
                MemorySegment x = mem.of(c.input());
                MemorySegment cw = mem.of(c.weight());
                MemorySegment cb = c.bias() == null ? null : mem.of(c.bias());
                MemorySegment dw = mem.of(d.weight());
                MemorySegment db = d.bias() == null ? null : mem.of(d.bias());
                MemorySegment y = mem.of(d.output());
                yield () -> backend.convDepthwise(cp, cq, in, x, cfd, cw, cb, mid, dp, dq, dfd, dw, db, out, y,
                        scratch);
            }
            case TrainOp t -> throw new IllegalArgumentException("training op " + t.mnemonic()
                    + " is not a forward op; run training graphs with a TrainingSession");
        };
    }

    /** A pointwise conv over its own input: the output starts the region, the input sits at its planned offset. */
    private static Runnable conv1x1InPlace(Op.Conv2d c, KernelBackend backend, Memory mem, MemorySegment scratch,
                                           dev.tinytrain.plan.InPlace ip) {
        if (scratch == null) {
            throw new IllegalArgumentException("in-place conv2d " + c.output().ref() + " needs scratch for one pixel");
        }
        ConvParams p = new ConvParams(-c.input().zeroPoint(), c.output().zeroPoint(), c.strideH(), c.strideW(),
                c.padH(), c.padW(), c.activation());
        ChannelQuant q = quant(c.input(), c.weight(), c.output());
        Dims in = c.input().dims();
        Dims fd = c.weight().dims();
        Dims out = c.output().dims();
        MemorySegment w = mem.of(c.weight());
        MemorySegment b = c.bias() == null ? null : mem.of(c.bias());
        MemorySegment y = mem.of(c.output());
        long regionBytes = Math.max(c.input().byteSize(), c.output().byteSize());
        MemorySegment region = MemorySegment.ofAddress(y.address()).reinterpret(regionBytes);
        MemorySegment x = mem.of(c.input());
        if (x.address() != y.address() + ip.inputOffset()) {
            throw new IllegalStateException("in-place conv2d " + c.output().ref() + ": the input is not at output + "
                    + ip.inputOffset() + " as planned");
        }
        return () -> backend.conv2d1x1InPlace(p, q, in, fd, w, b, out, region, scratch);
    }

    /** A reshape copies (nothing when the memory gives both values the same bytes). */
    static Runnable reshape(Op.Reshape r, Memory mem) {
        MemorySegment x = mem.of(r.input());
        MemorySegment y = mem.of(r.output());
        if (x.equals(y)) {
            return () -> { };
        }
        long bytes = r.input().byteSize();
        return () -> MemorySegment.copy(x, 0, y, 0, bytes);
    }

    /** Per-channel requantization; per-tensor weight quantization repeats its scale per output channel. */
    public static ChannelQuant quant(Value input, Value weight, Value output) {
        Quantization wq = weight.quant();
        float[] scales = wq.scales();
        if (wq.isPerTensor()) {
            int[] os = output.shape();
            scales = new float[os[os.length - 1]];
            Arrays.fill(scales, wq.scale());
        }
        return ChannelQuant.of(input.scale(), scales, output.scale());
    }
}
