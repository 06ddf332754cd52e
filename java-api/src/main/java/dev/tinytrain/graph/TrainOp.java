package dev.tinytrain.graph;

import dev.tinytrain.kernel.Activation;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The training ops that compile-time autodiff adds to a forward graph: forward-time saves (clamp
 * masks, trained input channels), the loss, gradient plumbing, input gradients, and the fused
 * gradient-and-update ops (no outputs: they update a weight or bias in place). Gradients are
 * float32 values with respect to the integer-domain values (PAPER.md section 3).
 */
public sealed interface TrainOp extends Op {

    private static String floats(float[] f) {
        if (f.length <= 4) {
            return Arrays.toString(f).replace(" ", "");
        }
        return "[" + f[0] + "," + f[1] + ",...x" + f.length + "]";
    }

    private static String ints(int[] v) {
        if (v.length <= 8) {
            return Arrays.toString(v).replace(" ", "");
        }
        return "[" + v[0] + "," + v[1] + ",...," + v[v.length - 1] + " x" + v.length + "]";
    }

    /** Whether the op changes a parameter in place (it is kept even though it has no outputs). */
    default boolean updatesParameter() {
        return false;
    }

    /** Saves a 1-bit mask of where the clamp of {@code y} was not active: {@code min < y < max}. */
    record ClampMask(Value y, Value mask, Activation activation) implements TrainOp {
        public ClampMask {
            Objects.requireNonNull(y, "y");
            Objects.requireNonNull(mask, "mask");
        }

        @Override
        public String mnemonic() {
            return "clamp_mask";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(y);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(mask);
        }

        @Override
        public String attributes() {
            return "range=(" + activation.min() + "," + activation.max() + ")";
        }
    }

    /** Saves the trained input channels of {@code x} for a weight gradient. */
    record GatherChannels(Value x, Value saved, int[] channels) implements TrainOp {
        public GatherChannels {
            channels = channels.clone();
        }

        @Override
        public int[] channels() {
            return channels.clone();
        }

        @Override
        public String mnemonic() {
            return "gather_channels";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(x);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(saved);
        }

        @Override
        public String attributes() {
            return "channels=" + ints(channels);
        }
    }

    /** Softmax cross-entropy of the dequantized logits and its gradient w.r.t. the int8 logits. */
    record SoftmaxXent(Value logits, Value label, Value loss, Value grad) implements TrainOp {
        @Override
        public String mnemonic() {
            return "softmax_xent";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(logits, label);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(loss, grad);
        }

        @Override
        public String attributes() {
            return "";
        }
    }

    /** {@code out = mask ? grad * scale[c] : 0} (mask may be null). */
    record GradScaleMask(Value grad, Value mask, Value out, float[] scale) implements TrainOp {
        public GradScaleMask {
            scale = scale.clone();
        }

        @Override
        public float[] scale() {
            return scale.clone();
        }

        @Override
        public String mnemonic() {
            return "grad_scale_mask";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(grad, mask);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(out);
        }

        @Override
        public String attributes() {
            return "scale=" + floats(scale);
        }
    }

    /** Gradient of mean over H and W: broadcast {@code grad * scale / (H W)}. */
    record MeanGrad(Value grad, Value out, float scale) implements TrainOp {
        @Override
        public String mnemonic() {
            return "mean_grad";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(grad);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(out);
        }

        @Override
        public String attributes() {
            return "scale=" + scale;
        }
    }

    /** Gradient of average pooling. */
    record AvgPoolGrad(Value grad, Value out, int filterH, int filterW, int strideH, int strideW, int padH, int padW)
            implements TrainOp {
        @Override
        public String mnemonic() {
            return "avgpool2d_grad";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(grad);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(out);
        }

        @Override
        public String attributes() {
            return "filter=" + filterH + "," + filterW + " stride=" + strideH + "," + strideW + " pad=" + padH + ","
                    + padW;
        }
    }

    /** Sum of two gradient contributions to one value (a fork in the forward graph). */
    record AddGrads(Value a, Value b, Value out) implements TrainOp {
        @Override
        public String mnemonic() {
            return "add_grads";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(a, b);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(out);
        }

        @Override
        public String attributes() {
            return "";
        }
    }

    /** Input gradient of a conv (or of a fully connected layer viewed as a 1x1 conv). */
    record ConvGradInput(Value grad, Value weight, Value out, int strideH, int strideW, int padH, int padW,
                         boolean depthwise) implements TrainOp {
        @Override
        public String mnemonic() {
            return depthwise ? "depthwise_conv2d_grad_input" : "conv2d_grad_input";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(grad, weight);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(out);
        }

        @Override
        public String attributes() {
            return "stride=" + strideH + "," + strideW + " pad=" + padH + "," + padW;
        }
    }

