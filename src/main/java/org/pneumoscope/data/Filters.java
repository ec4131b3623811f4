package org.pneumoscope.data;

/**
 * Separable filters on plain float arrays, with mirror borders (OpenCV's BORDER_REFLECT_101, albumentations'
 * default): the Gaussian blur that {@link Detail} softens films with, and that augmentation draws blurs from.
 */
public final class Filters {
    private Filters() {}

    /** Mirrors an index outside [0, n) back inside without repeating the edge pixel. */
    public static int reflect101(int i, int n) {
        if (i >= 0 && i < n) return i;
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        i = Math.floorMod(i, period);
        return i < n ? i : period - i;
    }

    /** Gaussian kernel truncated at {@code truncate} sigmas (scipy's default is 4), normalised to sum 1. */
    public static float[] gaussianKernel(double sigma, double truncate) {
        int r = Math.max(1, (int) (truncate * sigma + 0.5));
        float[] k = new float[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) {
            double v = Math.exp(-0.5 * i * i / (sigma * sigma));
            k[i + r] = (float) v;
            sum += v;
        }
        for (int i = 0; i < k.length; i++) k[i] /= (float) sum;
        return k;
    }

    /** Gaussian blur of standard deviation {@code sigma} pixels; a copy when sigma is not positive. New array. */
    public static float[] gaussianBlur(float[] src, int w, int h, double sigma) {
        if (sigma <= 0) return src.clone();
        float[] k = gaussianKernel(sigma, 4.0);
        return separable(src, w, h, k, k);
    }

    /** Separable convolution with odd 1-D kernels along x then y, reflect-101 borders. New array. */
    public static float[] separable(float[] src, int w, int h, float[] kx, float[] ky) {
        float[] tmp = new float[w * h], out = new float[w * h];
        convolveRows(src, tmp, w, h, kx);
        convolveCols(tmp, out, w, h, ky);
        return out;
    }

    private static void convolveRows(float[] src, float[] dst, int w, int h, float[] k) {
        int r = k.length / 2;
        for (int y = 0; y < h; y++) {
            int row = y * w;
            for (int x = 0; x < w; x++) {
                float acc = 0;
                if (x >= r && x + r < w) {
                    int base = row + x - r;
                    for (int j = 0; j < k.length; j++) acc += k[j] * src[base + j];
                } else {
                    for (int j = 0; j < k.length; j++) acc += k[j] * src[row + reflect101(x + j - r, w)];
                }
                dst[row + x] = acc;
            }
        }
    }

    private static void convolveCols(float[] src, float[] dst, int w, int h, float[] k) {
        int r = k.length / 2;
        // Row-by-row accumulation keeps memory access sequential (much faster than walking columns).
        for (int y = 0; y < h; y++) {
            int row = y * w;
            for (int j = 0; j < k.length; j++) {
                int srow = reflect101(y + j - r, h) * w;
                float kj = k[j];
                for (int x = 0; x < w; x++) dst[row + x] += kj * src[srow + x];
            }
        }
    }
}
