package org.pneumoscope.pipeline;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The warning adapt prints for a profile that calls far fewer films normal than the network as trained. */
class AdaptWarningTest {

    private static AdaptJob.Result result(double[] before, double[] after) {
        return new AdaptJob.Result(Path.of("profile"), 605, 19, before, after, 80, AdaptJob.Estimate.NONE);
    }

    @Test
    void aProfileThatCutsTheNormalShareByMoreThanAQuarterIsWarnedOfWithBothShares() {
        // the failed 64 px profile of the proxies: 64/19/18 % as trained, 68/22/10 % adapted
        AdaptJob.Result failed = result(new double[] {0.64, 0.19, 0.18}, new double[] {0.68, 0.22, 0.10});
        assertTrue(failed.normalShareFell());
        String w = AdaptJob.normalShareWarning(failed);
        assertTrue(w.contains("calls 10 % of these films normal") && w.contains("trained called 18 %"), w);
        assertTrue(w.contains("table L4") && w.contains("labelled films"), w);
        // the next lowest on the proxies (34 -> 31 %), a rise, and a share just above three quarters pass in silence
        for (double[][] m : new double[][][] {
                {{0.30, 0.36, 0.34}, {0.38, 0.31, 0.31}},
                {{0.44, 0.27, 0.29}, {0.36, 0.22, 0.42}},
                {{0.40, 0.20, 0.40}, {0.49, 0.20, 0.31}}}) {
            AdaptJob.Result r = result(m[0], m[1]);
            assertFalse(r.normalShareFell(), java.util.Arrays.toString(m[1]));
            assertNull(AdaptJob.normalShareWarning(r));
        }
    }
}
