package dev.tinytrain.models;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The three built-in architectures against the paper (PAPER.md section 7) and models/ARCHITECTURES.md. */
class ArchitecturesTest {

    /** The paper's setting, built once (128x128x3, 1000 classes). */
    private static final Map<String, Graph> PAPER = new LinkedHashMap<>();

    /** The model files' section names in ARCHITECTURES.md. */
    private static final Map<String, String> SECTIONS = Map.of(
            "mcunet-5fps", "mcunet-5fps",
            "mbv2-w0.35", "mobilenetv2-w0.35",
            "proxyless-w0.3", "proxylessnas-w0.3");

    @BeforeAll
    static void buildAll() {
        for (String name : Architectures.names()) {
            PAPER.put(name, Architectures.build(name, 128, 3, 1000, 1));
        }
    }

    @Test
    void namesAreThePapersThree() {
        assertEquals(List.of("mcunet-5fps", "mobilenetv2-w0.35", "proxylessnas-w0.3"), Architectures.names());
    }

    /** Totals from models/ARCHITECTURES.md and models/README.md: convs incl. classifier, weights, biases, MACs. */
    @Test
    void totalsEqualThePapersModels() {
        check("mcunet-5fps", 43, 14, 623_216, 7_008, 630_224, 22_613_504);
        check("mobilenetv2-w0.35", 52, 17, 350_688, 6_760, 357_448, 16_758_912);
        check("proxylessnas-w0.3", 61, 20, 416_816, 6_416, 423_232, 18_715_904);
    }

    private static void check(String name, int convs, int depthwise, long weights, long biases, long params,
                              long macs) {
        ModelStats s = ModelStats.of(PAPER.get(name));
        assertEquals(convs, s.convs(), name + " convs");
        assertEquals(depthwise, s.depthwise(), name + " depthwise convs");
        assertEquals(weights, s.weights(), name + " weights");
        assertEquals(biases, s.biases(), name + " biases");
        assertEquals(params, s.params(), name + " params");
        assertEquals(macs, s.macs(), name + " MACs");
        assertEquals(convs, Architectures.convs(PAPER.get(name)).size());
    }

    @Test
    void convsAreInForwardOrderWithStableNamesAndTheClassifierLast() {
        Graph g = PAPER.get("mcunet-5fps");
        List<Op> convs = Architectures.convs(g);
        assertEquals("conv0", Architectures.convName(convs.getFirst()));
        assertEquals("block0.dw", Architectures.convName(convs.get(1)));
        assertEquals("block0.pw2", Architectures.convName(convs.get(2)));
        assertEquals("block1.pw1", Architectures.convName(convs.get(3)));
        assertEquals("classifier", Architectures.convName(convs.getLast()));
        // PAPER.md section 5: the "99 KB" scheme trains convs 21, 24, 27, 30, 36, 39 of the 42 indexed ones,
        // the first pointwise conv of blocks 7, 8, 9, 10, 12, 13
        assertEquals(42, convs.size() - 1);
        List<String> trained = new ArrayList<>();
        for (int i : new int[] {21, 24, 27, 30, 36, 39}) {
            trained.add(Architectures.convName(convs.get(i)));
        }
        assertEquals(List.of("block7.pw1", "block8.pw1", "block9.pw1", "block10.pw1", "block12.pw1", "block13.pw1"),
                trained);
        // forward order: each conv's output is produced after the previous one's
        List<Op> ops = g.ops();
        int last = -1;
        for (Op c : convs) {
            int at = ops.indexOf(c);
            assertTrue(at > last);
            last = at;
        }
    }

    @Test
    void inputOutputAndHead() {
        for (Graph g : PAPER.values()) {
            assertEquals(1, g.inputs().size());
            assertArrayEquals(new int[] {1, 128, 128, 3}, g.inputs().getFirst().shape());
            assertEquals(2f / 255f, g.inputs().getFirst().scale());
            assertEquals(0, g.inputs().getFirst().zeroPoint());
            Value out = g.outputs().getFirst();
            assertArrayEquals(new int[] {1, 1000}, out.shape());
            List<Op> ops = g.ops();
            Op reshape = ops.getLast();
            assertInstanceOf(Op.Reshape.class, reshape);
            Op.Conv2d head = assertInstanceOf(Op.Conv2d.class, ops.get(ops.size() - 2));
            assertArrayEquals(new int[] {1, 1, 1, 1000}, head.output().shape());
            Op.Mean mean = assertInstanceOf(Op.Mean.class, ops.get(ops.size() - 3));
            assertEquals(mean.output(), head.input());
            assertArrayEquals(new int[] {1, 4, 4}, Arrays.copyOf(mean.input().shape(), 3));
        }
    }

