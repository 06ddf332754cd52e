package dev.tinytrain.fp32;

/**
 * Service-provider interface for float32 backends, found with {@link java.util.ServiceLoader}.
 * java-api ships the reference provider; cmsis-bindings provides the native one.
 */
public interface Fp32BackendProvider {

    /** The backend's name. */
    String name();

    /** Higher wins; the reference backend has priority 0. */
    int priority();

    /**
     * Creates the backend.
     *
     * @throws dev.tinytrain.kernel.BackendUnavailableException with the reason it cannot run here
     */
    Fp32Backend create();
}
