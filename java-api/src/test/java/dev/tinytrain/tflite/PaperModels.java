package dev.tinytrain.tflite;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The paper's three int8 models as {@code .tflite} files, in a {@code shared/models} folder beside
 * the repository (CI has it; a user's clone usually does not). Found by walking up from the working
 * directory (the module's folder under Surefire); tests that need them skip with a message when absent.
 */
public final class PaperModels {

    /** Model file name (without .tflite) and the built-in architecture it matches. */
    public record Model(String file, String architecture) {
        public Path path() {
            return dir().orElseThrow().resolve(file + ".tflite");
        }
    }

    public static final List<Model> MODELS = List.of(new Model("mcunet-5fps", "mcunet-5fps"),
            new Model("mbv2-w0.35", "mobilenetv2-w0.35"), new Model("proxyless-w0.3", "proxylessnas-w0.3"));

    private PaperModels() {
    }

    /** The folder holding the models, if there is one above the working directory. */
    public static Optional<Path> dir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path m = p.resolve("shared").resolve("models");
            if (Files.isRegularFile(m.resolve("mcunet-5fps.tflite"))) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /** Skips the calling test when the models are not there. */
    public static Path require() {
        Optional<Path> d = dir();
        assumeTrue(d.isPresent(), "the paper's models (shared/models/*.tflite beside the repository) are not present"
                + " above " + Path.of("").toAbsolutePath() + "; skipping");
        return d.get();
    }
}
