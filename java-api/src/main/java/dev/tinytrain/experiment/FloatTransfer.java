package dev.tinytrain.experiment;

import dev.tinytrain.data.Dataset;
import dev.tinytrain.data.Sample;
import dev.tinytrain.fp32.FloatNet;
import dev.tinytrain.fp32.FloatPass;
import dev.tinytrain.fp32.FloatTrainer;
import dev.tinytrain.fp32.Fp32Backend;
import dev.tinytrain.fp32.Param;
import dev.tinytrain.models.NetBuilder;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code fp32-full}, the cloud baseline of the transfer experiment: the float parent of the int8
 * model (its checkpoint, BatchNorm not folded) with the int8 model's classifier (new or kept) dequantized
 * onto it, so both start from the same function. Every parameter is trained (conv weights,
 * BatchNorm gamma and beta, the classifier) with the setting of the int8 methods: batch 1, plain
 * SGD without momentum or weight decay at a constant learning rate, the same seeded image order.
 *
 * <p>BatchNorm keeps its running statistics ({@link FloatPass#freezeStatistics}): statistics of a
 * single image would not be the ones the model was trained with, and the int8 graph has them
 * folded in too.
 *
 * <p>{@code fp32-folded} trains the same network in the int8 graph's parametrization: plain SGD on
 * the folded weights and biases (see {@link #foldedSteps}), the float twin of int8 with QAS. The
 * two float methods differ in how a single learning rate acts per layer, not in what they can fit.
 */
public final class FloatTransfer implements TransferExperiment.FloatFineTuner {

    private final FloatNet start;
    private final Fp32Backend backend;
    private double lastSeconds = Double.NaN;

    /**
     * @param parent  the float parent model (any classifier)
     * @param head    the new classifier's real values ({@link Heads#dequantizedClassifier})
     * @param backend the float kernels
     */
    public FloatTransfer(FloatNet parent, Heads.FloatHead head, Fp32Backend backend) {
        this.start = Objects.requireNonNull(parent, "parent").withClassifier(head.weight(), head.bias());
        this.backend = Objects.requireNonNull(backend, "backend");
    }

    @Override
    public double fineTune(Dataset train, Dataset eval, float lr, int epochs, long seed, boolean folded) {
        check(start, eval);
        FloatNet net = train(train, lr, epochs, seed, folded);
        FloatPass pass = new FloatPass(net, backend, 1);
        float[] x = new float[net.inputSize()];
        int correct = 0;
        for (int i = 0; i < eval.size(); i++) {
            Sample s = eval.get(i);
            FloatTrainer.dequantize(s.image(), NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT, x, 0);
            float[] logits = pass.forward(x, 0, 1, false);
            if (FloatTrainer.argmax(logits, 0, net.classes()) == s.label()) {
                correct++;
            }
        }
        return eval.size() == 0 ? Double.NaN : correct / (double) eval.size();
    }

    /** The fine-tuned copy of the start network (for {@link #fineTune} and tests). */
    FloatNet train(Dataset train, float lr, int epochs, long seed, boolean folded) {
        if (!(lr > 0) || Float.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be > 0 and finite, got " + lr);
        }
        FloatNet net = start.copy();
        check(net, train);
        FloatPass pass = new FloatPass(net, backend, 1);
        pass.freezeStatistics(true);
        List<Param> trained = new ArrayList<>();
        for (Param p : net.params().values()) {
            if (p.kind().trained()) {
                trained.add(p);
            }
        }
        Map<Param, float[]> stepScale = new IdentityHashMap<>();
        Map<Param, Boolean> depthwise = new IdentityHashMap<>();
        if (folded) {
            foldedSteps(net, trained, stepScale, depthwise);
        }
        float[] x = new float[net.inputSize()];
        int[] label = new int[1];
        long t0 = System.nanoTime();
        for (int e = 0; e < epochs; e++) {
            for (int i : TransferExperiment.order(train.size(), seed * 1000 + e)) {
                Sample s = train.get(i);
                FloatTrainer.dequantize(s.image(), NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT, x, 0);
                label[0] = s.label();
                pass.forward(x, 0, 1, true);
                pass.backward(label, 0, 1);
                for (Param p : trained) {
                    float[] w = p.data();
                    float[] g = pass.grad(p);
                    float[] f = stepScale.get(p);
                    if (f == null) {
                        for (int k = 0; k < w.length; k++) {
                            w[k] = w[k] - lr * g[k];
                        }
                    } else {
                        boolean dw = depthwise.get(p);
                        for (int k = 0; k < w.length; k++) {
                            w[k] = w[k] - lr * f[Param.outputChannel(dw, k, w.length, f.length)] * g[k];
                        }
                    }
                }
            }
        }
        lastSeconds = (System.nanoTime() - t0) / 1e9;
        return net;
    }

    /**
     * SGD on the folded form {@code W' = W * gamma / sigma}, {@code b' = beta - gamma * mu / sigma}
     * (BatchNorm frozen): a step of {@code -lr * dL/dW'} on {@code W'} is a step of
     * {@code -lr * (sigma / gamma)^2 * dL/dW} on {@code W}, and one of {@code -lr * dL/dbeta} on
     * {@code b'} is the same step on {@code beta}; gamma stays (it is part of {@code W'}).
     */
    private static void foldedSteps(FloatNet net, List<Param> trained, Map<Param, float[]> stepScale,
                                    Map<Param, Boolean> depthwise) {
        for (FloatNet.Node node : net.nodes()) {
            if (node instanceof FloatNet.ConvBn c) {
                float[] gamma = c.gamma().data();
                float[] var = c.runningVar().data();
                float[] f = new float[gamma.length];
                for (int k = 0; k < f.length; k++) {
                    f[k] = (float) ((var[k] + (double) FloatNet.BN_EPS) / ((double) gamma[k] * gamma[k]));
                }
                stepScale.put(c.weight(), f);
                depthwise.put(c.weight(), c.depthwise());
                trained.remove(c.gamma());
            }
        }
    }

    @Override
    public double lastTrainingSeconds() {
        return lastSeconds;
    }

    /**
     * Float32 bytes of one batch-1 training step: every parameter and its gradient, and the
     * activations the backward pass reads (each layer's output, and its pre-BatchNorm values). A
     * count, not a plan: no reuse between tensors is assumed.
     */
    @Override
    public long memoryBytes() {
        long floats = 0;
        for (Param p : start.params().values()) {
            floats += p.kind().trained() ? 2L * p.size() : p.size();
        }
        for (FloatNet.Node n : start.nodes()) {
            floats += n instanceof FloatNet.ConvBn ? 2 * n.out().elements() : n.out().elements();
        }
        return 4 * floats;
    }

    private static void check(FloatNet net, Dataset d) {
        if (d.classes() != net.classes()) {
            throw new IllegalArgumentException("the float model has " + net.classes() + " classes, the data "
                    + d.classes());
        }
        int[] shape = d.shape();
        if (shape[1] * shape[2] * shape[3] != net.inputSize()) {
            throw new IllegalArgumentException("images of " + java.util.Arrays.toString(shape) + " do not fit the float"
                    + " model's " + net.resolution() + "x" + net.resolution() + "x" + net.inChannels() + " input");
        }
    }
}
