package dev.tinytrain.codegen;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ParameterChecksumTest {

    private static long of(String name, Object data) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(name, data);
        return ParameterChecksum.of(m);
    }

    @Test
    void matchesThePublishedFnv1a64Vectors() {
        // FNV-1a 64 test vectors from the algorithm's authors: "" , "a", "foobar"
        assertEquals(0xcbf29ce484222325L, ParameterChecksum.of(Map.of()));
        assertEquals(0xaf63dc4c8601ec8cL, of("a", new byte[0]));
        assertEquals(0x85944171f73967e8L, of("foobar", new byte[0]));
        assertEquals(0x85944171f73967e8L, of("foo", "bar".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertEquals("85944171f73967e8", ParameterChecksum.hex(0x85944171f73967e8L));
    }

    @Test
    void hashesParametersInTheOrderOfTheirNames() {
        Map<String, Object> ab = new LinkedHashMap<>();
        ab.put("a", new byte[] {1});
        ab.put("b", new int[] {2});
        Map<String, Object> ba = new LinkedHashMap<>();
        ba.put("b", new int[] {2});
        ba.put("a", new byte[] {1});
        assertEquals(ParameterChecksum.of(ab), ParameterChecksum.of(ba));
        assertEquals(of("a", new byte[] {1, 'b', 2, 0, 0, 0}), ParameterChecksum.of(ba));
    }

    @Test
    void hashesInt32AsFourLittleEndianBytes() {
        long asInts = of("b", new int[] {0x64636261, -1});
        long asBytes = of("b", new byte[] {'a', 'b', 'c', 'd', -1, -1, -1, -1});
        assertEquals(asBytes, asInts);
        assertNotEquals(of("b", new int[] {0x61626364}), asInts);
        assertThrows(IllegalArgumentException.class, () -> of("x", new float[1]));
    }
}
