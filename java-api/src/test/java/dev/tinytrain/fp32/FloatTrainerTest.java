package dev.tinytrain.fp32;

import dev.tinytrain.data.SyntheticDataset;
import dev.tinytrain.models.NetBuilder;
import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The trainer: same bits on one thread or two, a loss that falls, running statistics, schedules. */
class FloatTrainerTest {

    private static final Quantization IN = Quantization.perTensor(NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT);

    private static FloatNet train(int threads, int steps) {
        FloatNet net = FloatNet.create("mcunet-5fps", 16, 3, 3, 5);
        SyntheticDataset data = new SyntheticDataset(3, 16 * steps, new int[] {1, 16, 16, 3}, IN, 2, 0);
        FloatTrainConfig cfg = new FloatTrainConfig(1, 16, 0.05f, 0.9f, 1e-4f, 2, 3, 2, threads);
        try (FloatTrainer t = new FloatTrainer(net, new Fp32Reference(), cfg)) {
            t.trainEpoch(data, 0, null);
        }
        return net;
    }

    @Test
    void oneOrTwoThreadsGiveTheSameBits() {
        FloatNet a = train(1, 3);
        FloatNet b = train(2, 3);
        FloatNet fresh = FloatNet.create("mcunet-5fps", 16, 3, 3, 5);
        boolean moved = false;
        for (Param p : a.params().values()) {
            assertArrayEquals(p.data(), b.param(p.name()).data(), p.name());
            moved |= !java.util.Arrays.equals(p.data(), fresh.param(p.name()).data());
        }
        assertTrue(moved, "training changed nothing");
        // the running statistics moved from their initial 0 / 1 toward the batch statistics
        assertNotEquals(0f, a.param("block5.pw1.bn.running_mean").data()[0]);
        assertNotEquals(1f, a.param("block5.pw1.bn.running_var").data()[0]);
    }

    @Test
    void scheduleWarmsUpThenDecaysToZero() {
        FloatTrainConfig c = new FloatTrainConfig(1, 8, 0.2f, 0.9f, 0f, 10, 1, 1, 1);
        assertEquals(0.02, c.lrAt(0, 100), 1e-6);
        assertEquals(0.2, c.lrAt(9, 100), 1e-6);
        assertEquals(0.2, c.lrAt(10, 100), 1e-6);
        assertEquals(0.1, c.lrAt(55, 100), 1e-6);
        assertEquals(0.0, c.lrAt(100, 100), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> new FloatTrainConfig(1, 8, 0.1f, 0.9f, 0f, 0, 1, 9, 1));
        assertThrows(IllegalArgumentException.class, () -> new FloatTrainConfig(1, 8, -1f, 0.9f, 0f, 0, 1, 1, 1));
    }

    @Test
    void wrongImageShapeIsNamed() {
        FloatNet net = FloatNet.create("mcunet-5fps", 16, 3, 3, 5);
        SyntheticDataset data = new SyntheticDataset(3, 8, new int[] {1, 20, 20, 3}, IN, 2, 0);
        try (FloatTrainer t = new FloatTrainer(net, new Fp32Reference(), FloatTrainConfig.defaults(1, 1))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.accuracy(data, 4));
            assertTrue(e.getMessage().contains("[1, 20, 20, 3]"), e.getMessage());
        }
    }
}
