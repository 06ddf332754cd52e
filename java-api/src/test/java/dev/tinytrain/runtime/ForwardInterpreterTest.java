package dev.tinytrain.runtime;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Role;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.Activation;
import dev.tinytrain.kernel.AddParams;
import dev.tinytrain.kernel.ChannelQuant;
import dev.tinytrain.kernel.ConvParams;
import dev.tinytrain.kernel.FcParams;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.PoolParams;
import dev.tinytrain.kernel.ReferenceBackend;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.tensor.DType;
import dev.tinytrain.tensor.Dims;
import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The interpreter does exactly what a hand-written sequence of backend calls does. */
class ForwardInterpreterTest {

    private final KernelBackend backend = new ReferenceBackend();

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(-128, 128);
        }
        return b;
    }

    private static int[] randomBias(int n, long seed) {
        int[] b = new int[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            b[i] = r.nextInt(-3000, 3000);
        }
        return b;
    }

    private static MemorySegment le(int[] v) {
        MemorySegment s = MemorySegment.ofArray(new byte[4 * v.length]);
        for (int i = 0; i < v.length; i++) {
            s.set(ValueLayout.JAVA_INT_UNALIGNED, 4L * i, v[i]);
        }
        return s;
    }

    private static MemorySegment seg(byte[] b) {
        return MemorySegment.ofArray(b);
    }

    /** conv 3x3 (per-tensor weights) -> depthwise 3x3 (per-channel, ReLU clamp) -> add(conv, dw). */
    @Test
    void convDepthwiseAddMatchesDirectCalls() {
        Graph.Builder b = Graph.builder("three");
        Quantization qx = Quantization.perTensor(0.03f, 5);
        Quantization qc = Quantization.perTensor(0.05f, -7);
        Quantization qd = Quantization.perTensor(0.04f, -128);
        Quantization qa = Quantization.perTensor(0.07f, 3);
        byte[] w1 = random(4 * 3 * 3 * 3, 1);
        byte[] w2 = random(3 * 3 * 4, 2);
        int[] b1 = randomBias(4, 3);
        int[] b2 = randomBias(4, 4);
        float[] s2 = {0.011f, 0.02f, 0.007f, 0.015f};
        Value x = b.input("x", new int[] {1, 6, 5, 3}, DType.INT8, qx, Role.INPUT);
        Value cw = b.constant("c.weight", new int[] {4, 3, 3, 3}, Quantization.perTensor(0.01f, 0), w1);
        Value cb = b.constant("c.bias", new int[] {4}, b1);
        Value c = b.value("c", new int[] {1, 6, 5, 4}, DType.INT8, qc, Role.ACTIVATION);
        Value dw = b.constant("d.weight", new int[] {1, 3, 3, 4}, Quantization.perChannel(s2, 3), w2);
        Value db = b.constant("d.bias", new int[] {4}, b2);
        Value d = b.value("d", new int[] {1, 6, 5, 4}, DType.INT8, qd, Role.ACTIVATION);
        Value a = b.value("a", new int[] {1, 6, 5, 4}, DType.INT8, qa, Role.ACTIVATION);
        Activation relu = Activation.relu(-128);
        b.op(new Op.Conv2d(x, cw, cb, c, 1, 1, 1, 1, Activation.NONE))
                .op(new Op.DepthwiseConv2d(c, dw, db, d, 1, 1, 1, 1, relu))
                .op(new Op.Add(c, d, a, Activation.NONE))
                .outputs(a);
        Graph g = b.build();
        byte[] input = random(6 * 5 * 3, 5);

        ForwardInterpreter fi = new ForwardInterpreter(g, backend);
        byte[] out = fi.run(input);

        Dims dx = Dims.of(1, 6, 5, 3);
        Dims d4 = Dims.of(1, 6, 5, 4);
        byte[] ec = new byte[120];
        byte[] ed = new byte[120];
        byte[] ea = new byte[120];
        backend.conv2d(new ConvParams(-5, -7, 1, 1, 1, 1, Activation.NONE),
                ChannelQuant.of(0.03f, new float[] {0.01f, 0.01f, 0.01f, 0.01f}, 0.05f),
                dx, seg(input), Dims.of(4, 3, 3, 3), seg(w1), le(b1), d4, seg(ec));
        backend.depthwiseConv2d(new ConvParams(7, -128, 1, 1, 1, 1, relu), ChannelQuant.of(0.05f, s2, 0.04f),
                d4, seg(ec), Dims.of(1, 3, 3, 4), seg(w2), le(b2), d4, seg(ed));
        backend.add(AddParams.of(0.05f, -7, 0.04f, -128, 0.07f, 3, Activation.NONE), d4, seg(ec), d4, seg(ed), d4,
                seg(ea));

        assertArrayEquals(ec, fi.bytes(c));
        assertArrayEquals(ed, fi.bytes("d"));
        assertArrayEquals(ea, out);
        assertArrayEquals(input, fi.bytes(x));
        assertTrue(distinct(out) > 10, "a non-trivial output");
        // run again: same bytes; a different input: different bytes
        assertArrayEquals(out, fi.run(input));
        assertFalse(Arrays.equals(out, fi.run(random(90, 6))));
    }

    private static long distinct(byte[] b) {
        boolean[] seen = new boolean[256];
        for (byte e : b) {
            seen[e + 128] = true;
        }
        long n = 0;
        for (boolean s : seen) {
            n += s ? 1 : 0;
        }
        return n;
    }

    /** avg pool -> reshape (aliased) -> fully connected. */
    @Test
    void poolReshapeFullyConnectedMatchesDirectCalls() {
        Graph.Builder b = Graph.builder("head");
        Quantization qx = Quantization.perTensor(0.1f, -2);
        Quantization qy = Quantization.perTensor(0.2f, 1);
        byte[] w = random(5 * 12, 7);
        int[] bias = randomBias(5, 8);
        float[] ws = {0.01f, 0.02f, 0.03f, 0.015f, 0.005f};
        Value x = b.input("x", new int[] {1, 4, 4, 3}, DType.INT8, qx, Role.INPUT);
        Value p = b.value("p", new int[] {1, 2, 2, 3}, DType.INT8, qx, Role.ACTIVATION);
        Value r = b.value("r", new int[] {1, 12}, DType.INT8, qx, Role.ACTIVATION);
        Value fw = b.constant("fc.weight", new int[] {5, 12}, Quantization.perChannel(ws, 0), w);
        Value fb = b.constant("fc.bias", new int[] {5}, bias);
        Value y = b.value("y", new int[] {1, 5}, DType.INT8, qy, Role.ACTIVATION);
        b.op(new Op.AvgPool2d(x, p, 2, 2, 2, 2, 0, 0, Activation.NONE))
                .op(new Op.Reshape(p, r))
                .op(new Op.FullyConnected(r, fw, fb, y, Activation.NONE))
                .outputs(y);
        Graph g = b.build();
        byte[] input = random(48, 9);
        ForwardInterpreter fi = new ForwardInterpreter(g, backend);
        byte[] out = fi.run(input);

        byte[] ep = new byte[12];
        byte[] ey = new byte[5];
        backend.avgPool2d(new PoolParams(2, 2, 2, 2, 0, 0, Activation.NONE), Dims.of(1, 4, 4, 3), seg(input),
                Dims.of(1, 2, 2, 3), seg(ep));
        backend.fullyConnected(new FcParams(2, 1, Activation.NONE), ChannelQuant.of(0.1f, ws, 0.2f),
                Dims.of(1, 1, 1, 12), seg(ep), Dims.of(5, 1, 1, 12), seg(w), le(bias), Dims.of(1, 1, 1, 5), seg(ey));
        assertArrayEquals(ep, fi.bytes(p));
        assertArrayEquals(ep, fi.bytes(r));
        assertArrayEquals(ey, out);
    }

    @Test
    void wrongInputLengthIsAClearError() {
        Graph g = Architectures.build("mcunet-5fps", 32, 3, 10, 1);
        ForwardInterpreter fi = new ForwardInterpreter(g, backend);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fi.run(new byte[100]));
        assertEquals("graph mcunet-5fps: input %0 (input) [1, 32, 32, 3] needs 3072 bytes, got 100 bytes",
                e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> fi.bytes("nope")).getMessage()
                .contains("no value named 'nope'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> fi.bytes("conv0.weight")).getMessage()
                .contains("is a constant"));
    }
}
