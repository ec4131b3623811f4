package org.pneumoscope.data;

import org.pneumoscope.core.GreyImage;

/**
 * Resizing grey images to the model's square input, directly on the byte array (no BufferedImage round trip).
 *
 * <p>Each axis is resampled separately: shrinking averages the source pixels each output pixel covers, weighting
 * partly covered pixels by their overlap (area averaging, as PIL's BOX filter / OpenCV's INTER_AREA: no aliasing
 * of rib edges and film grain); enlarging interpolates linearly between pixel centres (bilinear, half-pixel
 * aligned like PyTorch's {@code align_corners=False}).
 */
public final class Preprocess {
    private Preprocess() {}

    /** Where the image lands inside the square output: the full square for SQUASH, a centred box for LETTERBOX. */
    public record Placement(int x, int y, int width, int height) {}

    public static Placement placement(int srcWidth, int srcHeight, int size, ResizeMode mode) {
        if (mode == ResizeMode.SQUASH || srcWidth == srcHeight) return new Placement(0, 0, size, size);
        double scale = Math.min(size / (double) srcWidth, size / (double) srcHeight);
        int w = Math.max(1, Math.min(size, (int) Math.round(srcWidth * scale)));
        int h = Math.max(1, Math.min(size, (int) Math.round(srcHeight * scale)));
        return new Placement((size - w) / 2, (size - h) / 2, w, h);
    }

    /** A {@code size}x{@code size} version of {@code img}. */
    public static GreyImage resize(GreyImage img, int size, ResizeMode mode) {
        if (size <= 0) throw new IllegalArgumentException("size must be positive: " + size);
        Placement p = placement(img.width(), img.height(), size, mode);
        if (p.width == size && p.height == size) return resize(img, size, size);
        GreyImage inner = resize(img, p.width, p.height);
        byte[] out = new byte[size * size]; // black padding
        for (int y = 0; y < p.height; y++)
            System.arraycopy(inner.pixels(), y * p.width, out, (p.y + y) * size + p.x, p.width);
        return new GreyImage(size, size, out);
    }

    /** Stretches {@code img} to exactly {@code width}x{@code height}. */
    public static GreyImage resize(GreyImage img, int width, int height) {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("bad target size " + width + "x" + height);
        int sw = img.width(), sh = img.height();
        byte[] src = img.pixels();
        if (sw == width && sh == height) return new GreyImage(width, height, src.clone());
        Axis ax = Axis.of(sw, width), ay = Axis.of(sh, height);

        // Horizontal pass: sh rows of `width` floats.
        float[] tmp = new float[sh * width];
        for (int y = 0; y < sh; y++) {
            int row = y * sw, o = y * width;
            for (int x = 0; x < width; x++) {
                int s = ax.start[x], k0 = x * ax.taps, n = ax.count[x];
                float acc = 0;
                for (int k = 0; k < n; k++) acc += (src[row + s + k] & 0xff) * ax.weights[k0 + k];
                tmp[o + x] = acc;
            }
        }
        // Vertical pass, row-wise so memory is read sequentially.
        byte[] out = new byte[width * height];
        float[] acc = new float[width];
        for (int y = 0; y < height; y++) {
            java.util.Arrays.fill(acc, 0f);
            int s = ay.start[y], k0 = y * ay.taps, n = ay.count[y];
            for (int k = 0; k < n; k++) {
                float wgt = ay.weights[k0 + k];
                int row = (s + k) * width;
                for (int x = 0; x < width; x++) acc[x] += tmp[row + x] * wgt;
            }
            int o = y * width;
            for (int x = 0; x < width; x++) {
                int v = (int) (acc[x] + 0.5f);
                out[o + x] = (byte) (v < 0 ? 0 : Math.min(v, 255));
            }
        }
        return new GreyImage(width, height, out);
    }

    /** Per output index: first source index, number of taps, and weights (flattened, {@code taps} per index). */
    private static final class Axis {
        final int[] start, count;
        final float[] weights;
        final int taps;

        private Axis(int[] start, int[] count, float[] weights, int taps) {
            this.start = start;
            this.count = count;
            this.weights = weights;
            this.taps = taps;
        }

        static Axis of(int src, int dst) {
            int[] start = new int[dst], count = new int[dst];
            if (dst == src) {
                float[] w = new float[dst];
                for (int i = 0; i < dst; i++) { start[i] = i; count[i] = 1; w[i] = 1f; }
                return new Axis(start, count, w, 1);
            }
            if (dst < src) {
                double scale = src / (double) dst;
                int taps = (int) Math.ceil(scale) + 1;
                float[] w = new float[dst * taps];
                for (int i = 0; i < dst; i++) {
                    double lo = i * scale, hi = Math.min(src, (i + 1) * scale);
                    int first = (int) Math.floor(lo), last = Math.min(src - 1, (int) Math.ceil(hi) - 1);
                    start[i] = first;
                    count[i] = last - first + 1;
                    double total = 0;
                    for (int j = first; j <= last; j++) {
                        double overlap = Math.min(hi, j + 1) - Math.max(lo, j);
                        w[i * taps + j - first] = (float) overlap;
                        total += overlap;
                    }
                    for (int j = 0; j < count[i]; j++) w[i * taps + j] /= (float) total;
                }
                return new Axis(start, count, w, taps);
            }
            float[] w = new float[dst * 2];
            double scale = src / (double) dst;
            for (int i = 0; i < dst; i++) {
                double x = Math.max(0, Math.min(src - 1, (i + 0.5) * scale - 0.5));
                int j0 = (int) Math.floor(x);
                int j1 = Math.min(j0 + 1, src - 1);
                float f = (float) (x - j0);
                start[i] = j0;
                if (j1 == j0 || f == 0f) {
                    count[i] = 1;
                    w[i * 2] = 1f;
                } else {
                    count[i] = 2;
                    w[i * 2] = 1f - f;
                    w[i * 2 + 1] = f;
                }
            }
            return new Axis(start, count, w, 2);
        }
    }
}
