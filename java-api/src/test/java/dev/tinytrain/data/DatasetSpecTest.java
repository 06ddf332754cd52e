package dev.tinytrain.data;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetSpecTest {

    private static String error(String spec) {
        return assertThrows(DatasetException.class, () -> DatasetSpec.parse(spec)).getMessage();
    }

    @Test
    void parsesEveryKind() {
        assertEquals(new DatasetSpec.Synthetic(4), DatasetSpec.parse("synthetic:4"));
        assertSame(DatasetSpec.FASHION_MNIST, DatasetSpec.parse("fashion-mnist"));
        assertSame(DatasetSpec.MNIST, DatasetSpec.parse("MNIST"));
        assertEquals(10, DatasetSpec.FASHION_MNIST.classes());
        assertEquals("Ankle boot", DatasetSpec.FASHION_MNIST.classNames().get(9));
        DatasetSpec tux = DatasetSpec.parse("tuxpaint");
        assertEquals(List.of("animals", "food", "plants", "town", "vehicles"), tux.classNames());
        assertEquals("tuxpaint", tux.name());
        DatasetSpec two = DatasetSpec.parse("tuxpaint:vehicles, animals");
        assertEquals(List.of("vehicles", "animals"), two.classNames(), "labels in the order given");
        assertEquals("tuxpaint:vehicles,animals", two.name());
    }

    @Test
    void errorsSayWhatIsAccepted() {
        assertTrue(error("cifar10").contains("unknown dataset 'cifar10': use synthetic:<classes>, fashion-mnist, mnist"));
        assertTrue(error("synthetic:x").contains("whole number"));
        assertTrue(error("synthetic:1").contains("at least 2 classes"));
        String m = error("tuxpaint:animals,cars");
        assertTrue(m.contains("unknown category 'cars'") && m.contains("animals, clothes, food"), m);
        assertTrue(error("tuxpaint:animals,animals").contains("names a category twice"));
        assertTrue(error("tuxpaint:animals").contains("at least 2 categories"));
        assertTrue(error("tuxpaint:animals,").contains("unknown category ''"));
    }

    @Test
    void tuxPaintCategoriesFromThePinnedManifest() {
        // Counted independently from the package (find -name '*.png' per top folder, without *_mirror.png).
        Map<String, Integer> expected = new TreeMap<>(Map.ofEntries(
                Map.entry("animals", 146), Map.entry("clothes", 19), Map.entry("food", 67), Map.entry("hobbies", 13),
                Map.entry("household", 33), Map.entry("medical", 5), Map.entry("military", 8),
                Map.entry("naturalforces", 3), Map.entry("people", 6), Map.entry("plants", 39),
                Map.entry("seasonal", 59), Map.entry("space", 16), Map.entry("sports", 12), Map.entry("symbols", 247),
                Map.entry("town", 78), Map.entry("vehicles", 34)));
        assertEquals(List.copyOf(expected.keySet()), DatasetSpec.TuxPaint.available());
        Map<String, Integer> got = new TreeMap<>();
        for (String c : DatasetSpec.TuxPaint.available()) {
            got.put(c, Datasets.tuxPaintFiles(c).size());
            assertTrue(Datasets.tuxPaintFiles(c).stream().noneMatch(f -> f.path().endsWith("_mirror.png")));
        }
        assertEquals(expected, got);
        assertEquals(796, Packages.tuxPaintStamps().files().size(), "all PNGs are pinned, mirrors included");
    }

    @Test
    void manifestIsPinned() {
        String m = assertThrows(IllegalStateException.class,
                () -> Packages.readManifest(Packages.TUXPAINT_MANIFEST, "0".repeat(64))).getMessage();
        assertTrue(m.contains("has SHA-256 " + Packages.TUXPAINT_MANIFEST_SHA256 + ", pinned 0000"), m);
    }
}
