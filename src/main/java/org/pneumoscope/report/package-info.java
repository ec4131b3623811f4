/**
 * Figures (PNG, drawn headless with JFreeChart or Graphics2D) and the self-contained HTML report.
 *
 * <ul>
 *   <li>{@link org.pneumoscope.report.TrainingCurves}: loss, accuracy, per-class validation recall, learning rate
 *       from {@link org.pneumoscope.report.EpochRecord}s;</li>
 *   <li>{@link org.pneumoscope.report.ConfusionMatrixPlot}: counts and row-normalised heatmaps;</li>
 *   <li>{@link org.pneumoscope.report.RocPlot}: one-vs-rest ROC curves;</li>
 *   <li>{@link org.pneumoscope.report.ReliabilityPlot}: reliability diagram before/after temperature scaling;</li>
 *   <li>{@link org.pneumoscope.report.BarChart#withErrorBars}: experiment summaries (mean ± std);</li>
 *   <li>{@link org.pneumoscope.report.Plots}: PNG bytes, data URIs and atomic PNG writes;</li>
 *   <li>{@link org.pneumoscope.report.ReportBuilder}: report.html with every figure embedded.</li>
 * </ul>
 *
 * Every figure is a {@link java.awt.image.BufferedImage} rendered at {@link org.pneumoscope.report.Plots#SCALE}×
 * its layout size so it stays sharp on high-density screens and in print.
 */
package org.pneumoscope.report;
