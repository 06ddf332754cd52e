package dev.tinytrain.compile;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Fuses a conv with the depthwise conv that consumes its output into one {@link Op.ConvDepthwise}
 * wherever that intermediate activation is read by nothing else (no clamp mask, no saved
 * channels, no second reader: true in every block below the first trained layer). The fused op
 * takes the depthwise conv's place; its kernel computes the intermediate one channel at a time,
 * so the biggest activations of an inverted-residual network never exist whole.
 */
public final class FuseConvDepthwise {

    private FuseConvDepthwise() {
    }

    public static Graph fuse(Graph g) {
        List<Op> ops = g.ops();
        Set<Op> absorbed = new HashSet<>();
        List<Op> out = new ArrayList<>(ops.size());
        for (Op op : ops) {
            if (op instanceof Op.DepthwiseConv2d d) {
                Value mid = d.input();
                if (g.producer(mid) instanceof Op.Conv2d c && !g.outputs().contains(mid)
                        && g.consumers(mid).size() == 1) {
                    absorbed.add(c);
                    out.add(new Op.ConvDepthwise(c, d));
                    continue;
                }
            }
            out.add(op);
        }
        out.removeIf(absorbed::contains);
        return g.withOps(out);
    }
}
