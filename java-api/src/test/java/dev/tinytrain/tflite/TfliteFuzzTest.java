package dev.tinytrain.tflite;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;
import dev.tinytrain.graph.Verifier;
import dev.tinytrain.kernel.ReferenceBackend;
import dev.tinytrain.runtime.ForwardInterpreter;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * 1,000 seeded mutations of valid models (byte flips, 32-bit overwrites with boundary values,
 * truncations, splices, insertions and deletions, biased toward the tables at the front of the file)
 * fed to the importer: each must give a {@link TfliteFormatException} (with an offset inside the
 * file), another {@link TfliteImportException}, or a graph that passes the {@link Verifier} and runs
 * on the reference kernels. Anything else (an index, arithmetic or null-pointer exception, a kernel
 * rejecting a graph the importer accepted) fails with the case's seed. Replay one case with
 * {@code -Dfuzz.case=N}.
 */
class TfliteFuzzTest {

    private static final long SEED = 0x5EED_F022_7F11_7E00L;
    private static final int CASES = Integer.getInteger("fuzz.cases", 1000);
    private static final String REPLAY = System.getProperty("fuzz.case");

    /** A small graph with every op kind and a PAD, plus a model with the boundary ops. */
    private static byte[][] baseModels() {
        for (long s = 1; ; s++) {
            Graph g = RandomGraphs.build(s);
            byte[] bytes = TfliteExporter.export(g);
            boolean[] kinds = new boolean[4];
            for (Op op : g.ops()) {
                switch (op) {
                    case Op.Add a -> kinds[0] = true;
                    case Op.AvgPool2d p -> kinds[1] = true;
                    case Op.DepthwiseConv2d d -> kinds[2] = true;
                    default -> { }
                }
            }
            kinds[3] = TfliteImporter.read(bytes, "base").foldedPads() > 0;
            if (kinds[0] && kinds[1] && kinds[2] && kinds[3] && bytes.length < 20_000) {
                return new byte[][] {bytes, boundaryModel()};
            }
        }
    }

    /** QUANTIZE -> CONV_2D -> RESHAPE -> SOFTMAX -> DEQUANTIZE. */
    private static byte[] boundaryModel() {
        TfliteModelBuilder b = new TfliteModelBuilder();
        var q = dev.tinytrain.tensor.Quantization.perTensor(0.05f, -3);
        int xf = b.addTensor("x_float", new int[] {1, 3, 3, 2}, TensorType.FLOAT32, null, null);
        int x = b.addTensor("x", new int[] {1, 3, 3, 2}, TensorType.INT8, q, null);
        int w = b.addTensor("w", new int[] {4, 3, 3, 2}, TensorType.INT8,
                dev.tinytrain.tensor.Quantization.perChannel(new float[] {0.01f, 0.02f, 0.03f, 0.04f}, 0), new byte[72]);
        int bias = b.addInt32Tensor("b", new int[] {4}, null, new int[] {1, -2, 3, -4});
        int y = b.addTensor("y", new int[] {1, 1, 1, 4}, TensorType.INT8,
                dev.tinytrain.tensor.Quantization.perTensor(0.1f, 2), null);
        int flat = b.addTensor("logits", new int[] {1, 4}, TensorType.INT8,
                dev.tinytrain.tensor.Quantization.perTensor(0.1f, 2), null);
        int p = b.addTensor("probs", new int[] {1, 4}, TensorType.INT8,
                dev.tinytrain.tensor.Quantization.perTensor(1f / 256, -128), null);
        int pf = b.addTensor("probs_float", new int[] {1, 4}, TensorType.FLOAT32, null, null);
        b.addOperator(BuiltinOperator.QUANTIZE, new int[] {xf}, new int[] {x}, null);
        b.addOperator(BuiltinOperator.CONV_2D, 3, new int[] {x, w, bias}, new int[] {y},
                new BuiltinOptions.Conv2D(Padding.VALID, 1, 1, FusedActivation.RELU));
        b.addOperator(BuiltinOperator.RESHAPE, new int[] {y}, new int[] {flat}, new BuiltinOptions.Reshape(new int[] {1, 4}));
        b.addOperator(BuiltinOperator.SOFTMAX, new int[] {flat}, new int[] {p}, null);
        b.addOperator(BuiltinOperator.DEQUANTIZE, new int[] {p}, new int[] {pf}, null);
        return b.inputs(xf).outputs(pf).build();
    }

