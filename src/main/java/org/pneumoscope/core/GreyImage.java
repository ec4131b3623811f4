package org.pneumoscope.core;

/** An 8-bit grey image, row-major; the unit the decode cache stores. */
public record GreyImage(int width, int height, byte[] pixels) {
    public GreyImage {
        if (width <= 0 || height <= 0 || pixels.length != width * height)
            throw new IllegalArgumentException("bad image geometry " + width + "x" + height + " for " + pixels.length + " bytes");
    }

    public int get(int x, int y) { return pixels[y * width + x] & 0xff; }

    /** Pixels per grey level, 0..255. */
    public long[] histogram() {
        long[] h = new long[256];
        for (byte b : pixels) h[b & 0xff]++;
        return h;
    }

    /** The smallest level whose cumulative count reaches fraction {@code q} of all counts in {@code hist}. */
    public static int percentile(long[] hist, double q) {
        long n = 0;
        for (long c : hist) n += c;
        long need = (long) Math.ceil(q * n), seen = 0;
        for (int v = 0; v < hist.length; v++) {
            seen += hist[v];
            if (seen >= need && seen > 0) return v;
        }
        return hist.length - 1;
    }

    /** A new image with every grey level v replaced by {@code lut[v]} (a look-up table of 256 levels). */
    public GreyImage mapLevels(byte[] lut) {
        if (lut.length != 256) throw new IllegalArgumentException("a grey-level table needs 256 entries, not " + lut.length);
        byte[] out = new byte[pixels.length];
        for (int i = 0; i < pixels.length; i++) out[i] = lut[pixels[i] & 0xff];
        return new GreyImage(width, height, out);
    }
}
