package org.pneumoscope.report;

/**
 * A published human-reader figure to show beside the model's accuracy, with where it comes from.
 *
 * @param label  what the figure is, e.g. "Radiologists' reading rate"
 * @param rate   the figure as a fraction (0.69 for 69 %)
 * @param source citation shown under the comparison
 */
public record ReaderReference(String label, double rate, String source) {
    /**
     * The reading rate of radiologists that the seed study compared against: 69 %, a KAIST 2020 figure.
     * It was not measured on the images of any particular Pneumoscope run.
     */
    public static final ReaderReference KAIST_2020 = new ReaderReference(
            "Radiologists' reading rate", 0.69, "KAIST 2020, the figure the seed study compared against");

    public ReaderReference {
        if (!(rate >= 0 && rate <= 1)) throw new IllegalArgumentException("reader rate must be in [0,1], got " + rate);
    }
}
