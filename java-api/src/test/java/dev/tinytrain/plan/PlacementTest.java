package dev.tinytrain.plan;

import dev.tinytrain.compile.TrainingCompiler;
import dev.tinytrain.compile.TrainingProgram;
import dev.tinytrain.compile.WeightLayers;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Role;
import dev.tinytrain.models.Architectures;
import dev.tinytrain.runtime.MemoryPlan;
import dev.tinytrain.train.SparseScheme;
import dev.tinytrain.train.TrainConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Property tests of the placement: no two live buffers overlap; arena >= live-set lower bound. */
class PlacementTest {

    @Test
    void randomIntervalSets() {
        long seed = 0x5EED;
        SplittableRandom r = new SplittableRandom(seed);
        for (int c = 0; c < 300; c++) {
            List<Buffer> buffers = new ArrayList<>();
            int n = r.nextInt(1, 40);
            for (int i = 0; i < n; i++) {
                int first = r.nextInt(0, 30);
                buffers.add(new Buffer(i, 16L * r.nextInt(0, 64), first, first + r.nextInt(0, 10), Role.ACTIVATION));
            }
            long bound = Lifetimes.lowerBound(buffers);
            for (Placement p : Placement.values()) {
                Map<Integer, Long> offsets = p.placeBuffers(buffers);
                Placement.checkNoOverlap(buffers, offsets);
                long arena = Placement.arenaBytes(buffers, offsets);
                assertTrue(arena >= bound, p + " case " + c + " (seed " + seed + "): arena " + arena + " < bound " + bound);
            }
        }
    }

    @Test
    void overlapCheckerCatchesOverlap() {
        List<Buffer> b = List.of(new Buffer(0, 32, 0, 2, Role.ACTIVATION), new Buffer(1, 32, 2, 3, Role.ACTIVATION));
        assertThrows(IllegalStateException.class, () -> Placement.checkNoOverlap(b, Map.of(0, 0L, 1, 16L)));
        Placement.checkNoOverlap(b, Map.of(0, 0L, 1, 32L));
        // disjoint lifetimes may share bytes
        List<Buffer> d = List.of(new Buffer(0, 32, 0, 1, Role.ACTIVATION), new Buffer(1, 32, 2, 3, Role.ACTIVATION));
        Placement.checkNoOverlap(d, Map.of(0, 0L, 1, 0L));
        assertEquals(32, Placement.arenaBytes(d, Placement.GREEDY_BY_SIZE.placeBuffers(d)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mcunet-5fps", "mobilenetv2-w0.35", "proxylessnas-w0.3"})
    void theModelsTrainingProgramsPlanWithinBounds(String model) {
        Graph forward = Architectures.build(model, 64, 3, 10, 1);
        int convs = WeightLayers.of(forward).size() - 1;
        for (String scheme : List.of("last-k:6", "full")) {
            TrainingProgram p = TrainingCompiler.compile(forward, SparseScheme.named(scheme, convs),
                    TrainConfig.defaults(0.001f));
            MemoryPlan plan = MemoryPlan.planned(p.graph());
            MemoryPlan simple = MemoryPlan.simple(p.graph());
            assertTrue(plan.arenaBytes() >= plan.lowerBoundBytes());
            assertTrue(plan.arenaBytes() < simple.arenaBytes(), model + " " + scheme);
            System.out.printf("[plan] %s 64x64 %-9s arena %,d B (lower bound %,d, %s); no reuse %,d B%n", model,
                    scheme, plan.arenaBytes(), plan.lowerBoundBytes(), plan.strategy(), simple.arenaBytes());
        }
    }
}
