package org.pneumoscope.report;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.pneumoscope.core.Label;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Training curves: loss and accuracy (train and validation), validation recall per class, and the learning
 * rate, stacked on one shared epoch axis. NaN values are left out.
 */
public final class TrainingCurves {
    static { Plots.headless(); }

    public static final int WIDTH = 900, HEIGHT = 860;

    private TrainingCurves() {}

    /** The figure at its default size. */
    public static BufferedImage render(List<EpochRecord> epochs) { return render(epochs, WIDTH, HEIGHT); }

    /**
     * @throws IllegalArgumentException when {@code epochs} is empty
     */
    public static BufferedImage render(List<EpochRecord> epochs, int width, int height) {
        if (epochs == null || epochs.isEmpty()) throw new IllegalArgumentException("no epochs to plot");
        NumberAxis epochAxis = new NumberAxis("Epoch");
        epochAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        epochAxis.setAutoRangeIncludesZero(false);
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(epochAxis);
        plot.setGap(14);

        XYSeries trainLoss = new XYSeries("train"), valLoss = new XYSeries("validation");
        XYSeries trainAcc = new XYSeries("train"), valAcc = new XYSeries("validation");
        XYSeries lr = new XYSeries("learning rate");
        XYSeries[] recall = new XYSeries[Label.COUNT];
        for (int k = 0; k < recall.length; k++) recall[k] = new XYSeries(Label.of(k).id());
        boolean anyRecall = false;
        for (EpochRecord e : epochs) {
            add(trainLoss, e.epoch(), e.trainLoss());
            add(valLoss, e.epoch(), e.valLoss());
            add(trainAcc, e.epoch(), e.trainAcc());
            add(valAcc, e.epoch(), e.valAcc());
            if (e.lr() >= 0 && Double.isFinite(e.lr())) lr.add(e.epoch(), e.lr());
            if (e.valRecall() != null)
                for (int k = 0; k < Math.min(recall.length, e.valRecall().length); k++)
                    if (Double.isFinite(e.valRecall()[k])) {
                        recall[k].add(e.epoch(), e.valRecall()[k]);
                        anyRecall = true;
                    }
        }

        NumberAxis lossAxis = new NumberAxis("Loss");
        lossAxis.setAutoRangeIncludesZero(true);
        plot.add(subplot(lossAxis, new XYSeries[]{trainLoss, valLoss}, new Color[]{Plots.TRAIN, Plots.VALIDATION}, true), 3);

        NumberAxis accAxis = new NumberAxis("Accuracy");
        accAxis.setRange(0, 1.02);
        accAxis.setTickUnit(new NumberTickUnit(0.2, new java.text.DecimalFormat("0.0")));
        plot.add(subplot(accAxis, new XYSeries[]{trainAcc, valAcc}, new Color[]{Plots.TRAIN, Plots.VALIDATION}, false), 3);

        if (anyRecall) {
            NumberAxis recAxis = new NumberAxis("Val. recall");
            recAxis.setRange(0, 1.02);
            recAxis.setTickUnit(new NumberTickUnit(0.2, new java.text.DecimalFormat("0.0")));
            plot.add(subplot(recAxis, recall, Plots.CLASS_COLOURS, false), 3);
        }
        if (lr.getItemCount() > 0) {
            // linear: cosine and warm-up schedules read naturally; scientific labels keep small rates legible
            NumberAxis lrAxis = new NumberAxis("Learning rate");
            lrAxis.setAutoRangeIncludesZero(true);
            lrAxis.setNumberFormatOverride(new java.text.DecimalFormat("0.0E0"));
            plot.add(subplot(lrAxis, new XYSeries[]{lr}, new Color[]{Plots.MUTED}, null), 2);
        }
        Plots.styleXY(plot);
        for (Object sub : plot.getSubplots()) Plots.styleXY((XYPlot) sub);

        JFreeChart chart = new JFreeChart(null, Plots.font(Font.BOLD, 15f), plot, true);
        EpochRecord last = epochs.get(epochs.size() - 1);
        String sub = epochs.size() + " epochs";
        if (Double.isFinite(last.imgPerSec()) && last.imgPerSec() > 0)
            sub += String.format(java.util.Locale.ROOT, " \u00b7 %.1f images/s in the last epoch", last.imgPerSec());
        TextTitle subtitle = new TextTitle(sub, Plots.font(Font.PLAIN, 12f));
        subtitle.setPaint(Plots.MUTED);
        chart.addSubtitle(subtitle);
        Plots.style(chart);
        chart.getLegend().setVisible(false);   // each panel carries its own legend (below)
        return Plots.render(chart, width, height);
    }

    private static void add(XYSeries s, int x, double y) {
        if (Double.isFinite(y)) s.add(x, y);
    }

    /** @param legendTop true: legend top right (falling curves), false: bottom right (rising curves), null: none */
    private static XYPlot subplot(ValueAxis axis, XYSeries[] series, Color[] colours, Boolean legendTop) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        int i = 0;
        for (XYSeries s : series) {
            if (s.getItemCount() == 0) continue;
            data.addSeries(s);
            r.setSeriesPaint(i, colours[Math.min(colours.length - 1, indexOf(series, s))]);
            r.setSeriesStroke(i, new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            r.setSeriesShape(i, new Ellipse2D.Double(-2.5, -2.5, 5, 5));
            i++;
        }
        r.setDefaultItemLabelsVisible(false);
        XYPlot p = new XYPlot(data, null, axis, r);
        if (legendTop == null) return p;
        // a small in-panel legend keeps the colours next to the curves they describe
        org.jfree.chart.title.LegendTitle legend = new org.jfree.chart.title.LegendTitle(r);
        legend.setItemFont(Plots.font(Font.PLAIN, 11f));
        legend.setBackgroundPaint(new Color(255, 255, 255, 220));
        legend.setFrame(new org.jfree.chart.block.BlockBorder(Plots.GRID));
        org.jfree.chart.annotations.XYTitleAnnotation ann = new org.jfree.chart.annotations.XYTitleAnnotation(
                0.99, legendTop ? 0.97 : 0.04, legend,
                legendTop ? org.jfree.chart.ui.RectangleAnchor.TOP_RIGHT : org.jfree.chart.ui.RectangleAnchor.BOTTOM_RIGHT);
        p.addAnnotation(ann);
        return p;
    }

    private static int indexOf(XYSeries[] arr, XYSeries s) {
        for (int i = 0; i < arr.length; i++) if (arr[i] == s) return i;
        return 0;
    }
}
