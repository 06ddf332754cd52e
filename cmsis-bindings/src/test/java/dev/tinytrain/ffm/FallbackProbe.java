package dev.tinytrain.ffm;

import dev.tinytrain.kernel.KernelBackends;

/** Run in a child JVM without the native library: prints which backend was chosen and why. */
public final class FallbackProbe {
    public static void main(String[] args) {
        KernelBackends.Selection s = KernelBackends.best();
        System.out.println("backend=" + s.backend().name());
        s.fallbackReasons().forEach(r -> System.out.println("reason=" + r));
    }
}
