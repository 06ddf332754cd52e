package dev.tinytrain.data;

/** A labelled image set, already in a model's int8 input layout. Implementations are deterministic. */
public interface Dataset {

    /** A short name, e.g. {@code synthetic:4}. */
    String name();

    int size();

    int classes();

    /** Image shape [1, h, w, c]. */
    int[] shape();

    /** Sample {@code i}, 0 <= i < size(). */
    Sample get(int i);
}
