package dev.tinytrain.fp32;

import dev.tinytrain.kernel.KernelArgumentException;
import dev.tinytrain.kernel.Windows;
import dev.tinytrain.tensor.Dims;

import java.lang.foreign.MemorySegment;

/**
 * Argument checks of the {@link Fp32Backend} kernels, run by every implementation before any work
 * (and, in the native one, before the downcall), so a bad call is a {@link KernelArgumentException}
 * naming the kernel and the argument, never a crash. The C kernels check the same rules again.
 */
public final class Fp32Checks {

    private Fp32Checks() {
    }

    public static void conv2d(Window win, Dims in, MemorySegment input, Dims fd, MemorySegment filter,
                              MemorySegment bias, Dims out, MemorySegment output) {
        String op = "conv2d_f32";
        common(op, win, in, fd, out);
        equal(op, "filter dims.c (input channels)", in.c(), fd.c());
        equal(op, "output dims.c (filter output channels)", fd.n(), out.c());
        equal(op, "output dims.n", in.n(), out.n());
        segment(op, "input", input, in.elements(), false);
        segment(op, "filter", filter, fd.elements(), false);
        if (bias != null) {
            segment(op, "bias", bias, out.c(), false);
        }
        segment(op, "output", output, out.elements(), true);
    }

    public static void conv2dGradInput(Window win, Dims gd, MemorySegment grad, Dims fd, MemorySegment filter,
                                       Dims od, MemorySegment output) {
        String op = "conv2d_f32_grad_input";
        common(op, win, od, fd, gd);
        equal(op, "grad dims.c (filter output channels)", fd.n(), gd.c());
        equal(op, "output dims.c (filter input channels)", fd.c(), od.c());
        equal(op, "output dims.n", gd.n(), od.n());
        segment(op, "grad", grad, gd.elements(), false);
        segment(op, "filter", filter, fd.elements(), false);
        segment(op, "output", output, od.elements(), true);
    }

    public static void conv2dGradWeight(Window win, Dims gd, MemorySegment grad, Dims in, MemorySegment input,
                                        Dims fd, MemorySegment output) {
        String op = "conv2d_f32_grad_weight";
        common(op, win, in, fd, gd);
        equal(op, "grad dims.c (filter output channels)", fd.n(), gd.c());
        equal(op, "filter dims.c (input channels)", in.c(), fd.c());
        equal(op, "grad dims.n", in.n(), gd.n());
        segment(op, "grad", grad, gd.elements(), false);
        segment(op, "input", input, in.elements(), false);
        segment(op, "output", output, fd.elements(), true);
    }

    public static void depthwiseConv2d(Window win, Dims in, MemorySegment input, Dims fd, MemorySegment filter,
                                       MemorySegment bias, Dims out, MemorySegment output) {
        String op = "depthwise_conv2d_f32";
        common(op, win, in, fd, out);
        depthwiseShapes(op, in, fd, out);
        segment(op, "input", input, in.elements(), false);
        segment(op, "filter", filter, fd.elements(), false);
        if (bias != null) {
            segment(op, "bias", bias, out.c(), false);
        }
        segment(op, "output", output, out.elements(), true);
    }

    public static void depthwiseConv2dGradInput(Window win, Dims gd, MemorySegment grad, Dims fd,
                                                MemorySegment filter, Dims od, MemorySegment output) {
        String op = "depthwise_conv2d_f32_grad_input";
        common(op, win, od, fd, gd);
        depthwiseShapes(op, od, fd, gd);
        segment(op, "grad", grad, gd.elements(), false);
        segment(op, "filter", filter, fd.elements(), false);
        segment(op, "output", output, od.elements(), true);
    }

    public static void depthwiseConv2dGradWeight(Window win, Dims gd, MemorySegment grad, Dims in,
                                                 MemorySegment input, Dims fd, MemorySegment output) {
        String op = "depthwise_conv2d_f32_grad_weight";
        common(op, win, in, fd, gd);
        depthwiseShapes(op, in, fd, gd);
        segment(op, "grad", grad, gd.elements(), false);
        segment(op, "input", input, in.elements(), false);
        segment(op, "output", output, fd.elements(), true);
    }

    private static void depthwiseShapes(String op, Dims in, Dims fd, Dims out) {
        equal(op, "filter dims.n (depthwise layout 1HWC)", 1, fd.n());
        equal(op, "filter dims.c", in.c(), fd.c());
        equal(op, "output dims.c", in.c(), out.c());
        equal(op, "output dims.n", in.n(), out.n());
    }

    /** Window, dims present and positive, element counts within int32, the spatial rule on both axes. */
    private static void common(String op, Window win, Dims in, Dims fd, Dims out) {
        notNull(op, "window", win);
        notNull(op, "input dims", in);
        notNull(op, "filter dims", fd);
        notNull(op, "output dims", out);
        for (Dims d : new Dims[] {in, fd, out}) {
            if (d.elements() > Integer.MAX_VALUE) {
                throw new KernelArgumentException(op, "dims " + d, "at most 2^31-1 elements", Long.toString(d.elements()));
            }
        }
        axis(op, "h", in.h(), out.h(), fd.h(), win.strideH(), win.padH());
        axis(op, "w", in.w(), out.w(), fd.w(), win.strideW(), win.padW());
    }

    private static void axis(String op, String axis, int in, int out, int filter, int stride, int pad) {
        String problem = Windows.problem(in, out, filter, stride, pad);
        if (problem != null) {
            throw new KernelArgumentException(op, "window " + axis, "a valid window", problem);
        }
    }

    private static void segment(String op, String name, MemorySegment s, long floats, boolean writable) {
        long bytes = 4 * floats;
        if (s == null) {
            throw new KernelArgumentException(op, name, "a buffer of at least " + bytes + " bytes", "null");
        }
        if (s.byteSize() < bytes) {
            throw new KernelArgumentException(op, name, "at least " + bytes + " bytes (" + floats + " floats)",
                    s.byteSize() + " bytes");
        }
        if (writable && s.isReadOnly()) {
            throw new KernelArgumentException(op, name, "a writable buffer", "a read-only segment");
        }
    }

    private static void equal(String op, String name, long expected, long actual) {
        if (expected != actual) {
            throw new KernelArgumentException(op, name, Long.toString(expected), Long.toString(actual));
        }
    }

    private static void notNull(String op, String name, Object o) {
        if (o == null) {
            throw new KernelArgumentException(op, name, "non-null", "null");
        }
    }
}
