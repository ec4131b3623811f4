package org.pneumoscope.synth;

import java.util.SplittableRandom;

/** Smooth random fields (value noise on a lattice, smoothstep-interpolated): tissue mottle and lesion texture. */
final class ValueNoise {
    private ValueNoise() {}

    /** An n x n field in [0,1] with about {@code cells} bumps across the image. */
    static float[] field(int n, double cells, SplittableRandom r) {
        int lc = (int) Math.ceil(cells) + 2;
        float[] lattice = new float[lc * lc];
        for (int i = 0; i < lattice.length; i++) lattice[i] = (float) r.nextDouble();
        // A random sub-cell offset so lattice points don't line up with the same pixels in every field.
        double ox = r.nextDouble(), oy = r.nextDouble();
        float[] out = new float[n * n];
        double scale = cells / n;
        for (int y = 0; y < n; y++) {
            double gy = y * scale + oy;
            int iy = (int) gy;
            double fy = smooth(gy - iy);
            for (int x = 0; x < n; x++) {
                double gx = x * scale + ox;
                int ix = (int) gx;
                double fx = smooth(gx - ix);
                int i00 = iy * lc + ix;
                double top = lattice[i00] + fx * (lattice[i00 + 1] - lattice[i00]);
                double bot = lattice[i00 + lc] + fx * (lattice[i00 + lc + 1] - lattice[i00 + lc]);
                out[y * n + x] = (float) (top + fy * (bot - top));
            }
        }
        return out;
    }

    private static double smooth(double t) { return t * t * (3 - 2 * t); }
}
