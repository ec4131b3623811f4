package org.pneumoscope.eval;

/**
 * Picks the images worth showing in a Grad-CAM gallery. Ties go to the lower index, so the choice is
 * reproducible. Each method returns -1 when no image qualifies.
 */
public final class CaseSelection {
    private CaseSelection() {}

    /** The image of class {@code cls}, predicted as {@code cls}, with the highest p(cls). */
    public static int mostConfidentCorrect(int[] labels, float[][] probabilities, int cls) {
        int best = -1;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] != cls || Metrics.argmax(probabilities[i]) != cls) continue;
            if (best < 0 || probabilities[i][cls] > probabilities[best][cls]) best = i;
        }
        return best;
    }

    /**
     * The image of class {@code cls} that the model got wrong most confidently: true label {@code cls},
     * predicted another class, with the highest probability of that wrong prediction.
     */
    public static int mostConfidentWrong(int[] labels, float[][] probabilities, int cls) {
        int best = -1;
        double bestConf = -1;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] != cls) continue;
            int pred = Metrics.argmax(probabilities[i]);
            if (pred == cls) continue;
            if (probabilities[i][pred] > bestConf) {
                best = i;
                bestConf = probabilities[i][pred];
            }
        }
        return best;
    }
}
