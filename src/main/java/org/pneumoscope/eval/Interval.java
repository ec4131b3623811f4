package org.pneumoscope.eval;

/**
 * A confidence interval {@code [lo, hi]}. Both ends are NaN when the statistic was undefined in every
 * bootstrap replicate (JSON writes them as null).
 */
public record Interval(double lo, double hi) {
    public static final Interval UNDEFINED = new Interval(Double.NaN, Double.NaN);

    public boolean defined() { return !Double.isNaN(lo) && !Double.isNaN(hi); }

    public boolean contains(double x) { return defined() && x >= lo && x <= hi; }
}
