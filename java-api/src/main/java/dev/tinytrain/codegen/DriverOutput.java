package dev.tinytrain.codegen;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What the generated test driver ({@code main.c}) prints, line by line:
 * <pre>
 *   model &lt;name&gt; &lt;scheme&gt;
 *   arena &lt;bytes&gt;
 *   step &lt;i&gt; loss &lt;float32 bits, 8 hex digits&gt;      (one per step)
 *   checksum &lt;16 hex digits&gt;                          ({@link ParameterChecksum})
 *   logits &lt;int8 logits of sample 0 after training&gt;
 *   done
 * </pre>
 * The host renders the same text from a {@code TrainingSession} ({@link #toString()}), so a run on
 * a device can be compared with {@code diff}; {@link #parse} reads it back.
 *
 * @param logits null when the driver had no samples
 */
public record DriverOutput(String model, String scheme, long arenaBytes, float[] losses, long checksum,
                           byte[] logits) {

    public DriverOutput {
        losses = losses.clone();
        logits = logits == null ? null : logits.clone();
    }

    @Override
    public float[] losses() {
        return losses.clone();
    }

    @Override
    public byte[] logits() {
        return logits == null ? null : logits.clone();
    }

    /** The driver's text, byte for byte. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        b.append("model ").append(model).append(' ').append(scheme).append('\n');
        b.append("arena ").append(arenaBytes).append('\n');
        for (int i = 0; i < losses.length; i++) {
            b.append(String.format(Locale.ROOT, "step %d loss %08x\n", i, Float.floatToRawIntBits(losses[i])));
        }
        b.append("checksum ").append(ParameterChecksum.hex(checksum)).append('\n');
        if (logits != null) {
            b.append("logits");
            for (byte v : logits) {
                b.append(' ').append(v);
            }
            b.append('\n');
        }
        return b.append("done\n").toString();
    }

    /**
     * Reads a driver's output (other lines, e.g. from a board's boot, are ignored).
     *
     * @throws IllegalArgumentException naming the line when the driver reported an error, steps are
     *                                  out of order, or the output is cut short (no {@code done})
     */
    public static DriverOutput parse(String text) {
        String model = null;
        String scheme = null;
        long arena = -1;
        List<Float> losses = new ArrayList<>();
        Long checksum = null;
        byte[] logits = null;
        boolean done = false;
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            String[] f = line.split(" ");
            try {
                switch (f[0]) {
                    case "model" -> {
                        model = f[1];
                        scheme = f[2];
                    }
                    case "arena" -> arena = Long.parseLong(f[1]);
                    case "step" -> {
                        if (Integer.parseInt(f[1]) != losses.size() || !f[2].equals("loss")) {
                            throw new IllegalArgumentException("expected step " + losses.size() + ": '" + line + "'");
                        }
                        losses.add(Float.intBitsToFloat(Integer.parseUnsignedInt(f[3], 16)));
                    }
                    case "checksum" -> checksum = Long.parseUnsignedLong(f[1], 16);
                    case "logits" -> {
                        logits = new byte[f.length - 1];
                        for (int i = 1; i < f.length; i++) {
                            logits[i - 1] = Byte.parseByte(f[i]);
                        }
                    }
                    case "done" -> done = true;
                    case "error" -> throw new IllegalArgumentException("the generated program failed: '" + line + "'");
                    default -> {
                    }
                }
            } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
                throw new IllegalArgumentException("cannot read the driver's line '" + line + "': " + e.getMessage(), e);
            }
        }
        if (!done || model == null || checksum == null) {
            throw new IllegalArgumentException("the driver's output is incomplete (no " + (model == null ? "model"
                    : checksum == null ? "checksum" : "done") + " line):\n" + text);
        }
        float[] l = new float[losses.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = losses.get(i);
        }
        return new DriverOutput(model, scheme, arena, l, checksum, logits);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DriverOutput d && toString().equals(d.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    /** Losses as bit patterns (for messages). */
    public String lossBits() {
        int[] b = new int[losses.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = Float.floatToRawIntBits(losses[i]);
        }
        return Arrays.toString(Arrays.stream(b).mapToObj(Integer::toHexString).toArray());
    }
}
