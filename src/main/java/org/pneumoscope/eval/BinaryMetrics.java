package org.pneumoscope.eval;

/**
 * A two-class view of the three-class prediction, as the literature reports it (Kermany et al., Cell 2018):
 * pneumonia vs normal and bacterial vs viral pneumonia. An image counts as a predicted positive when its
 * binary score is at least {@code threshold} (0.5).
 *
 * @param name        "pneumonia_vs_normal" or "bacterial_vs_viral"
 * @param positive    name of the positive class ("pneumonia", "bacteria")
 * @param negative    name of the negative class ("normal", "virus")
 * @param n           images in the view
 * @param sensitivity tp/(tp+fn); NaN when the view has no positives
 * @param specificity tn/(tn+fp); NaN when the view has no negatives
 * @param auc         ROC AUC of the binary score; NaN with one class only
 */
public record BinaryMetrics(String name, String positive, String negative, int n,
                            int tp, int fn, int fp, int tn, double threshold,
                            double accuracy, double sensitivity, double specificity, double auc,
                            Interval accuracyCi, Interval sensitivityCi, Interval specificityCi, Interval aucCi) {
}
