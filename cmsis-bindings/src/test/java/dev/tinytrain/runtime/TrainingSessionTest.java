package dev.tinytrain.runtime;

import dev.tinytrain.compile.CompileOptions;
import dev.tinytrain.compile.TrainingCompiler;
import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.compile.WeightLayers;
import dev.tinytrain.data.Sample;
import dev.tinytrain.data.SyntheticDataset;
import dev.tinytrain.ffm.NativeBackend;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Op;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.ReferenceBackend;
import dev.tinytrain.kernel.Rounding;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import dev.tinytrain.train.TrainedLayer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Training mcunet-5fps at 48x48 on synthetic:4 through the whole stack. */
class TrainingSessionTest {

    static Graph forward;
    static int convs;
    static SyntheticDataset train;
    static SyntheticDataset test;

    @BeforeAll
    static void model() {
        forward = Architectures.build("mcunet-5fps", 48, 3, 4, 1);
        convs = WeightLayers.of(forward).size() - 1;
        Value in = forward.inputs().getFirst();
        train = new SyntheticDataset(4, 300, in.shape(), in.quant(), 1, 0);
        test = new SyntheticDataset(4, 200, in.shape(), in.quant(), 1, 1);
    }

    private static TrainingProgram program(String scheme, TrainConfig config) {
        return TrainingCompiler.compile(forward, SparseScheme.named(scheme, convs), config);
    }

    private record Run(float[] losses, String checksum) {
    }

    private static Run run(TrainingProgram p, KernelBackend backend, int steps) {
        return run(p, backend, steps, MemoryPlan.simple(p.graph()));
    }

    private static Run run(TrainingProgram p, KernelBackend backend, int steps, MemoryPlan plan) {
        try (TrainingSession s = new TrainingSession(p, backend, plan)) {
            float[] losses = new float[steps];
            for (int i = 0; i < steps; i++) {
                Sample smp = train.get(i % train.size());
                losses[i] = s.trainStep(smp.image(), smp.label());
            }
            return new Run(losses, s.weightsChecksum());
        }
    }

    @Test
    void nativeAndReferenceTrainBitIdentically() {
        for (Rounding r : Rounding.values()) {
            TrainingProgram p = program("mcunet-99kb", TrainConfig.defaults(0.004f).withRounding(r)
                    .withMomentum(r == Rounding.NEAREST ? 0.9f : 0f));
            Run nat = run(p, new NativeBackend(), 20);
            Run ref = run(p, new ReferenceBackend(), 20);
            assertArrayEquals(ref.losses(), nat.losses(), "losses, rounding " + r);
            assertEquals(ref.checksum(), nat.checksum(), "trained parameters, rounding " + r);
            Run again = run(p, new NativeBackend(), 20);
            assertArrayEquals(nat.losses(), again.losses(), "a second run is identical, rounding " + r);
            assertEquals(nat.checksum(), again.checksum(), "a second run is identical, rounding " + r);
        }
    }

    @Test
    void aPlannedArenaTrainsBitIdenticallyToTheSimplePlan() {
        for (String scheme : java.util.List.of("mcunet-99kb", "full")) {
            TrainingProgram p = program(scheme, TrainConfig.defaults(0.004f));
            MemoryPlan planned = MemoryPlan.planned(p.graph());
            MemoryPlan simple = MemoryPlan.simple(p.graph());
            assertTrue(planned.arenaBytes() < simple.arenaBytes() / 3, scheme + ": " + planned.arenaBytes() + " vs "
                    + simple.arenaBytes());
            Run a = run(p, new NativeBackend(), 12, simple);
            Run b = run(p, new NativeBackend(), 12, planned);
            assertArrayEquals(a.losses(), b.losses(), scheme);
            assertEquals(a.checksum(), b.checksum(), scheme);
        }
    }

    /**
     * Every memory-saving choice (reordering with fused updates, conv + depthwise fusion, in-place
     * ops, the planned arena) changes where bytes live and when, never a result: each of the eight
     * option sets trains bit-identically to the unfused, unreordered program on the simple plan.
     */
    @Test
    void everyMemorySavingChoiceTrainsBitIdentically() {
        TrainConfig c = TrainConfig.defaults(0.004f).withMomentum(0.9f);
        for (String scheme : java.util.List.of("mcunet-49kb", "last-k:6")) {
            TrainingProgram base = TrainingCompiler.compile(forward, SparseScheme.named(scheme, convs), c,
                    new CompileOptions(false, false, false));
            Run expected = run(base, new NativeBackend(), 8, MemoryPlan.simple(base.graph()));
            for (int k = 0; k < 8; k++) {
                CompileOptions o = new CompileOptions((k & 1) != 0, (k & 2) != 0, (k & 4) != 0);
                TrainingProgram p = TrainingCompiler.compile(forward, SparseScheme.named(scheme, convs), c, o);
                MemoryPlan plan = MemoryPlan.of(p);
                Run got = run(p, new NativeBackend(), 8, plan);
                assertArrayEquals(expected.losses(), got.losses(), scheme + " " + o);
                assertEquals(expected.checksum(), got.checksum(), scheme + " " + o);
                if (k == 7) {
                    Run ref = run(p, new ReferenceBackend(), 8, plan);
                    assertArrayEquals(expected.losses(), ref.losses(), scheme + " " + o + " (reference)");
                    assertEquals(expected.checksum(), ref.checksum(), scheme + " " + o + " (reference)");
                }
            }
        }
    }

