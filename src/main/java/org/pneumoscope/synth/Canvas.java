package org.pneumoscope.synth;

import java.util.List;

/**
 * A square float canvas in normalised coordinates (0..1 across the image) onto which thin anatomical
 * structures are drawn as strokes along polylines: ribs, clavicles, vessels, air bronchograms.
 */
final class Canvas {
    enum Profile {
        /** Bone seen edge-on: brighter cortical rims around a paler medulla. */
        BONE,
        /** Round vessel or airway: densest along its axis. */
        TUBE,
        /** Uniform band with a soft edge. */
        SOLID
    }

    final int n;
    final float[] px;
    private float[] scratch;

    Canvas(int n) {
        this.n = n;
        this.px = new float[n * n];
    }

    /**
     * Adds {@code amount * profile} along the polyline {@code pts} ({x0,y0,x1,y1,...}), half width tapering
     * linearly from {@code hw0} to {@code hw1}. Within one stroke overlapping segments take the maximum, so
     * joints don't double up; separate strokes add.
     */
    void stroke(double[] pts, double hw0, double hw1, double amount, Profile profile) {
        int segs = pts.length / 2 - 1;
        if (segs < 1) return;
        if (scratch == null) scratch = new float[n * n];
        double[] sx = new double[segs + 1], sy = new double[segs + 1], cum = new double[segs + 1];
        for (int i = 0; i <= segs; i++) { sx[i] = pts[2 * i] * n - 0.5; sy[i] = pts[2 * i + 1] * n - 0.5; }
        for (int i = 1; i <= segs; i++) cum[i] = cum[i - 1] + Math.hypot(sx[i] - sx[i - 1], sy[i] - sy[i - 1]);
        double total = Math.max(1e-9, cum[segs]);
        int bx0 = n, bx1 = -1, by0 = n, by1 = -1;
        // Each segment only visits its own bounding box; the stroke's maximum collects in a scratch buffer.
        for (int s = 0; s < segs; s++) {
            double ha = (hw0 + (hw1 - hw0) * cum[s] / total) * n, hb = (hw0 + (hw1 - hw0) * cum[s + 1] / total) * n;
            double pad = Math.max(ha, hb) + 1.5;
            int x0 = Math.max(0, (int) Math.floor(Math.min(sx[s], sx[s + 1]) - pad));
            int x1 = Math.min(n - 1, (int) Math.ceil(Math.max(sx[s], sx[s + 1]) + pad));
            int y0 = Math.max(0, (int) Math.floor(Math.min(sy[s], sy[s + 1]) - pad));
            int y1 = Math.min(n - 1, (int) Math.ceil(Math.max(sy[s], sy[s + 1]) + pad));
            if (x0 > x1 || y0 > y1) continue;
            bx0 = Math.min(bx0, x0); bx1 = Math.max(bx1, x1); by0 = Math.min(by0, y0); by1 = Math.max(by1, y1);
            double ax = sx[s], ay = sy[s], dx = sx[s + 1] - ax, dy = sy[s + 1] - ay;
            double len2 = dx * dx + dy * dy;
            for (int y = y0; y <= y1; y++) {
                for (int x = x0; x <= x1; x++) {
                    double t = len2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / len2 : 0;
                    t = t < 0 ? 0 : (t > 1 ? 1 : t);
                    double ex = x - ax - t * dx, ey = y - ay - t * dy;
                    double d2 = ex * ex + ey * ey;
                    double hw = ha + (hb - ha) * t;
                    if (d2 > (hw + 1) * (hw + 1)) continue;
                    float v = (float) value(profile, Math.sqrt(d2), hw);
                    int i = y * n + x;
                    if (v > scratch[i]) scratch[i] = v;
                }
            }
        }
        for (int y = by0; y <= by1; y++) {
            for (int x = bx0; x <= bx1; x++) {
                int i = y * n + x;
                float v = scratch[i];
                if (v != 0f) {
                    px[i] += (float) (amount * v);
                    scratch[i] = 0f;
                }
            }
        }
    }

    private static double value(Profile p, double dist, double hw) {
        // Anti-aliased edge: one pixel wide ramp around the border.
        double edge = Math.max(0, Math.min(1, hw - dist + 0.5));
        if (edge <= 0) return 0;
        double r = Math.min(1, dist / Math.max(hw, 1e-6));
        switch (p) {
            case BONE: return edge * (0.55 + 0.45 * r * r * r * r);
            case TUBE: { double q = 1 - r * r; return edge * (0.1 + 0.9 * q * q); } // bell-shaped, no exp()
            default: return edge;
        }
    }

    static double[] polyline(List<double[]> points) {
        double[] out = new double[points.size() * 2];
        for (int i = 0; i < points.size(); i++) { out[2 * i] = points.get(i)[0]; out[2 * i + 1] = points.get(i)[1]; }
        return out;
    }
}
