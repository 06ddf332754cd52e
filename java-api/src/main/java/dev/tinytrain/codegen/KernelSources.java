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
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The kernel library's C sources ({@code include/} and {@code src/}), which a generated project
 * carries a copy of so that it builds on its own, and the Cortex-M board support a firmware project
 * also carries ({@code boards/}: startup, semihosting, linker scripts; {@code cmake/}: toolchain files
 * and {@code TinytrainBoard.cmake}; {@code qemu-plugin/}: the ttcount plugin's source). They come from
 * the native-kernels folder of a checkout ({@link #fromDirectory}) or from the native-kernels jar,
 * which packs them under {@value #RESOURCE_ROOT} ({@link #fromClasspath}).
 *
 * @param files relative path ({@code include/tinytrain.h}, {@code src/forward/tt_add_s8.c},
 *              {@code boards/ld/mps2-an500.ld}, ...) to contents
 */
public record KernelSources(Map<String, byte[]> files) {

    /** Where the native-kernels jar keeps the sources. */
    public static final String RESOURCE_ROOT = "tinytrain-c";

    /** The header every kernel source includes; its presence marks a complete source tree. */
    static final String MAIN_HEADER = "include/tinytrain.h";

    /** The board support's header, the CMake module with tt_board_firmware, the plugin's source. */
    static final List<String> BOARD_SUPPORT = List.of("boards/include/tt_board.h", "cmake/TinytrainBoard.cmake",
            "cmake/arm-none-eabi.cmake", "qemu-plugin/ttcount.c");

    /** Folders read, and the file endings kept in each. */
    private static final Map<String, List<String>> TREES = new java.util.LinkedHashMap<>();

    static {
        TREES.put("include", List.of(".c", ".h"));
        TREES.put("src", List.of(".c", ".h"));
        TREES.put("boards", List.of(".c", ".h", ".ld"));
        TREES.put("cmake", List.of(".cmake"));
        TREES.put("qemu-plugin", List.of(".c", ".h"));
    }

    public KernelSources {
        files = Collections.unmodifiableMap(new TreeMap<>(files));
        if (!files.containsKey(MAIN_HEADER)) {
            throw new CodegenException("the kernel sources lack " + MAIN_HEADER + " (found " + files.size()
                    + " files): not a tinytrain kernel source tree");
        }
    }

    /**
     * The {@code include/} and {@code src/} trees under {@code nativeKernels} (a checkout's
     * {@code native-kernels} folder): {@code .c} and {@code .h} files only; and, when there,
     * {@code boards/} ({@code .c}, {@code .h}, {@code .ld}), {@code cmake/} ({@code .cmake}) and
     * {@code qemu-plugin/} ({@code .c}, {@code .h}).
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
        for (Map.Entry<String, List<String>> tree : TREES.entrySet()) {
            Path dir = root.resolve(tree.getKey());
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.filter(Files::isRegularFile).toList()) {
                    String name = p.getFileName().toString();
                    if (tree.getValue().stream().anyMatch(name::endsWith)) {
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

    /** Whether a path of {@link #files()} belongs to the kernel library proper ({@code include/} or {@code src/}). */
    public static boolean isLibraryFile(String path) {
        return path.startsWith("include/") || path.startsWith("src/");
    }

    /** Whether the board support a firmware needs is here (see {@link #requireBoardSupport}). */
    public boolean hasBoardSupport() {
        return files.keySet().containsAll(BOARD_SUPPORT);
    }

    /**
     * @throws CodegenException naming what is missing when these sources cannot build a firmware for
     *                          the board: the board support, its linker script or the core's toolchain file
     */
    public void requireBoardSupport(Board board) {
        List<String> needed = new java.util.ArrayList<>(BOARD_SUPPORT);
        needed.add("boards/ld/" + board.boardName() + ".ld");
        needed.add("cmake/" + board.toolchainFile());
        List<String> missing = needed.stream().filter(f -> !files.containsKey(f)).toList();
        if (!missing.isEmpty()) {
            throw new CodegenException("the kernel sources lack the board support a firmware for " + board.label()
                    + " needs: " + missing + " (they come from native-kernels/boards, cmake and qemu-plugin; "
                    + "an older native-kernels jar does not pack them)");
        }
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
