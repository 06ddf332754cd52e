package dev.tinytrain.codegen;

import java.util.Locale;

/**
 * Writes C source text: one statement or declaration per line, indentation by block, comments,
 * array literals wrapped at {@link #WIDTH} columns, and literals that C reads back exactly (C99
 * hexadecimal floats, escaped strings, {@code INT32_MIN} spelt so that it is an int). Code
 * generation goes through this writer, never through string concatenation in the op lowering.
 *
 * <p>Lines end with {@code \n}; indentation is four spaces per level.
 */
public final class CWriter {

    /** Array literals are wrapped so that no line is longer than this. */
    public static final int WIDTH = 100;

    private static final String INDENT = "    ";

    private final StringBuilder out = new StringBuilder();
    private int depth;

    /** A line at the current indentation (a statement, a declaration, a preprocessor line). */
    public CWriter line(String text) {
        if (text.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("one line at a time: " + text.replace("\n", "\\n"));
        }
        if (text.isEmpty()) {
            return blank();
        }
        // preprocessor directives stay in column 0
        out.append(text.startsWith("#") ? "" : INDENT.repeat(depth)).append(text).append('\n');
        return this;
    }

    /** Another writer's text (all its blocks closed), indented one level deeper per level open here. */
    public CWriter append(CWriter other) {
        String text = other.toString();
        if (text.isEmpty()) {
            return this;
        }
        for (String l : text.substring(0, text.length() - 1).split("\n", -1)) {
            if (l.isEmpty()) {
                blank();
            } else {
                out.append(l.startsWith("#") ? "" : INDENT.repeat(depth)).append(l).append('\n');
            }
        }
        return this;
    }

    /** An empty line. */
    public CWriter blank() {
        out.append('\n');
        return this;
    }

    /** The header followed by an opening brace, and one more indentation level; {@link #close()} ends the block. */
    public CWriter open(String header) {
        line(header.isEmpty() ? "{" : header + " {");
        depth++;
        return this;
    }

    /**
     * A function definition's head: the signature on its own line, the opening brace on the next
     * (the kernel library's style); {@link #close()} ends the body.
     */
    public CWriter function(String signature) {
        line(signature);
        line("{");
        depth++;
        return this;
    }

    /**
     * One statement made of a head, comma-separated arguments and a tail, e.g. head
     * {@code "f("}, tail {@code ");"}: on one line when it fits in {@link #WIDTH} columns, else
     * wrapped between arguments with continuation lines indented two levels deeper.
     */
    public CWriter statement(String head, java.util.List<String> args, String tail) {
        String pad = INDENT.repeat(depth);
        String one = head + String.join(", ", args) + tail;
        if (pad.length() + one.length() <= WIDTH) {
            return line(one);
        }
        String cont = INDENT.repeat(depth + 2);
        StringBuilder row = new StringBuilder(pad).append(head);
        boolean first = true;
        for (int i = 0; i < args.size(); i++) {
            String item = args.get(i) + (i + 1 < args.size() ? "," : tail);
            int sep = first ? 0 : 1;
            if (!first && row.length() + sep + item.length() > WIDTH) {
                out.append(row).append('\n');
                row.setLength(0);
                row.append(cont).append(item);
            } else {
                row.append(first ? "" : " ").append(item);
            }
            first = false;
        }
        if (args.isEmpty()) {
            row.append(tail);
        }
        out.append(row).append('\n');
        return this;
    }

    /** Ends a block with a closing brace. */
    public CWriter close() {
        return close("");
    }

    /** Ends a block with a suffix, e.g. {@code ";"} after a struct initializer. */
    public CWriter close(String suffix) {
        if (depth == 0) {
            throw new IllegalStateException("close() without an open block");
        }
        depth--;
        return line("}" + suffix);
    }

    /** A one-line comment ({@code /* text *}{@code /}); {@code *}{@code /} inside the text is defused. */
    public CWriter comment(String text) {
        return line("/* " + commentText(text) + " */");
    }

