package dev.tinytrain.compile;

/**
 * The memory-saving passes of the training compiler, each switchable so its saving can be
 * measured ({@code tinytrain plan --no-reorder}, {@code --no-fuse}, {@code --no-in-place}).
 *
 * @param reorder fuse every update into its gradient op at the gradient's place ({@link Reorder});
 *                off: the conventional order, every parameter gradient stored until the step
 * @param fuse    conv + depthwise conv computed channel by channel where the intermediate is not
 *                needed for backward ({@link FuseConvDepthwise})
 * @param inPlace ops that write their output over a dying input (the memory planner's choice)
 */
public record CompileOptions(boolean reorder, boolean fuse, boolean inPlace) {

    /** Everything on. */
    public static final CompileOptions DEFAULT = new CompileOptions(true, true, true);

    public CompileOptions withReorder(boolean on) {
        return new CompileOptions(on, fuse, inPlace);
    }

    public CompileOptions withFuse(boolean on) {
        return new CompileOptions(reorder, on, inPlace);
    }

    public CompileOptions withInPlace(boolean on) {
        return new CompileOptions(reorder, fuse, on);
    }
}
