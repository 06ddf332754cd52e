package dev.tinytrain.compile;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.TrainOp;
import dev.tinytrain.graph.Verifier;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.train.SchemeResolver;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainedLayer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pruned backward graph, read from the text dump. */
class AutodiffTest {

    private static Graph pruned(Graph forward, String scheme) {
        List<Op> convs = WeightLayers.of(forward);
        List<TrainedLayer> trained = SchemeResolver.resolve(forward, convs,
                SparseScheme.named(scheme, convs.size() - 1));
        Graph g = Autodiff.differentiate(forward, trained, true).graph();
        Verifier.verify(g);
        Graph p = Reorder.fuseUpdates(DeadCode.eliminate(g));
        Verifier.verify(p);
        return p;
    }

    private static Set<Integer> tensors(String dump, String mnemonic) {
        Set<Integer> ids = new TreeSet<>();
        Matcher m = Pattern.compile(" = " + mnemonic + " .* tensor=(\\d+)").matcher(dump);
        while (m.find()) {
            ids.add(Integer.parseInt(m.group(1)));
        }
        return ids;
    }

    private static long count(String dump, String regex) {
        return dump.lines().filter(l -> Pattern.compile(regex).matcher(l).find()).count();
    }

    @Test
    void mcunet49kbUpdatesOnlyTheSchemesParameters() {
        Graph forward = Architectures.build("mcunet-5fps", 48, 3, 4, 7);
        String dump = pruned(forward, "mcunet-49kb").dump();
        // weights: convs 24, 27, 30 (tensor 2*i) and the classifier (index 42)
        assertEquals(Set.of(48, 54, 60, 84), tensors(dump, "conv2d_weight_update"), dump);
        assertEquals(Set.of(), tensors(dump, "depthwise_conv2d_weight_update"));
        // biases: the last 20 indexed convs (22..41) and the classifier (tensor 2*i+1)
        Set<Integer> biases = new TreeSet<>();
        for (int i = 22; i <= 42; i++) {
            biases.add(2 * i + 1);
        }
        assertEquals(biases, tensors(dump, "bias_update"));
        // no input gradient below the earliest trained layer (conv 22 = block7.dw): nothing flows into block7.pw1's output
        assertTrue(!dump.contains("grad(block7.pw1"), "no gradient reaches below conv 22:\n" + dump);
        // partial layers save only their trained channels: conv 24 (block8.pw1, 3x3 map at 48x48 input)
        // trains 1/4 of its 48 input channels, conv 27 and 30 half of 48
        assertEquals(1, count(dump, "gather_channels .* int8\\[1,3,3,12\\]"), dump);
        assertEquals(2, count(dump, "gather_channels .* int8\\[1,3,3,24\\]"), dump);
    }

    @Test
    void fullTrainsEveryParameter() {
        Graph forward = Architectures.build("mcunet-5fps", 48, 3, 4, 7);
        Graph g = pruned(forward, "full");
        String dump = g.dump();
        int layers = WeightLayers.of(forward).size();
        Set<Integer> weights = new TreeSet<>(tensors(dump, "conv2d_weight_update"));
        weights.addAll(tensors(dump, "depthwise_conv2d_weight_update"));
        assertEquals(layers, weights.size());
        assertEquals(layers, tensors(dump, "bias_update").size());
        long updates = g.ops().stream().filter(op -> op instanceof TrainOp t && t.updatesParameter()).count();
        assertEquals(2L * layers, updates);
    }
}
