package dev.tinytrain.data;

import java.util.ArrayList;
import java.util.List;

/** A labelled image set, already in a model's int8 input layout. Implementations are deterministic. */
public interface Dataset {

    /** A short name, e.g. {@code synthetic:4} or {@code fashion-mnist/train}. */
    String name();

    int size();

    int classes();

    /** Image shape [1, h, w, c]. */
    int[] shape();

    /** Sample {@code i}, 0 <= i < size(). */
    Sample get(int i);

    /** The label of sample {@code i}, without preparing its image where the dataset can. */
    default int label(int i) {
        return get(i).label();
    }

    /** Class names by label ("0", "1", ... unless the dataset knows better). */
    default List<String> classNames() {
        List<String> n = new ArrayList<>();
        for (int k = 0; k < classes(); k++) {
            n.add(Integer.toString(k));
        }
        return n;
    }
}