    @Test
    void otherResolutionsChannelsAndClasses() {
        Graph g = Architectures.build("proxylessnas-w0.3", 64, 1, 10, 3);
        assertArrayEquals(new int[] {1, 64, 64, 1}, g.inputs().getFirst().shape());
        assertArrayEquals(new int[] {1, 10}, g.outputs().getFirst().shape());
        List<Op> convs = Architectures.convs(g);
        assertEquals(61, convs.size());
        Op.Conv2d first = (Op.Conv2d) convs.getFirst();
        assertArrayEquals(new int[] {16, 3, 3, 1}, first.weight().shape());
        assertArrayEquals(new int[] {1, 32, 32, 16}, first.output().shape());
        // same strides and channels: the last block's output is 64/32 = 2 pixels wide
        assertArrayEquals(new int[] {1, 2, 2, 96}, convs.get(convs.size() - 2).outputs().getFirst().shape());
        // aliases of the model files' names
        assertEquals("mobilenetv2-w0.35", Architectures.build("mbv2-w0.35", 32, 3, 2, 0).name());
    }

    @Test
    void badArgumentsAreClearErrors() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> Architectures.build("resnet50", 128, 3, 1000, 1));
        assertTrue(unknown.getMessage().contains("unknown architecture 'resnet50'"), unknown.getMessage());
        for (String n : Architectures.names()) {
            assertTrue(unknown.getMessage().contains(n), unknown.getMessage());
        }
        for (int res : new int[] {-1, 0, 15}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Architectures.build("mcunet-5fps", res, 3, 1000, 1));
            assertTrue(e.getMessage().contains("resolution must be at least 16")
                    && e.getMessage().contains("got " + res), e.getMessage());
        }
        // any size from 16 up: odd maps and 48 (= 3 * 16) go through the stride-2 layers
        for (int res : new int[] {16, 48, 100}) {
            Graph g = Architectures.build("mcunet-5fps", res, 3, 4, 1);
            assertEquals(43, Architectures.convs(g).size(), "resolution " + res);
        }
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Architectures.build("mcunet-5fps", 32, 0, 10, 1)).getMessage().contains("input channels"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Architectures.build("mcunet-5fps", 32, 3, 0, 1)).getMessage().contains("classes"));
    }

    // ---- every conv row of models/ARCHITECTURES.md ------------------------------------------

    /** ../../shared/models/ARCHITECTURES.md relative to the java-api module (CI lays out shared/ beside the repo). */
    private static final Path ARCHITECTURES_MD = Path.of("..", "..", "shared", "models", "ARCHITECTURES.md");

    @Test
    void everyConvRowOfArchitecturesMdMatches() throws IOException {
        assumeTrue(Files.isReadable(ARCHITECTURES_MD), "skipped: " + ARCHITECTURES_MD.toAbsolutePath()
                + " is not readable (the shared/ folder is not beside the repository); the totals test still runs");
        Map<String, Section> sections = parse(Files.readAllLines(ARCHITECTURES_MD));
        assertEquals(SECTIONS.keySet(), sections.keySet(), "model sections of ARCHITECTURES.md");
        int rows = 0;
        for (var e : sections.entrySet()) {
            String model = SECTIONS.get(e.getKey());
            Graph g = PAPER.get(model);
            Section s = e.getValue();
            List<Op> convs = Architectures.convs(g);
            assertEquals(s.convs().size(), convs.size(), model + ": conv rows");
            Map<String, Value> byName = new HashMap<>();
            for (Value v : g.values()) {
                byName.put(v.name(), v);
            }
            for (int i = 0; i < convs.size(); i++) {
                String[] r = s.convs().get(i);
                Op op = convs.get(i);
                String where = model + " row " + r[0] + " (" + r[2] + ")";
                assertEquals(Integer.parseInt(r[0]), i, where + " index");
                String expectedName = switch (r[2]) {
                    case "first_conv" -> "conv0";
                    case "classifier" -> "classifier";
                    default -> "block" + r[1] + "." + r[2];
                };
                assertEquals(expectedName, Architectures.convName(op), where + " name");
                Value in = op.inputs().getFirst();
                Value out = op.outputs().getFirst();
                assertEquals(r[3], hwc(in), where + " input");
                assertEquals(r[4], hwc(out), where + " output");
                assertEquals(Integer.parseInt(r[5]), in.shape()[3], where + " Cin");
                assertEquals(Integer.parseInt(r[6]), out.shape()[3], where + " Cout");
                int[] w = op.inputs().get(1).shape();
                assertEquals(r[7], w[1] + "x" + w[2], where + " kernel");
                int groups = Integer.parseInt(r[11]);
                int stride;
                int pad;
                if (op instanceof Op.DepthwiseConv2d d) {
                    assertEquals(in.shape()[3], groups, where + " groups (depthwise)");
                    assertTrue(d.strideH() == d.strideW() && d.padH() == d.padW());
                    stride = d.strideH();
                    pad = d.padH();
                } else {
                    Op.Conv2d c = assertInstanceOf(Op.Conv2d.class, op, where);
                    assertEquals(1, groups, where + " groups");
                    assertTrue(c.strideH() == c.strideW() && c.padH() == c.padW());
                    stride = c.strideH();
                    pad = c.padH();
                }
                assertEquals(Integer.parseInt(r[8]), stride, where + " stride");
                assertEquals(Integer.parseInt(r[9]), pad, where + " padding");
                long weights = op.inputs().get(1).elements();
                long biases = op.inputs().get(2).elements();
                assertEquals(r[15], weights + "+" + biases, where + " params");
                assertEquals(Long.parseLong(r[16].replace(",", "")), ModelStats.macs(op), where + " MACs");
                // ReLU6 outputs are exactly the rows with y_zero -128
                boolean relu6 = r[14].endsWith("/ -128");
                assertEquals(relu6, out.zeroPoint() == -128 && out.scale() == 6f / 255f, where + " ReLU6 output");
                // residual: the block ends in an add of its input and pw2's output
                if (r[2].equals("pw2")) {
                    Value add = byName.get("block" + r[1] + ".add");
                    if (r[12].equals("yes")) {
                        assertNotNull(add, where + " residual add");
                        Op.Add a = assertInstanceOf(Op.Add.class, g.producer(add));
                        assertEquals(out, a.b(), where + " add reads pw2");
                        Value blockIn = r[1].equals("0") ? null : convs.get(i - 2).inputs().getFirst();
                        assertEquals(blockIn, a.a(), where + " add reads the block input");
                    } else {
                        assertNull(add, where + " no residual");
                    }
                }
                rows++;
            }
            // the residual table: block and shape of every add
            List<String> adds = new ArrayList<>();
            for (Op op : g.ops()) {
                if (op instanceof Op.Add a) {
                    String block = a.output().name().replace("block", "").replace(".add", "");
                    adds.add(block + " " + hwc(a.output()));
                }
            }
            List<String> expected = new ArrayList<>();
            for (String[] r : s.residuals()) {
                expected.add(r[0] + " " + r[1]);
            }
            assertEquals(expected, adds, model + " residual adds");
        }
        assertEquals(43 + 52 + 61, rows);
    }

    private record Section(List<String[]> convs, List<String[]> residuals) {
    }

    private static Map<String, Section> parse(List<String> lines) {
        Map<String, Section> out = new LinkedHashMap<>();
        Section cur = null;
        for (String line : lines) {
            if (line.startsWith("## ")) {
                String name = line.substring(3).trim();
                cur = SECTIONS.containsKey(name) ? new Section(new ArrayList<>(), new ArrayList<>()) : null;
                if (cur != null) {
                    out.put(name, cur);
                }
                continue;
            }
            if (cur == null || !line.startsWith("|")) {
                continue;
            }
            String[] cells = line.substring(1, line.lastIndexOf('|')).split("\\|", -1);
            for (int i = 0; i < cells.length; i++) {
                cells[i] = cells[i].trim();
            }
            if (!cells[0].matches("\\d+")) {
                continue;
            }
            if (cells.length == 17) {
                cur.convs().add(cells);
            } else if (cells.length == 5) {
                cur.residuals().add(cells);
            }
        }
        return out;
    }

    private static String hwc(Value v) {
        int[] s = v.shape();
        return s[1] + "x" + s[2] + "x" + s[3];
    }
}