    @Test
    void learnsTheSyntheticTask() {
        // 300 steps at batch 1, lr 0.004 with QAS: chance is 25%; this setup measured 57.5% on the
        // 200 held-out samples (and 25% at the same lr without QAS, where lr means integer units).
        TrainingProgram p = program("mcunet-99kb", TrainConfig.defaults(0.004f));
        try (TrainingSession s = new TrainingSession(p, new NativeBackend())) {
            double before = s.evaluate(test);
            float first = 0;
            float last = 0;
            for (int i = 0; i < 300; i++) {
                Sample smp = train.get(i);
                float loss = s.trainStep(smp.image(), smp.label());
                if (i < 50) {
                    first += loss / 50;
                }
                if (i >= 250) {
                    last += loss / 50;
                }
            }
            double after = s.evaluate(test);
            System.out.printf("[train] mcunet-99kb 48x48 synthetic:4: accuracy %.3f -> %.3f, loss %.3f -> %.3f%n",
                    before, after, first, last);
            assertTrue(after >= 0.45, "accuracy after 300 steps " + after + " (chance 0.25)");
            assertTrue(last < first, "loss falls: " + first + " -> " + last);
        }
    }

    @Test
    void sparseUpdatesEqualFullUpdatesOnTheTrainedSlice() {
        // One step from the same weights: the gradient reaching a layer does not depend on what else
        // trains (input gradients are taken before each layer's update), so with nearest rounding
        // the trained channels move identically under `full` and under the sparse scheme.
        TrainConfig c = new TrainConfig(true, Rounding.NEAREST, 0.05f, 0f, 0);
        TrainingProgram sparse = program("mcunet-99kb", c);
        TrainingProgram full = program("full", c);
        Sample smp = train.get(3);
        Map<String, Object> ps;
        Map<String, Object> pf;
        try (TrainingSession s = new TrainingSession(sparse, new NativeBackend());
             TrainingSession f = new TrainingSession(full, new NativeBackend())) {
            assertEquals(s.trainStep(smp.image(), smp.label()), f.trainStep(smp.image(), smp.label()));
            ps = s.trainedParameters();
            pf = f.trainedParameters();
        }
        int partial = 0;
        for (TrainedLayer t : sparse.trained()) {
            Value w = weightOf(t.op());
            if (t.weights()) {
                byte[] before = forward.int8(w);
                byte[] sw = (byte[]) ps.get(w.name());
                byte[] fw = (byte[]) pf.get(w.name());
                int c0 = w.shape()[3];
                boolean[] trained = new boolean[c0];
                for (int ch : t.channels()) {
                    trained[ch] = true;
                }
                for (int i = 0; i < sw.length; i++) {
                    if (trained[i % c0]) {
                        assertEquals(fw[i], sw[i], w.name() + " element " + i + " (trained channel)");
                    } else {
                        assertEquals(before[i], sw[i], w.name() + " element " + i + " (frozen channel)");
                    }
                }
                if (t.channels().length < c0) {
                    partial++;
                    assertTrue(!Arrays.equals(before, fw), w.name() + " moved under full");
                }
            }
            if (t.bias()) {
                Value b = biasOf(t.op());
                assertArrayEquals((int[]) pf.get(b.name()), (int[]) ps.get(b.name()), b.name());
            }
        }
        assertEquals(2, partial, "mcunet-99kb has two partial layers (1/8 and 1/4)");
        assertNotEquals(0, sparse.trained().size());
    }

    @Test
    void badInputIsAClearError() {
        TrainingProgram p = program("last-layer", TrainConfig.defaults(0.001f));
        try (TrainingSession s = new TrainingSession(p, new ReferenceBackend())) {
            IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
                    () -> s.trainStep(train.get(0).image(), 4));
            assertTrue(label.getMessage().contains("label 4 is out of range: the model has 4 classes"), label.getMessage());
            IllegalArgumentException image = assertThrows(IllegalArgumentException.class,
                    () -> s.trainStep(new byte[100], 0));
            assertTrue(image.getMessage().contains("image must be 6912 bytes (int8 [1, 48, 48, 3]), got 100"),
                    image.getMessage());
        }
    }

    private static Value weightOf(Op op) {
        return switch (op) {
            case Op.Conv2d c -> c.weight();
            case Op.DepthwiseConv2d d -> d.weight();
            case Op.FullyConnected f -> f.weight();
            default -> throw new IllegalArgumentException(op.mnemonic());
        };
    }

    private static Value biasOf(Op op) {
        return switch (op) {
            case Op.Conv2d c -> c.bias();
            case Op.DepthwiseConv2d d -> d.bias();
            case Op.FullyConnected f -> f.bias();
            default -> throw new IllegalArgumentException(op.mnemonic());
        };
    }
}
