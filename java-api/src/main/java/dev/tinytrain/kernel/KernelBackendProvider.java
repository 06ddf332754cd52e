package dev.tinytrain.kernel;

/**
 * Service-provider interface for kernel backends, found with {@link java.util.ServiceLoader}.
 * java-api ships the reference provider; cmsis-bindings provides the native one.
 */
public interface KernelBackendProvider {

    /** The backend's name, as users select it ({@code --backend NAME}). */
    String name();

    /** Higher wins when no backend is named; the reference backend has priority 0. */
    int priority();

    /**
     * Creates the backend.
     *
     * @throws BackendUnavailableException with the reason (missing library, wrong platform, ...)
     */
    KernelBackend create();
}
