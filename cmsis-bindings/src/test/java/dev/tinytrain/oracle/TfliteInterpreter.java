package dev.tinytrain.oracle;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorflowlite.BuiltinOpResolver;
import org.bytedeco.tensorflowlite.BuiltinOpResolverWithoutDefaultDelegates;
import org.bytedeco.tensorflowlite.FlatBufferModel;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.InterpreterBuilder;
import org.bytedeco.tensorflowlite.InterpreterOptions;
import org.bytedeco.tensorflowlite.TfLiteIntArray;
import org.bytedeco.tensorflowlite.TfLiteTensor;

import java.util.Objects;

/**
 * TF-Lite 2.20 (org.bytedeco:tensorflow-lite) running one flatbuffer model on one thread: the oracle
 * of the forward tests and a baseline of the benchmarks.
 *
 * <p>JavaCPP frees native objects when their Java handles are collected, so the model bytes, model,
 * resolver, builder and interpreter are all fields and live until {@link #close()}. Tensor handles
 * are fetched anew on every call (a handle taken before {@code Invoke} can go stale).
 */
public final class TfliteInterpreter implements AutoCloseable {

    /** Which kernels run the model. */
    public enum Kernels {
        /** TF-Lite's built-in kernels, no delegate ({@code BuiltinOpResolverWithoutDefaultDelegates}): the oracle. */
        BUILTIN,
        /** The default resolver, which applies the XNNPACK delegate: a speed baseline only, its rounding differs. */
        XNNPACK
    }

    private static final int TFLITE_OK = 0;

    private final Kernels kernels;
    private BytePointer modelBytes;
    private FlatBufferModel model;
    private BuiltinOpResolver resolver;
    private InterpreterOptions options;
    private InterpreterBuilder builder;
    private Interpreter interpreter;

