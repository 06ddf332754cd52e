package dev.tinytrain.data;

import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Splits, few-shot limits, training order and cache checks on a small IDX "package" written into a
 * temporary cache by the test. Every image stores its own index in its first two pixels, so a
 * prepared sample tells which source image it came from (with the built-in input quantization a
 * pixel p becomes p - 128).
 */
class DatasetsTest {

    private static final int[] TRAIN_PER_CLASS = {20, 30, 40, 50};
    private static final int TRAIN = 140;
    private static final int TEST = 40;
    private static final int[] SHAPE = {1, 6, 6, 1};
    private static final Quantization Q = Quantization.perTensor(2f / 255, 0);

    @TempDir
    Path tmp;

    private DataCache cache;
    private PackageSource src;
    private DatasetSpec.Idx spec;
    private byte[] trainLabels;

    /** The labels: class k has TRAIN_PER_CLASS[k] images, interleaved (k = i mod 4 while classes last). */
    private static byte[] labels(int[] perClass) {
        int n = Arrays.stream(perClass).sum();
        byte[] l = new byte[n];
        int[] left = perClass.clone();
        int k = 0;
        for (int i = 0; i < n; i++) {
            while (left[k % 4] == 0) {
                k++;
            }
            l[i] = (byte) (k % 4);
            left[k % 4]--;
            k++;
        }
        return l;
    }

    private static byte[] images(int n) {
        byte[] b = new byte[n * 36];
        for (int i = 0; i < n; i++) {
            b[i * 36] = (byte) (i % 256);
            b[i * 36 + 1] = (byte) (i / 256);
            for (int p = 2; p < 36; p++) {
                b[i * 36 + p] = (byte) (i * 7 + p * 13);
            }
        }
        return b;
    }

    private void writePackage(byte[] trainImages, byte[] trainLabelFile, byte[] testImages, byte[] testLabelFile) {
        Path dir = tmp.resolve("cache").resolve("tiny-idx-0.1");
        List<PinnedFile> pins = List.of(
                TestFiles.write(dir, "train-images-idx3-ubyte.gz", trainImages),
                TestFiles.write(dir, "train-labels-idx1-ubyte", trainLabelFile),
                TestFiles.write(dir, "t10k-images-idx3-ubyte.gz", testImages),
                TestFiles.write(dir, "t10k-labels-idx1-ubyte", testLabelFile));
        src = new PackageSource(PackageSource.Manager.NPM, "tiny-idx", "0.1", "package/data/", pins, 1, "tiny");
        spec = new DatasetSpec.Idx("tiny", "a tiny test set", src, List.of("a", "b", "c", "d"));
    }

    @BeforeEach
    void makePackage() {
        cache = new DataCache(tmp.resolve("cache"));
        trainLabels = labels(TRAIN_PER_CLASS);
        writePackage(TestFiles.gzip(TestFiles.idx(new int[] {TRAIN, 6, 6}, images(TRAIN))),
                TestFiles.idx(new int[] {TRAIN}, trainLabels),
                TestFiles.gzip(TestFiles.idx(new int[] {TEST, 6, 6}, images(TEST))),
                TestFiles.idx(new int[] {TEST}, labels(new int[] {10, 10, 10, 10})));
    }

    private DatasetOptions options() {
        return DatasetOptions.forInput(SHAPE, Q).withCache(cache).withFetchIfMissing(false).withProgress(s -> { });
    }

    /** The source index a prepared sample came from, read back from its first two pixels. */
    private static int sourceIndex(Sample s) {
        return (s.image()[0] + 128) + 256 * (s.image()[1] + 128);
    }

