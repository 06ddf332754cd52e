package dev.tinytrain.models;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.ReferenceBackend;
import dev.tinytrain.runtime.ForwardInterpreter;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetBuilderTest {

    /** A small net: conv, inverted residual block with a residual, pool, classifier. */
    private static NetBuilder small(Value[] keep) {
        NetBuilder nb = new NetBuilder("tiny", 42);
        Value x = nb.input("input", 1, 9, 9, 2);
        Value c = nb.conv("conv0", x, 3, 2, 8, true);
        Value h = nb.pointwise("b.pw1", c, 16, true);
        h = nb.depthwise("b.dw", h, 5, 1, true);
        h = nb.pointwise("b.pw2", h, 8, false);
        Value a = nb.add("b.add", c, h);
        Value p = nb.mean("pool", a);
        Value logits = nb.classifier("classifier", p, 5);
        nb.outputs(logits);
        keep[0] = x;
        keep[1] = logits;
        return nb;
    }

    @Test
    void shapesAndStructure() {
        Value[] keep = new Value[2];
        Graph g = small(keep).build();
        // odd input 9, k 3, stride 2, pad 1: (9 + 2 - 3) / 2 + 1 = 5
        assertArrayEquals(new int[] {1, 5, 5, 8}, g.ops().getFirst().outputs().getFirst().shape());
        Op.DepthwiseConv2d dw = assertInstanceOf(Op.DepthwiseConv2d.class, g.ops().get(2));
        assertEquals(2, dw.padH());
        assertArrayEquals(new int[] {1, 5, 5, 1, 16}, new int[] {1, dw.kernelH(), dw.kernelW(), 1,
                dw.output().shape()[3]});
        assertArrayEquals(new int[] {1, 5}, keep[1].shape());
        assertEquals(List.of("conv2d", "conv2d", "depthwise_conv2d", "conv2d", "add", "mean", "conv2d", "reshape"),
                g.ops().stream().map(Op::mnemonic).toList());
        assertEquals(5, Architectures.convs(g).size());
    }

    @Test
    void calibrationForwardIsTheInterpretersForward() {
        Value[] keep = new Value[2];
        NetBuilder nb = small(keep);
        Graph g = nb.build();
        ForwardInterpreter fi = new ForwardInterpreter(g, new ReferenceBackend());
        byte[] out = fi.run(nb.calibrationData(keep[0]));
        assertArrayEquals(nb.calibrationData(keep[1]), out);
        for (Op op : g.ops()) {
            Value v = op.outputs().getFirst();
            assertArrayEquals(nb.calibrationData(v), fi.bytes(v), v.name());
        }
    }

    @Test
    void mistakesAreClearErrors() {
        NetBuilder nb = new NetBuilder("bad", 1);
        Value x = nb.input("input", 1, 4, 4, 3);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> nb.input("input", 1, 4, 4, 3)).getMessage()
                .contains("layer name 'input' is used twice"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> nb.conv("c", x, 2, 1, 4, true)).getMessage()
                .contains("kernel size must be odd"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> nb.depthwise("d", x, 3, 0, true)).getMessage()
                .contains("d: stride must be >= 1, got 0"));
        Value y = nb.conv("c", x, 3, 2, 4, true);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> nb.add("a", x, y)).getMessage()
                .contains("a: residual add needs equal shapes"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> nb.classifier("fc", y, 3)).getMessage()
                .contains("reads a pooled [n, 1, 1, C] map"));
        NetBuilder other = new NetBuilder("other", 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> other.pointwise("p", y, 4, false)).getMessage()
                .contains("was not built by this NetBuilder"));
    }
}