    /** A block comment, one source line per text line, each ending before {@link #WIDTH} when the text allows. */
    public CWriter blockComment(String... lines) {
        line("/*");
        for (String l : lines) {
            for (String part : l.split("\n", -1)) {
                String t = commentText(part);
                line(t.isEmpty() ? " *" : " * " + t);
            }
        }
        return line(" */");
    }

    /**
     * <code>declaration = { v0, v1, ... };</code> with the values wrapped at {@link #WIDTH} columns, one
     * more indentation level than the declaration.
     */
    public CWriter array(String declaration, String[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("C has no empty array literal: " + declaration);
        }
        line(declaration + " = {");
        depth++;
        String pad = INDENT.repeat(depth);
        StringBuilder row = new StringBuilder(pad);
        for (int i = 0; i < values.length; i++) {
            String item = values[i] + (i + 1 < values.length ? "," : "");
            if (row.length() > pad.length() && row.length() + 1 + item.length() > WIDTH) {
                out.append(row).append('\n');
                row.setLength(0);
                row.append(pad);
            }
            if (row.length() > pad.length()) {
                row.append(' ');
            }
            row.append(item);
        }
        out.append(row).append('\n');
        depth--;
        return line("};");
    }

    public CWriter array(String declaration, byte[] values) {
        String[] s = new String[values.length];
        for (int i = 0; i < values.length; i++) {
            s[i] = Integer.toString(values[i]);
        }
        return array(declaration, s);
    }

    public CWriter array(String declaration, int[] values) {
        String[] s = new String[values.length];
        for (int i = 0; i < values.length; i++) {
            s[i] = intLiteral(values[i]);
        }
        return array(declaration, s);
    }

    public CWriter array(String declaration, float[] values) {
        String[] s = new String[values.length];
        for (int i = 0; i < values.length; i++) {
            s[i] = floatLiteral(values[i]);
        }
        return array(declaration, s);
    }

    /** The current indentation level (0 at file scope). */
    public int depth() {
        return depth;
    }

    /** The text written so far; every block must be closed. */
    @Override
    public String toString() {
        if (depth != 0) {
            throw new IllegalStateException(depth + " block(s) left open");
        }
        return out.toString();
    }

    // ---- literals ---------------------------------------------------------------------------

    /** An int32 as C reads it back as an {@code int}: {@code INT32_MIN} is {@code (-2147483647 - 1)}. */
    public static String intLiteral(int v) {
        return v == Integer.MIN_VALUE ? "(-2147483647 - 1)" : Integer.toString(v);
    }

    /** A uint32 (the bits of {@code v}) as an unsigned C literal, e.g. {@code 0x9e3779b9u}. */
    public static String uintLiteral(int v) {
        return "0x" + Integer.toHexString(v) + "u";
    }

    /**
     * A float as a C99 hexadecimal literal with an {@code f} suffix, which C converts back to the
     * same bits ({@code 0x1.8p-3f}; subnormals {@code 0x0.0008p-126f}; {@code -0.0f} keeps its sign).
     *
     * @throws IllegalArgumentException for NaN and infinities, which have no C99 literal
     */
    public static String floatLiteral(float v) {
        if (Float.isNaN(v) || Float.isInfinite(v)) {
            throw new IllegalArgumentException("float " + v + " has no C literal");
        }
        if (v == 0f) {
            return (Float.floatToRawIntBits(v) < 0 ? "-" : "") + "0.0f";
        }
        return Float.toHexString(v) + "f";
    }

    /**
     * A C string literal of {@code s}'s UTF-8 bytes: printable ASCII as is, backslash, quote and
     * question mark (trigraphs) escaped, everything else as a three-digit octal escape (an octal
     * escape never swallows the characters after it, unlike {@code \x}).
     */
    public static String stringLiteral(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (byte x : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = x & 0xFF;
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '?' -> b.append("\\?");
                default -> {
                    if (c >= 0x20 && c < 0x7F) {
                        b.append((char) c);
                    } else {
                        b.append(String.format(Locale.ROOT, "\\%03o", c));
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** Comment text with {@code *}{@code /} and line breaks defused. */
    private static String commentText(String text) {
        return text.replace("*/", "* /").replace("/*", "/ *").replace('\n', ' ').replace('\r', ' ').stripTrailing();
    }
}
