package dev.tinytrain.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainCommandTest {

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    private static Map<String, Object> json(String backend) throws Exception {
        Run r = run("train", "--model", "mcunet-5fps", "--resolution", "32", "--scheme", "mcunet-99kb",
                "--dataset", "synthetic:4", "--steps", "6", "--eval", "8", "--json", "--backend", backend);
        assertEquals(0, r.code(), r.err());
        return JSON.std.mapFrom(r.out());
    }

    @Test
    void nativeAndReferenceGiveTheSameLossesAndWeights() throws Exception {
        Map<String, Object> nat = json("native");
        Map<String, Object> ref = json("reference");
        assertEquals(ref.get("losses"), nat.get("losses"));
        assertEquals(ref.get("weightsChecksum"), nat.get("weightsChecksum"));
        assertEquals(6, ((java.util.List<?>) nat.get("losses")).size());
        assertEquals(nat.get("weightsChecksum"), json("native").get("weightsChecksum"), "and the same twice");
    }

    @Test
    void humanOutputShowsEveryStepAndTheAccuracy() {
        Run r = run("train", "--model", "mcunet-5fps", "--resolution", "32", "--scheme", "last-layer",
                "--dataset", "synthetic:3", "--steps", "3", "--eval", "6");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("step 3/3 loss "), r.out());
        assertTrue(r.out().contains("accuracy on 6 held-out samples"), r.out());
    }

    @Test
    void badArgumentsAreNamed() {
        Run scheme = run("train", "--model", "mcunet-5fps", "--resolution", "32", "--scheme", "mcunet-1kb",
                "--dataset", "synthetic:4", "--steps", "1");
        assertEquals(2, scheme.code());
        assertTrue(scheme.err().contains("unknown scheme 'mcunet-1kb'"), scheme.err());
        Run data = run("train", "--model", "mcunet-5fps", "--dataset", "cifar10", "--steps", "1");
        assertEquals(2, data.code());
        assertTrue(data.err().contains("unknown dataset 'cifar10': use synthetic:<classes>, fashion-mnist, mnist, tuxpaint"),
                data.err());
        Run eval = run("train", "--model", "mcunet-5fps", "--dataset", "synthetic:2", "--eval", "0");
        assertEquals(2, eval.code());
        assertTrue(eval.err().contains("--eval must be a number >= 1 or 'all', got '0'"), eval.err());
        Run split = run("train", "--model", "mcunet-5fps", "--dataset", "synthetic:2", "--eval-on", "train");
        assertEquals(2, split.code());
        assertTrue(split.err().contains("--eval-on must be test or validation"), split.err());
        Run rounding = run("train", "--model", "mcunet-5fps", "--dataset", "synthetic:2", "--rounding", "up");
        assertEquals(2, rounding.code());
        assertTrue(rounding.err().contains("--rounding must be"), rounding.err());
        Run model = run("train", "--model", "resnet", "--dataset", "synthetic:2", "--steps", "1");
        assertEquals(1, model.code());
        assertTrue(model.err().contains("unknown architecture 'resnet'"), model.err());
    }
}
