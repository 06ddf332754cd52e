package dev.tinytrain.tflite;

import java.util.Objects;

/** The builtin options tables of the operators tinytrain writes (members of schema.fbs' {@code union BuiltinOptions}). */
public sealed interface BuiltinOptions {

    /** {@code Conv2DOptions}. */
    record Conv2D(Padding padding, int strideW, int strideH, FusedActivation activation,
                  int dilationW, int dilationH) implements BuiltinOptions {
        public Conv2D {
            Objects.requireNonNull(padding, "padding");
            Objects.requireNonNull(activation, "activation");
            positive("stride", strideW, strideH);
            positive("dilation", dilationW, dilationH);
        }

        /** Without dilation. */
        public Conv2D(Padding padding, int strideW, int strideH, FusedActivation activation) {
            this(padding, strideW, strideH, activation, 1, 1);
        }
    }

    /** {@code DepthwiseConv2DOptions}. */
    record DepthwiseConv2D(Padding padding, int strideW, int strideH, int depthMultiplier,
                           FusedActivation activation, int dilationW, int dilationH) implements BuiltinOptions {
        public DepthwiseConv2D {
            Objects.requireNonNull(padding, "padding");
            Objects.requireNonNull(activation, "activation");
            positive("stride", strideW, strideH);
            positive("dilation", dilationW, dilationH);
            positive("depth multiplier", depthMultiplier, depthMultiplier);
        }

        /** Depth multiplier 1, without dilation. */
        public DepthwiseConv2D(Padding padding, int strideW, int strideH, FusedActivation activation) {
            this(padding, strideW, strideH, 1, activation, 1, 1);
        }
    }

    /** {@code Pool2DOptions} (AVERAGE_POOL_2D, MAX_POOL_2D). */
    record Pool2D(Padding padding, int strideW, int strideH, int filterWidth, int filterHeight,
                  FusedActivation activation) implements BuiltinOptions {
        public Pool2D {
            Objects.requireNonNull(padding, "padding");
            Objects.requireNonNull(activation, "activation");
            positive("stride", strideW, strideH);
            positive("filter size", filterWidth, filterHeight);
        }
    }

    /** {@code FullyConnectedOptions} (default weights format). */
    record FullyConnected(FusedActivation activation, boolean keepNumDims) implements BuiltinOptions {
        public FullyConnected {
            Objects.requireNonNull(activation, "activation");
        }
    }

    /** {@code AddOptions}. */
    record Add(FusedActivation activation) implements BuiltinOptions {
        public Add {
            Objects.requireNonNull(activation, "activation");
        }
    }

    /** {@code ReshapeOptions}. */
    record Reshape(int[] newShape) implements BuiltinOptions {
        public Reshape {
            newShape = newShape.clone();
        }

        @Override
        public int[] newShape() {
            return newShape.clone();
        }
    }

    /** {@code PadOptions} (empty table). */
    record Pad() implements BuiltinOptions {
    }

    /** {@code ReducerOptions} (MEAN, SUM, ...). */
    record Reducer(boolean keepDims) implements BuiltinOptions {
    }

    private static void positive(String what, int a, int b) {
        if (a < 1 || b < 1) {
            throw new IllegalArgumentException(what + " must be >= 1, got " + a + ", " + b);
        }
    }
}
