package dev.tinytrain.examples;

import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.ChannelQuant;
import dev.tinytrain.kernel.ConvParams;
import dev.tinytrain.kernel.ReferenceBackend;
import dev.tinytrain.tensor.Dims;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's "calling a kernel from Java" example is this module's CallAKernel, compiled and run. */
class ReadmeExampleTest {

    @Test
    void readmeShowsExactlyTheCompiledExample() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        Matcher m = Pattern.compile("```java\\n(public class CallAKernel.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(m.find(), "README has a java block starting with 'public class CallAKernel'");
        String source = Files.readString(Path.of("src/test/java/dev/tinytrain/examples/CallAKernel.java"));
        String body = source.substring(source.indexOf("import "));
        String block = m.group(1);
        String imports = body.substring(0, body.indexOf("public class CallAKernel"));
        assertEquals(body.substring(imports.length()).strip(), block.strip(),
                "README example and CallAKernel.java differ; copy the class body into the README");
    }

    @Test
    void exampleRunsAndPrintsTheReferenceResult() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            CallAKernel.main(new String[0]);
        } finally {
            System.setOut(old);
        }
        String[] lines = buf.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertTrue(lines[0].startsWith("native"), "runs on the native backend: " + lines[0]);

        byte[] expected = new byte[12];
        new ReferenceBackend().conv2d(ConvParams.pointwise(-10, 5).withActivation(Activation.relu(5)),
                ChannelQuant.of(0.05f, new float[] {0.01f, 0.02f, 0.03f}, 0.1f), Dims.of(1, 2, 2, 2),
                MemorySegment.ofArray(new byte[] {-10, 20, 30, -40, 50, 60, 70, 80}), Dims.of(3, 1, 1, 2),
                MemorySegment.ofArray(new byte[] {10, -20, 30, 40, -50, 60}),
                MemorySegment.ofArray(new int[] {100, -200, 300}), Dims.of(1, 2, 2, 3), MemorySegment.ofArray(expected));
        assertEquals(Arrays.toString(expected), lines[1]);
    }
}
