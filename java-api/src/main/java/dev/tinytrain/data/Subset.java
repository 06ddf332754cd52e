package dev.tinytrain.data;

import java.util.List;

/** Some samples of another dataset, by index (a fixed evaluation sample, for instance). */
final class Subset implements Dataset {

    private final Dataset base;
    private final int[] indices;
    private final String name;

    Subset(Dataset base, int[] indices, String name) {
        for (int i : indices) {
            if (i < 0 || i >= base.size()) {
                throw new IndexOutOfBoundsException(base.name() + ": sample " + i + " of " + base.size());
            }
        }
        this.base = base;
        this.indices = indices.clone();
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public int classes() {
        return base.classes();
    }

    @Override
    public int[] shape() {
        return base.shape();
    }

    @Override
    public List<String> classNames() {
        return base.classNames();
    }

    @Override
    public int label(int i) {
        return base.label(indices[i]);
    }

    @Override
    public Sample get(int i) {
        return base.get(indices[i]);
    }
}
