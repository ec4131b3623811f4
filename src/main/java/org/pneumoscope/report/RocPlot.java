package org.pneumoscope.report;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYLineAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.pneumoscope.core.Label;
import org.pneumoscope.eval.RocCurve;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

/** One-vs-rest ROC curves, one per class, with the AUC in the legend and the chance diagonal. */
public final class RocPlot {
    static { Plots.headless(); }

    public static final int WIDTH = 560, HEIGHT = 520;

    private RocPlot() {}

    /** Curves with no points (a class with only positives or only negatives) are listed as "AUC n/a". */
    public static BufferedImage render(List<RocCurve> curves) {
        return render(curves, "ROC, one class vs the rest");
    }

    public static BufferedImage render(List<RocCurve> curves, String title) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        int s = 0;
        for (RocCurve c : curves) {
            String key = c.name() + (Double.isNaN(c.auc()) ? "  (AUC n/a)"
                    : String.format(Locale.ROOT, "  (AUC %.3f)", c.auc()));
            XYSeries series = new XYSeries(key, false, true);
            for (int i = 0; i < c.size(); i++) series.add(c.fpr()[i], c.tpr()[i]);
            data.addSeries(series);
            r.setSeriesPaint(s, colour(c.name(), s));
            r.setSeriesStroke(s, new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            s++;
        }
        NumberAxis x = new NumberAxis("False positive rate (1 \u2212 specificity)");
        NumberAxis y = new NumberAxis("True positive rate (sensitivity)");
        for (NumberAxis a : new NumberAxis[]{x, y}) {
            a.setRange(-0.01, 1.01);
            a.setTickUnit(new NumberTickUnit(0.2, new java.text.DecimalFormat("0.0")));
        }
        XYPlot plot = new XYPlot(data, x, y, r);
        plot.addAnnotation(new XYLineAnnotation(0, 0, 1, 1,
                new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[]{5f, 4f}, 0f),
                new Color(0x9AA5B1)));
        JFreeChart chart = new JFreeChart(title, Plots.font(Font.BOLD, 15f), plot, true);
        Plots.style(chart);
        LegendTitle legend = chart.getLegend();
        legend.setPosition(RectangleEdge.BOTTOM);
        return Plots.render(chart, WIDTH, HEIGHT);
    }

    static Color colour(String name, int fallback) {
        Label l = Label.parse(name);
        if (l != null) return Plots.CLASS_COLOURS[l.index()];
        Color[] extra = {new Color(0x009E73), new Color(0xCC79A7), new Color(0x56B4E9), Plots.INK};
        return extra[fallback % extra.length];
    }
}
