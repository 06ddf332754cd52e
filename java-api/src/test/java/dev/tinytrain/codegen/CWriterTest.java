package dev.tinytrain.codegen;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CWriterTest {

    @Test
    void blocksIndentByFourSpacesAndKeepPreprocessorLinesInColumnZero() {
        CWriter w = new CWriter();
        w.function("int f(int x)");
        w.open("if (x > 0)");
        w.line("#if DEBUG");
        w.line("x = 1;");
        w.line("#endif");
        w.close();
        w.line("return x;");
        w.close();
        assertEquals("""
                int f(int x)
                {
                    if (x > 0) {
                #if DEBUG
                        x = 1;
                #endif
                    }
                    return x;
                }
                """, w.toString());
    }

    @Test
    void refusesUnbalancedBlocksAndEmbeddedNewlines() {
        CWriter w = new CWriter();
        w.open("if (1)");
        assertThrows(IllegalStateException.class, w::toString);
        assertThrows(IllegalStateException.class, () -> new CWriter().close());
        assertThrows(IllegalArgumentException.class, () -> new CWriter().line("a;\nb;"));
        assertThrows(IllegalArgumentException.class, () -> new CWriter().array("int a[0]", new int[0]));
    }

    @Test
    void commentsCannotBeClosedByTheirText() {
        CWriter w = new CWriter();
        w.comment("evil */ int x; /* more");
        w.blockComment("line */ one", "two\nthree");
        String s = w.toString();
        assertEquals(1 + 1, s.split("\\*/", -1).length - 1, s);   // only the two real terminators
        assertTrue(s.startsWith("/* evil * / int x; / * more */\n"), s);
        assertTrue(s.contains(" * two\n * three\n"), s);
    }

    @Test
    void arrayLiteralsWrapAtOneHundredColumnsAndKeepEveryValueInOrder() {
        SplittableRandom r = new SplittableRandom(7);
        int[] values = new int[1000];
        for (int i = 0; i < values.length; i++) {
            values[i] = r.nextInt();
        }
        values[3] = Integer.MIN_VALUE;
        CWriter w = new CWriter();
        w.open("void f(void)");
        w.array("static const int32_t table[1000]", values);
        w.close();
        String s = w.toString();
        List<Integer> back = new ArrayList<>();
        boolean in = false;
        for (String line : s.split("\n")) {
            assertTrue(line.length() <= CWriter.WIDTH, "line of " + line.length() + " columns: " + line);
            if (line.endsWith("= {")) {
                in = true;
                assertTrue(line.startsWith("    static const int32_t table[1000]"), line);
                continue;
            }
            if (line.strip().equals("};")) {
                in = false;
                continue;
            }
            if (in) {
                assertTrue(line.startsWith("        ") && !line.startsWith("         "), "values one level deeper: " + line);
                for (String item : line.strip().split(",")) {
                    if (!item.isBlank()) {
                        back.add(item.strip().equals("(-2147483647 - 1)") ? Integer.MIN_VALUE
                                : Integer.parseInt(item.strip()));
                    }
                }
            }
        }
        assertArrayEquals(values, back.stream().mapToInt(Integer::intValue).toArray());
        assertFalse(s.contains(",\n    };"), "no comma after the last value");
    }

    @Test
    void statementsStayOnOneLineWhenTheyFitAndWrapBetweenArgumentsOtherwise() {
        CWriter w = new CWriter();
        w.statement("f(", List.of("a", "b"), ");");
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            many.add("argument_" + i);
        }
        w.open("");
        w.statement("TT_CHECK(3, kernel(", many, "));");
        w.close();
        String[] lines = w.toString().split("\n");
        assertEquals("f(a, b);", lines[0]);
        StringBuilder joined = new StringBuilder();
        for (int i = 2; i < lines.length - 1; i++) {
            assertTrue(lines[i].length() <= CWriter.WIDTH, lines[i]);
            assertTrue(lines[i].startsWith(i == 2 ? "    TT_CHECK" : "            argument_"), lines[i]);
            joined.append(joined.isEmpty() ? "" : " ").append(lines[i].strip());
        }
        assertEquals("TT_CHECK(3, kernel(" + String.join(", ", many) + "));", joined.toString());
        assertTrue(lines.length > 5, "wrapped");
    }

    @Test
    void floatLiteralsReadBackToTheSameBits() {
        SplittableRandom r = new SplittableRandom(11);
        List<Float> cases = new ArrayList<>(List.of(0f, -0f, 1f, -1f, 0.1f, 1e-3f, 3.4028235e38f, Float.MIN_VALUE,
                Float.MIN_NORMAL, -Float.MIN_VALUE, 1.17549421e-38f, 2.5e-40f, 0.004f, 6.0f));
        for (int i = 0; i < 2000; i++) {
            float f = Float.intBitsToFloat(r.nextInt());
            if (!Float.isNaN(f) && !Float.isInfinite(f)) {
                cases.add(f);
            }
        }
        for (float f : cases) {
            String lit = CWriter.floatLiteral(f);
            assertTrue(lit.endsWith("f"), lit);
            // Java reads C99 hexadecimal float literals with the same syntax (an oracle independent of the writer's code)
            assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(Float.parseFloat(lit)), lit);
        }
        assertThrows(IllegalArgumentException.class, () -> CWriter.floatLiteral(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> CWriter.floatLiteral(Float.NEGATIVE_INFINITY));
    }

    @Test
    void intLiteralsSpellInt32MinAsAnIntExpression() {
        assertEquals("(-2147483647 - 1)", CWriter.intLiteral(Integer.MIN_VALUE));
        assertEquals("2147483647", CWriter.intLiteral(Integer.MAX_VALUE));
        assertEquals("-5", CWriter.intLiteral(-5));
        assertEquals("0xffffffffu", CWriter.uintLiteral(-1));
        assertEquals("0x9e3779b9u", CWriter.uintLiteral(0x9e3779b9));
    }

    @Test
    void stringLiteralsEscapeQuotesBackslashesTrigraphsAndNonAscii() {
        assertEquals("\"plain.name_1\"", CWriter.stringLiteral("plain.name_1"));
        assertEquals("\"a\\\"b\\\\c\"", CWriter.stringLiteral("a\"b\\c"));
        assertEquals("\"\\?\\?=\"", CWriter.stringLiteral("??="));
        assertEquals("\"tab\\011nl\\012\"", CWriter.stringLiteral("tab\tnl\n"));
        // UTF-8 bytes as octal escapes: an octal escape takes at most three digits, so "e1" stays text
        assertEquals("\"\\303\\251e1\"", CWriter.stringLiteral("\u00e9e1"));
        assertArrayEquals(new byte[] {(byte) 0xc3, (byte) 0xa9}, "\u00e9".getBytes(StandardCharsets.UTF_8));
    }
}
