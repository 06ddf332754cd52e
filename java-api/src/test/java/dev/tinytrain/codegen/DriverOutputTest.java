package dev.tinytrain.codegen;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DriverOutputTest {

    static final String TEXT = """
            model mcunet-5fps mcunet-49kb
            arena 10256
            step 0 loss 3f2f093e
            step 1 loss 7fc00001
            step 2 loss 80000000
            checksum 5bf20a637f962398
            logits 12 33 -128 127
            done
            """;

    @Test
    void readsAndRendersTheDriversTextExactly() {
        DriverOutput d = DriverOutput.parse("semihosting boot banner\n" + TEXT.replace("\n", "\r\n"));
        assertEquals("mcunet-5fps", d.model());
        assertEquals(10256, d.arenaBytes());
        assertEquals(0x3f2f093e, Float.floatToRawIntBits(d.losses()[0]));
        assertEquals(0x7fc00001, Float.floatToRawIntBits(d.losses()[1]), "a NaN payload survives");
        assertEquals(0x80000000, Float.floatToRawIntBits(d.losses()[2]), "negative zero survives");
        assertEquals(0x5bf20a637f962398L, d.checksum());
        assertArrayEquals(new byte[] {12, 33, -128, 127}, d.logits());
        assertEquals(TEXT, d.toString());
        DriverOutput noLogits = DriverOutput.parse(TEXT.replace("logits 12 33 -128 127\n", ""));
        assertNull(noLogits.logits());
        assertTrue(noLogits.toString().endsWith("checksum 5bf20a637f962398\ndone\n"));
    }

    @Test
    void refusesErrorsGapsAndCutOutput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DriverOutput.parse("model m s\nerror step 3 op 17 status 1\n"));
        assertTrue(e.getMessage().contains("op 17"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DriverOutput.parse(TEXT.replace("step 1", "step 2")));
        assertTrue(e.getMessage().contains("expected step 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DriverOutput.parse(TEXT.replace("done\n", "")));
        assertTrue(e.getMessage().contains("incomplete"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DriverOutput.parse(TEXT.replace("loss 3f2f093e", "loss")));
        assertTrue(e.getMessage().contains("step 0 loss"), e.getMessage());
    }
}
