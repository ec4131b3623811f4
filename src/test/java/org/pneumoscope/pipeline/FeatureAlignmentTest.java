package org.pneumoscope.pipeline;

import org.junit.jupiter.api.Test;
import org.pneumoscope.eval.ShiftReference;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class FeatureAlignmentTest {
    private static final int K = 6, CLASSES = 3;

    private static float[][] films(int n, double scale, double offset, long seed) {
        Random r = new Random(seed);
        float[][] f = new float[n][K];
        for (float[] row : f) for (int c = 0; c < K; c++) row[c] = (float) (offset + c + scale * (c + 1) * Math.abs(r.nextGaussian()));
        return f;
    }

    private static float[] logits(float[] w, float[] b, float[] f) {
        float[] z = b.clone();
        for (int j = 0; j < CLASSES; j++) for (int c = 0; c < K; c++) z[j] += w[j * K + c] * f[c];
        return z;
    }

    @Test
    void theRewrittenHeadReadsEachFilmAsTheOldHeadReadsItsAlignedFeatures() {
        Random r = new Random(1);
        float[] w = new float[CLASSES * K], b = {0.3f, -0.2f, 0.1f};
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        double[][] ref = ShiftReference.channelStatistics(films(400, 1.0, 0.0, 2));
        float[][] site = films(300, 0.6, 0.5, 3); // narrower and moved: blurrier films of another site, say
        SiteAdaptation.Aligned a = SiteAdaptation.alignedHead(w, b, site, ref[0], ref[1]);
        double[][] got = ShiftReference.channelStatistics(site);
        double eps = 0.01 * java.util.Arrays.stream(ref[1]).average().orElseThrow();
        for (float[] f : site) {
            float[] aligned = new float[K];
            for (int c = 0; c < K; c++)
                aligned[c] = (float) (ref[0][c] + (ref[1][c] + eps) / (got[1][c] + eps) * (f[c] - got[0][c]));
            assertArrayEquals(logits(w, b, aligned), logits(a.weight(), a.bias(), f), 1e-4f);
        }
        assertEquals(1.0 / 0.6, a.largestScale(), 0.15, "the site's features were 0.6 times as spread");
    }

    @Test
    void filmsLikeTheReferenceLeaveTheHeadAsItWas() {
        float[][] val = films(200, 1.0, 0.0, 4);
        double[][] ref = ShiftReference.channelStatistics(val);
        float[] w = new float[CLASSES * K], b = {0.3f, -0.2f, 0.1f};
        for (int i = 0; i < w.length; i++) w[i] = i - 7.5f;
        SiteAdaptation.Aligned a = SiteAdaptation.alignedHead(w, b, val, ref[0], ref[1]);
        assertArrayEquals(w, a.weight(), 1e-5f);
        assertArrayEquals(b, a.bias(), 1e-4f);
        assertEquals(1.0, a.largestScale(), 1e-9);
    }
}
