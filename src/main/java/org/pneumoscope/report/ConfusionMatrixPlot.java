package org.pneumoscope.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

/**
 * Confusion-matrix heatmaps drawn directly with Graphics2D: raw counts (shaded by count) beside the
 * row-normalised matrix (each true-class row sums to 100 %, so the diagonal is each class's recall).
 * Rows are the true class, columns the predicted class.
 */
public final class ConfusionMatrixPlot {
    static { Plots.headless(); }

    public static final int WIDTH = 900, HEIGHT = 392;
    /** Sequential blues from near-white to dark navy. */
    private static final Color[] RAMP = {new Color(0xF7FBFF), new Color(0xC6DBEF), new Color(0x6BAED6),
            new Color(0x2171B5), new Color(0x08306B)};

    private ConfusionMatrixPlot() {}

    public static BufferedImage render(int[][] counts, List<String> classes) {
        int k = classes.size();
        if (counts.length != k) throw new IllegalArgumentException("confusion matrix has " + counts.length + " rows for " + k + " classes");
        BufferedImage img = new BufferedImage(WIDTH * Plots.SCALE, HEIGHT * Plots.SCALE, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            Plots.hints(g);
            g.scale(Plots.SCALE, Plots.SCALE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            long max = 1;
            for (int[] row : counts) for (int c : row) max = Math.max(max, c);
            double[][] shadeCounts = new double[k][k], norm = new double[k][k];
            String[][] labelCounts = new String[k][k], labelNorm = new String[k][k];
            for (int i = 0; i < k; i++) {
                long sum = 0;
                for (int c : counts[i]) sum += c;
                for (int j = 0; j < k; j++) {
                    shadeCounts[i][j] = (double) counts[i][j] / max;
                    labelCounts[i][j] = Integer.toString(counts[i][j]);
                    norm[i][j] = sum == 0 ? Double.NaN : (double) counts[i][j] / sum;
                    labelNorm[i][j] = sum == 0 ? "\u2013" : String.format(Locale.ROOT, "%.1f%%", 100 * norm[i][j]);
                }
            }
            panel(g, 0, "Counts", shadeCounts, labelCounts, classes);
            panel(g, WIDTH / 2, "Row-normalised (diagonal = recall)", norm, labelNorm, classes);
        } finally {
            g.dispose();
        }
        return img;
    }

    private static void panel(Graphics2D g, int x0, String title, double[][] shade, String[][] text, List<String> classes) {
        int k = classes.size();
        int cell = Math.min(96, 270 / k);
        int gridX = x0 + 150, gridY = 62;
        g.setFont(Plots.font(Font.BOLD, 15f));
        g.setColor(Plots.INK);
        FontMetrics fm = g.getFontMetrics();
        g.drawString(title, gridX + (cell * k - fm.stringWidth(title)) / 2f, 34);

        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                double v = shade[i][j];
                int x = gridX + j * cell, y = gridY + i * cell;
                g.setColor(Double.isNaN(v) ? new Color(0xF2F4F7) : ramp(v));
                g.fillRect(x, y, cell, cell);
                g.setColor(Color.WHITE);
                g.setStroke(new BasicStroke(2f));
                g.drawRect(x, y, cell, cell);
                g.setFont(Plots.font(i == j ? Font.BOLD : Font.PLAIN, 17f));
                g.setColor(!Double.isNaN(v) && v > 0.55 ? Color.WHITE : Plots.INK);
                FontMetrics cm = g.getFontMetrics();
                String s = text[i][j];
                g.drawString(s, x + (cell - cm.stringWidth(s)) / 2f, y + cell / 2f + cm.getAscent() / 2.8f);
            }
        }
        g.setColor(new Color(0xB8C2CC));
        g.setStroke(new BasicStroke(1f));
        g.drawRect(gridX, gridY, cell * k, cell * k);

        g.setFont(Plots.font(Font.PLAIN, 13f));
        g.setColor(Plots.INK);
        FontMetrics lm = g.getFontMetrics();
        for (int i = 0; i < k; i++) {
            String s = classes.get(i);
            g.drawString(s, gridX - 10 - lm.stringWidth(s), gridY + i * cell + cell / 2f + lm.getAscent() / 2.8f);
            g.drawString(s, gridX + i * cell + (cell - lm.stringWidth(s)) / 2f, gridY + k * cell + 20);
        }
        g.setFont(Plots.font(Font.PLAIN, 12f));
        g.setColor(Plots.MUTED);
        FontMetrics am = g.getFontMetrics();
        String px = "Predicted class";
        g.drawString(px, gridX + (cell * k - am.stringWidth(px)) / 2f, gridY + k * cell + 44);
        String py = "True class";
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        g.drawString(py, -(gridY + (cell * k + am.stringWidth(py)) / 2f), gridX - 92);
        g.setTransform(saved);
    }

    /** Colour of a value in [0, 1] on the blue ramp. */
    static Color ramp(double v) {
        double t = Math.max(0, Math.min(1, v)) * (RAMP.length - 1);
        int i = Math.min(RAMP.length - 2, (int) Math.floor(t));
        double f = t - i;
        Color a = RAMP[i], b = RAMP[i + 1];
        return new Color((int) Math.round(a.getRed() + f * (b.getRed() - a.getRed())),
                (int) Math.round(a.getGreen() + f * (b.getGreen() - a.getGreen())),
                (int) Math.round(a.getBlue() + f * (b.getBlue() - a.getBlue())));
    }
}
