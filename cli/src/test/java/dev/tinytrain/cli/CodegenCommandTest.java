package dev.tinytrain.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.tinytrain.codegen.DriverOutput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CodegenCommandTest {

    @TempDir
    Path tmp;

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void writesAProjectAndTheHostsExpectedOutput() throws Exception {
        Path dir = tmp.resolve("gen");
        Result r = run("codegen", "--model", "mcunet-5fps", "--resolution", "32", "--scheme", "mcunet-49kb",
                "--dataset", "synthetic:4", "--samples", "3", "--steps", "4", "--target", "cortex-m4", "--out",
                dir.toString(), "--expected", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = JSON.std.mapFrom(r.out());
        long arena = ((Number) j.get("arenaBytes")).longValue();
        long trained = ((Number) j.get("trainedSramBytes")).longValue();
        long state = ((Number) j.get("stateSramBytes")).longValue();
        assertEquals(arena + trained + state, ((Number) j.get("sramBytes")).longValue());
        assertTrue(trained > ((Number) j.get("trainedSliceBytes")).longValue(), r.out());
        assertEquals(3 * (32 * 32 * 3 + 4), ((Number) j.get("sampleFlashBytes")).longValue());
        assertTrue(Files.isRegularFile(dir.resolve("cmake/arm-none-eabi.cmake")));
        assertTrue(Files.readString(dir.resolve("samples.h")).contains("#define TT_DRIVER_STEPS 4u"));
        DriverOutput expected = DriverOutput.parse(Files.readString(dir.resolve("expected_output.txt")));
        assertEquals(4, expected.losses().length);
        assertEquals(j.get("expectedChecksum"), dev.tinytrain.codegen.ParameterChecksum.hex(expected.checksum()));
        assertEquals(arena, expected.arenaBytes());
    }

    @Test
    void overTheBudgetExitsThreeAndWritesNothing() {
        Path dir = tmp.resolve("none");
        Result r = run("codegen", "--model", "mcunet-5fps", "--resolution", "32", "--out", dir.toString(),
                "--budget", "16KB");
        assertEquals(3, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("does not fit the budget") && r.err().contains("16,384 B"), r.err());
        assertFalse(Files.exists(dir));
    }

    @Test
    void opsWithoutKernelsAndBadTargetsAreClearErrors() {
        Result r;
        r = run("codegen", "--model", "mcunet-5fps", "--out", tmp.resolve("t").toString(), "--target", "riscv");
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().contains("unknown target 'riscv'"), r.err());
        r = run("codegen", "--model", "mcunet-5fps", "--out", tmp.resolve("t").toString(), "--dataset", "synthetic:4",
                "--classes", "10");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("disagrees"), r.err());
    }
}
