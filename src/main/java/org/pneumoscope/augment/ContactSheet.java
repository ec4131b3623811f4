package org.pneumoscope.augment;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * A preview sheet for checking an augmentation recipe by eye: one row per input image, the original first,
 * then {@code n} augmented copies, each captioned with the transforms that fired (and their drawn values).
 */
public final class ContactSheet {
    private ContactSheet() {}

    /** One input row: a caption (file name, class) and the image, already at the working size. */
    public record Row(String caption, FloatImage image) {}

    private static final int LINE = 12, CAPTION_LINES = 4, GAP = 4;

    public static BufferedImage render(List<Row> rows, Transform pipeline, int n, long seed, int tile) {
        if (rows.isEmpty()) throw new IllegalArgumentException("no images to preview");
        if (n < 1) throw new IllegalArgumentException("need at least one augmented copy per row");
        int captionH = CAPTION_LINES * LINE + 4;
        int cellW = tile + GAP, cellH = tile + captionH + GAP;
        BufferedImage sheet = new BufferedImage(GAP + cellW * (n + 1), GAP + cellH * rows.size(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        g.setColor(new Color(24, 24, 28));
        g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        Augmenter aug = new Augmenter(pipeline, seed);
        for (int r = 0; r < rows.size(); r++) {
            Row row = rows.get(r);
            int y = GAP + r * cellH;
            draw(g, row.image(), GAP, y, tile);
            caption(g, List.of("original", row.caption()), GAP, y + tile, tile, new Color(150, 200, 255));
            for (int k = 0; k < n; k++) {
                int epoch = k, index = r;
                Trace.Traced<FloatImage> t = Trace.capture(() -> aug.apply(row.image(), epoch, index));
                int x = GAP + (k + 1) * cellW;
                draw(g, t.value(), x, y, tile);
                caption(g, t.fired().isEmpty() ? List.of("(nothing fired)") : t.fired(), x, y + tile, tile, new Color(220, 220, 220));
            }
        }
        g.dispose();
        return sheet;
    }

    private static void draw(Graphics2D g, FloatImage img, int x, int y, int tile) {
        BufferedImage b = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_BYTE_GRAY);
        b.getRaster().setDataElements(0, 0, img.width(), img.height(), img.toGrey().pixels());
        g.drawImage(b, x, y, tile, tile, null);
    }

    /** Caption lines under a tile, truncated to the tile width; extra lines are merged into the last one. */
    private static void caption(Graphics2D g, List<String> lines, int x, int y, int width, Color color) {
        List<String> l = new ArrayList<>(lines);
        while (l.size() > CAPTION_LINES) {
            String last = l.remove(l.size() - 1);
            l.set(l.size() - 1, l.get(l.size() - 1) + ", " + last);
        }
        g.setColor(color);
        FontMetrics fm = g.getFontMetrics();
        for (int i = 0; i < l.size(); i++) {
            String s = l.get(i);
            while (s.length() > 1 && fm.stringWidth(s) > width) s = s.substring(0, s.length() - 2) + "…";
            g.drawString(s, x + 1, y + (i + 1) * LINE);
        }
    }
}
