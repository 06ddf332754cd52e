package dev.tinytrain.fp32;

import dev.tinytrain.kernel.BackendUnavailableException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Finds float32 backends through {@link ServiceLoader}, as {@link dev.tinytrain.kernel.KernelBackends}
 * does for the int8 kernels: the native one when its library loads, else the Java reference (with
 * the reason logged).
 */
public final class Fp32Backends {

    private static final System.Logger LOG = System.getLogger(Fp32Backends.class.getName());

    private Fp32Backends() {
    }

    /** All registered providers, highest priority first (the reference always among them). */
    public static List<Fp32BackendProvider> providers() {
        List<Fp32BackendProvider> list = new ArrayList<>();
        ServiceLoader.load(Fp32BackendProvider.class, Fp32Backends.class.getClassLoader()).forEach(list::add);
        if (list.stream().noneMatch(p -> p.name().equals(Fp32Reference.NAME))) {
            list.add(new Fp32Reference.Provider());
        }
        list.sort(Comparator.comparingInt(Fp32BackendProvider::priority).reversed());
        return list;
    }

    /** The best backend that runs here. */
    public static Fp32Backend best() {
        List<String> reasons = new ArrayList<>();
        for (Fp32BackendProvider p : providers()) {
            try {
                Fp32Backend b = p.create();
                for (String r : reasons) {
                    LOG.log(System.Logger.Level.WARNING, "float32 backend fallback to " + b.name() + ": " + r);
                }
                return b;
            } catch (BackendUnavailableException e) {
                reasons.add(p.name() + " unavailable: " + e.getMessage());
            }
        }
        throw new IllegalStateException("no float32 backend can run: " + reasons);
    }

    /**
     * The backend named {@code name}.
     *
     * @throws BackendUnavailableException if it cannot run here
     * @throws IllegalArgumentException    if no backend has that name
     */
    public static Fp32Backend named(String name) {
        List<Fp32BackendProvider> all = providers();
        for (Fp32BackendProvider p : all) {
            if (p.name().equals(name)) {
                return p.create();
            }
        }
        throw new IllegalArgumentException("unknown float32 backend '" + name + "'; known: "
                + all.stream().map(Fp32BackendProvider::name).toList());
    }
}
