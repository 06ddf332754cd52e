package dev.tinytrain.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's dataset example is this package's OpenADataset, compiled and run (on synthetic data: no download). */
class ReadmeDatasetExampleTest {

    @Test
    void readmeShowsExactlyTheCompiledExample() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        Matcher m = Pattern.compile("```java\\n(public class OpenADataset.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(m.find(), "README has a java block starting with 'public class OpenADataset'");
        String source = Files.readString(Path.of("src/test/java/dev/tinytrain/examples/OpenADataset.java"));
        String body = source.substring(source.indexOf("public class OpenADataset"));
        assertEquals(body.strip(), m.group(1).strip(), "README example and OpenADataset.java differ; copy the class into the README");
    }

    @Test
    void exampleRuns() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            OpenADataset.main(new String[0]);
        } finally {
            System.setOut(old);
        }
        String[] lines = buf.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals("synthetic:4: 40 samples [10, 10, 10, 10], test 200", lines[0]);
        assertTrue(lines[1].matches("[0-3]: 3072 int8 values"), lines[1]);
    }
}
