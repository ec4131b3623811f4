package org.pneumoscope.augment;

import java.util.Random;

/**
 * Shrinks the image by a factor drawn from [minScale, maxScale] with area averaging, then enlarges it back
 * bilinearly (albumentations Downscale): the film as a lower-resolution detector or a more heavily resized original
 * would give it. In the Kermany films the classes differ in sharpness (normals come from larger originals), so
 * without this a network may learn "sharp = normal" and call blurrier normals from another batch pneumonia.
 */
public record Downscale(double minScale, double maxScale) implements Transform {
    public Downscale {
        if (!(minScale > 0 && minScale <= maxScale && maxScale < 1))
            throw new IllegalArgumentException("downscale needs 0 < scale_min <= scale_max < 1, got " + minScale + ".." + maxScale);
    }

    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        double scale = minScale + rng.nextDouble() * (maxScale - minScale);
        int w = image.width(), h = image.height();
        int sw = Math.max(2, (int) Math.round(w * scale)), sh = Math.max(2, (int) Math.round(h * scale));
        float[] small = areaShrink(image.pixels(), w, h, sw, sh);
        float[] out = new float[w * h];
        for (int y = 0; y < h; y++) {
            float sy = (float) ((y + 0.5) * sh / h - 0.5);
            for (int x = 0; x < w; x++) {
                float sx = (float) ((x + 0.5) * sw / w - 0.5);
                out[y * w + x] = ImageOps.sample(small, sw, sh, sx, sy, ImageOps.Border.REPLICATE);
            }
        }
        Trace.fired(() -> String.format("downscale %.2f", scale));
        return new FloatImage(w, h, ImageOps.clamp01(out));
    }

    /** Each small pixel is the mean of the source pixels its footprint covers (at least one). */
    static float[] areaShrink(float[] src, int w, int h, int sw, int sh) {
        float[] out = new float[sw * sh];
        for (int y = 0; y < sh; y++) {
            int y0 = y * h / sh, y1 = Math.max(y0 + 1, (y + 1) * h / sh);
            for (int x = 0; x < sw; x++) {
                int x0 = x * w / sw, x1 = Math.max(x0 + 1, (x + 1) * w / sw);
                double sum = 0;
                for (int yy = y0; yy < y1; yy++) for (int xx = x0; xx < x1; xx++) sum += src[yy * w + xx];
                out[y * sw + x] = (float) (sum / ((y1 - y0) * (x1 - x0)));
            }
        }
        return out;
    }
}
