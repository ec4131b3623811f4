package org.pneumoscope.synth;

import org.pneumoscope.augment.FloatImage;
import org.pneumoscope.augment.ImageOps;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.Filters;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Draws synthetic frontal (PA) chest radiographs: the project's embedded data, since no real X-ray ships with it.
 *
 * <p>Each phantom is built as a map of X-ray attenuation ("density") in an upright, centred frame: soft-tissue
 * thorax, two air-filled lung fields, posterior and anterior ribs, clavicles, spine, trachea and main bronchi,
 * mediastinum with heart shadow and aortic knob, diaphragm domes, pulmonary vessels branching from the hila,
 * optionally a gastric bubble, nipple shadows or ECG electrodes. Disease adds density inside the lungs:
 * <ul>
 *   <li>bacterial pneumonia: one dense, fairly well-defined lobar consolidation, mostly in the lower or middle
 *       zone of one lung, sometimes cut straight by a fissure, with air bronchograms;</li>
 *   <li>viral pneumonia: bilateral hazy reticular / ground-glass opacity, heaviest around the hila;</li>
 *   <li>normal: clear lungs.</li>
 * </ul>
 * The density map is then positioned (shift, scale, rotation), exposed through a film-like S-shaped response
 * with random level, latitude and gamma, and given grain and blur. Patient anatomy, positioning and exposure
 * all vary, so overall brightness says little about the class: a model has to find the lesion.
 */
public final class PhantomGenerator {

    /**
     * One rendered film. {@code lesionMask} is 255 inside the lesion and 0 elsewhere (all 0 for normal);
     * {@code lungMask} is 255 over the visible lung fields (the heart shadow excluded).
     */
    public record Phantom(Label label, GreyImage image, GreyImage lesionMask, GreyImage lungMask) {
        public int lesionPixels() { return count(lesionMask); }

        private static int count(GreyImage m) {
            int c = 0;
            for (byte b : m.pixels()) if (b != 0) c++;
            return c;
        }
    }

    /**
     * A patient's build, in fractions of the image width/height in an upright centred frame. Two films of the
     * same patient share it and differ in positioning, exposure and (for pneumonia) the lesion.
     */
    public record Anatomy(double mid, double thoraxHalfWidth, double wall, double apexY, double baseY,
                          double domeHeight, double rightDomeRaise, double mediastinumHalfWidth,
                          double heartLeft, double heartRight, double heartTop, int ribs, double ribHalfWidth,
                          double ribDensity, double ribArch, double lungAir, double vascularity,
                          double neckHalfWidth, double shoulderY, double shoulderSlope, double shoulderExtra,
                          double clavicleHalfWidth,
                          boolean gastricBubble, boolean nippleShadows, long vesselSeed) {

        public static Anatomy sample(Random r) {
            double apex = u(r, 0.10, 0.17);
            return new Anatomy(
                    u(r, 0.485, 0.515), u(r, 0.33, 0.41), u(r, 0.04, 0.09), apex, u(r, 0.80, 0.90),
                    u(r, 0.06, 0.10), u(r, 0.0, 0.035), u(r, 0.045, 0.07),
                    u(r, 0.15, 0.23), u(r, 0.075, 0.11), u(r, 0.26, 0.36), 9 + r.nextInt(2), u(r, 0.013, 0.018),
                    u(r, 0.07, 0.16), u(r, 0.05, 0.10), u(r, 0.45, 0.62), u(r, 0.7, 1.3),
                    u(r, 0.12, 0.17), apex - u(r, 0.05, 0.10), u(r, 0.6, 1.4), u(r, 0.0, 0.10), u(r, 0.011, 0.016),
                    r.nextDouble() < 0.4, r.nextDouble() < 0.3, r.nextLong());
        }
    }

    /** How one film was taken: positioning, exposure, detector. */
    private record Acquisition(double angle, double scale, double shiftX, double shiftY, double inspiration,
                               double level, double latitude, double gamma, double gradX, double gradY,
                               double noise, double blur, boolean electrodes) {
        static Acquisition sample(Random r) {
            return new Acquisition(u(r, -6, 6), u(r, 0.90, 1.08), u(r, -0.04, 0.04), u(r, -0.04, 0.05),
                    u(r, -0.03, 0.03), u(r, 0.50, 0.80), u(r, 0.16, 0.30), u(r, 0.75, 1.35),
                    u(r, -0.06, 0.06), u(r, -0.05, 0.05), u(r, 0.006, 0.025), u(r, 0.35, 0.9),
                    r.nextDouble() < 0.2);
        }
    }

