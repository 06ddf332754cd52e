package dev.tinytrain.graph;

/** The data of a constant value (weights, biases). Arrays are owned by the graph; do not modify. */
public sealed interface Constant {

    /** Number of elements. */
    int length();

    /** int8 data (weights). */
    record Int8(byte[] data) implements Constant {
        @Override
        public int length() {
            return data.length;
        }
    }

    /** int32 data (biases). */
    record Int32(int[] data) implements Constant {
        @Override
        public int length() {
            return data.length;
        }
    }
}
