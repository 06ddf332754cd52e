package dev.tinytrain.fp32;

import dev.tinytrain.tensor.Dims;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One forward and backward pass of a {@link FloatNet} over a batch of up to {@code maxBatch} images:
 * the activations, BatchNorm statistics and gradients of one worker. The convolutions run on a
 * {@link Fp32Backend}; BatchNorm, ReLU6, the residual adds, the pool, the classifier and the loss
 * are plain Java here (a few operations per element, against tens to hundreds for the convs).
 *
 * <p>BatchNorm in train mode normalizes with the batch's statistics over (n, h, w): {@code mean} and
 * the biased variance {@code var}, summed in double in raster order, then
 * {@code y = gamma * ((z - mean) * invStd) + beta} in float with {@code invStd = 1 / sqrt(var + eps)};
 * in eval mode with the running statistics. Its backward pass is the usual one:
 * {@code dz = gamma * invStd * (dy - sum(dy) / M - xhat * sum(dy * xhat) / M)}.
 * With {@link #freezeStatistics} set, train mode keeps the running statistics (BatchNorm is then a
 * fixed per-channel affine map, as in the folded int8 graph, which fine-tuning with batch 1 needs):
 * {@code dz = gamma * invStd * dy}.
 * The loss is the mean softmax cross-entropy over the whole (sharded) batch: a pass computes the
 * sum over its images and scales its gradient by {@code 1 / totalBatch}.
 *
 * <p>Reads the network's parameters and never writes them: the trainer applies the step. Not
 * thread-safe; one pass per thread.
 */
public final class FloatPass {

    private final FloatNet net;
    private final Fp32Backend backend;
    private final int maxBatch;
    private final List<FloatNet.Node> nodes;
    private final float[][] act;
    private final float[][] pre;
    private final float[][] mean;
    private final float[][] invStd;
    private final double[][] batchVar;
    private final float[][] grad;
    private final boolean[] hasGrad;
    private final float[] scratch;
    private final Map<Param, float[]> paramGrad = new IdentityHashMap<>();
    private int n;
    private boolean train;
    private boolean frozen;
    private boolean forwardDone;

