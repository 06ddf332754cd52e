package dev.tinytrain.data;

/** One labelled example: an int8 image in the model's input layout (NHWC, batch 1) and its class. */
public record Sample(byte[] image, int label) {
}
