package dev.tinytrain.kernel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Finds kernel backends through {@link ServiceLoader}. {@link #best()} picks the highest-priority
 * backend that can run and, when a preferred one cannot, records and logs why it fell back.
 */
public final class KernelBackends {

    private static final System.Logger LOG = System.getLogger(KernelBackends.class.getName());

    /** The chosen backend and, when a better one was skipped, the reasons. */
    public record Selection(KernelBackend backend, List<String> fallbackReasons) {
        public Selection {
            fallbackReasons = List.copyOf(fallbackReasons);
        }

        public boolean fellBack() {
            return !fallbackReasons.isEmpty();
        }
    }

    private KernelBackends() {
    }

    /** All registered providers, highest priority first. */
    public static List<KernelBackendProvider> providers() {
        List<KernelBackendProvider> list = new ArrayList<>();
        ServiceLoader.load(KernelBackendProvider.class, KernelBackends.class.getClassLoader()).forEach(list::add);
        if (list.stream().noneMatch(p -> p.name().equals(ReferenceBackend.NAME))) {
            list.add(new ReferenceBackend.Provider());
        }
        list.sort(Comparator.comparingInt(KernelBackendProvider::priority).reversed());
        return list;
    }

    /** The best backend that can run here, falling back (with a logged reason) down to the reference. */
    public static Selection best() {
        List<String> reasons = new ArrayList<>();
        for (KernelBackendProvider p : providers()) {
            try {
                KernelBackend b = p.create();
                for (String r : reasons) {
                    LOG.log(System.Logger.Level.WARNING, "kernel backend fallback to " + b.name() + ": " + r);
                }
                return new Selection(b, reasons);
            } catch (BackendUnavailableException e) {
                reasons.add(p.name() + " unavailable: " + e.getMessage());
            }
        }
        throw new IllegalStateException("no kernel backend can run: " + reasons);
    }

    /**
     * The backend named {@code name}.
     *
     * @throws BackendUnavailableException if it cannot run here (with the reason)
     * @throws IllegalArgumentException    if no backend has that name (lists the known ones)
     */
    public static KernelBackend named(String name) {
        List<KernelBackendProvider> all = providers();
        for (KernelBackendProvider p : all) {
            if (p.name().equals(name)) {
                return p.create();
            }
        }
        throw new IllegalArgumentException("unknown kernel backend '" + name + "'; known: "
                + all.stream().map(KernelBackendProvider::name).toList());
    }
}