    @Test
    void mutatedModelsGiveCleanErrorsOrValidGraphs() {
        byte[][] bases = baseModels();
        for (byte[] base : bases) {
            Verifier.verify(TfliteImporter.read(base, "base").graph());   // the bases themselves import
        }
        int format = 0;
        int unsupported = 0;
        int valid = 0;
        int ran = 0;
        int from = REPLAY == null ? 0 : Integer.parseInt(REPLAY);
        int to = REPLAY == null ? CASES : from + 1;
        for (int k = from; k < to; k++) {
            SplittableRandom r = new SplittableRandom(SEED + k * 0x9E3779B97F4A7C15L);
            byte[] base = bases[k % 4 == 3 ? 1 : 0];
            StringBuilder what = new StringBuilder();
            byte[] m = mutate(base, r, what);
            String where = "fuzz case " + k + " (replay: -Dfuzz.case=" + k + "): " + what;
            try {
                ImportedModel im = TfliteImporter.read(m, "fuzz");
                Verifier.verify(im.graph());
                valid++;
                if (activationBytes(im.graph()) < 4_000_000) {
                    ForwardInterpreter fi = new ForwardInterpreter(im.graph(), new ReferenceBackend());
                    byte[][] inputs = im.graph().inputs().stream()
                            .map(v -> new byte[Math.toIntExact(v.byteSize())]).toArray(byte[][]::new);
                    fi.run(inputs);
                    ran++;
                }
            } catch (TfliteFormatException e) {
                format++;
                if (e.offset() < 0 || e.offset() > m.length) {
                    fail(where + ": offset " + e.offset() + " outside the " + m.length + "-byte file: " + e.getMessage());
                }
            } catch (TfliteImportException e) {
                unsupported++;
                if (e.getMessage() == null || e.getMessage().isBlank()) {
                    fail(where + ": an import error without a message");
                }
            } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                throw new AssertionError(where + ": " + e, e);
            }
        }
        System.out.printf("[fuzz] %d mutated models: %d format errors, %d unsupported/inconsistent models, %d valid graphs"
                + " (%d run on the reference kernels)%n", to - from, format, unsupported, valid, ran);
        assertEquals(to - from, format + unsupported + valid);
        if (REPLAY == null) {
            assertTrue(format > 100 && unsupported > 50 && valid > 50, "mutations reach every outcome");
        }
    }

    private static long activationBytes(Graph g) {
        long sum = 0;
        for (Value v : g.values()) {
            if (!g.isConstant(v)) {
                sum += v.byteSize();
            }
        }
        return sum;
    }

    /** One seeded mutation; {@code what} describes it. */
    static byte[] mutate(byte[] base, SplittableRandom r, StringBuilder what) {
        int n = base.length;
        // Positions favour the first half, where FlatBufferBuilder puts the tables (buffers' data is written first,
        // so it ends up at the back of the file).
        java.util.function.IntSupplier pos = () -> r.nextBoolean() ? r.nextInt(Math.max(n / 2, 1)) : r.nextInt(n);
        byte[] m;
        switch (r.nextInt(6)) {
            case 0 -> {
                m = base.clone();
                int flips = r.nextInt(1, 9);
                what.append("flip ").append(flips).append(" bytes at");
                for (int i = 0; i < flips; i++) {
                    int p = pos.getAsInt();
                    m[p] = (byte) r.nextInt(256);
                    what.append(' ').append(p);
                }
            }
            case 1 -> {
                m = base.clone();
                int p = pos.getAsInt() & ~3;
                int[] specials = {0, 1, -1, 4, Integer.MAX_VALUE, Integer.MIN_VALUE, n, n - 4, n + 4, 0x10000,
                        r.nextInt(-64, 64), r.nextInt(n)};
                int v = specials[r.nextInt(specials.length)];
                ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(Math.min(p, n - 4), v);
                what.append("int32 ").append(v).append(" at ").append(Math.min(p, n - 4));
            }
            case 2 -> {
                int len = r.nextInt(n);
                m = Arrays.copyOf(base, len);
                what.append("truncate to ").append(len);
            }
            case 3 -> {
                m = base.clone();
                int from = r.nextInt(n);
                int to = pos.getAsInt();
                int len = Math.min(r.nextInt(1, 65), Math.min(n - from, n - to));
                System.arraycopy(base, from, m, to, len);
                what.append("splice ").append(len).append(" bytes from ").append(from).append(" to ").append(to);
            }
            case 4 -> {
                int p = pos.getAsInt();
                int len = r.nextInt(1, 17);
                m = new byte[n + len];
                System.arraycopy(base, 0, m, 0, p);
                for (int i = 0; i < len; i++) {
                    m[p + i] = (byte) r.nextInt(256);
                }
                System.arraycopy(base, p, m, p + len, n - p);
                what.append("insert ").append(len).append(" bytes at ").append(p);
            }
            default -> {
                int p = pos.getAsInt();
                int len = Math.min(r.nextInt(1, 17), n - p);
                m = new byte[n - len];
                System.arraycopy(base, 0, m, 0, p);
                System.arraycopy(base, p + len, m, p, n - p - len);
                what.append("delete ").append(len).append(" bytes at ").append(p);
            }
        }
        return m;
    }
}
