package dev.tinytrain.cli;

import dev.tinytrain.ffm.KernelInfo;
import dev.tinytrain.ffm.NativeBackend;
import dev.tinytrain.ffm.NativeIsa;
import dev.tinytrain.ffm.NativeLibrary;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.KernelBackends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.stream.Collectors;

/** {@code tinytrain kernels}: which kernels exist, which backend runs them and on which ISA path. */
@Command(name = "kernels", mixinStandardHelpOptions = true,
        description = {"List the int8 kernels, the active backend (native or the Java reference fallback, and why),",
                "and the instruction-set path each kernel uses."})
final class KernelsCommand implements Runnable {

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        KernelBackends.Selection selection = KernelBackends.best();
        KernelBackend backend = selection.backend();
        NativeIsa active = backend instanceof NativeBackend nb ? nb.activeIsa() : null;
        NativeIsa best = backend instanceof NativeBackend nb ? nb.bestIsa() : null;
        String reason = selection.fellBack()
                ? String.join("; ", selection.fallbackReasons())
                : backend instanceof NativeBackend ? "library loaded from " + NativeLibrary.load() : "selected";
        if (json) {
            out.println(Json.object(
                    "backend", backend.name(),
                    "description", backend.description(),
                    "fallback", selection.fellBack(),
                    "reason", reason,
                    "isaActive", active == null ? null : label(active),
                    "isaBest", best == null ? null : label(best),
                    "kernels", java.util.stream.Stream.concat(KernelInfo.FORWARD.stream(), KernelInfo.BACKWARD.stream())
                            .map(k -> Json.object(
                            "op", k.op(), "symbol", k.symbol(),
                            "pass", KernelInfo.BACKWARD.contains(k) ? "training" : "forward",
                            "paths", "portable" + k.tunedPaths().stream().map(p -> "," + label(p))
                                    .collect(Collectors.joining()),
                            "pathInUse", active == null ? "java" : label(k.pathFor(active)))).toList()));
            return;
        }
        out.printf("backend:  %s%n", backend.description());
        out.printf("why:      %s%n", reason);
        if (active != null) {
            out.printf("ISA:      %s in use (best available: %s)%n", label(active), label(best));
        }
        out.println();
        out.printf("%-18s %-42s %-18s %s%n", "kernel", "C symbol", "paths", "in use");
        for (KernelInfo k : KernelInfo.FORWARD) {
            row(out, k, active);
        }
        out.println();
        out.println("training (sparse backward, fused update):");
        for (KernelInfo k : KernelInfo.BACKWARD) {
            row(out, k, active);
        }
        out.flush();
    }

    private static void row(PrintWriter out, KernelInfo k, NativeIsa active) {
        String paths = "portable" + k.tunedPaths().stream().map(p -> ", " + label(p)).collect(Collectors.joining());
        out.printf("%-18s %-42s %-18s %s%n", k.op(), k.symbol(), paths,
                active == null ? "java reference" : label(k.pathFor(active)));
    }

    private static String label(NativeIsa isa) {
        return isa.name().toLowerCase().replace('_', '-');
    }
}
