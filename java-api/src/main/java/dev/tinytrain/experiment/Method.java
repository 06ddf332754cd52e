package dev.tinytrain.experiment;

import dev.tinytrain.kernel.Rounding;

import java.util.Locale;

/**
 * One way to fine-tune a pre-trained model, by name:
 * <ul>
 *   <li>{@code fp32-full}: the float parent model, every parameter (the cloud baseline);</li>
 *   <li>{@code fp32-folded}: the float parent with BatchNorm folded into the conv weights and biases,
 *       plain SGD on those (the int8 graph's parametrization in float: what QAS aims to match);</li>
 *   <li>{@code int8-sgd-<scheme>}: the int8 graph, plain SGD on the int8 values (no QAS);</li>
 *   <li>{@code int8-qas-<scheme>}: the int8 graph with Quantization-Aware Scaling,</li>
 * </ul>
 * where {@code <scheme>} is {@code full}, {@code bias} (every bias), {@code last-layer},
 * {@code last-k:<k>} or any named sparse scheme ({@code mcunet-49kb}, ...), optionally followed by
 * {@code @<rounding>} ({@code stochastic}, the default, {@code nearest}, {@code truncate} or
 * {@code float-master}).
 */
public record Method(String name, boolean fp32, boolean qas, String scheme, Rounding rounding) {

    public static Method parse(String name) {
        String n = name.trim();
        if (n.equals("fp32-full") || n.equals("fp32-folded")) {
            return new Method(n, true, false, "full", Rounding.STOCHASTIC);
        }
        boolean qas;
        String rest;
        if (n.startsWith("int8-qas-")) {
            qas = true;
            rest = n.substring("int8-qas-".length());
        } else if (n.startsWith("int8-sgd-")) {
            qas = false;
            rest = n.substring("int8-sgd-".length());
        } else {
            throw new IllegalArgumentException("method '" + name + "': expected fp32-full, fp32-folded, int8-sgd-<scheme> or"
                    + " int8-qas-<scheme>[@rounding], e.g. int8-qas-mcunet-49kb@nearest");
        }
        Rounding rounding = Rounding.STOCHASTIC;
        int at = rest.indexOf('@');
        if (at >= 0) {
            rounding = rounding(rest.substring(at + 1), name);
            rest = rest.substring(0, at);
        }
        if (rest.isEmpty()) {
            throw new IllegalArgumentException("method '" + name + "' names no scheme");
        }
        String scheme = rest.equals("bias") ? "bias-only" : rest;
        return new Method(n, false, qas, scheme, rounding);
    }

    /** {@code fp32-folded}: float SGD on the BatchNorm-folded weights. */
    public boolean folded() {
        return name.equals("fp32-folded");
    }

    static Rounding rounding(String s, String method) {
        try {
            return Rounding.parse(s.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("method '" + method + "': " + e.getMessage(), e);
        }
    }
}
