package dev.tinytrain.train;

import dev.tinytrain.graph.Op;

import java.util.Arrays;

/**
 * One layer's share of a resolved scheme: whether its bias is trained and which of its input
 * channels (depthwise: channels) have trained weights. The channel indices, ascending, are what
 * runs everywhere (host, MCU); they are chosen once, at compile time.
 *
 * @param op       the conv, depthwise conv or fully connected op
 * @param index    forward index among the model's convs (the classifier gets the last index)
 * @param bias     whether the bias is trained
 * @param channels trained input channels (depthwise: channels), ascending; empty when the weights are frozen
 */
public record TrainedLayer(Op op, int index, boolean bias, int[] channels) {

    public TrainedLayer {
        channels = channels.clone();
    }

    public boolean weights() {
        return channels.length > 0;
    }

    @Override
    public int[] channels() {
        return channels.clone();
    }

    @Override
    public String toString() {
        return "TrainedLayer[" + index + " " + op.mnemonic() + " bias=" + bias + " channels=" + Arrays.toString(channels)
                + "]";
    }
}
