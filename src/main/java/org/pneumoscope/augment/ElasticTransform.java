package org.pneumoscope.augment;

import org.pneumoscope.data.Filters;

import java.util.Random;
import java.util.SplittableRandom;

/**
 * Smooth random warping of the tissue (albumentations ElasticTransform, approximate=False): a small random
 * affine (three control points each moved by up to {@code alphaAffine} px), then every pixel displaced by
 * white noise in [-1,1] smoothed with a Gaussian of {@code sigma} px and multiplied by {@code alpha}.
 *
 * <p>The parameters are given for an image {@code referenceSize} px wide (224, the seed study's size) and are
 * scaled so that a smaller or larger image gets the same deformation relative to its size: sigma and the
 * affine jitter scale with size s, alpha with s² (smoothing white noise over a sigma-wide window shrinks its
 * amplitude by 1/sigma, so alpha must grow by s² for displacements to grow by s).
 */
public record ElasticTransform(double alpha, double sigma, double alphaAffine, int referenceSize) implements Transform {
    public static final int SEED_STUDY_SIZE = 224;

    public ElasticTransform {
        if (alpha < 0 || sigma <= 0 || alphaAffine < 0 || referenceSize <= 0)
            throw new IllegalArgumentException("elastic needs alpha >= 0, sigma > 0, alpha_affine >= 0");
    }

    public static ElasticTransform of(double alpha, double sigma, double alphaAffine) {
        return new ElasticTransform(alpha, sigma, alphaAffine, SEED_STUDY_SIZE);
    }

    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        int w = image.width(), h = image.height();
        double s = Math.min(w, h) / (double) referenceSize;
        double a = alpha * s * s, sg = Math.max(0.5, sigma * s), aa = alphaAffine * s;

        // Random affine from three control points around the centre (as albumentations).
        double cx = Math.floor(w / 2.0), cy = Math.floor(h / 2.0), sq = Math.floor(Math.min(w, h) / 3.0);
        double[][] src = {{cx + sq, cy + sq}, {cx + sq, cy - sq}, {cx - sq, cy - sq}};
        double[][] dst = new double[3][2];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 2; j++) dst[i][j] = src[i][j] + (rng.nextDouble() * 2 - 1) * aa;
        double[] inv = ImageOps.invertAffine(affineFromPoints(src, dst));

        // Displacement fields: white noise in [-1,1] smoothed by a Gaussian of sigma px. Since that field has no
        // detail finer than sigma, it is drawn on a grid k = sigma/3 px apart and interpolated: the same
        // statistics (noise on a k-times coarser grid has k times the smoothed amplitude, hence / k) at ~k²
        // less work. Seeded from rng so runs stay reproducible.
        int k = Math.max(1, (int) Math.floor(sg / 3));
        int cw = (w - 1) / k + 2, ch = (h - 1) / k + 2;
        SplittableRandom fast = new SplittableRandom(rng.nextLong());
        float[] dx = new float[cw * ch], dy = new float[cw * ch];
        for (int i = 0; i < dx.length; i++) dx[i] = (float) (fast.nextDouble() * 2 - 1);
        for (int i = 0; i < dy.length; i++) dy[i] = (float) (fast.nextDouble() * 2 - 1);
        dx = Filters.gaussianBlur(dx, cw, ch, sg / k);
        dy = Filters.gaussianBlur(dy, cw, ch, sg / k);
        double amp = a / k;

        float[] mx = new float[w * h], my = new float[w * h];
        for (int y = 0; y < h; y++) {
            float gy = y / (float) k;
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                float gx = x / (float) k;
                double px = x + amp * ImageOps.sample(dx, cw, ch, gx, gy, ImageOps.Border.REPLICATE);
                double py = y + amp * ImageOps.sample(dy, cw, ch, gx, gy, ImageOps.Border.REPLICATE);
                mx[i] = (float) (inv[0] * px + inv[1] * py + inv[2]);
                my[i] = (float) (inv[3] * px + inv[4] * py + inv[5]);
            }
        }
        Trace.fired(() -> "elastic");
        return ImageOps.remap(image, mx, my, ImageOps.Border.REFLECT_101);
    }

    /** The 2x3 matrix taking the three {@code src} points onto {@code dst} (cv2.getAffineTransform). */
    static double[] affineFromPoints(double[][] src, double[][] dst) {
        double[][] m = {
                {src[0][0], src[0][1], 1},
                {src[1][0], src[1][1], 1},
                {src[2][0], src[2][1], 1}};
        double[] out = new double[6];
        for (int row = 0; row < 2; row++) {
            double[] rhs = {dst[0][row], dst[1][row], dst[2][row]};
            double[] sol = solve3(m, rhs);
            System.arraycopy(sol, 0, out, row * 3, 3);
        }
        return out;
    }

    private static double[] solve3(double[][] m, double[] b) {
        double det = det3(m);
        if (Math.abs(det) < 1e-12) throw new IllegalArgumentException("control points are collinear");
        double[] x = new double[3];
        for (int c = 0; c < 3; c++) {
            double[][] t = {m[0].clone(), m[1].clone(), m[2].clone()};
            for (int r = 0; r < 3; r++) t[r][c] = b[r];
            x[c] = det3(t) / det;
        }
        return x;
    }

    private static double det3(double[][] m) {
        return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    }
}