    private static double u(Random r, double lo, double hi) { return lo + r.nextDouble() * (hi - lo); }

    private static double clamp(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

    private static double smoothstep(double e0, double e1, double x) {
        double t = clamp((x - e0) / (e1 - e0), 0, 1);
        return t * t * (3 - 2 * t);
    }

    private static double sq(double x) { return x * x; }

    /** A random film of the given class, {@code size} x {@code size} pixels. */
    public Phantom render(Label label, int size, Random rng) {
        return render(label, size, Anatomy.sample(rng), rng);
    }

    /** A film of a given patient's anatomy; positioning, exposure and lesion come from {@code rng}. */
    public Phantom render(Label label, int size, Anatomy anatomy, Random rng) {
        if (size < 32 || size > 4096) throw new IllegalArgumentException("phantom size must be 32..4096 px, got " + size);
        Acquisition acq = Acquisition.sample(rng);
        Frame f = new Frame(anatomy, acq, size);
        f.drawAnatomy(new SplittableRandom(rng.nextLong()));
        switch (label) {
            case BACTERIA: f.drawConsolidation(rng); break;
            case VIRUS: f.drawInterstitial(rng); break;
            default: break;
        }
        return f.expose(label, new SplittableRandom(rng.nextLong()));
    }

    /** The canonical (upright, centred) density map of one film under construction. */
    private static final class Frame {
        final Anatomy a;
        final Acquisition q;
        final int n;
        final double baseY, height, soft;
        final double[] sideBase = new double[2]; // lung base per side: [image left = patient right, image right]
        final float[] density, body, lung, lungVisible, heart, thick, lesionMask;
        final Canvas bones, vessels;
        double vascularBoost = 1;

        Frame(Anatomy a, Acquisition q, int n) {
            this.a = a;
            this.q = q;
            this.n = n;
            baseY = a.baseY() + q.inspiration();
            height = baseY - a.apexY();
            sideBase[0] = baseY - a.rightDomeRaise();
            sideBase[1] = baseY;
            soft = Math.max(0.9 / n, 0.004);
            density = new float[n * n];
            body = new float[n * n];
            lung = new float[n * n];
            lungVisible = new float[n * n];
            heart = new float[n * n];
            thick = new float[n * n];
            lesionMask = new float[n * n];
            bones = new Canvas(n);
            vessels = new Canvas(n);
        }

        int sign(int side) { return side == 0 ? -1 : 1; }

        double lungMedial(double t) { return a.mediastinumHalfWidth() + 0.012 * clamp(t, 0, 1); }

        double lungLateral(double t) { return a.thoraxHalfWidth() * (0.60 + 0.40 * Math.sqrt(clamp(t / 0.55, 0, 1))); }

        /** Signed distance-like margin inside one lung (positive inside), side 0 = image left. */
        double lungMargin(double x, double y, int side) {
            double d = sign(side) * (x - a.mid());
            double base = sideBase[side], h = base - a.apexY();
            double t = (y - a.apexY()) / h;
            double dMed = lungMedial(t), dLat = lungLateral(t);
            double qx = (d - dMed) / (a.thoraxHalfWidth() - dMed);
            double top = a.apexY() + 0.30 * h * sq((qx - 0.42) / 0.58);
            double bump = qx < 0.45 ? 1 - sq((0.45 - qx) / 0.75) : 1 - sq((qx - 0.45) / 0.55);
            double dome = base - a.domeHeight() * Math.max(0, bump);
            return Math.min(Math.min(d - dMed, dLat - d), Math.min(y - top, dome - y));
        }

        /** Lateral fraction across the lung at height t (0 medial, 1 lateral). */
        double lateralFraction(double x, double y, int side) {
            double d = sign(side) * (x - a.mid());
            double t = (y - a.apexY()) / (sideBase[side] - a.apexY());
            double dMed = lungMedial(t), dLat = lungLateral(t);
            return clamp((d - dMed) / Math.max(1e-6, dLat - dMed), 0, 1);
        }

        /**
         * Heart and mediastinal shadow below the aortic knob: a pear sitting on the diaphragm, its left border
         * (image right) bulging far into the left lung, its right border (right atrium) less so.
         */
        double heartMargin(double x, double y) {
            double top = a.apexY() + a.heartTop() * height;
            return heartMargin(x - a.mid(), y - top, heartLeft(y), heartRight(y));
        }

        double heartMargin(double dx, double belowTop, double left, double right) {
            return Math.min(Math.min(left - dx, dx + right), belowTop + 0.02);
        }

        double heartT(double y) {
            double top = a.apexY() + a.heartTop() * height;
            return (y - top) / (sideBase[1] - top);
        }

        double heartLeft(double y) {
            double t = heartT(y), med = a.mediastinumHalfWidth();
            return med + (a.heartLeft() - med) * Math.pow(Math.sin(Math.PI / 2 * clamp(t / 0.85, 0, 1)), 0.75)
                    * (1 - 0.12 * smoothstep(0.85, 1.15, t));
        }

        double heartRight(double y) {
            double med = a.mediastinumHalfWidth();
            return med + (a.heartRight() - med) * Math.sin(Math.PI / 2 * clamp(heartT(y) / 0.75, 0, 1));
        }

        /** The aortic knob: a bump on the left upper mediastinal border. */
        double aortaMargin(double x, double y) {
            double cx = a.mid() + a.mediastinumHalfWidth() + 0.004, cy = a.apexY() + 0.20 * height;
            double dx = x - cx, dy = (y - cy) * 0.8;
            return 0.03 - Math.sqrt(dx * dx + dy * dy);
        }

        /** Half width of the trunk at height y: barrel-shaped, flaring into the shoulders and arms at the top. */
        double trunkHalfWidth(double y) {
            return (a.thoraxHalfWidth() + a.wall()) * (0.92 + 0.08 * Math.sqrt(clamp((y - a.apexY() + 0.05) / 0.4, 0, 1)))
                    + a.shoulderExtra() * smoothstep(a.apexY() + 0.15, a.apexY() - 0.02, y);
        }

        /** Trunk below the sloping shoulder line, united with the neck. */
        double bodyMargin(double x, double y, double trunkHalfWidth) {
            double d = Math.abs(x - a.mid());
            double over = Math.max(0, d - a.neckHalfWidth());
            double shoulderLine = a.shoulderY() + a.shoulderSlope() * Math.pow(over, 1.3);
            // The neck flares into the shoulders instead of meeting them at a corner.
            double neck = a.neckHalfWidth() + 0.06 * sq(smoothstep(a.shoulderY() - 0.08, a.shoulderY() + 0.04, y));
            return Math.max(Math.min(trunkHalfWidth - d, y - shoulderLine), neck - d);
        }

        void drawAnatomy(SplittableRandom r) {
            float[] mottle = ValueNoise.field(n, 9, r);
            double mid = a.mid();
            double carinaY = a.apexY() + 0.26 * height;
            double hy = a.apexY() + 0.40 * height;
            double wbMax = a.thoraxHalfWidth() + a.wall() + a.shoulderExtra();
            double discPeriod = height / 10.5;
            double heartTop = a.apexY() + a.heartTop() * height;
            double lungSoft = Math.max(1.2 / n, 0.006);
            for (int py = 0; py < n; py++) {
                double y = (py + 0.5) / n;
                double disc = sq(Math.cos(Math.PI * (y - a.apexY()) / discPeriod));
                double trachea = y < carinaY + 0.01 ? 0.22 * smoothstep(carinaY + 0.01, carinaY - 0.01, y) : 0;
                double trunk = trunkHalfWidth(y);
                double hLeft = heartLeft(y), hRight = heartRight(y);
                double[] zone = new double[2];
                for (int s = 0; s < 2; s++) {
                    double t = clamp((y - a.apexY()) / (sideBase[s] - a.apexY()), 0, 1);
                    zone[s] = 0.80 + 0.20 * Math.sin(Math.PI * Math.min(1, t * 1.15));
                }
                for (int px = 0; px < n; px++) {
                    double x = (px + 0.5) / n;
                    int i = py * n + px;
                    double bm = smoothstep(-0.012, 0.012, bodyMargin(x, y, trunk));
                    double d = Math.abs(x - mid);
                    double tissue = 0.55 + 0.47 * Math.sqrt(Math.max(0, 1 - sq(d / wbMax)));
                    double dens = bm * tissue;

                    double l0 = smoothstep(-lungSoft, lungSoft, lungMargin(x, y, 0));
                    double l1 = smoothstep(-lungSoft, lungSoft, lungMargin(x, y, 1));
                    double lm = Math.max(l0, l1);
                    double hm = smoothstep(-soft * 1.5, soft * 1.5, heartMargin(x - mid, y - heartTop, hLeft, hRight));
                    if (d < 0.12 && Math.abs(y - a.apexY() - 0.2 * height) < 0.1)
                        hm = Math.max(hm, smoothstep(-soft * 1.5, soft * 1.5, aortaMargin(x, y)));
                    body[i] = (float) bm;
                    lung[i] = (float) lm;
                    heart[i] = (float) hm;
                    if (lm > 0) {
                        int side = l0 >= l1 ? 0 : 1;
                        double qx = lateralFraction(x, y, side);
                        // More air mid-zone and laterally; apices and bases are overlaid by more soft tissue.
                        double th = (0.72 + 1.12 * qx * (1 - qx)) * zone[side] * (0.9 + 0.2 * mottle[i]);
                        thick[i] = (float) th;
                        lungVisible[i] = (float) (lm * (1 - hm));
                        // The heart hides most, not all, of the lung behind it.
                        dens -= a.lungAir() * th * lm * (1 - 0.8 * hm);
                    }
                    // Spine: vertebral bodies with fainter disc spaces, seen through the mediastinum.
                    if (d < 0.04) dens += bm * smoothstep(0.038, 0.026, d) * (0.06 + 0.05 * disc);
                    if (trachea > 0) dens -= bm * trachea * smoothstep(0.019, 0.012, Math.abs(x - mid - 0.004));
                    // Hilar shadows: the pulmonary arteries.
                    for (int s = -1; s <= 1; s += 2) {
                        double hx = mid + s * (a.mediastinumHalfWidth() + 0.035);
                        double r2 = sq(x - hx) + sq((y - hy) * 0.6);
                        if (r2 < 0.01) dens += 0.08 * Math.exp(-r2 / (2 * sq(0.025)));
                    }
                    density[i] = (float) dens;
                }
            }
            if (a.gastricBubble()) {
                Canvas gas = new Canvas(n);
                // Gastric air bubble just under the left hemidiaphragm.
                double gx = mid + 0.5 * a.thoraxHalfWidth(), gy = sideBase[1] + 0.06;
                gas.stroke(new double[]{gx - 0.035, gy, gx + 0.035, gy + 0.006}, 0.06, 0.05, 0.35, Canvas.Profile.TUBE);
                for (int i = 0; i < density.length; i++) density[i] -= gas.px[i] * body[i];
            }
            drawBronchi(carinaY);
            drawRibs();
            drawVesselTrees(new Random(a.vesselSeed()));
            if (a.nippleShadows()) {
                double ny = a.apexY() + 0.74 * height;
                for (int s = -1; s <= 1; s += 2) {
                    double nx = a.mid() + s * 0.62 * a.thoraxHalfWidth();
                    bones.stroke(new double[]{nx, ny, nx + 0.0001, ny}, 0.011, 0.011, 0.05, Canvas.Profile.TUBE);
                }
            }
            if (q.electrodes()) {
                Random er = new Random(a.vesselSeed() ^ 0x5EEDL);
                int k = 2 + er.nextInt(2);
                for (int e = 0; e < k; e++) {
                    double ex = a.mid() + (er.nextDouble() * 2 - 1) * a.thoraxHalfWidth(), ey = u(er, 0.04, 0.3);
                    bones.stroke(new double[]{ex, ey, ex + 0.0001, ey}, 0.014, 0.014, 0.9, Canvas.Profile.BONE);
                }
            }
        }

        void drawBronchi(double carinaY) {
            Canvas air = new Canvas(n);
            double hy = a.apexY() + 0.38 * height;
            for (int s = -1; s <= 1; s += 2) {
                double hx = a.mid() + s * (a.mediastinumHalfWidth() + 0.025);
                air.stroke(new double[]{a.mid() + 0.004, carinaY, hx, hy}, 0.010, 0.007, 0.15, Canvas.Profile.TUBE);
            }
            for (int i = 0; i < density.length; i++) density[i] -= air.px[i];
        }

        void drawRibs() {
            double w = a.thoraxHalfWidth();
            double spacing = (baseY + 0.02 - a.apexY()) / a.ribs();
            int steps = 14;
            for (int side = -1; side <= 1; side += 2) {
                for (int i = 0; i < a.ribs(); i++) {
                    // Posterior rib: from the spine a short rise, then sloping down across the lung and curling
                    // down the lateral chest wall.
                    double cy = a.apexY() - 0.015 + i * spacing;
                    double dIn = 0.03, dOut = w * (0.97 + 0.05 * Math.min(1, i / 4.0));
                    double rise = 0.012 + 0.012 * a.ribArch() / 0.1, drop = a.ribArch() * (0.8 + 0.4 * i / a.ribs());
                    double[] post = new double[(steps + 1) * 2];
                    for (int k = 0; k <= steps; k++) {
                        double t = k / (double) steps;
                        double v = cy - rise * Math.sin(Math.PI * Math.min(t / 0.5, 1)) + drop * Math.pow(smoothstep(0.2, 1.0, t), 1.3)
                                + 0.035 * sq(Math.max(0, t - 0.85) / 0.15);
                        double d = dIn + (dOut - dIn) * t - 0.01 * sq(Math.max(0, t - 0.85) / 0.15);
                        post[2 * k] = a.mid() + side * d;
                        post[2 * k + 1] = v;
                    }
                    bones.stroke(post, a.ribHalfWidth() * 0.85, a.ribHalfWidth() * 1.1, a.ribDensity(), Canvas.Profile.BONE);
                    // Anterior rib: from the lateral end back down and inward to the (invisible) costal cartilage.
                    double lx = Math.abs(post[2 * steps] - a.mid()), ly = post[2 * steps + 1];
                    double endD = w * (0.32 + 0.12 * i / a.ribs());
                    double[] ant = new double[(steps + 1) * 2];
                    for (int k = 0; k <= steps; k++) {
                        double t = k / (double) steps;
                        ant[2 * k] = a.mid() + side * (lx - t * (lx - endD));
                        ant[2 * k + 1] = ly + 0.11 * Math.pow(t, 1.15) - 0.02 * Math.sin(Math.PI * t);
                    }
                    if (i < a.ribs() - 2)
                        bones.stroke(ant, a.ribHalfWidth() * 1.1, a.ribHalfWidth() * 0.9, a.ribDensity() * 0.4, Canvas.Profile.BONE);
                }
                // Clavicle: from the sternal notch out and up to the shoulder, gently S-shaped.
                double[] cl = new double[(steps + 1) * 2];
                for (int k = 0; k <= steps; k++) {
                    double t = k / (double) steps;
                    double d = 0.035 + t * (w * 0.95 - 0.035);
                    cl[2 * k] = a.mid() + side * d;
                    cl[2 * k + 1] = a.apexY() + 0.01 - 0.07 * t + 0.025 * Math.sin(Math.PI * t);
                }
                bones.stroke(cl, a.clavicleHalfWidth(), a.clavicleHalfWidth() * 1.2, 0.2, Canvas.Profile.BONE);
            }
        }

        void drawVesselTrees(Random r) {
            double hy = a.apexY() + 0.40 * height;
            for (int side = -1; side <= 1; side += 2) {
                double hx = a.mid() + side * (a.mediastinumHalfWidth() + 0.03);
                int roots = 5 + r.nextInt(2);
                for (int k = 0; k < roots; k++) {
                    // Fan out from the hilum: up, out and (mostly) down towards the bases.
                    double ang = Math.toRadians(-75 + 160 * (k + r.nextDouble() * 0.7) / roots);
                    branch(hx, hy, side * Math.cos(ang), Math.sin(ang), u(r, 0.05, 0.075), 0.011, 4, r);
                }
            }
        }

        private void branch(double x, double y, double dx, double dy, double len, double hw, int depth, Random r) {
            double bend = (r.nextDouble() - 0.5) * 0.9;
            double c = Math.cos(bend), s = Math.sin(bend);
            double ndx = dx * c - dy * s, ndy = dx * s + dy * c;
            double mx = x + dx * len * 0.5, my = y + dy * len * 0.5;
            double ex = mx + ndx * len * 0.5, ey = my + ndy * len * 0.5;
            vessels.stroke(new double[]{x, y, mx, my, ex, ey}, hw, hw * 0.75, 0.045, Canvas.Profile.TUBE);
            if (depth == 0) return;
            for (int k = 0; k < 2; k++) {
                double turn = (k == 0 ? -1 : 1) * u(r, 0.2, 0.55);
                double tc = Math.cos(turn), ts = Math.sin(turn);
                branch(ex, ey, ndx * tc - ndy * ts, ndx * ts + ndy * tc, len * u(r, 0.7, 0.9), Math.max(0.0025, hw * 0.72), depth - 1, r);
            }
        }

        /** Bacterial pneumonia: one lobar consolidation, mostly lower/middle zone of one lung. */
        void drawConsolidation(Random r) {
            int side = r.nextDouble() < 0.55 ? 0 : 1;
            double radius = 0.04 + 0.09 * Math.pow(r.nextDouble(), 1.2);
            double cx = 0, cy = 0;
            for (int tries = 0; tries < 400; tries++) {
                double t = u(r, 0.40, 0.88), qx = u(r, 0.15, 0.85);
                double base = sideBase[side], yy = a.apexY() + t * (base - a.apexY());
                double dMed = lungMedial(t), dLat = lungLateral(t);
                double xx = a.mid() + sign(side) * (dMed + qx * (dLat - dMed));
                cx = xx;
                cy = yy;
                if (lungMargin(xx, yy, side) > radius * 0.3 && heartMargin(xx, yy) < -0.01) break;
            }
            int blobs = 4 + r.nextInt(5);
            double[][] b = new double[blobs][3];
            for (int k = 0; k < blobs; k++) {
                b[k][0] = cx + u(r, -1.0, 1.0) * radius;
                b[k][1] = cy + u(r, -0.8, 0.8) * radius;
                b[k][2] = radius * u(r, 0.3, 0.6);
            }
            double edge = u(r, 0.08, 0.25); // well-defined ... fluffier margin
            boolean fissure = r.nextDouble() < 0.4;
            double fy = cy - radius * u(r, 0.2, 0.7), fa = u(r, -0.25, 0.25);
            double strength = 0.3 + 0.65 * Math.pow(r.nextDouble(), 0.8); // fraction of the air replaced
            SplittableRandom sr = new SplittableRandom(r.nextLong());
            float[] tex = ValueNoise.field(n, 26, sr), lobul = ValueNoise.field(n, 9, sr), lobul2 = ValueNoise.field(n, 20, sr);
            Canvas bronchi = new Canvas(n);
            if (r.nextDouble() < 0.8) {
                double hx = a.mid() + sign(side) * (a.mediastinumHalfWidth() + 0.035), hy = a.apexY() + 0.40 * height;
                double dirx = cx - hx, diry = cy - hy, norm = Math.hypot(dirx, diry);
                dirx /= norm;
                diry /= norm;
                int k = 2 + r.nextInt(3);
                for (int j = 0; j < k; j++) {
                    double ang = u(r, -0.6, 0.6), c = Math.cos(ang), s = Math.sin(ang);
                    double ddx = dirx * c - diry * s, ddy = dirx * s + diry * c;
                    double sx = cx - dirx * radius * 0.9 + u(r, -0.3, 0.3) * radius, sy = cy - diry * radius * 0.9 + u(r, -0.3, 0.3) * radius;
                    double l = radius * u(r, 1.1, 1.8);
                    double bend = u(r, -0.15, 0.15) * l;
                    bronchi.stroke(new double[]{sx, sy, sx + ddx * l * 0.5 - ddy * bend, sy + ddy * l * 0.5 + ddx * bend, sx + ddx * l, sy + ddy * l},
                            0.008, 0.0045, 1.0, Canvas.Profile.TUBE);
                }
            }
            int x0 = Math.max(0, (int) ((cx - radius * 3) * n)), x1 = Math.min(n - 1, (int) ((cx + radius * 3) * n));
            int y0 = Math.max(0, (int) ((cy - radius * 3) * n)), y1 = Math.min(n - 1, (int) ((cy + radius * 3) * n));
            for (int py = y0; py <= y1; py++) {
                double y = (py + 0.5) / n;
                for (int px = x0; px <= x1; px++) {
                    double x = (px + 0.5) / n;
                    int i = py * n + px;
                    double field = 0;
                    for (double[] bl : b) field += Math.exp(-(sq(x - bl[0]) + sq(y - bl[1])) / (2 * sq(bl[2])));
                    field += 0.7 * (lobul[i] - 0.5) + 0.35 * (lobul2[i] - 0.5);
                    double m = smoothstep(0.5 - edge, 0.5 + edge, field);
                    if (fissure) m *= smoothstep(-soft, soft, (y - fy) - Math.tan(fa) * (x - cx));
                    // Consolidation fills the lung it's in and stops at the pleura: the lung margin bounds it.
                    m *= smoothstep(-soft, soft, lungMargin(x, y, side));
                    if (m <= 0) continue;
                    double tx = 0.6 + 0.4 * tex[i];
                    double restored = strength * m * tx * (1 - 0.6 * Math.min(1, bronchi.px[i]));
                    density[i] += (float) (a.lungAir() * thick[i] * lung[i] * (1 - 0.8 * heart[i]) * restored);
                    if (m > 0.5 && lungVisible[i] > 0.5) lesionMask[i] = 1f;
                }
            }
        }

        /** Viral pneumonia: bilateral hazy reticular / ground-glass opacity, heaviest around the hila. */
        void drawInterstitial(Random r) {
            double spread = u(r, 0.12, 0.22), floor = u(r, 0.2, 0.45), strength = u(r, 0.25, 0.55);
            double reticular = u(r, 0.35, 0.75);
            double[] sideWeight = {u(r, 0.7, 1.0), u(r, 0.7, 1.0)};
            SplittableRandom sr = new SplittableRandom(r.nextLong());
            float[] net1 = ValueNoise.field(n, u(r, 9, 14), sr), net2 = ValueNoise.field(n, u(r, 16, 24), sr);
            float[] glass = ValueNoise.field(n, 5, sr);
            vascularBoost = u(r, 1.15, 1.6); // peribronchial cuffing makes the hilar markings heavier
            double hy = a.apexY() + 0.42 * height;
            for (int py = 0; py < n; py++) {
                double y = (py + 0.5) / n;
                for (int px = 0; px < n; px++) {
                    int i = py * n + px;
                    if (lung[i] <= 0) continue;
                    double x = (px + 0.5) / n;
                    int side = x < a.mid() ? 0 : 1;
                    double hx = a.mid() + sign(side) * (a.mediastinumHalfWidth() + 0.04);
                    double p = Math.exp(-(sq(x - hx) + sq((y - hy) * 0.7)) / (2 * sq(spread)));
                    double o = (floor + (1 - floor) * p) * sideWeight[side];
                    double ridge = sq(sq(1 - Math.abs(2 * net1[i] - 1))) * 0.6 + sq(sq(1 - Math.abs(2 * net2[i] - 1))) * 0.4;
                    double tex = reticular * ridge * 1.8 + (1 - reticular) * (0.55 + 0.45 * glass[i]);
                    double restored = strength * o * tex;
                    density[i] += (float) (a.lungAir() * thick[i] * lung[i] * (1 - 0.8 * heart[i]) * restored);
                    if (o > 0.55 && lungVisible[i] > 0.5) lesionMask[i] = 1f;
                }
            }
        }

        /** Positions the density map, exposes it like a film and adds grain and blur. */
        Phantom expose(Label label, SplittableRandom r) {
            float[] dens = density.clone();
            double vesselAmp = a.vascularity() * vascularBoost;
            for (int i = 0; i < dens.length; i++) {
                double inLung = lung[i] * (1 - 0.7 * heart[i]);
                dens[i] += body[i] * bones.px[i] * (1 - 0.5 * heart[i]) + (float) (vessels.px[i] * vesselAmp * inLung);
            }
            // Positioning: rotate about the centre, scale and shift (output -> canonical frame).
            double ang = Math.toRadians(q.angle()), c = Math.cos(ang), s = Math.sin(ang);
            double sc = q.scale();
            double cxp = n / 2.0 - 0.5 + q.shiftX() * n, cyp = n / 2.0 - 0.5 + q.shiftY() * n, cc = n / 2.0 - 0.5;
            double[] inv = {c / sc, s / sc, 0, -s / sc, c / sc, 0};
            inv[2] = cc - (inv[0] * cxp + inv[1] * cyp);
            inv[5] = cc - (inv[3] * cxp + inv[4] * cyp);
            float[] img = new float[n * n], lesion = new float[n * n], lungOut = new float[n * n];
            float[] lungBin = new float[n * n];
            for (int i = 0; i < lungBin.length; i++) lungBin[i] = lungVisible[i] > 0.5f ? 1f : 0f;
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    float sx = (float) (inv[0] * x + inv[1] * y + inv[2]), sy = (float) (inv[3] * x + inv[4] * y + inv[5]);
                    int i = y * n + x;
                    img[i] = ImageOps.sample(dens, n, n, sx, sy, ImageOps.Border.REPLICATE);
                    lesion[i] = ImageOps.sample(lesionMask, n, n, sx, sy, ImageOps.Border.CONSTANT);
                    lungOut[i] = ImageOps.sample(lungBin, n, n, sx, sy, ImageOps.Border.CONSTANT);
                }
            }
            // Film response: an S-curve (film's characteristic curve) then gamma, tabulated over density.
            final double lo = -0.6, hi = 2.0;
            final int lutSize = 1024;
            float[] lut = new float[lutSize + 2];
            for (int k = 0; k <= lutSize; k++) {
                double dv = lo + (hi - lo) * k / lutSize;
                lut[k] = (float) Math.pow(1 / (1 + Math.exp(-(dv - q.level()) / q.latitude())), q.gamma());
            }
            lut[lutSize + 1] = lut[lutSize];
            float[] out = new float[n * n];
            for (int y = 0; y < n; y++) {
                double gy = q.gradY() * ((y + 0.5) / n - 0.5);
                for (int x = 0; x < n; x++) {
                    int i = y * n + x;
                    double pos = (clamp(img[i], lo, hi) - lo) / (hi - lo) * lutSize;
                    int k = (int) pos;
                    double v = lut[k] + (pos - k) * (lut[k + 1] - lut[k]);
                    // Heel effect (exposure gradient across the field) and film grain.
                    v += q.gradX() * ((x + 0.5) / n - 0.5) + gy;
                    v += q.noise() * (r.nextDouble() + r.nextDouble() + r.nextDouble() - 1.5) * 2.0;
                    out[i] = (float) v;
                }
            }
            out = Filters.gaussianBlur(out, n, n, q.blur() * n / 128.0);
            ImageOps.clamp01(out);
            GreyImage image = new FloatImage(n, n, out).toGrey();
            return new Phantom(label, image, binary(lesion), binary(lungOut));
        }

        private GreyImage binary(float[] m) {
            byte[] b = new byte[m.length];
            for (int i = 0; i < m.length; i++) b[i] = m[i] >= 0.5f ? (byte) 255 : 0;
            return new GreyImage(n, n, b);
        }
    }

    /** The films a {@link #generate} call wrote. */
    public record Summary(java.nio.file.Path outDir, int total, int bacteria, int virus, int normal, int patients) {}

    /**
     * Writes {@code count} phantoms as {@code bacteria/ virus/ normal/} PNGs, their lesion masks under
     * {@code masks/} (same relative names) and {@code manifest.csv} ({@code file,label,patient_id}).
     * About one patient in four has two films (same anatomy, another positioning and lesion), so grouped splits
     * matter. Every film's randomness is derived from (seed, index), so the output is the same for any
     * {@code threads}.
     */
    public Summary generate(java.nio.file.Path outDir, int count, int size, long seed, int threads) throws java.io.IOException {
        return PhantomSet.write(this, outDir, count, size, seed, threads);
    }

    static List<Label> balancedLabels(int count) {
        List<Label> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(Label.of(i % Label.COUNT));
        return out;
    }
}
