package org.pneumoscope.report;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.category.StatisticalBarRenderer;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.util.Map;

/** Bar charts for experiment summaries. */
public final class BarChart {
    static { Plots.headless(); }

    public static final int WIDTH = 760, HEIGHT = 440;

    private BarChart() {}

    /**
     * One bar per entry (in the map's iteration order — pass a LinkedHashMap to control it) with an error bar
     * of ± std.
     *
     * @param meanAndStd label → {mean, std}; a NaN or missing std draws no error bar
     */
    public static BufferedImage withErrorBars(Map<String, double[]> meanAndStd, String title, String yLabel) {
        if (meanAndStd == null || meanAndStd.isEmpty()) throw new IllegalArgumentException("no bars to draw");
        DefaultStatisticalCategoryDataset data = new DefaultStatisticalCategoryDataset();
        double top = 0;
        for (Map.Entry<String, double[]> e : meanAndStd.entrySet()) {
            double[] v = e.getValue();
            if (v == null || v.length < 1) throw new IllegalArgumentException("bar '" + e.getKey() + "' has no mean");
            double std = v.length > 1 && Double.isFinite(v[1]) ? v[1] : 0;
            data.add(v[0], std, "value", e.getKey());
            if (Double.isFinite(v[0])) top = Math.max(top, v[0] + std);
        }
        StatisticalBarRenderer r = new StatisticalBarRenderer();
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setSeriesPaint(0, new Color(0x0072B2));
        r.setErrorIndicatorPaint(Plots.INK);
        r.setErrorIndicatorStroke(new BasicStroke(1.5f));
        r.setItemMargin(0.0);
        r.setMaximumBarWidth(0.12);
        CategoryAxis x = new CategoryAxis(null);
        if (meanAndStd.size() > 6) x.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        x.setMaximumCategoryLabelLines(2);
        NumberAxis y = new NumberAxis(yLabel);
        y.setAutoRangeIncludesZero(true);
        y.setUpperMargin(0.12);
        if (top > 0) {
            y.setRange(0, top * 1.12);
            y.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(niceStep(top * 1.12 / 6)));
        }
        CategoryPlot plot = new CategoryPlot(data, x, y, r);
        JFreeChart chart = new JFreeChart(title, Plots.font(Font.BOLD, 15f), plot, false);
        Plots.style(chart);
        return Plots.render(chart, WIDTH, HEIGHT);
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}: about six labelled ticks. */
    static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[]{1, 2, 5}) if (m * p >= raw) return m * p;
        return 10 * p;
    }
}
