package dev.tinytrain.data;

/** Decoded-on-demand labelled images at their native size (the raw material of a {@link PreparedDataset}). */
interface ImageSource {

    int size();

    int label(int i);

    /** Image {@code i}, pixel values in [0, 255]. */
    Image image(int i);

    /** Value that padding to the model's aspect ratio takes (255: white paper, 0: black background). */
    double background();

    /** Images of an IDX file (n x h x w unsigned bytes) with their labels. */
    record Idx(IdxReader.IdxArray images, byte[] labels) implements ImageSource {
        @Override
        public int size() {
            return images.count();
        }

        @Override
        public int label(int i) {
            return labels[i] & 0xFF;
        }

        @Override
        public Image image(int i) {
            int[] d = images.dims();
            return Image.gray(images.data(), i * images.itemBytes(), d[1], d[2]);
        }

        @Override
        public double background() {
            return 0;
        }
    }

    /** PNG files held in memory, decoded and composited on white when asked. */
    record Png(String[] names, byte[][] files, int[] labels) implements ImageSource {
        @Override
        public int size() {
            return files.length;
        }

        @Override
        public int label(int i) {
            return labels[i];
        }

        @Override
        public Image image(int i) {
            return PngImages.read(names[i], files[i]);
        }

        @Override
        public double background() {
            return 255;
        }
    }
}
