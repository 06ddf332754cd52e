package dev.tinytrain.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The input or output list an op reports: its values in order, absent (null) ones left out. */
final class OpValues {

    private OpValues() {
    }

    static List<Value> of(Value... values) {
        List<Value> l = new ArrayList<>(values.length);
        for (Value v : values) {
            if (v != null) {
                l.add(v);
            }
        }
        return Collections.unmodifiableList(l);
    }
}
