package dev.tinytrain.ffm;

import dev.tinytrain.ffm.raw.TinyTrain;
import dev.tinytrain.ffm.raw.tt_context;
import dev.tinytrain.ffm.raw.tt_dims;
import dev.tinytrain.ffm.raw.tt_window_params;
import dev.tinytrain.fp32.Fp32Backend;
import dev.tinytrain.fp32.Fp32BackendProvider;
import dev.tinytrain.fp32.Fp32Checks;
import dev.tinytrain.fp32.Window;
import dev.tinytrain.kernel.BackendUnavailableException;
import dev.tinytrain.tensor.Dims;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The float32 convolutions of the C library ({@code tt_fp32.h}) through Panama. Arguments are
 * checked in Java ({@link Fp32Checks}) before every downcall; data may be native memory or heap
 * {@code float[]} segments (passed without copying through a critical downcall). Safe to call from
 * several threads at once (each call marshals into its own confined arena; the kernels keep no state
 * but the process-wide ISA selection).
 */
public final class NativeFp32Backend implements Fp32Backend {

    public static final String NAME = "native";

    /** Service provider: preferred over the Java reference whenever the library loads. */
    public static final class Provider implements Fp32BackendProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public int priority() {
            return 100;
        }

        @Override
        public Fp32Backend create() {
            return new NativeFp32Backend();
        }
    }

    private final Downcall conv2d;
    private final Downcall conv2dGradInput;
    private final Downcall conv2dGradWeight;
    private final Downcall depthwise;
    private final Downcall depthwiseGradInput;
    private final Downcall depthwiseGradWeight;
    private final MethodHandle conv2dScratch;
    private final String version;

    /**
     * Loads the library and binds the kernels.
     *
     * @throws BackendUnavailableException when the library cannot be loaded or lacks the kernels
     */
    public NativeFp32Backend() {
        NativeLibrary.load();
        try {
            conv2d = Downcall.of(TinyTrain.tt_conv2d_f32$address(), TinyTrain.tt_conv2d_f32$descriptor());
            conv2dGradInput = Downcall.of(TinyTrain.tt_conv2d_f32_grad_input$address(),
                    TinyTrain.tt_conv2d_f32_grad_input$descriptor());
            conv2dGradWeight = Downcall.of(TinyTrain.tt_conv2d_f32_grad_weight$address(),
                    TinyTrain.tt_conv2d_f32_grad_weight$descriptor());
            depthwise = Downcall.of(TinyTrain.tt_depthwise_conv2d_f32$address(),
                    TinyTrain.tt_depthwise_conv2d_f32$descriptor());
            depthwiseGradInput = Downcall.of(TinyTrain.tt_depthwise_conv2d_f32_grad_input$address(),
                    TinyTrain.tt_depthwise_conv2d_f32_grad_input$descriptor());
            depthwiseGradWeight = Downcall.of(TinyTrain.tt_depthwise_conv2d_f32_grad_weight$address(),
                    TinyTrain.tt_depthwise_conv2d_f32_grad_weight$descriptor());
            conv2dScratch = TinyTrain.tt_conv2d_f32_get_buffer_size$handle();
            version = TinyTrain.tt_version().getString(0);
        } catch (UnsatisfiedLinkError | IllegalArgumentException | ExceptionInInitializerError e) {
            throw new BackendUnavailableException("the loaded " + NativeLibrary.NAME
                    + " library lacks a float32 kernel symbol (stale build?): " + e, e);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "native (C float32 kernels " + version + " via Panama, ISA path "
                + NativeIsa.of(TinyTrain.tt_isa_active()).label() + ")";
    }

    @Override
    public void conv2d(Window win, Dims in, MemorySegment input, Dims fd, MemorySegment filter, MemorySegment bias,
                       Dims out, MemorySegment output) {
        Fp32Checks.conv2d(win, in, input, fd, filter, bias, out, output);
        call("conv2d_f32", arena -> {
            MemorySegment fDims = dims(arena, fd);
            int bytes = (int) conv2dScratch.invokeExact(fDims);
            MemorySegment ctx = tt_context.allocate(arena);
            tt_context.buf(ctx, arena.allocate(bytes, 32));
            tt_context.size(ctx, bytes);
            return (int) conv2d.pick(input, filter, bias, output).invokeExact(ctx, window(arena, win), dims(arena, in),
                    input, fDims, filter, orNull(bias), dims(arena, out), output);
        }, in, fd, out);
    }

    @Override
    public void conv2dGradInput(Window win, Dims gd, MemorySegment grad, Dims fd, MemorySegment filter, Dims od,
                                MemorySegment output) {
        Fp32Checks.conv2dGradInput(win, gd, grad, fd, filter, od, output);
        call("conv2d_f32_grad_input", arena -> (int) conv2dGradInput.pick(grad, filter, output).invokeExact(
                window(arena, win), dims(arena, gd), grad, dims(arena, fd), filter, dims(arena, od), output), gd, fd, od);
    }

    @Override
    public void conv2dGradWeight(Window win, Dims gd, MemorySegment grad, Dims in, MemorySegment input, Dims fd,
                                 MemorySegment output) {
        Fp32Checks.conv2dGradWeight(win, gd, grad, in, input, fd, output);
        call("conv2d_f32_grad_weight", arena -> (int) conv2dGradWeight.pick(grad, input, output).invokeExact(
                window(arena, win), dims(arena, gd), grad, dims(arena, in), input, dims(arena, fd), output), gd, in, fd);
    }

    @Override
    public void depthwiseConv2d(Window win, Dims in, MemorySegment input, Dims fd, MemorySegment filter,
                                MemorySegment bias, Dims out, MemorySegment output) {
        Fp32Checks.depthwiseConv2d(win, in, input, fd, filter, bias, out, output);
        call("depthwise_conv2d_f32", arena -> (int) depthwise.pick(input, filter, bias, output).invokeExact(
                window(arena, win), dims(arena, in), input, dims(arena, fd), filter,
                orNull(bias), dims(arena, out), output), in, fd, out);
    }

    @Override
    public void depthwiseConv2dGradInput(Window win, Dims gd, MemorySegment grad, Dims fd, MemorySegment filter,
                                         Dims od, MemorySegment output) {
        Fp32Checks.depthwiseConv2dGradInput(win, gd, grad, fd, filter, od, output);
        call("depthwise_conv2d_f32_grad_input", arena -> (int) depthwiseGradInput.pick(grad, filter, output)
                .invokeExact(window(arena, win), dims(arena, gd), grad, dims(arena, fd), filter, dims(arena, od),
                        output), gd, fd, od);
    }

    @Override
    public void depthwiseConv2dGradWeight(Window win, Dims gd, MemorySegment grad, Dims in, MemorySegment input,
                                          Dims fd, MemorySegment output) {
        Fp32Checks.depthwiseConv2dGradWeight(win, gd, grad, in, input, fd, output);
        call("depthwise_conv2d_f32_grad_weight", arena -> (int) depthwiseGradWeight.pick(grad, input, output)
                .invokeExact(window(arena, win), dims(arena, gd), grad, dims(arena, in), input, dims(arena, fd),
                        output), gd, in, fd);
    }

    @FunctionalInterface
    private interface Body {
        int run(Arena arena) throws Throwable;
    }

    private static void call(String op, Body body, Dims... shapes) {
        int status;
        try (Arena arena = Arena.ofConfined()) {
            status = body.run(arena);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(op + ": downcall failed", t);
        }
        if (status != TinyTrain.TT_OK()) {
            throw new NativeKernelException(op, status, "shapes " + java.util.Arrays.toString(shapes)
                    + " passed the Java checks; the C checks disagree (please report)");
        }
    }

    private static MemorySegment orNull(MemorySegment s) {
        return s == null ? MemorySegment.NULL : s;
    }

    private static MemorySegment window(Arena arena, Window w) {
        MemorySegment s = tt_window_params.allocate(arena);
        tt_window_params.stride_h(s, w.strideH());
        tt_window_params.stride_w(s, w.strideW());
        tt_window_params.pad_h(s, w.padH());
        tt_window_params.pad_w(s, w.padW());
        return s;
    }

    private static MemorySegment dims(Arena arena, Dims d) {
        MemorySegment s = tt_dims.allocate(arena);
        tt_dims.n(s, d.n());
        tt_dims.h(s, d.h());
        tt_dims.w(s, d.w());
        tt_dims.c(s, d.c());
        return s;
    }
}
