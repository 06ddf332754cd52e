package dev.tinytrain.tflite;

/** TF-Lite's {@code enum ActivationFunctionType : byte}, the members a quantized kernel fuses as a clamp. */
public enum FusedActivation {
    NONE(0),
    RELU(1),
    RELU_N1_TO_1(2),
    RELU6(3);

    private final int code;

    FusedActivation(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
