package dev.tinytrain.ffm;

import dev.tinytrain.kernel.BackendUnavailableException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loads the kernel library ({@code libtinytrain.so}) once: from {@code java.library.path}, else
 * extracted from the jar's {@code native/<os>-<arch>/}. A failure is remembered with its reason
 * (never a broken class): every later call reports the same reason.
 */
public final class NativeLibrary {

    /** Base name of the library: {@code libtinytrain.so} on Linux. */
    public static final String NAME = "tinytrain";

    private static Path loaded;
    private static String failure;

    private NativeLibrary() {
    }

    /** {@code linux-x86_64}, {@code linux-aarch64}, ... as used in the jar's {@code native/} folder. */
    public static String platform() {
        String os = System.getProperty("os.name", "unknown").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "unknown").toLowerCase(Locale.ROOT);
        String o = os.contains("linux") ? "linux" : os.contains("mac") ? "macos" : os.contains("win") ? "windows" : os;
        String a = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
        return o + "-" + a;
    }

    /** Jar resource path of the library for this platform. */
    public static String resourcePath() {
        return "native/" + platform() + "/" + System.mapLibraryName(NAME);
    }

    /**
     * Loads the library if not yet loaded and returns where it came from.
     *
     * @throws BackendUnavailableException with the reason when it cannot be loaded
     */
    public static synchronized Path load() {
        if (loaded != null) {
            return loaded;
        }
        if (failure != null) {
            throw new BackendUnavailableException(failure);
        }
        List<String> tried = new ArrayList<>();
        try {
            Path p = findOnLibraryPath(tried);
            if (p == null) {
                p = extractFromJar(tried);
            }
            if (p == null) {
                failure = "no " + System.mapLibraryName(NAME) + " for " + platform() + ": looked in " + tried
                        + "; build it with scripts/build-native (or run ./tinytrain, which builds it)";
                throw new BackendUnavailableException(failure);
            }
            System.load(p.toAbsolutePath().toString());
            loaded = p;
            return p;
        } catch (UnsatisfiedLinkError | IOException e) {
            failure = "cannot load " + System.mapLibraryName(NAME) + ": " + e.getMessage();
            throw new BackendUnavailableException(failure, e);
        } catch (IllegalCallerException e) {
            failure = "native access is not enabled: run java with --enable-native-access=ALL-UNNAMED ("
                    + e.getMessage() + ")";
            throw new BackendUnavailableException(failure, e);
        }
    }

    private static Path findOnLibraryPath(List<String> tried) {
        String path = System.getProperty("java.library.path", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isBlank()) {
                continue;
            }
            Path candidate = Path.of(dir, System.mapLibraryName(NAME));
            tried.add(candidate.toString());
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static Path extractFromJar(List<String> tried) throws IOException {
        String resource = resourcePath();
        tried.add("classpath:" + resource);
        try (InputStream in = NativeLibrary.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            Path dir = Files.createTempDirectory("tinytrain-native-");
            Path file = dir.resolve(System.mapLibraryName(NAME));
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            file.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return file;
        }
    }
}
