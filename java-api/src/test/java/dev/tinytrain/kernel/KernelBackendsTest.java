package dev.tinytrain.kernel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ServiceLoader selection: a better backend that cannot run is skipped with its reason. */
class KernelBackendsTest {

    /** Registered in this module's test resources; never available. */
    public static final class BrokenProvider implements KernelBackendProvider {
        @Override
        public String name() {
            return "broken";
        }

        @Override
        public int priority() {
            return 50;
        }

        @Override
        public KernelBackend create() {
            throw new BackendUnavailableException("libbroken.so not found (test provider)");
        }
    }

    @Test
    void fallsBackToReferenceWithTheReason() {
        KernelBackends.Selection s = KernelBackends.best();
        assertEquals("reference", s.backend().name());
        assertTrue(s.fellBack());
        assertEquals("broken unavailable: libbroken.so not found (test provider)", s.fallbackReasons().getFirst());
    }

    @Test
    void namedBackends() {
        assertEquals("reference", KernelBackends.named("reference").name());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> KernelBackends.named("broken"));
        assertTrue(e.getMessage().contains("libbroken.so"));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> KernelBackends.named("gpu"));
        assertTrue(unknown.getMessage().contains("known: [broken, reference]"), unknown.getMessage());
    }
}
