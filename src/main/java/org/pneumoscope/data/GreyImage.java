package org.pneumoscope.data;

/** An 8-bit grey image, row-major; the unit the decode cache stores. */
public record GreyImage(int width, int height, byte[] pixels) {
    public GreyImage {
        if (width <= 0 || height <= 0 || pixels.length != width * height)
            throw new IllegalArgumentException("bad image geometry " + width + "x" + height + " for " + pixels.length + " bytes");
    }

    public int get(int x, int y) { return pixels[y * width + x] & 0xff; }
}
