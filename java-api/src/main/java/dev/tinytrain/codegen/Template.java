package dev.tinytrain.codegen;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A text file of the generated project kept as a resource beside this class (folder
 * {@code templates/}), with {@code @NAME@} placeholders. Every placeholder must be given and
 * every value used, so a renamed placeholder fails loudly instead of leaving {@code @X@} behind.
 */
final class Template {

    private static final Pattern PLACEHOLDER = Pattern.compile("@([A-Z][A-Z0-9_]*)@");

    private Template() {
    }

    static String render(String name, Map<String, String> values) {
        String text;
        try (InputStream in = Template.class.getResourceAsStream("templates/" + name)) {
            if (in == null) {
                throw new IllegalStateException("template " + name + " is missing from the jar");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read template " + name, e);
        }
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        java.util.Set<String> used = new java.util.HashSet<>();
        while (m.find()) {
            String v = values.get(m.group(1));
            if (v == null) {
                throw new IllegalStateException("template " + name + ": no value for @" + m.group(1) + "@");
            }
            used.add(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        if (!used.containsAll(values.keySet())) {
            throw new IllegalStateException("template " + name + " does not use " + values.keySet().stream()
                    .filter(k -> !used.contains(k)).toList());
        }
        return out.toString();
    }
}
