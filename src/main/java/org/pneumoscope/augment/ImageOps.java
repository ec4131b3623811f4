package org.pneumoscope.augment;

import org.pneumoscope.data.Filters;

/**
 * The pixel arithmetic behind the transforms: bilinear resampling through coordinate maps, affine warps and
 * separable filters on plain float arrays. Coordinates follow OpenCV: pixel centres sit on integers, so a map
 * entry (x, y) reads the source at column x, row y.
 */
public final class ImageOps {
    private ImageOps() {}

    /** What a sample outside the picture reads. */
    public enum Border {
        /** Black (0): what a rotated film shows outside the original frame. */
        CONSTANT,
        /** Mirror without repeating the edge pixel (OpenCV BORDER_REFLECT_101, albumentations' default). */
        REFLECT_101,
        /** Repeat the edge pixel. */
        REPLICATE
    }

    /** Maps an index outside [0, n) back inside; -1 means "constant border". */
    static int borderIndex(int i, int n, Border b) {
        if (i >= 0 && i < n) return i;
        switch (b) {
            case CONSTANT: return -1;
            case REPLICATE: return i < 0 ? 0 : n - 1;
            default: return Filters.reflect101(i, n);
        }
    }

    /** Bilinear read at (x, y). */
    public static float sample(float[] src, int w, int h, float x, float y, Border border) {
        int x0 = (int) Math.floor(x), y0 = (int) Math.floor(y);
        float fx = x - x0, fy = y - y0;
        if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {
            int i = y0 * w + x0;
            float top = src[i] + fx * (src[i + 1] - src[i]);
            float bot = src[i + w] + fx * (src[i + w + 1] - src[i + w]);
            return top + fy * (bot - top);
        }
        int xa = borderIndex(x0, w, border), xb = borderIndex(x0 + 1, w, border);
        int ya = borderIndex(y0, h, border), yb = borderIndex(y0 + 1, h, border);
        float v00 = at(src, w, xa, ya), v10 = at(src, w, xb, ya), v01 = at(src, w, xa, yb), v11 = at(src, w, xb, yb);
        float top = v00 + fx * (v10 - v00), bot = v01 + fx * (v11 - v01);
        return top + fy * (bot - top);
    }

    private static float at(float[] src, int w, int x, int y) {
        return (x < 0 || y < 0) ? 0f : src[y * w + x];
    }

    /** out(x, y) = src(mapX, mapY), bilinear. */
    public static FloatImage remap(FloatImage src, float[] mapX, float[] mapY, Border border) {
        int w = src.width(), h = src.height();
        float[] s = src.pixels(), out = new float[w * h];
        for (int i = 0; i < out.length; i++) out[i] = sample(s, w, h, mapX[i], mapY[i], border);
        return new FloatImage(w, h, clamp01(out));
    }

    /**
     * Affine warp. {@code inv} maps destination to source: srcX = inv[0]x + inv[1]y + inv[2],
     * srcY = inv[3]x + inv[4]y + inv[5] (the inverse of OpenCV's warpAffine matrix).
     */
    public static FloatImage warpAffine(FloatImage src, double[] inv, Border border) {
        int w = src.width(), h = src.height();
        float[] s = src.pixels(), out = new float[w * h];
        for (int y = 0; y < h; y++) {
            double sx = inv[1] * y + inv[2], sy = inv[4] * y + inv[5];
            int row = y * w;
            for (int x = 0; x < w; x++) {
                out[row + x] = sample(s, w, h, (float) (sx + inv[0] * x), (float) (sy + inv[3] * x), border);
            }
        }
        return new FloatImage(w, h, clamp01(out));
    }

    /** Inverts a 2x3 affine matrix [a b c; d e f]. */
    public static double[] invertAffine(double[] m) {
        double det = m[0] * m[4] - m[1] * m[3];
        if (Math.abs(det) < 1e-12) throw new IllegalArgumentException("singular affine matrix");
        double a = m[4] / det, b = -m[1] / det, d = -m[3] / det, e = m[0] / det;
        return new double[]{a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])};
    }

    /** Box mean over a k x k window (OpenCV cv2.blur with reflect-101 borders). */
    public static float[] boxBlur(float[] src, int w, int h, int k) {
        float[] box = new float[k];
        java.util.Arrays.fill(box, 1f / k);
        return Filters.separable(src, w, h, box, box);
    }

    /** General 2-D convolution with a small kernel (motion blur), reflect-101 borders. */
    public static float[] convolve(float[] src, int w, int h, float[] kernel, int ksize) {
        int r = ksize / 2;
        float[] out = new float[w * h];
        for (int ky = 0; ky < ksize; ky++) {
            for (int kx = 0; kx < ksize; kx++) {
                float kv = kernel[ky * ksize + kx];
                if (kv == 0f) continue;
                for (int y = 0; y < h; y++) {
                    int srow = borderIndex(y + ky - r, h, Border.REFLECT_101) * w;
                    int row = y * w;
                    int dx = kx - r;
                    int xStart = Math.max(0, -dx), xEnd = Math.min(w, w - dx);
                    for (int x = 0; x < xStart; x++) out[row + x] += kv * src[srow + borderIndex(x + dx, w, Border.REFLECT_101)];
                    for (int x = xStart; x < xEnd; x++) out[row + x] += kv * src[srow + x + dx];
                    for (int x = xEnd; x < w; x++) out[row + x] += kv * src[srow + borderIndex(x + dx, w, Border.REFLECT_101)];
                }
            }
        }
        return out;
    }

    /** Clamps in place to [0,1] (bilinear sampling can't overshoot, but filters with rounding can by an ulp). */
    public static float[] clamp01(float[] a) {
        for (int i = 0; i < a.length; i++) {
            float v = a[i];
            if (v < 0f) a[i] = 0f;
            else if (v > 1f) a[i] = 1f;
            else if (v != v) a[i] = 0f; // NaN never reaches the model
        }
        return a;
    }
}
