package dev.tinytrain.data;

import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticDatasetTest {

    private static final int[] SHAPE = {1, 16, 16, 3};
    private static final Quantization Q = Quantization.perTensor(2f / 255, 0);

    @Test
    void deterministicBalancedAndSplit() {
        SyntheticDataset a = SyntheticDataset.parse("synthetic:4", 400, SHAPE, Q, 7, 0);
        SyntheticDataset b = SyntheticDataset.parse("synthetic:4", 400, SHAPE, Q, 7, 0);
        SyntheticDataset t = SyntheticDataset.parse("synthetic:4", 400, SHAPE, Q, 7, 1);
        int[] counts = new int[4];
        for (int i = 0; i < a.size(); i++) {
            Sample s = a.get(i);
            assertArrayEquals(s.image(), b.get(i).image());
            assertEquals(s.label(), b.get(i).label());
            assertEquals(16 * 16 * 3, s.image().length);
            counts[s.label()]++;
        }
        for (int c : counts) {
            assertTrue(c > 60, "every class appears: " + java.util.Arrays.toString(counts));
        }
        assertFalse(java.util.Arrays.equals(a.get(0).image(), t.get(0).image()), "train and test differ");
        assertEquals("synthetic:4", a.name());
    }

    @Test
    void learnableByTheNearestClassMean() {
        // the task carries class information: class-mean templates from 200 samples classify 100 held-out
        // samples far above chance (1/3)
        SyntheticDataset d = SyntheticDataset.parse("synthetic:3", 300, SHAPE, Q, 3, 0);
        int n = 16 * 16 * 3;
        double[][] mean = new double[3][n];
        int[] count = new int[3];
        for (int i = 0; i < 200; i++) {
            Sample s = d.get(i);
            count[s.label()]++;
            for (int k = 0; k < n; k++) {
                mean[s.label()][k] += s.image()[k];
            }
        }
        int correct = 0;
        for (int i = 200; i < 300; i++) {
            Sample s = d.get(i);
            int best = -1;
            double bestDist = Double.MAX_VALUE;
            for (int c = 0; c < 3; c++) {
                double dist = 0;
                for (int k = 0; k < n; k++) {
                    double e = s.image()[k] - mean[c][k] / count[c];
                    dist += e * e;
                }
                if (dist < bestDist) {
                    bestDist = dist;
                    best = c;
                }
            }
            correct += best == s.label() ? 1 : 0;
        }
        assertTrue(correct >= 60, "nearest class mean: " + correct + " / 100");
    }

    @Test
    void badSpecs() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> SyntheticDataset.parse("synthetic:x", 10, SHAPE, Q, 1, 0)).getMessage().contains("whole number"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> SyntheticDataset.parse("synthetic:1", 10, SHAPE, Q, 1, 0)).getMessage().contains("at least 2"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> SyntheticDataset.parse("mnist", 10, SHAPE, Q, 1, 0)).getMessage().contains("synthetic:<classes>"));
    }
}
