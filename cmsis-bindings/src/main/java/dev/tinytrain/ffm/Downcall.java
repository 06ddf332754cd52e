package dev.tinytrain.ffm;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * One native function as two downcall handles built from jextract's descriptor and address:
 * the ordinary one for native memory, and a critical one that may receive heap arrays
 * directly (no copy). Kernels never call back into Java, so the critical form is safe; it is
 * used only when an argument lives on the heap, because it holds off the GC for the call.
 */
record Downcall(MethodHandle normal, MethodHandle heapAccess) {

    static Downcall of(MemorySegment address, FunctionDescriptor descriptor) {
        Linker linker = Linker.nativeLinker();
        return new Downcall(linker.downcallHandle(address, descriptor),
                linker.downcallHandle(address, descriptor, Linker.Option.critical(true)));
    }

    /** The handle that accepts these segments. */
    MethodHandle pick(MemorySegment... segments) {
        for (MemorySegment s : segments) {
            if (s != null && !s.isNative()) {
                return heapAccess;
            }
        }
        return normal;
    }
}