    /**
     * Weight gradient of the trained input channels, fused with QAS and the SGD step: the
     * gradient is never stored; {@code weight} is updated in place.
     */
    record WeightUpdate(Value grad, Value saved, Value weight, int[] channels, int strideH, int strideW, int padH,
                        int padW, int inputOffset, float[] qas, boolean depthwise, int tensorId) implements TrainOp {
        public WeightUpdate {
            channels = channels.clone();
            qas = qas.clone();
        }

        @Override
        public int[] channels() {
            return channels.clone();
        }

        @Override
        public float[] qas() {
            return qas.clone();
        }

        @Override
        public boolean updatesParameter() {
            return true;
        }

        @Override
        public String mnemonic() {
            return depthwise ? "depthwise_conv2d_weight_update" : "conv2d_weight_update";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(grad, saved, weight);
        }

        @Override
        public List<Value> outputs() {
            return List.of();
        }

        @Override
        public String attributes() {
            return "channels=" + ints(channels) + " stride=" + strideH + "," + strideW + " pad=" + padH + "," + padW
                    + " qas=" + floats(qas) + " tensor=" + tensorId;
        }
    }

    /**
     * The weight gradient of the trained channels, stored ({@code out}: float32 [oc][kh][kw][j], depthwise
     * [kh][kw][j]): the unfused form, applied later by {@link ApplyWeightGrad}; the reordering pass fuses
     * the pair into a {@link WeightUpdate} so this gradient never exists.
     */
    record WeightGrad(Value grad, Value saved, Value weight, int[] channels, int strideH, int strideW, int padH,
                      int padW, int inputOffset, boolean depthwise, Value out) implements TrainOp {
        public WeightGrad {
            channels = channels.clone();
        }

        @Override
        public int[] channels() {
            return channels.clone();
        }

        @Override
        public String mnemonic() {
            return depthwise ? "depthwise_conv2d_weight_grad" : "conv2d_weight_grad";
        }

        /** The weight is an input only for its shape (the op does not read its values). */
        @Override
        public List<Value> inputs() {
            return OpValues.of(grad, saved);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(out);
        }

        @Override
        public String attributes() {
            return "weight=" + weight.ref() + " channels=" + ints(channels) + " stride=" + strideH + "," + strideW
                    + " pad=" + padH + "," + padW;
        }
    }

    /** QAS and the SGD step from a stored weight gradient ({@link WeightGrad}); {@code weight} updated in place. */
    record ApplyWeightGrad(Value gradient, Value weight, int[] channels, float[] qas, boolean depthwise, int tensorId)
            implements TrainOp {
        public ApplyWeightGrad {
            channels = channels.clone();
            qas = qas.clone();
        }

        @Override
        public int[] channels() {
            return channels.clone();
        }

        @Override
        public float[] qas() {
            return qas.clone();
        }

        @Override
        public boolean updatesParameter() {
            return true;
        }

        @Override
        public String mnemonic() {
            return "apply_weight_grad";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(gradient, weight);
        }

        @Override
        public List<Value> outputs() {
            return List.of();
        }

        @Override
        public String attributes() {
            return "channels=" + ints(channels) + " qas=" + floats(qas) + " tensor=" + tensorId;
        }
    }

    /** The bias gradient (sum over positions), stored as float32 [c]: the unfused form. */
    record BiasGrad(Value grad, Value bias, Value out) implements TrainOp {
        @Override
        public String mnemonic() {
            return "bias_grad";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(grad);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(out);
        }

        @Override
        public String attributes() {
            return "bias=" + bias.ref();
        }
    }

    /** QAS and the SGD step from a stored bias gradient ({@link BiasGrad}); {@code bias} updated in place. */
    record ApplyBiasGrad(Value gradient, Value bias, float[] qas, int tensorId) implements TrainOp {
        public ApplyBiasGrad {
            qas = qas.clone();
        }

        @Override
        public float[] qas() {
            return qas.clone();
        }

        @Override
        public boolean updatesParameter() {
            return true;
        }

        @Override
        public String mnemonic() {
            return "apply_bias_grad";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(gradient, bias);
        }

        @Override
        public List<Value> outputs() {
            return List.of();
        }

        @Override
        public String attributes() {
            return "qas=" + floats(qas) + " tensor=" + tensorId;
        }
    }

    /** Bias gradient (sum over positions) fused with QAS and the SGD step; {@code bias} updated in place. */
    record BiasUpdate(Value grad, Value bias, float[] qas, int tensorId) implements TrainOp {
        public BiasUpdate {
            qas = qas.clone();
        }

        @Override
        public float[] qas() {
            return qas.clone();
        }

        @Override
        public boolean updatesParameter() {
            return true;
        }

        @Override
        public String mnemonic() {
            return "bias_update";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(grad, bias);
        }

        @Override
        public List<Value> outputs() {
            return List.of();
        }

        @Override
        public String attributes() {
            return "qas=" + floats(qas) + " tensor=" + tensorId;
        }
    }
}
