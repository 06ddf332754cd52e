package dev.tinytrain.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void versionAndHelp() {
        Run v = run("--version");
        assertEquals(0, v.code());
        assertTrue(v.out().startsWith("tinytrain 0."), v.out());
        Run h = run("--help");
        assertEquals(0, h.code());
        assertTrue(h.out().contains("kernels") && h.out().contains("Usage: tinytrain"), h.out());
    }

    @Test
    void kernelsShowsTheNativeBackendAndItsPaths() {
        Run k = run("kernels");
        assertEquals(0, k.code(), k.err());
        assertTrue(k.out().contains("backend:  native (C kernels"), k.out());
        assertTrue(k.out().contains("tt_depthwise_conv2d_s8") && k.out().contains("tt_mean_s8"), k.out());
        assertTrue(k.out().contains("tt_conv2d_grad_weight_update_s8") && k.out().contains("tt_softmax_xent_s8"), k.out());
        assertTrue(k.out().contains("ISA:"), k.out());
    }

    @Test
    void kernelsJsonIsOneObject() {
        Run k = run("kernels", "--json");
        assertEquals(0, k.code(), k.err());
        String json = k.out().strip();
        assertTrue(json.startsWith("{\"backend\":\"native\"") && json.endsWith("}"), json);
        assertTrue(json.contains("\"symbol\":\"tt_conv2d_1x1_s8\""), json);
        assertTrue(json.contains("\"symbol\":\"tt_bias_grad_update_s32\",\"pass\":\"training\""), json);
        assertEquals(1, json.lines().count());
    }

    @Test
    void unknownOptionIsAClearError() {
        Run bad = run("kernels", "--frobnicate");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("Unknown option: '--frobnicate'"), bad.err());
    }
}
