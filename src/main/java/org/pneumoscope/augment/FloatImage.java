package org.pneumoscope.augment;

import org.pneumoscope.core.GreyImage;

/** A grey image with values in [0,1], row-major: what augmentation works on and the model receives. */
public record FloatImage(int width, int height, float[] pixels) {
    public FloatImage {
        if (width <= 0 || height <= 0 || pixels.length != width * height)
            throw new IllegalArgumentException("bad image geometry " + width + "x" + height);
    }

    public static FloatImage of(GreyImage g) {
        float[] p = new float[g.pixels().length];
        byte[] b = g.pixels();
        for (int i = 0; i < p.length; i++) p[i] = (b[i] & 0xff) / 255f;
        return new FloatImage(g.width(), g.height(), p);
    }

    public GreyImage toGrey() {
        byte[] b = new byte[pixels.length];
        for (int i = 0; i < b.length; i++) {
            float v = pixels[i];
            b[i] = (byte) Math.round(Math.max(0f, Math.min(1f, v)) * 255f);
        }
        return new GreyImage(width, height, b);
    }

    public float get(int x, int y) { return pixels[y * width + x]; }
}
