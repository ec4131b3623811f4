package org.pneumoscope.pipeline;

import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.ImageCache;
import org.pneumoscope.data.ImageDecoder;
import org.pneumoscope.data.Preprocess;
import org.pneumoscope.data.Sample;
import org.pneumoscope.explain.CamResult;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Does Grad-CAM look at the lesion? On phantoms, whose lesion masks are known: the pointing game
 * (Zhang et al. 2016: a hit when the map's maximum falls on the lesion, within a small tolerance)
 * and the share of the map's energy inside the mask compared with the mask's share of the image.
 */
public final class PointingGame {
    private PointingGame() {}

    /**
     * How far (Chebyshev, in pixels) the map's maximum may fall from the lesion and still count as a hit: Zhang et
     * al.'s 15 px at 224 px (6.7 % of the side), scaled to the network's input size — 9 px at 128 px. A layer4 map
     * at 128 px has one cell per 32 px, so a tighter tolerance mostly measures where the cell grid happens to fall.
     */
    public static int tolerance(int size) {
        return Math.max(1, Math.round(size * 15f / 224));
    }

    /**
     * The hit rate of a maximum dropped uniformly at random: the share of pixels within {@code tol} of the mask.
     * A map that ignores the image scores this on average.
     */
    public static double chance(GreyImage mask, int tol) {
        int w = mask.width(), h = mask.height(), near = 0;
        // distance to the mask along rows first, then columns: a separable Chebyshev dilation
        int[] rowDist = new int[w * h];
        for (int y = 0; y < h; y++) {
            int last = -1_000_000;
            for (int x = 0; x < w; x++) {
                if (mask.get(x, y) > 127) last = x;
                rowDist[y * w + x] = x - last;
            }
            last = 1_000_000;
            for (int x = w - 1; x >= 0; x--) {
                if (mask.get(x, y) > 127) last = x;
                rowDist[y * w + x] = Math.min(rowDist[y * w + x], last - x);
            }
        }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                boolean hit = false;
                for (int yy = Math.max(0, y - tol); yy <= Math.min(h - 1, y + tol) && !hit; yy++)
                    hit = rowDist[yy * w + x] <= tol;
                if (hit) near++;
            }
        return near / (double) (w * h);
    }

    /**
     * The pointing game over {@code n} images: the share of maps whose peak fell within the tolerance of the lesion,
     * the mean share of the map's energy inside the lesion mask, the mean area the masks cover, and the hit rate a
     * randomly placed peak would reach on the same masks. NaN rates when {@code n} is 0 (no masks found).
     */
    public record Score(int n, double hitRate, double energyInMask, double maskAreaFraction, double chanceHitRate) {
        /** No images scored (no masks found, or not asked for). */
        public static final Score NONE = new Score(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

        /** Writes the figures under evaluate's metrics.json names. */
        public void writeTo(com.fasterxml.jackson.databind.node.ObjectNode o) {
            o.put("n", n);
            o.put("hit_rate", hitRate);
            o.put("energy_in_mask", energyInMask);
            o.put("mask_area_fraction", maskAreaFraction);
            o.put("chance_hit_rate", chanceHitRate);
        }
    }

    /** @param dataRoot folder holding {@code masks/} with the same relative names as the images */
    public static Score score(TrainedModel model, List<Sample> samples, Path dataRoot, ImageCache cache, int maxImages) {
        return score(model, samples, dataRoot, cache, maxImages, null);
    }

    /** As above for a named feature layer (null = the last); earlier layers give finer maps (8×8 vs 4×4 at 128 px). */
    public static Score score(TrainedModel model, List<Sample> samples, Path dataRoot, ImageCache cache, int maxImages, String layer) {
        int size = model.recipe().size();
        int tol = tolerance(size);
        int n = 0, hits = 0;
        double energy = 0, area = 0, chance = 0;
        Path root = dataRoot.toAbsolutePath().normalize();
        for (Sample s : samples) {
            if (n >= maxImages) break;
            if (s.label() != Label.BACTERIA) continue;
            Path f = s.file().toAbsolutePath().normalize();
            if (!f.startsWith(root)) continue;
            Path mask = root.resolve("masks").resolve(root.relativize(f));
            if (!Files.isRegularFile(mask)) continue;
            try {
                GreyImage img = cache.get(s.file(), model.recipe());
                GreyImage m = Preprocess.resize(ImageDecoder.decode(mask), size, model.resizeMode());
                CamResult c = model.explain(img, layer, Label.BACTERIA.index());
                double[] r = measure(c, m, tol);
                if (r == null) continue;
                n++;
                if (r[0] > 0) hits++;
                energy += r[1];
                area += r[2];
                chance += chance(m, tol);
            } catch (DecodeException e) {
                // an unreadable mask or image only shrinks the sample
            }
        }
        return n == 0 ? Score.NONE
                : new Score(n, hits / (double) n, energy / n, area / n, chance / n);
    }

    /** {hit (1/0), energy fraction inside mask, mask area fraction}; null for an empty mask. */
    public static double[] measure(CamResult c, GreyImage mask, int tol) {
        int w = c.width(), h = c.height();
        if (mask.width() != w || mask.height() != h) throw new IllegalArgumentException("mask and map differ in size");
        int inMask = 0, bx = 0, by = 0;
        double total = 0, inside = 0, best = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double v = c.at(x, y);
                boolean m = mask.get(x, y) > 127;
                total += v;
                if (m) { inside += v; inMask++; }
                if (v > best) { best = v; bx = x; by = y; }
            }
        if (inMask == 0) return null;
        boolean hit = false;
        for (int y = Math.max(0, by - tol); y <= Math.min(h - 1, by + tol) && !hit; y++)
            for (int x = Math.max(0, bx - tol); x <= Math.min(w - 1, bx + tol); x++)
                if (mask.get(x, y) > 127) { hit = true; break; }
        return new double[] {hit ? 1 : 0, total > 0 ? inside / total : 0, inMask / (double) (w * h)};
    }
}