    private static List<Integer> indices(Dataset d) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) {
            Sample s = d.get(i);
            out.add(sourceIndex(s));
            assertEquals(d.label(i), s.label());
        }
        return out;
    }

    @Test
    void splitsAreFixedStratifiedAndDisjoint() {
        Splits a = Datasets.open(spec, options());
        Splits b = Datasets.open(spec, options().withSeed(99));      // the seed does not move the splits
        List<Integer> train = indices(a.train());
        List<Integer> val = indices(a.validation());
        assertEquals(train, indices(b.train()));
        assertEquals(val, indices(b.validation()));
        Set<Integer> overlap = new HashSet<>(train);
        overlap.retainAll(val);
        assertTrue(overlap.isEmpty(), "train and validation share " + overlap);
        TreeSet<Integer> all = new TreeSet<>(train);
        all.addAll(val);
        assertEquals(TRAIN, all.size());
        assertEquals(0, all.first());
        assertEquals(TRAIN - 1, all.last());
        for (int i = 0; i < a.validation().size(); i++) {                  // labels follow their images
            assertEquals(trainLabels[val.get(i)], a.validation().label(i));
        }
        assertArrayEquals(new int[] {2, 3, 4, 5}, Datasets.classCounts(a.validation()));   // round(10% of each class)
        assertArrayEquals(new int[] {18, 27, 36, 45}, Datasets.classCounts(a.train()));
        assertEquals(TEST, a.test().size());
        assertEquals(List.of(0, 1, 2, 3, 4), indices(a.test()).subList(0, 5), "the test set in file order");
        assertEquals(List.of("a", "b", "c", "d"), a.train().classNames());
        assertEquals("tiny/train", a.train().name());

        Splits quarter = Datasets.open(spec, options().withValidationFraction(0.25));
        assertArrayEquals(new int[] {5, 8, 10, 13}, Datasets.classCounts(quarter.validation()));  // 7.5 and 12.5 round up
        assertTrue(indices(quarter.validation()).containsAll(val), "a larger fraction extends the same shuffle");
    }

    @Test
    void preparedImagesFollowTheDocumentedPipeline() {
        Splits s = Datasets.open(spec, options().withValidationFraction(0));
        // 6x6 gray -> 6x6x1 with scale 2/255, zero point 0: q = p - 128 for every pixel.
        byte[] raw = images(TRAIN);
        for (int i = 0; i < 5; i++) {
            byte[] img = s.train().get(i).image();
            for (int p = 0; p < 36; p++) {
                assertEquals((raw[i * 36 + p] & 0xFF) - 128, img[p]);
            }
        }
        // 6x6 gray -> 3x3x3: 2x2 block means, replicated to three channels.
        DatasetOptions small = new DatasetOptions(new int[] {1, 3, 3, 3}, Q, PixelNormalization.SIGNED, 1, 0, 0, 10, 10,
                cache, false, x -> { });
        Dataset d = Datasets.open(spec, small).train();
        for (int i = 0; i < 3; i++) {
            byte[] img = d.get(i).image();
            for (int y = 0; y < 3; y++) {
                for (int x = 0; x < 3; x++) {
                    double m = 0;
                    for (int k = 0; k < 4; k++) {
                        m += raw[i * 36 + (2 * y + k / 2) * 6 + 2 * x + k % 2] & 0xFF;
                    }
                    double v = m / 4 - 128;                              // real/scale up to the float scale's rounding
                    for (int c = 0; c < 3; c++) {
                        assertEquals(v, img[(y * 3 + x) * 3 + c], 0.5 + 1e-4, "image " + i + " at " + y + "," + x);
                    }
                }
            }
        }
        assertEquals(TRAIN, s.train().size(), "no validation fraction: the whole training set trains");
    }

    @Test
    void fewShotLimitIsBalancedSeededAndInsideTrain() {
        Splits full = Datasets.open(spec, options());
        Set<Integer> train = new HashSet<>(indices(full.train()));
        Splits k7 = Datasets.open(spec, options().withLimitPerClass(7));
        assertArrayEquals(new int[] {7, 7, 7, 7}, Datasets.classCounts(k7.train()));
        assertTrue(train.containsAll(indices(k7.train())));
        assertEquals(indices(full.validation()), indices(k7.validation()), "validation is not limited");
        assertEquals(indices(k7.train()), indices(Datasets.open(spec, options().withLimitPerClass(7)).train()));
        assertNotEquals(indices(k7.train()), indices(Datasets.open(spec, options().withLimitPerClass(7).withSeed(2)).train()),
                "another seed draws another few-shot set");
        Splits k30 = Datasets.open(spec, options().withLimitPerClass(30));
        assertArrayEquals(new int[] {18, 27, 30, 30}, Datasets.classCounts(k30.train()), "smaller classes keep all");
        assertTrue(k7.rule().contains("at most 7 training samples per class"), k7.rule());
    }

    @Test
    void trainingOrderShufflesEachEpoch() {
        Dataset train = Datasets.open(spec, options().withLimitPerClass(5)).train();   // 20 samples
        int[] order = Datasets.trainingOrder(train, 50, 3);
        assertArrayEquals(order, Datasets.trainingOrder(train, 50, 3));
        int[] e0 = Arrays.copyOfRange(order, 0, 20);
        int[] e1 = Arrays.copyOfRange(order, 20, 40);
        int[] sorted0 = e0.clone();
        int[] sorted1 = e1.clone();
        Arrays.sort(sorted0);
        Arrays.sort(sorted1);
        int[] all = new int[20];
        Arrays.setAll(all, i -> i);
        assertArrayEquals(all, sorted0, "an epoch visits every sample once");
        assertArrayEquals(all, sorted1);
        assertTrue(!Arrays.equals(e0, e1) && !Arrays.equals(e0, all), "epochs are shuffled, differently");
        SyntheticDataset syn = new SyntheticDataset(3, 10, SHAPE, Q, 1, 0);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1}, Datasets.trainingOrder(syn, 12, 5),
                "synthetic streams are read in order");
    }

    @Test
    void evaluationSubsetIsFixed() {
        Dataset test = Datasets.open(spec, options()).test();
        Dataset s1 = Datasets.subset(test, 12);
        Dataset s2 = Datasets.subset(Datasets.open(spec, options().withSeed(5)).test(), 12);
        assertEquals(12, s1.size());
        assertEquals(indices(s1), indices(s2));
        assertEquals(12, new HashSet<>(indices(s1)).size());
        assertTrue(test == Datasets.subset(test, 40) && test == Datasets.subset(test, 1000));
    }

    @Test
    void damagedOrMissingCacheIsExplained() throws IOException {
        Path f = cache.file(src, src.file("train-labels-idx1-ubyte"));
        byte[] b = Files.readAllBytes(f);
        b[30] = (byte) (b[30] ^ 1);
        Files.write(f, b);
        String m = assertThrows(DatasetException.class, () -> Datasets.open(spec, options())).getMessage();
        assertTrue(m.startsWith("tiny: cached file " + f + " does not match its pinned checksum"), m);
        assertTrue(m.contains("Run `tinytrain dataset fetch tiny`, which downloads it again"), m);

        Files.delete(f);
        m = assertThrows(DatasetException.class, () -> Datasets.open(spec, options())).getMessage();
        assertTrue(m.contains("tiny is not in the cache") && m.contains("run `tinytrain dataset fetch tiny`"), m);
    }

    @Test
    void badLabelsAndCountsAreNamed() {
        byte[] bad = trainLabels.clone();
        bad[17] = 7;
        writePackage(TestFiles.gzip(TestFiles.idx(new int[] {TRAIN, 6, 6}, images(TRAIN))), TestFiles.idx(new int[] {TRAIN}, bad),
                TestFiles.gzip(TestFiles.idx(new int[] {TEST, 6, 6}, images(TEST))), TestFiles.idx(new int[] {TEST}, new byte[TEST]));
        String m = assertThrows(DatasetException.class, () -> Datasets.open(spec, options())).getMessage();
        assertTrue(m.endsWith("train-labels-idx1-ubyte: label 7 at byte offset 25 is not a class of tiny (0..3)"), m);

        writePackage(TestFiles.gzip(TestFiles.idx(new int[] {TRAIN, 6, 6}, images(TRAIN))),
                TestFiles.idx(new int[] {TRAIN - 1}, Arrays.copyOf(trainLabels, TRAIN - 1)),
                TestFiles.gzip(TestFiles.idx(new int[] {TEST, 6, 6}, images(TEST))), TestFiles.idx(new int[] {TEST}, new byte[TEST]));
        m = assertThrows(DatasetException.class, () -> Datasets.open(spec, options())).getMessage();
        assertTrue(m.contains("holds 140 images but") && m.contains("holds 139 labels"), m);

        writePackage(TestFiles.gzip(Arrays.copyOf(TestFiles.idx(new int[] {TRAIN, 6, 6}, images(TRAIN)), 1000)),
                TestFiles.idx(new int[] {TRAIN}, trainLabels),
                TestFiles.gzip(TestFiles.idx(new int[] {TEST, 6, 6}, images(TEST))), TestFiles.idx(new int[] {TEST}, new byte[TEST]));
        m = assertThrows(DatasetException.class, () -> Datasets.open(spec, options())).getMessage();
        assertTrue(m.contains("train-images-idx3-ubyte.gz: truncated: the data end at byte offset 1000 (offset in the "
                + "decompressed data), but the header (140x6x6) needs 5056 bytes"), m);
    }

    @Test
    void syntheticSplits() {
        Splits s = Datasets.open("synthetic:3", options().withSyntheticSizes(50, 20));
        assertEquals(50, s.train().size());
        assertEquals(20, s.test().size());
        assertEquals(20, s.validation().size());
        assertTrue(!Arrays.equals(s.test().get(0).image(), s.validation().get(0).image()), "disjoint streams");
        assertArrayEquals(new SyntheticDataset(3, 50, SHAPE, Q, 1, 0).get(7).image(), s.train().get(7).image(),
                "the same stream the train command always used");
        Splits k = Datasets.open("synthetic:3", options().withSyntheticSizes(50, 20).withLimitPerClass(4));
        assertArrayEquals(new int[] {4, 4, 4}, Datasets.classCounts(k.train()));
    }
}
