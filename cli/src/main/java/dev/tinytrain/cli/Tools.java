package dev.tinytrain.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The external programs an MCU run needs (CMake, the Arm cross compiler, QEMU, the host's C compiler),
 * found on {@code PATH}, and a way to run one with a timeout while reading what it prints.
 */
final class Tools {

    /**
     * What a finished program printed.
     *
     * @param exitCode its exit status
     * @param output   stdout (and stderr, when it was not read apart)
     * @param errors   stderr read apart, or "" when merged into output
     */
    record Result(int exitCode, String output, String errors) {
    }

    private final List<Path> path;
    private String hostCc;

    Tools(String pathVariable) {
        List<Path> dirs = new ArrayList<>();
        for (String d : (pathVariable == null ? "" : pathVariable).split(java.io.File.pathSeparator)) {
            if (!d.isEmpty()) {
                dirs.add(Path.of(d));
            }
        }
        this.path = dirs;
    }

    /** The tools of this process's {@code PATH}. */
    static Tools fromEnvironment() {
        return new Tools(System.getenv("PATH"));
    }

    /** The executable of this name on {@code PATH}, or null. */
    Path find(String name) {
        for (Path d : path) {
            Path p = d.resolve(name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * @throws McuRunException (exit 1) naming every missing program and the Debian packages that have them
     */
    void require(List<String> programs) {
        List<String> missing = new ArrayList<>();
        List<String> packages = new ArrayList<>();
        for (String p : programs) {
            if (p.equals("cc") ? hostCcOrNull() == null : find(p) == null) {
                missing.add(p);
                String pkg = switch (p) {
                    case "arm-none-eabi-gcc" -> "gcc-arm-none-eabi libnewlib-arm-none-eabi";
                    case "qemu-system-arm" -> "qemu-system-arm";
                    case "cc" -> "gcc";
                    default -> p;
                };
                if (!packages.contains(pkg)) {
                    packages.add(pkg);
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new McuRunException(1, "missing " + String.join(", ", missing) + " on PATH: install them, e.g. "
                    + "sudo apt-get install " + String.join(" ", packages));
        }
    }

    /** The host's C compiler: cc, else gcc, else clang. */
    String hostCc() {
        String cc = hostCcOrNull();
        if (cc == null) {
            throw new McuRunException(1, "no host C compiler (cc, gcc or clang) on PATH: sudo apt-get install gcc");
        }
        return cc;
    }

    private String hostCcOrNull() {
        if (hostCc == null) {
            for (String n : new String[] {"cc", "gcc", "clang"}) {
                Path p = find(n);
                if (p != null) {
                    hostCc = p.toString();
                    break;
                }
            }
        }
        return hostCc;
    }

    /**
     * Runs a program in {@code dir} and waits at most {@code timeoutSeconds}; a program still running
     * then is killed (with its children) and reported.
     *
     * @param onLine each stdout line as it arrives (stderr is then read apart), or null to merge stderr
     *               into the output
     * @throws McuRunException (exit 1) when the program cannot start or runs out of time
     */
    Result run(Path dir, long timeoutSeconds, List<String> command, Consumer<String> onLine)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.redirectErrorStream(onLine == null);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new McuRunException(1, "cannot run " + command.getFirst() + ": " + e.getMessage());
        }
        p.getOutputStream().close();
        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        Thread outReader = reader(p.getInputStream(), out, onLine);
        Thread errReader = onLine == null ? null : reader(p.getErrorStream(), err, null);
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                outReader.join(2000);
                throw new McuRunException(1, String.join(" ", command) + " ran longer than " + timeoutSeconds
                        + " s and was stopped" + (out.isEmpty() ? "" : "; it printed:\n" + tail(out.toString())));
            }
        } catch (InterruptedException e) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw e;
        }
        outReader.join();
        if (errReader != null) {
            errReader.join();
        }
        synchronized (out) {
            return new Result(p.exitValue(), out.toString(), err.toString());
        }
    }

    private static Thread reader(InputStream in, StringBuilder sink, Consumer<String> onLine) {
        Thread t = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (sink) {
                        sink.append(line).append('\n');
                    }
                    if (onLine != null) {
                        onLine.accept(line);
                    }
                }
            } catch (IOException e) {
                // the stream closed under the reader (a killed process): what was read is kept
            }
        });
        return t;
    }

    /** The last 40 lines of a program's output. */
    static String tail(String text) {
        String[] lines = text.split("\n");
        int from = Math.max(0, lines.length - 40);
        return (from > 0 ? "...\n" : "") + String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
    }
}
