package org.pneumoscope.report;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleInsets;
import org.pneumoscope.core.AtomicFiles;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Base64;
import javax.imageio.ImageIO;

/**
 * Shared look of every figure (palette, fonts, 2× pixel density) and PNG helpers. All plots are drawn
 * off-screen; the class switches AWT to headless mode before anything touches a display.
 */
public final class Plots {
    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** Pixels per layout unit: figures are laid out at their nominal size and rendered at twice the pixels. */
    public static final int SCALE = 2;

    /** Class colours used in every figure: bacteria, virus, normal (colour-blind safe, Okabe-Ito). */
    public static final Color[] CLASS_COLOURS = {new Color(0xD55E00), new Color(0x7B4FA0), new Color(0x0072B2)};
    public static final Color TRAIN = new Color(0x0072B2);
    public static final Color VALIDATION = new Color(0xE69F00);
    public static final Color INK = new Color(0x1F2933);
    public static final Color MUTED = new Color(0x6B7785);
    public static final Color GRID = new Color(0xE3E8EE);
    public static final String FONT = "DejaVu Sans";

    private Plots() {}

    /** Makes sure AWT runs headless; called by every plot class before it draws. */
    static void headless() { /* the static initialiser did the work */ }

    static Font font(int style, float size) { return new Font(FONT, style, 1).deriveFont(size); }

    /** Renders a chart at {@link #SCALE}× so it stays sharp on high-density screens and in print. */
    static BufferedImage render(JFreeChart chart, int width, int height) {
        BufferedImage img = new BufferedImage(width * SCALE, height * SCALE, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            hints(g);
            g.scale(SCALE, SCALE);
            chart.draw(g, new Rectangle2D.Double(0, 0, width, height));
        } finally {
            g.dispose();
        }
        return img;
    }

    static void hints(Graphics2D g) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
    }

    /** Clean white style: light grid, no outline, readable fonts. */
    static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.setAntiAlias(true);
        chart.setTextAntiAlias(true);
        chart.setPadding(new RectangleInsets(6, 6, 6, 10));
        TextTitle title = chart.getTitle();
        if (title != null) {
            title.setFont(font(Font.BOLD, 15f));
            title.setPaint(INK);
        }
        LegendTitle legend = chart.getLegend();
        if (legend != null) {
            legend.setItemFont(font(Font.PLAIN, 12f));
            legend.setFrame(org.jfree.chart.block.BlockBorder.NONE);
            legend.setBackgroundPaint(Color.WHITE);
        }
        if (chart.getPlot() instanceof XYPlot xy) styleXY(xy);
        if (chart.getPlot() instanceof CategoryPlot cp) {
            cp.setBackgroundPaint(Color.WHITE);
            cp.setOutlineVisible(false);
            cp.setRangeGridlinePaint(GRID);
            cp.setRangeGridlineStroke(new BasicStroke(1f));
            cp.setDomainGridlinesVisible(false);
            styleAxis(cp.getRangeAxis());
            cp.getDomainAxis().setTickLabelFont(font(Font.PLAIN, 12f));
            cp.getDomainAxis().setLabelFont(font(Font.PLAIN, 12f));
            cp.getDomainAxis().setTickLabelPaint(INK);
        }
    }

    static void styleXY(XYPlot p) {
        p.setBackgroundPaint(Color.WHITE);
        p.setOutlineVisible(false);
        p.setDomainGridlinePaint(GRID);
        p.setRangeGridlinePaint(GRID);
        p.setDomainGridlineStroke(new BasicStroke(1f));
        p.setRangeGridlineStroke(new BasicStroke(1f));
        p.setAxisOffset(RectangleInsets.ZERO_INSETS);
        if (p.getDomainAxis() != null) styleAxis(p.getDomainAxis());
        for (int i = 0; i < p.getRangeAxisCount(); i++) if (p.getRangeAxis(i) != null) styleAxis(p.getRangeAxis(i));
    }

    static void styleAxis(ValueAxis a) {
        a.setTickLabelFont(font(Font.PLAIN, 11f));
        a.setLabelFont(font(Font.PLAIN, 12f));
        a.setTickLabelPaint(MUTED);
        a.setLabelPaint(INK);
        a.setAxisLinePaint(new Color(0xB8C2CC));
        a.setTickMarkPaint(new Color(0xB8C2CC));
    }

    /** PNG bytes of an image. */
    public static byte[] png(BufferedImage image) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(image, "png", out)) throw new IOException("no PNG writer available");
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code data:image/png;base64,...} for embedding in a self-contained HTML page. */
    public static String dataUri(BufferedImage image) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png(image));
    }

    /** Writes a PNG atomically. */
    public static void writePng(BufferedImage image, Path file) throws IOException {
        AtomicFiles.write(file, png(image));
    }

    /** An image with a centred grey message, for a figure that cannot be drawn. */
    static BufferedImage message(String text, int width, int height) {
        BufferedImage img = new BufferedImage(width * SCALE, height * SCALE, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        hints(g);
        g.scale(SCALE, SCALE);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(MUTED);
        g.setFont(font(Font.PLAIN, 14f));
        int w = g.getFontMetrics().stringWidth(text);
        g.drawString(text, (width - w) / 2f, height / 2f);
        g.dispose();
        return img;
    }
}
