package dev.tinytrain.data;

import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real packages, when the user's cache holds them ({@code tinytrain dataset fetch fashion-mnist
 * mnist tuxpaint}); skipped otherwise, since tests never download. Expected counts are the datasets'
 * published ones.
 */
class RealPackagesTest {

    private static final DataCache CACHE = DataCache.user();

    private static DatasetOptions options() {
        return DatasetOptions.forInput(new int[] {1, 32, 32, 3}, Quantization.perTensor(2f / 255, 0))
                .withCache(CACHE).withFetchIfMissing(false);
    }

    private static void assumeCached(PackageSource src) {
        assumeTrue(CACHE.isComplete(src), src.spec() + " is not in the cache " + CACHE.dir(src)
                + ": run `tinytrain dataset fetch " + src.spec() + "` to include this test");
    }

    private static int[] sum(int[] a, int[] b) {
        int[] s = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            s[i] = a[i] + b[i];
        }
        return s;
    }

    @Test
    void fashionMnist() {
        assumeCached(Packages.FASHION_MNIST);
        Splits s = Datasets.open(DatasetSpec.FASHION_MNIST, options());
        assertEquals(60_000, s.train().size() + s.validation().size());
        assertEquals(10_000, s.test().size());
        int[] six = new int[10];
        java.util.Arrays.fill(six, 6000);
        int[] one = new int[10];
        java.util.Arrays.fill(one, 1000);
        assertArrayEquals(six, sum(Datasets.classCounts(s.train()), Datasets.classCounts(s.validation())));
        assertArrayEquals(one, Datasets.classCounts(s.test()));
        assertEquals(9, s.test().label(0), "the first t10k image is an ankle boot");
        assertEquals(3072, s.test().get(0).image().length);
    }

    @Test
    void mnist() {
        assumeCached(Packages.MNIST);
        Splits s = Datasets.open(DatasetSpec.MNIST, options());
        assertArrayEquals(new int[] {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949},
                sum(Datasets.classCounts(s.train()), Datasets.classCounts(s.validation())));
        assertArrayEquals(new int[] {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, Datasets.classCounts(s.test()));
        assertEquals(7, s.test().label(0), "the first t10k digit is a 7");
        // MNIST digits are white on black: the corner is background, the centre has ink somewhere.
        byte[] img = s.test().get(0).image();
        assertEquals(-128, img[0]);
    }

    @Test
    void tuxPaintDefaultCategoriesDecode() {
        assumeCached(Packages.tuxPaintStamps());
        Splits s = Datasets.open("tuxpaint", options());
        int[] total = sum(sum(Datasets.classCounts(s.train()), Datasets.classCounts(s.validation())),
                Datasets.classCounts(s.test()));
        assertArrayEquals(new int[] {146, 67, 39, 78, 34}, total);
        int images = 0;
        int whiteCorners = 0;
        for (Dataset d : List.of(s.train(), s.validation(), s.test())) {
            for (int i = 0; i < d.size(); i++) {
                byte[] img = d.get(i).image();
                assertEquals(3072, img.length);
                images++;
                if (img[0] == 127 && img[3 * 31] == 127 && img[3 * 32 * 31] == 127 && img[3072 - 3] == 127) {
                    whiteCorners++;
                }
            }
        }
        // Stamps are cut-outs on transparent backgrounds, composited on white; a few (road signs) fill their frame.
        assertTrue(whiteCorners > 0.9 * images, whiteCorners + " of " + images + " stamps have four white corners");
    }

    @Test
    void everyPinnedStampDecodes() {
        PackageSource src = Packages.tuxPaintStamps();
        assumeCached(src);
        int gray = 0;
        for (PinnedFile f : src.files()) {
            byte[] png = CACHE.readVerified(src, f);
            Image img = PngImages.read(f.path(), png);
            int[] wh = PngImages.size(f.path(), png);
            assertEquals(wh[0], img.width(), f.path());
            assertEquals(wh[1], img.height(), f.path());
            gray += img.channels() == 1 ? 1 : 0;
        }
        assertTrue(gray > 0 && gray < src.files().size(), "both gray and colour stamps: " + gray + " gray");
    }
}
