package dev.tinytrain.codegen;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * FNV-1a (64-bit) over trained parameters, the checksum a generated program prints
 * ({@code tt_model_checksum}) and the host computes over {@code TrainingSession.trainedParameters()}:
 * for each parameter in the order of their names ({@link String#compareTo}, so schedules that update
 * in different orders agree), the UTF-8 bytes of its name, then its data (int8 weights as bytes,
 * int32 biases as four little-endian bytes each). Offset basis 0xcbf29ce484222325, prime
 * 0x100000001b3. Tiny in C, so the device can compute it too.
 */
public final class ParameterChecksum {

    /** FNV-1a 64 offset basis. */
    public static final long OFFSET_BASIS = 0xcbf29ce484222325L;
    /** FNV-1a 64 prime. */
    public static final long PRIME = 0x100000001b3L;

    private ParameterChecksum() {
    }

    /**
     * @param trained name to {@code byte[]} (int8 weights) or {@code int[]} (int32 biases), any order
     */
    public static long of(Map<String, Object> trained) {
        long h = OFFSET_BASIS;
        for (Map.Entry<String, Object> e : new java.util.TreeMap<>(trained).entrySet()) {
            h = bytes(h, e.getKey().getBytes(StandardCharsets.UTF_8));
            switch (e.getValue()) {
                case byte[] b -> h = bytes(h, b);
                case int[] v -> {
                    for (int x : v) {
                        for (int k = 0; k < 4; k++) {
                            h = step(h, (x >>> (8 * k)) & 0xFF);
                        }
                    }
                }
                default -> throw new IllegalArgumentException("parameter " + e.getKey() + ": expected byte[] or int[],"
                        + " got " + e.getValue().getClass().getSimpleName());
            }
        }
        return h;
    }

    /** The checksum as the generated program prints it: 16 lower-case hex digits. */
    public static String hex(long checksum) {
        return String.format(Locale.ROOT, "%016x", checksum);
    }

    private static long bytes(long h, byte[] data) {
        for (byte b : data) {
            h = step(h, b & 0xFF);
        }
        return h;
    }

    private static long step(long h, int octet) {
        return (h ^ octet) * PRIME;
    }
}
