package dev.tinytrain.graph;

import dev.tinytrain.kernel.Activation;

import java.util.List;
import java.util.Objects;

/**
 * The op vocabulary: immutable records behind one sealed interface, so every pass that
 * switches over op types (autodiff, lowering, planning) is checked for exhaustiveness by the
 * compiler. Ops name their values; shapes, dtypes and quantization live on the values. The
 * forward (inference) ops are nested here; the ops autodiff adds are {@link TrainOp}s.
 */
public sealed interface Op permits Op.Conv2d, Op.DepthwiseConv2d, Op.FullyConnected, Op.Add, Op.AvgPool2d, Op.Mean,
        Op.Reshape, Op.ConvDepthwise, TrainOp {

    /** Lower-case name used in the text dump. */
    String mnemonic();

    /** Values read, in a fixed order (nulls omitted). */
    List<Value> inputs();

    /** Values written. */
    List<Value> outputs();

    /** Attributes for the text dump, e.g. {@code stride=2,2 pad=1,1}; empty when none. */
    String attributes();

    private static String act(Activation a) {
        return a.equals(Activation.NONE) ? "" : " act=[" + a.min() + "," + a.max() + "]";
    }

    /** 2-D convolution; weight OHWI int8 per-output-channel, bias int32 (or null). */
    record Conv2d(Value input, Value weight, Value bias, Value output, int strideH, int strideW, int padH, int padW,
                  Activation activation) implements Op {
        public Conv2d {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(weight, "weight");
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(activation, "activation");
        }

        @Override
        public String mnemonic() {
            return "conv2d";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(input, weight, bias);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(output);
        }

        @Override
        public String attributes() {
            return "stride=" + strideH + "," + strideW + " pad=" + padH + "," + padW + act(activation);
        }

        /** Kernel height and width. */
        public int kernelH() {
            return weight.shape()[1];
        }

        public int kernelW() {
            return weight.shape()[2];
        }

        /** 1x1 convolution (pointwise). */
        public boolean pointwise() {
            return kernelH() == 1 && kernelW() == 1;
        }
    }

    /** Depthwise convolution, multiplier 1; weight 1HWC int8 per-channel (axis 3), bias int32 (or null). */
    record DepthwiseConv2d(Value input, Value weight, Value bias, Value output, int strideH, int strideW, int padH,
                           int padW, Activation activation) implements Op {
        public DepthwiseConv2d {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(weight, "weight");
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(activation, "activation");
        }

        @Override
        public String mnemonic() {
            return "depthwise_conv2d";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(input, weight, bias);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(output);
        }

        @Override
        public String attributes() {
            return "stride=" + strideH + "," + strideW + " pad=" + padH + "," + padW + act(activation);
        }

        public int kernelH() {
            return weight.shape()[1];
        }

        public int kernelW() {
            return weight.shape()[2];
        }
    }

    /**
     * A conv and the depthwise conv that consumes its output, computed channel by channel so the
     * intermediate activation never exists whole (a compiler pass makes it where that activation
     * is read by nothing else; the kernel keeps one channel of it in scratch). Same results as
     * the two ops in sequence, bit for bit.
     */
    record ConvDepthwise(Conv2d conv, DepthwiseConv2d depthwise) implements Op {
        public ConvDepthwise {
            Objects.requireNonNull(conv, "conv");
            Objects.requireNonNull(depthwise, "depthwise");
            if (!depthwise.input().equals(conv.output())) {
                throw new IllegalArgumentException("conv_depthwise: the depthwise conv must read the conv's output "
                        + conv.output().ref() + ", reads " + depthwise.input().ref());
            }
        }

        /** The activation that never exists whole. */
        public Value intermediate() {
            return conv.output();
        }

        @Override
        public String mnemonic() {
            return "conv_depthwise";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(conv.input(), conv.weight(), conv.bias(), depthwise.weight(), depthwise.bias());
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(depthwise.output());
        }

        @Override
        public String attributes() {
            return "conv[" + conv.attributes() + "] mid=" + conv.output().ref() + " dw[" + depthwise.attributes() + "]";
        }
    }

    /** Fully connected: input [n, features] (or any rank, rows flattened), weight [out, features]. */
    record FullyConnected(Value input, Value weight, Value bias, Value output, Activation activation) implements Op {
        public FullyConnected {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(weight, "weight");
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(activation, "activation");
        }

        @Override
        public String mnemonic() {
            return "fully_connected";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(input, weight, bias);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(output);
        }

        @Override
        public String attributes() {
            return act(activation).strip();
        }
    }

    /** Elementwise add of two same-shape int8 tensors (the residual). */
    record Add(Value a, Value b, Value output, Activation activation) implements Op {
        public Add {
            Objects.requireNonNull(a, "a");
            Objects.requireNonNull(b, "b");
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(activation, "activation");
        }

        @Override
        public String mnemonic() {
            return "add";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(a, b);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(output);
        }

        @Override
        public String attributes() {
            return act(activation).strip();
        }
    }

    /** Average pooling; input and output share quantization. */
    record AvgPool2d(Value input, Value output, int filterH, int filterW, int strideH, int strideW, int padH,
                     int padW, Activation activation) implements Op {
        public AvgPool2d {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(activation, "activation");
        }

        @Override
        public String mnemonic() {
            return "avgpool2d";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(input);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(output);
        }

        @Override
        public String attributes() {
            return "filter=" + filterH + "," + filterW + " stride=" + strideH + "," + strideW + " pad=" + padH + ","
                    + padW + act(activation);
        }
    }

    /** Mean over H and W with kept dims (global average pool). */
    record Mean(Value input, Value output) implements Op {
        public Mean {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(output, "output");
        }

        @Override
        public String mnemonic() {
            return "mean";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(input);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(output);
        }

        @Override
        public String attributes() {
            return "axes=h,w";
        }
    }

    /** Reshape (same elements, same quantization; no data movement). */
    record Reshape(Value input, Value output) implements Op {
        public Reshape {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(output, "output");
        }

        @Override
        public String mnemonic() {
            return "reshape";
        }

        @Override
        public List<Value> inputs() {
            return OpValues.of(input);
        }

        @Override
        public List<Value> outputs() {
            return OpValues.of(output);
        }

        @Override
        public String attributes() {
            return "";
        }
    }
}
