package dev.tinytrain.codegen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The kernel library's C sources ({@code include/} and {@code src/}), which a generated project
 * carries a copy of so that it builds on its own. They come from the native-kernels folder of a
 * checkout ({@link #fromDirectory}) or from the native-kernels jar, which packs them under
 * {@value #RESOURCE_ROOT} ({@link #fromClasspath}).
 *
 * @param files relative path ({@code include/tinytrain.h}, {@code src/forward/tt_add_s8.c}) to contents
 */
public record KernelSources(Map<String, byte[]> files) {

    /** Where the native-kernels jar keeps the sources. */
    public static final String RESOURCE_ROOT = "tinytrain-c";

    /** The header every kernel source includes; its presence marks a complete source tree. */
    static final String MAIN_HEADER = "include/tinytrain.h";

    public KernelSources {
        files = Collections.unmodifiableMap(new TreeMap<>(files));
        if (!files.containsKey(MAIN_HEADER)) {
            throw new CodegenException("the kernel sources lack " + MAIN_HEADER + " (found " + files.size()
                    + " files): not a tinytrain kernel source tree");
        }
    }

    /**
     * The {@code include/} and {@code src/} trees under {@code nativeKernels} (a checkout's
     * {@code native-kernels} folder): {@code .c} and {@code .h} files only.
     */
    public static KernelSources fromDirectory(Path nativeKernels) {
        if (!Files.isRegularFile(nativeKernels.resolve(MAIN_HEADER))) {
            throw new CodegenException("no kernel sources at " + nativeKernels.toAbsolutePath() + " (expected "
                    + MAIN_HEADER + " there)");
        }
        return new KernelSources(read(nativeKernels));
    }

    /**
     * The sources packed in the native-kernels jar (or its {@code target/classes}) on the class path.
     *
     * @throws CodegenException when they are not on the class path
     */
    public static KernelSources fromClasspath() {
        URL url = KernelSources.class.getClassLoader().getResource(RESOURCE_ROOT + "/" + MAIN_HEADER);
        if (url == null) {
            throw new CodegenException("the kernel C sources are not on the class path (resource " + RESOURCE_ROOT
                    + "/" + MAIN_HEADER + "): add the native-kernels jar, or give the sources' folder");
        }
        try {
            URI uri = url.toURI();
            if ("jar".equals(uri.getScheme())) {
                FileSystem fs;
                boolean opened = false;
                try {
                    fs = FileSystems.newFileSystem(uri, Map.of());
                    opened = true;
                } catch (FileSystemAlreadyExistsException e) {
                    fs = FileSystems.getFileSystem(uri);
                }
                try {
                    return new KernelSources(read(fs.getPath("/" + RESOURCE_ROOT)));
                } finally {
                    if (opened) {
                        fs.close();
                    }
                }
            }
            Path header = Path.of(uri);
            return new KernelSources(read(header.getParent().getParent()));
        } catch (URISyntaxException | IOException e) {
            throw new CodegenException("cannot read the kernel sources from " + url + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, byte[]> read(Path root) {
        Map<String, byte[]> m = new TreeMap<>();
        for (String top : new String[] {"include", "src"}) {
            Path dir = root.resolve(top);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.filter(Files::isRegularFile).toList()) {
                    String name = p.getFileName().toString();
                    if (name.endsWith(".c") || name.endsWith(".h")) {
                        String rel = root.relativize(p).toString().replace('\\', '/');
                        if (rel.startsWith("/")) {
                            rel = rel.substring(1);
                        }
                        m.put(rel, Files.readAllBytes(p));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read kernel sources under " + dir, e);
            }
        }
        return m;
    }

    /** Whether the library declares a public function of this name (in one of its headers). */
    public boolean declares(String function) {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile("\\b" + java.util.regex.Pattern.quote(function)
                + "\\s*\\(");
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            if (e.getKey().startsWith("include/")
                    && p.matcher(new String(e.getValue(), java.nio.charset.StandardCharsets.UTF_8)).find()) {
                return true;
            }
        }
        return false;
    }
}
