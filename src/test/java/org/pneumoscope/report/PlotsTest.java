package org.pneumoscope.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class PlotsTest {
    static final SyntheticRun RUN = new SyntheticRun(3);

    /** A drawn figure has many colours; a blank or failed one has one or two. */
    static int colours(BufferedImage img) {
        Set<Integer> s = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 3) for (int x = 0; x < img.getWidth(); x += 3) s.add(img.getRGB(x, y));
        return s.size();
    }

    @Test
    void everyFigureRendersAtTwiceItsLayoutSize() {
        BufferedImage tc = TrainingCurves.render(RUN.epochs);
        assertEquals(TrainingCurves.WIDTH * Plots.SCALE, tc.getWidth());
        assertTrue(colours(tc) > 50);
        BufferedImage roc = RocPlot.render(RUN.evaluation.roc());
        assertEquals(RocPlot.WIDTH * Plots.SCALE, roc.getWidth());
        assertTrue(colours(roc) > 50);
        BufferedImage rel = ReliabilityPlot.render(RUN.calibration.before(), RUN.calibration.after());
        assertEquals(2 * ReliabilityPlot.PANEL_WIDTH * Plots.SCALE, rel.getWidth());
        assertTrue(colours(rel) > 50);
        assertEquals(ReliabilityPlot.PANEL_WIDTH * Plots.SCALE, ReliabilityPlot.render(RUN.calibration.before(), null).getWidth());
        assertTrue(colours(BarChart.withErrorBars(Map.of("a", new double[]{0.8, 0.05}), "t", "y")) > 20);
        assertThrows(IllegalArgumentException.class, () -> TrainingCurves.render(List.of()));
        assertThrows(IllegalArgumentException.class, () -> BarChart.withErrorBars(Map.of(), "t", "y"));
    }

    @Test
    void trainingCurvesCopeWithMissingValidation() {
        List<EpochRecord> e = List.of(new EpochRecord(1, 1.0, 0.5, Double.NaN, Double.NaN, 1e-3, Double.NaN, null),
                new EpochRecord(2, 0.8, 0.6, Double.NaN, Double.NaN, 1e-3, Double.NaN, null));
        assertTrue(colours(TrainingCurves.render(e)) > 20);
    }

    @Test
    void degenerateEvaluationsStillGiveACompleteReport() {
        // every image normal and predicted normal with certainty: every AUC undefined, empty ROC curves, one reliability bin
        int n = 6;
        int[] y = new int[n];
        float[][] p = new float[n][];
        for (int i = 0; i < n; i++) {
            y[i] = 2;
            p[i] = new float[]{0f, 0f, 1f};
        }
        org.pneumoscope.eval.EvaluationResult r = org.pneumoscope.eval.Evaluation.of(y, p, null, null,
                new org.pneumoscope.eval.BootstrapConfig(50, 1));
        String html = new ReportBuilder().evaluation(r)
                .trainingHistory(List.of(new EpochRecord(1, 0.5, 0.9, 0.6, 0.8, 1e-3, 10, new double[]{Double.NaN, 0.5, 1})))
                .toHtml();
        assertTrue(html.contains("macro AUC n/a"), "undefined macro AUC is shown as n/a");
        assertTrue(html.contains("100.0\u00a0%"));
        assertFalse(html.contains("Not available: no evaluation"));
    }

    @Test
    void confusionHeatmapShadesByValue() {
        // row-normalised panel: cell (0,0) is 90 % -> dark; cell (0,2) is 0 % -> near white
        int[][] cm = {{90, 10, 0}, {20, 70, 10}, {0, 5, 95}};
        BufferedImage img = ConfusionMatrixPlot.render(cm, List.of("bacteria", "virus", "normal"));
        assertEquals(ConfusionMatrixPlot.WIDTH * Plots.SCALE, img.getWidth());
        int cell = 90, gridX = ConfusionMatrixPlot.WIDTH / 2 + 150, gridY = 62;
        // sample near a cell corner, away from the centred number
        Color dark = new Color(img.getRGB((gridX + 8) * Plots.SCALE, (gridY + 8) * Plots.SCALE));
        Color light = new Color(img.getRGB((gridX + 2 * cell + 8) * Plots.SCALE, (gridY + 8) * Plots.SCALE));
        assertTrue(dark.getRed() + dark.getGreen() < 200, "90 % cell should be dark: " + dark);
        assertTrue(light.getRed() > 230 && light.getGreen() > 230, "0 % cell should be near white: " + light);
        assertEquals(new Color(0xF7FBFF), ConfusionMatrixPlot.ramp(0));
        assertEquals(new Color(0x08306B), ConfusionMatrixPlot.ramp(1));
    }

    @Test
    void pngIsWrittenAndDataUriEmbedsIt(@TempDir Path dir) throws Exception {
        BufferedImage img = BarChart.withErrorBars(new LinkedHashMap<>(Map.of("x", new double[]{1, Double.NaN})), "t", "y");
        Path f = dir.resolve("bars.png");
        Plots.writePng(img, f);
        BufferedImage back = ImageIO.read(f.toFile());
        assertEquals(img.getWidth(), back.getWidth());
        assertTrue(Plots.dataUri(img).startsWith("data:image/png;base64,iVBOR"));
    }
}