    public FloatPass(FloatNet net, Fp32Backend backend, int maxBatch) {
        this.net = Objects.requireNonNull(net, "net");
        this.backend = Objects.requireNonNull(backend, "backend");
        if (maxBatch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + maxBatch);
        }
        this.maxBatch = maxBatch;
        this.nodes = net.nodes();
        int count = nodes.size();
        act = new float[count][];
        pre = new float[count][];
        mean = new float[count][];
        invStd = new float[count][];
        batchVar = new double[count][];
        grad = new float[count][];
        hasGrad = new boolean[count];
        long largest = 0;
        for (FloatNet.Node node : nodes) {
            int size = Math.toIntExact(maxBatch * node.out().elements());
            act[node.id()] = new float[size];
            grad[node.id()] = new float[size];
            largest = Math.max(largest, size);
            if (node instanceof FloatNet.ConvBn c) {
                pre[c.id()] = new float[size];
                mean[c.id()] = new float[c.out().c()];
                invStd[c.id()] = new float[c.out().c()];
                batchVar[c.id()] = new double[c.out().c()];
                paramGrad.put(c.weight(), new float[c.weight().size()]);
                paramGrad.put(c.gamma(), new float[c.gamma().size()]);
                paramGrad.put(c.beta(), new float[c.beta().size()]);
            } else if (node instanceof FloatNet.Classifier k) {
                paramGrad.put(k.weight(), new float[k.weight().size()]);
                paramGrad.put(k.bias(), new float[k.bias().size()]);
            }
        }
        scratch = new float[Math.toIntExact(largest)];
    }

    /**
     * Whether train-mode passes normalize with the running statistics (and leave them alone) instead
     * of the batch's; default false.
     */
    public void freezeStatistics(boolean freeze) {
        this.frozen = freeze;
    }

    public int maxBatch() {
        return maxBatch;
    }

    /**
     * Runs the forward pass on {@code n} images read from {@code input} at {@code offset} (NHWC
     * floats, {@link FloatNet#inputSize()} per image) and returns the logits array (the first
     * {@code n * classes} values; the array is reused by the next pass).
     *
     * @param train BatchNorm with batch statistics (and a backward pass may follow) or running ones
     */
    public float[] forward(float[] input, int offset, int n, boolean train) {
        if (n < 1 || n > maxBatch) {
            throw new IllegalArgumentException("batch of " + n + " images; this pass holds 1.." + maxBatch);
        }
        int per = net.inputSize();
        if (offset < 0 || (long) offset + (long) n * per > input.length) {
            throw new IllegalArgumentException("input holds " + input.length + " floats; " + n + " images of " + per
                    + " from offset " + offset + " do not fit");
        }
        this.n = n;
        this.train = train;
        for (FloatNet.Node node : nodes) {
            switch (node) {
                case FloatNet.Input in -> System.arraycopy(input, offset, act[in.id()], 0, n * per);
                case FloatNet.ConvBn c -> convBnForward(c);
                case FloatNet.Add a -> {
                    float[] x = act[a.a()];
                    float[] y = act[a.b()];
                    float[] out = act[a.id()];
                    int size = size(a.out());
                    for (int i = 0; i < size; i++) {
                        out[i] = x[i] + y[i];
                    }
                }
                case FloatNet.Pool p -> poolForward(p);
                case FloatNet.Classifier k -> classifierForward(k);
            }
        }
        forwardDone = true;
        return act[nodes.size() - 1];
    }

    /**
     * Softmax cross-entropy of the last forward pass (train mode) against {@code labels[offset..]},
     * then the backward pass: fills the parameter gradients ({@link #grad}) of
     * {@code sum over this pass's images of loss / totalBatch}. Returns the summed loss of its images.
     */
    public double backward(int[] labels, int offset, int totalBatch) {
        if (!forwardDone || !train) {
            throw new IllegalStateException("backward needs a forward pass in train mode first");
        }
        forwardDone = false;
        int classes = net.classes();
        int last = nodes.size() - 1;
        float[] logits = act[last];
        float[] dl = grad[last];
        double loss = 0;
        for (int b = 0; b < n; b++) {
            int label = labels[offset + b];
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException("label " + label + " of image " + (offset + b) + " is not in [0, "
                        + classes + ")");
            }
            int base = b * classes;
            double m = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < classes; k++) {
                m = Math.max(m, logits[base + k]);
            }
            double s = 0;
            for (int k = 0; k < classes; k++) {
                s += Math.exp(logits[base + k] - m);
            }
            loss += m + Math.log(s) - logits[base + label];
            for (int k = 0; k < classes; k++) {
                double p = Math.exp(logits[base + k] - m) / s;
                dl[base + k] = (float) ((p - (k == label ? 1 : 0)) / totalBatch);
            }
        }
        Arrays.fill(hasGrad, false);
        hasGrad[last] = true;
        for (int i = last; i >= 0; i--) {
            FloatNet.Node node = nodes.get(i);
            if (!hasGrad[i]) {
                continue;
            }
            switch (node) {
                case FloatNet.Input in -> { }
                case FloatNet.ConvBn c -> convBnBackward(c);
                case FloatNet.Add a -> {
                    int size = size(a.out());
                    accumulate(a.a(), grad[a.id()], size);
                    accumulate(a.b(), grad[a.id()], size);
                }
                case FloatNet.Pool p -> poolBackward(p);
                case FloatNet.Classifier k -> classifierBackward(k);
            }
        }
        return loss;
    }

    /** The gradient of a trained parameter after {@link #backward}. */
    public float[] grad(Param p) {
        float[] g = paramGrad.get(p);
        if (g == null) {
            throw new IllegalArgumentException(p.name() + " is not a trained parameter of this pass's network");
        }
        return g;
    }

    /** Batch mean of a BatchNorm layer in the last train-mode forward pass. */
    public float[] batchMean(FloatNet.ConvBn c) {
        return mean[c.id()];
    }

    /** Biased batch variance of a BatchNorm layer in the last train-mode forward pass. */
    public double[] batchVariance(FloatNet.ConvBn c) {
        return batchVar[c.id()];
    }

    /** Elements per channel in the last pass's BatchNorm statistics of {@code c}: n * h * w. */
    public long statisticCount(FloatNet.ConvBn c) {
        return (long) n * c.out().h() * c.out().w();
    }

    /** A node's output of the last forward pass (reused arrays; the first {@code n * size} values). */
    public float[] output(FloatNet.Node node) {
        return act[node.id()];
    }

    // ---- layers --------------------------------------------------------------------------------

    private int size(Dims perImage) {
        return Math.toIntExact(n * perImage.elements());
    }

    private Dims batch(Dims perImage) {
        return Dims.of(n, perImage.h(), perImage.w(), perImage.c());
    }

    private void convBnForward(FloatNet.ConvBn c) {
        Dims in = batch(c.in());
        Dims out = batch(c.out());
        MemorySegment x = MemorySegment.ofArray(act[c.input()]);
        MemorySegment w = MemorySegment.ofArray(c.weight().data());
        MemorySegment z = MemorySegment.ofArray(pre[c.id()]);
        if (c.depthwise()) {
            backend.depthwiseConv2d(c.window(), in, x, c.filter(), w, null, out, z);
        } else {
            backend.conv2d(c.window(), in, x, c.filter(), w, null, out, z);
        }
        int ch = out.c();
        int pixels = Math.toIntExact(out.n() * out.h() * out.w());
        float[] zv = pre[c.id()];
        float[] m = mean[c.id()];
        float[] is = invStd[c.id()];
        if (train && !frozen) {
            double[] sum = new double[ch];
            for (int p = 0, i = 0; p < pixels; p++) {
                for (int k = 0; k < ch; k++, i++) {
                    sum[k] += zv[i];
                }
            }
            double[] mu = new double[ch];
            for (int k = 0; k < ch; k++) {
                mu[k] = sum[k] / pixels;
            }
            double[] sq = batchVar[c.id()];
            Arrays.fill(sq, 0);
            for (int p = 0, i = 0; p < pixels; p++) {
                for (int k = 0; k < ch; k++, i++) {
                    double d = zv[i] - mu[k];
                    sq[k] += d * d;
                }
            }
            for (int k = 0; k < ch; k++) {
                sq[k] /= pixels;
                m[k] = (float) mu[k];
                is[k] = (float) (1.0 / Math.sqrt(sq[k] + FloatNet.BN_EPS));
            }
        } else {
            float[] rm = c.runningMean().data();
            float[] rv = c.runningVar().data();
            for (int k = 0; k < ch; k++) {
                m[k] = rm[k];
                is[k] = (float) (1.0 / Math.sqrt((double) rv[k] + FloatNet.BN_EPS));
            }
        }
        float[] gamma = c.gamma().data();
        float[] beta = c.beta().data();
        float[] y = act[c.id()];
        boolean relu6 = c.relu6();
        for (int p = 0, i = 0; p < pixels; p++) {
            for (int k = 0; k < ch; k++, i++) {
                float v = gamma[k] * ((zv[i] - m[k]) * is[k]) + beta[k];
                y[i] = relu6 ? Math.min(Math.max(v, 0f), 6f) : v;
            }
        }
    }

    private void convBnBackward(FloatNet.ConvBn c) {
        Dims in = batch(c.in());
        Dims out = batch(c.out());
        int ch = out.c();
        int pixels = Math.toIntExact(out.n() * out.h() * out.w());
        float[] dy = grad[c.id()];
        float[] y = act[c.id()];
        float[] zv = pre[c.id()];
        float[] m = mean[c.id()];
        float[] is = invStd[c.id()];
        float[] gamma = c.gamma().data();
        if (c.relu6()) {
            for (int i = 0, size = pixels * ch; i < size; i++) {
                if (!(y[i] > 0f && y[i] < 6f)) {
                    dy[i] = 0f;
                }
            }
        }
        double[] dBeta = new double[ch];
        double[] dGamma = new double[ch];
        for (int p = 0, i = 0; p < pixels; p++) {
            for (int k = 0; k < ch; k++, i++) {
                float xhat = (zv[i] - m[k]) * is[k];
                dBeta[k] += dy[i];
                dGamma[k] += (double) dy[i] * xhat;
            }
        }
        float[] gg = paramGrad.get(c.gamma());
        float[] gb = paramGrad.get(c.beta());
        float[] a = new float[ch];
        float[] bTerm = new float[ch];
        float[] cTerm = new float[ch];
        for (int k = 0; k < ch; k++) {
            gg[k] = (float) dGamma[k];
            gb[k] = (float) dBeta[k];
            a[k] = gamma[k] * is[k];
            bTerm[k] = frozen ? 0f : (float) (dBeta[k] / pixels);
            cTerm[k] = frozen ? 0f : (float) (dGamma[k] / pixels);
        }
        // dz overwrites dy (not needed afterwards)
        for (int p = 0, i = 0; p < pixels; p++) {
            for (int k = 0; k < ch; k++, i++) {
                float xhat = (zv[i] - m[k]) * is[k];
                dy[i] = a[k] * (dy[i] - bTerm[k] - xhat * cTerm[k]);
            }
        }
        MemorySegment dz = MemorySegment.ofArray(dy);
        MemorySegment x = MemorySegment.ofArray(act[c.input()]);
        MemorySegment gw = MemorySegment.ofArray(paramGrad.get(c.weight()));
        MemorySegment w = MemorySegment.ofArray(c.weight().data());
        if (c.depthwise()) {
            backend.depthwiseConv2dGradWeight(c.window(), out, dz, in, x, c.filter(), gw);
        } else {
            backend.conv2dGradWeight(c.window(), out, dz, in, x, c.filter(), gw);
        }
        if (nodes.get(c.input()) instanceof FloatNet.Input) {
            return;
        }
        boolean first = !hasGrad[c.input()];
        float[] target = first ? grad[c.input()] : scratch;
        MemorySegment t = MemorySegment.ofArray(target);
        if (c.depthwise()) {
            backend.depthwiseConv2dGradInput(c.window(), out, dz, c.filter(), w, in, t);
        } else {
            backend.conv2dGradInput(c.window(), out, dz, c.filter(), w, in, t);
        }
        if (first) {
            hasGrad[c.input()] = true;
        } else {
            float[] g = grad[c.input()];
            for (int i = 0, size = size(c.in()); i < size; i++) {
                g[i] = g[i] + scratch[i];
            }
        }
    }

    private void accumulate(int node, float[] from, int size) {
        float[] g = grad[node];
        if (!hasGrad[node]) {
            System.arraycopy(from, 0, g, 0, size);
            hasGrad[node] = true;
        } else {
            for (int i = 0; i < size; i++) {
                g[i] = g[i] + from[i];
            }
        }
    }

    private void poolForward(FloatNet.Pool p) {
        float[] x = act[p.input()];
        float[] y = act[p.id()];
        int hw = p.in().h() * p.in().w();
        int ch = p.in().c();
        for (int b = 0; b < n; b++) {
            for (int k = 0; k < ch; k++) {
                double s = 0;
                for (int q = 0; q < hw; q++) {
                    s += x[(b * hw + q) * ch + k];
                }
                y[b * ch + k] = (float) (s / hw);
            }
        }
    }

    private void poolBackward(FloatNet.Pool p) {
        float[] dy = grad[p.id()];
        int hw = p.in().h() * p.in().w();
        int ch = p.in().c();
        float[] d = scratch;
        for (int b = 0; b < n; b++) {
            for (int q = 0; q < hw; q++) {
                for (int k = 0; k < ch; k++) {
                    d[(b * hw + q) * ch + k] = dy[b * ch + k] / hw;
                }
            }
        }
        accumulate(p.input(), d, n * hw * ch);
    }

    private void classifierForward(FloatNet.Classifier k) {
        float[] x = act[k.input()];
        float[] w = k.weight().data();
        float[] bias = k.bias().data();
        float[] y = act[k.id()];
        int c = nodes.get(k.input()).out().c();
        int classes = k.out().c();
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < classes; o++) {
                float acc = 0f;
                for (int i = 0; i < c; i++) {
                    acc = acc + x[b * c + i] * w[o * c + i];
                }
                y[b * classes + o] = acc + bias[o];
            }
        }
    }

    private void classifierBackward(FloatNet.Classifier k) {
        float[] x = act[k.input()];
        float[] w = k.weight().data();
        float[] dl = grad[k.id()];
        int c = nodes.get(k.input()).out().c();
        int classes = k.out().c();
        float[] gw = paramGrad.get(k.weight());
        float[] gb = paramGrad.get(k.bias());
        Arrays.fill(gw, 0f);
        Arrays.fill(gb, 0f);
        float[] dx = scratch;
        Arrays.fill(dx, 0, n * c, 0f);
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < classes; o++) {
                float g = dl[b * classes + o];
                gb[o] += g;
                for (int i = 0; i < c; i++) {
                    gw[o * c + i] += g * x[b * c + i];
                    dx[b * c + i] += g * w[o * c + i];
                }
            }
        }
        accumulate(k.input(), dx, n * c);
    }
}