    private TfliteInterpreter(byte[] flatbuffer, Kernels kernels, boolean preserveAllTensors) {
        this.kernels = kernels;
        try {
            modelBytes = new BytePointer(flatbuffer.length);
            modelBytes.put(flatbuffer);
            model = FlatBufferModel.BuildFromBuffer(modelBytes, flatbuffer.length);
            if (model == null || model.isNull()) {
                throw new IllegalArgumentException("TF-Lite rejected the flatbuffer (" + flatbuffer.length + " bytes)");
            }
            resolver = kernels == Kernels.BUILTIN ? new BuiltinOpResolverWithoutDefaultDelegates() : new BuiltinOpResolver();
            if (preserveAllTensors) {
                // Every intermediate tensor keeps its own memory, so tensor(i) reads it after Invoke.
                options = new InterpreterOptions();
                options.SetPreserveAllTensors(true);
                builder = new InterpreterBuilder(model, resolver, options);
            } else {
                builder = new InterpreterBuilder(model, resolver);
            }
            builder.SetNumThreads(1);
            interpreter = new Interpreter((Pointer) null);
            check(builder.apply(interpreter), "InterpreterBuilder");
            if (interpreter.isNull()) {
                throw new IllegalStateException("TF-Lite could not build an interpreter for this model");
            }
            check(interpreter.SetNumThreads(1), "SetNumThreads");
            check(interpreter.AllocateTensors(), "AllocateTensors");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** An interpreter with TF-Lite's built-in kernels (no delegate), one thread. */
    public static TfliteInterpreter create(byte[] flatbuffer) {
        return create(flatbuffer, Kernels.BUILTIN);
    }

    /** An interpreter with the given kernels, one thread. */
    public static TfliteInterpreter create(byte[] flatbuffer, Kernels kernels) {
        Objects.requireNonNull(flatbuffer, "flatbuffer");
        Objects.requireNonNull(kernels, "kernels");
        return new TfliteInterpreter(flatbuffer, kernels, false);
    }

    /**
     * An interpreter with TF-Lite's built-in kernels that keeps every intermediate tensor
     * ({@code InterpreterOptions::SetPreserveAllTensors}), so {@link #tensor(int)} reads any of them
     * after {@link #invoke()}: the whole-model oracle compares op by op.
     */
    public static TfliteInterpreter createPreservingTensors(byte[] flatbuffer) {
        Objects.requireNonNull(flatbuffer, "flatbuffer");
        return new TfliteInterpreter(flatbuffer, Kernels.BUILTIN, true);
    }

    public Kernels kernels() {
        return kernels;
    }

    public int inputCount() {
        return inputSize();
    }

    public int outputCount() {
        return outputSize();
    }

    /** The shape of input {@code i}. */
    public int[] inputShape(int i) {
        return shape(inputTensor(i));
    }

    /** The shape of output {@code i}. */
    public int[] outputShape(int i) {
        return shape(outputTensor(i));
    }

    /** Copies {@code data} into input {@code i}; its length must be the tensor's byte size. */
    public void setInput(int i, byte[] data) {
        TfLiteTensor t = inputTensor(i);
        if (data.length != t.bytes()) {
            throw new IllegalArgumentException("input " + i + ": expected " + t.bytes() + " bytes, got " + data.length);
        }
        t.data().raw().position(0).put(data);
    }

    /** Runs the graph. */
    public void invoke() {
        check(interpreter().Invoke(), "Invoke");
    }

    /** A copy of output {@code i}'s bytes. */
    public byte[] output(int i) {
        TfLiteTensor t = outputTensor(i);
        byte[] out = new byte[(int) t.bytes()];
        t.data().raw().position(0).get(out);
        return out;
    }

    /** Number of tensors of the primary subgraph (the model file's tensor indices). */
    public int tensorCount() {
        return (int) interpreter().tensors_size();
    }

    /**
     * A copy of tensor {@code index}'s bytes (the file's tensor index). Intermediate tensors hold the
     * last invocation's values only in an interpreter made by {@link #createPreservingTensors}.
     */
    public byte[] tensor(int index) {
        Objects.checkIndex(index, tensorCount());
        TfLiteTensor t = interpreter().tensor(index);
        if (t == null || t.isNull() || t.data() == null || t.data().isNull() || t.data().raw() == null) {
            throw new IllegalStateException("tensor " + index + " has no data");
        }
        byte[] out = new byte[(int) t.bytes()];
        t.data().raw().position(0).get(out);
        return out;
    }

    /** Sets the inputs, invokes, returns output 0. */
    public byte[] run(byte[]... inputs) {
        if (inputs.length != inputCount()) {
            throw new IllegalArgumentException("the model has " + inputCount() + " inputs, got " + inputs.length);
        }
        for (int i = 0; i < inputs.length; i++) {
            setInput(i, inputs[i]);
        }
        invoke();
        return output(0);
    }

    @Override
    public void close() {
        // Reverse order of creation: the interpreter refers to the model and the resolver.
        if (interpreter != null) {
            interpreter.close();
            interpreter = null;
        }
        if (builder != null) {
            builder.close();
            builder = null;
        }
        if (options != null) {
            options.close();
            options = null;
        }
        if (resolver != null) {
            resolver.close();
            resolver = null;
        }
        if (model != null) {
            model.close();
            model = null;
        }
        if (modelBytes != null) {
            modelBytes.close();
            modelBytes = null;
        }
    }

    private Interpreter interpreter() {
        if (interpreter == null) {
            throw new IllegalStateException("interpreter is closed");
        }
        return interpreter;
    }

    // JavaCPP maps the std::vector<int> to a pointer whose limit is the vector's size.
    private int inputSize() {
        return (int) interpreter().inputs().limit();
    }

    private int outputSize() {
        return (int) interpreter().outputs().limit();
    }

    private TfLiteTensor inputTensor(int i) {
        Objects.checkIndex(i, inputSize());
        TfLiteTensor t = interpreter().input_tensor(i);
        if (t == null || t.isNull()) {
            throw new IndexOutOfBoundsException("no input tensor " + i);
        }
        return t;
    }

    private TfLiteTensor outputTensor(int i) {
        Objects.checkIndex(i, outputSize());
        TfLiteTensor t = interpreter().output_tensor(i);
        if (t == null || t.isNull()) {
            throw new IndexOutOfBoundsException("no output tensor " + i);
        }
        return t;
    }

    private static int[] shape(TfLiteTensor t) {
        TfLiteIntArray dims = t.dims();
        int[] shape = new int[dims.size()];
        for (int d = 0; d < shape.length; d++) {
            shape[d] = dims.data(d);
        }
        return shape;
    }

    private static void check(int status, String what) {
        if (status != TFLITE_OK) {
            throw new IllegalStateException("TF-Lite " + what + " failed with status " + status
                    + " (TF-Lite's own message is on stderr)");
        }
    }
}
