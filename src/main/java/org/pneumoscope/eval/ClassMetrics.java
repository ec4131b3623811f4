package org.pneumoscope.eval;

/**
 * One-vs-rest metrics of one class. Conventions for undefined values (NaN, written as null in JSON):
 * <ul>
 *   <li>precision = tp/(tp+fp); a class that is never predicted has precision 0 (scikit-learn's
 *       {@code zero_division=0}), so a model that ignores a class is penalised rather than excused;</li>
 *   <li>recall (sensitivity) = tp/support; NaN when the class is absent from the data (support 0);</li>
 *   <li>specificity = tn/(tn+fp); NaN when every image belongs to this class;</li>
 *   <li>f1 = 2·precision·recall/(precision+recall); 0 when both are 0; NaN when recall is NaN;</li>
 *   <li>auc: one-vs-rest ROC AUC on the class probability; NaN when the data has only positives or only negatives.</li>
 * </ul>
 *
 * @param recallCi 95 % patient-bootstrap interval for recall
 */
public record ClassMetrics(String name, int support, int tp, int fn, int fp, int tn,
                           double precision, double recall, double specificity, double f1, double auc,
                           Interval recallCi) {
    /** True when the class occurs in the data; an absent class counts in macro averages only when it was predicted (as 0). */
    public boolean present() { return support > 0; }
}
