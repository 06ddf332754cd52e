package dev.tinytrain.ffm;

import dev.tinytrain.kernel.KernelBackends;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading, selection through ServiceLoader, and the fallback when the library is missing. */
class NativeLibraryTest {

    @Test
    void nativeBackendIsFoundAndPreferred() {
        KernelBackends.Selection s = KernelBackends.best();
        assertEquals("native", s.backend().name(), () -> "fell back: " + s.fallbackReasons());
        assertTrue(s.backend().description().contains("ISA path"));
        assertTrue(NativeLibrary.load().toString().endsWith(System.mapLibraryName("tinytrain")));
    }

    @Test
    void withoutTheLibraryTheRuntimeFallsBackAndSaysWhy() throws Exception {
        // A child JVM whose class path lacks the native-kernels jar and whose library path is empty.
        String cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.contains("native-kernels"))
                .collect(Collectors.joining(File.pathSeparator));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Djava.library.path=/nonexistent", "-cp", cp,
                FallbackProbe.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("backend=reference"), out);
        assertTrue(out.contains("reason=native unavailable: no libtinytrain.so for " + NativeLibrary.platform()), out);
        assertTrue(out.contains("/nonexistent/libtinytrain.so") && out.contains("classpath:native/"), out);
        assertTrue(out.contains("kernel backend fallback to reference"), "the fallback is logged: " + out);
    }
}
