package org.pneumoscope.report;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYLineAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.pneumoscope.eval.ReliabilityDiagram;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Paint;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reliability diagram: per confidence bin, the accuracy as a bar and the mean confidence as a dot; a
 * calibrated model's bars reach the dashed diagonal. Bars of bins holding few images are drawn paler, since
 * their accuracy is noisy. Drawn before and, when given, after temperature scaling, side by side.
 */
public final class ReliabilityPlot {
    static { Plots.headless(); }

    public static final int PANEL_WIDTH = 450, HEIGHT = 450;

    private ReliabilityPlot() {}

    /** @param after may be null, then only "before" is drawn */
    public static BufferedImage render(ReliabilityDiagram before, ReliabilityDiagram after) {
        List<JFreeChart> charts = new ArrayList<>();
        charts.add(panel(before, after == null ? "Model output" : "Before calibration", new Color(0x0072B2)));
        if (after != null) charts.add(panel(after, "After temperature scaling", new Color(0x009E73)));
        int width = PANEL_WIDTH * charts.size();
        BufferedImage img = new BufferedImage(width * Plots.SCALE, HEIGHT * Plots.SCALE, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            Plots.hints(g);
            g.scale(Plots.SCALE, Plots.SCALE);
            for (int i = 0; i < charts.size(); i++)
                charts.get(i).draw(g, new Rectangle2D.Double(i * PANEL_WIDTH, 0, PANEL_WIDTH, HEIGHT));
        } finally {
            g.dispose();
        }
        return img;
    }

    private static JFreeChart panel(ReliabilityDiagram d, String title, Color colour) {
        XYIntervalSeries bars = new XYIntervalSeries("accuracy");
        XYSeries conf = new XYSeries("mean confidence");
        List<Integer> counts = new ArrayList<>();
        int maxCount = 1;
        for (ReliabilityDiagram.Bin b : d.bins()) {
            if (b.count() == 0) continue;
            double mid = (b.lower() + b.upper()) / 2;
            bars.add(mid, b.lower(), b.upper(), b.accuracy(), 0, b.accuracy());
            conf.add(mid, b.meanConfidence());
            counts.add(b.count());
            maxCount = Math.max(maxCount, b.count());
        }
        final int max = maxCount;
        XYIntervalSeriesCollection barData = new XYIntervalSeriesCollection();
        barData.addSeries(bars);
        XYBarRenderer br = new XYBarRenderer(0.06) {
            @Override
            public Paint getItemPaint(int row, int column) {
                // opacity grows with the bin's share of images: a bin of 2 images should not look as solid as one of 200
                double share = Math.sqrt((double) counts.get(column) / max);
                int alpha = (int) Math.round(255 * (0.22 + 0.78 * share));
                return new Color(colour.getRed(), colour.getGreen(), colour.getBlue(), alpha);
            }
        };
        br.setBarPainter(new StandardXYBarPainter());
        br.setShadowVisible(false);
        br.setDrawBarOutline(true);
        br.setSeriesOutlinePaint(0, colour.darker());
        br.setSeriesOutlineStroke(0, new BasicStroke(0.8f));

        DecimalFormat one = new DecimalFormat("0.0");
        NumberAxis x = new NumberAxis("Confidence (top-class probability)");
        x.setRange(0, 1);
        x.setTickUnit(new NumberTickUnit(0.2, one));
        NumberAxis y = new NumberAxis("Accuracy in bin");
        y.setRange(0, 1.0);
        y.setTickUnit(new NumberTickUnit(0.2, one));
        XYPlot p = new XYPlot(barData, x, y, br);
        XYLineAndShapeRenderer dots = new XYLineAndShapeRenderer(false, true);
        dots.setSeriesPaint(0, Plots.INK);
        dots.setSeriesShape(0, new Ellipse2D.Double(-3, -3, 6, 6));
        p.setDataset(1, new XYSeriesCollection(conf));
        p.setRenderer(1, dots);
        p.addAnnotation(new XYLineAnnotation(0, 0, 1, 1,
                new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[]{5f, 4f}, 0f),
                new Color(0x7B8794)));

        JFreeChart chart = new JFreeChart(title, Plots.font(Font.BOLD, 14f), p, false);
        TextTitle sub = new TextTitle(String.format(Locale.ROOT, "ECE %s  \u00b7  %d images",
                Double.isNaN(d.ece()) ? "n/a" : String.format(Locale.ROOT, "%.3f", d.ece()), d.n()),
                Plots.font(Font.PLAIN, 12f));
        sub.setPaint(Plots.MUTED);
        sub.setPosition(RectangleEdge.TOP);
        chart.addSubtitle(sub);
        Plots.style(chart);
        chart.getTitle().setFont(Plots.font(Font.BOLD, 14f));
        return chart;
    }
}
