package dev.tinytrain.cli;

import dev.tinytrain.graph.Graph;
import dev.tinytrain.graph.Value;
import dev.tinytrain.kernel.KernelBackend;
import dev.tinytrain.kernel.KernelBackends;
import dev.tinytrain.runtime.ForwardInterpreter;
import dev.tinytrain.tflite.ImportedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import javax.imageio.ImageIO;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/** {@code tinytrain predict}: run an int8 {@code .tflite} model's forward pass on one input. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run an int8 .tflite model (imported into tinytrain) on one input through the kernel backend "
                + "and print output tensor 0: the raw int8 values, the dequantized scores and the label (arg max).",
                "",
                "The input is either raw int8 bytes in the model's input layout (NHWC, batch 1; exactly as many "
                        + "bytes as the input tensor has elements), or a PNG, resized to the model's input size "
                        + "(bilinear) and read as RGB (3 input channels) or gray (1 channel), each pixel value p "
                        + "(0..255) mapped to the int8 input by --pixels.",
                "",
                "Examples:",
                "  tinytrain predict --model m.tflite --input image.raw --json",
                "  tinytrain predict --model m.tflite --input photo.png",
                ""})
final class PredictCommand implements Runnable {

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "The .tflite model.")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "Raw int8 bytes (NHWC) or a .png image.")
    Path input;

    @Option(names = "--pixels", defaultValue = "full", paramLabel = "RANGE",
            description = "How a PNG's pixels become int8 inputs: full (p - 128: the int8 range, what an int8 model "
                    + "with uint8-image preprocessing expects), 0..1 (the real value p/255, quantized with the model's "
                    + "input scale and zero point) or -1..1 (the real value p/127.5 - 1, quantized likewise). "
                    + "Default: ${DEFAULT-VALUE}.")
    String pixels;

    @Option(names = "--top", defaultValue = "5", paramLabel = "K", description = "Scores to list (human output). Default: ${DEFAULT-VALUE}.")
    int top;

    @Option(names = "--backend", paramLabel = "NAME",
            description = "Kernel backend: native or reference. Default: the best available.")
    String backend;

    @Option(names = "--json", description = "Print one JSON object: output, scores, label.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        if (!List.of("full", "0..1", "-1..1").contains(pixels)) {
            throw new ParameterException(spec.commandLine(), "--pixels must be full, 0..1 or -1..1, got '" + pixels + "'");
        }
        ImportedModel m = ModelFiles.model(model);
        Graph g = m.graph();
        if (g.inputs().size() != 1) {
            throw new IllegalArgumentException("model " + model + " has " + g.inputs().size()
                    + " inputs; predict runs single-input models");
        }
        Value in = g.inputs().getFirst();
        byte[] data = ModelFiles.bytes(input, "input file");
        byte[] x = isPng(data) ? fromPng(data, in) : raw(data, in);
        KernelBackend kernels = backend == null ? KernelBackends.best().backend() : KernelBackends.named(backend);
        byte[] y = new ForwardInterpreter(g, kernels).run(x);
        Value outV = g.outputs().getFirst();
        List<Integer> output = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        for (byte b : y) {
            output.add((int) b);
            scores.add((double) (outV.scale() * (b - outV.zeroPoint())));
        }
        int label = 0;
        for (int i = 1; i < y.length; i++) {
            if (y[i] > y[label]) {
                label = i;
            }
        }
        if (json) {
            out.println(Json.object("model", g.name(), "input", input.toString(), "backend", kernels.name(),
                    "outputShape", Arrays.stream(outV.shape()).boxed().toList(), "output", output, "scores", scores,
                    "label", label, "softmaxDropped", m.softmaxDropped()));
        } else {
            out.printf(Locale.ROOT, "%s on %s (%s): label %d, score %.4f%s%n", g.name(), input, kernels.name(), label,
                    scores.get(label), m.softmaxDropped() ? " (a logit: the model's SOFTMAX was dropped)" : "");
            IntStream.range(0, y.length).boxed()
                    .sorted(Comparator.comparingInt((Integer i) -> -y[i]).thenComparingInt(i -> i))
                    .limit(Math.max(top, 0))
                    .forEach(i -> out.printf(Locale.ROOT, "  %6d  %4d  %.4f%n", i, y[i], scores.get(i)));
        }
        out.flush();
    }

    private byte[] raw(byte[] data, Value in) {
        if (data.length != in.byteSize()) {
            throw new IllegalArgumentException("input file " + input + " has " + data.length + " bytes; the model's"
                    + " input " + in.name() + " int8" + Arrays.toString(in.shape()).replace(" ", "") + " (NHWC) needs "
                    + in.byteSize() + " bytes");
        }
        return data;
    }

    private static boolean isPng(byte[] d) {
        return d.length >= 8 && (d[0] & 0xff) == 0x89 && d[1] == 'P' && d[2] == 'N' && d[3] == 'G';
    }

    /** A PNG resized to the input's height and width, as RGB or gray, pixels mapped by --pixels. */
    private byte[] fromPng(byte[] data, Value in) {
        int[] s = in.shape();
        if (s.length != 4 || s[0] != 1 || (s[3] != 1 && s[3] != 3)) {
            throw new IllegalArgumentException("a PNG input needs a model input [1, h, w, 1 or 3]; " + model + " takes "
                    + Arrays.toString(s) + ": pass raw int8 bytes instead");
        }
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(data));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot decode PNG " + input + ": " + e.getMessage());
        }
        if (img == null) {
            throw new IllegalArgumentException("cannot decode PNG " + input);
        }
        int h = s[1];
        int w = s[2];
        BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D gr = rgb.createGraphics();
        gr.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        gr.drawImage(img, 0, 0, w, h, null);      // transparent pixels land on black
        gr.dispose();
        byte[] x = new byte[w * h * s[3]];
        for (int yy = 0; yy < h; yy++) {
            for (int xx = 0; xx < w; xx++) {
                int p = rgb.getRGB(xx, yy);
                int r = (p >> 16) & 0xff;
                int gg = (p >> 8) & 0xff;
                int b = p & 0xff;
                int base = (yy * w + xx) * s[3];
                if (s[3] == 3) {
                    x[base] = pixel(r, in);
                    x[base + 1] = pixel(gg, in);
                    x[base + 2] = pixel(b, in);
                } else {
                    x[base] = pixel((int) Math.round(0.299 * r + 0.587 * gg + 0.114 * b), in);
                }
            }
        }
        return x;
    }

    private byte pixel(int p, Value in) {
        double real = switch (pixels) {
            case "full" -> Double.NaN;
            case "0..1" -> p / 255.0;
            default -> p / 127.5 - 1;
        };
        long q = Double.isNaN(real) ? p - 128 : Math.round(real / in.scale()) + in.zeroPoint();
        return (byte) Math.clamp(q, -128, 127);
    }
}
