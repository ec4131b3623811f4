package org.pneumoscope.report;

import org.pneumoscope.eval.BootstrapConfig;
import org.pneumoscope.eval.CalibrationResult;
import org.pneumoscope.eval.Evaluation;
import org.pneumoscope.eval.EvaluationResult;
import org.pneumoscope.eval.Metrics;
import org.pneumoscope.eval.TemperatureScaling;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Made-up but plausible inputs for report tests: an over-confident classifier on ~360 images of 150 patients. */
final class SyntheticRun {
    final int[] labels;
    final float[][] logits;
    final String[] patients;
    final EvaluationResult evaluation;
    final CalibrationResult calibration;
    final List<EpochRecord> epochs = new ArrayList<>();

    SyntheticRun(long seed) {
        Random rnd = new Random(seed);
        int n = 360;
        labels = new int[n];
        logits = new float[n][3];
        patients = new String[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            patients[i] = "person" + (i % 150);
            for (int k = 0; k < 3; k++) logits[i][k] = (float) (2.2 * rnd.nextGaussian());
            logits[i][labels[i]] += 3.2f;
            if (labels[i] < 2) logits[i][1 - labels[i]] += 1.6f;   // bacteria and virus look alike
            for (int k = 0; k < 3; k++) logits[i][k] *= 1.8f;       // over-confident
        }
        float[][] p = TemperatureScaling.apply(logits, 1.0);
        evaluation = Evaluation.of(labels, p, patients, null, new BootstrapConfig(300, 42));
        calibration = TemperatureScaling.calibrate(logits, labels);
        for (int e = 1; e <= 14; e++) {
            double t = e / 14.0;
            epochs.add(new EpochRecord(e, 1.05 * Math.exp(-2.2 * t) + 0.12, 0.55 + 0.4 * (1 - Math.exp(-3 * t)),
                    1.0 * Math.exp(-1.6 * t) + 0.3 + 0.01 * rnd.nextGaussian(), 0.52 + 0.3 * (1 - Math.exp(-3 * t)),
                    1e-3 * 0.5 * (1 + Math.cos(Math.PI * (e - 1) / 14.0)), 38 + rnd.nextGaussian(),
                    new double[]{0.6 + 0.25 * t, 0.35 + 0.3 * t, 0.8 + 0.15 * t}));
        }
    }

    static Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model", "ResNet-18 (ImageNet-free, 1 channel)");
        c.put("image size", 224);
        c.put("epochs", 14);
        c.put("batch size", 32);
        c.put("optimizer", "AdamW, cosine schedule");
        c.put("learning rate", 1e-3);
        c.put("seed", 42);
        c.put("data", "../shared/data/kermany224/manifest.csv");
        return c;
    }

    static Map<String, int[]> counts() {
        Map<String, int[]> c = new LinkedHashMap<>();
        c.put("train", new int[]{1900, 1030, 1080});
        c.put("val", new int[]{240, 130, 135});
        c.put("test", new int[]{242, 148, 234});
        return c;
    }

    /** A grey "radiograph" with a warm Grad-CAM-like blob at (cx, cy). */
    static BufferedImage camImage(int cx, int cy) {
        BufferedImage img = new BufferedImage(224, 224, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 224; y++)
            for (int x = 0; x < 224; x++) {
                double lung = Math.exp(-Math.pow((Math.abs(x - 112) - 52) / 30.0, 2) - Math.pow((y - 118) / 70.0, 2));
                double grey = 40 + 150 * (1 - lung) * (0.6 + 0.4 * y / 224.0);
                double heat = Math.exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / 900.0);
                Color c = Color.getHSBColor((float) (0.66 * (1 - heat)), 1f, 1f);
                double a = 0.45 * Math.min(1, heat * 1.6);
                int r = (int) ((1 - a) * grey + a * c.getRed());
                int g = (int) ((1 - a) * grey + a * c.getGreen());
                int b = (int) ((1 - a) * grey + a * c.getBlue());
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        return img;
    }

    static List<GalleryImage> gallery(String cls, int seed) {
        return List.of(new GalleryImage(camImage(70 + seed * 9, 120), "most confident correct \u00b7 p(" + cls + ") 0.97"),
                new GalleryImage(camImage(150, 90 + seed * 11), "most confident wrong \u00b7 p(" + cls + ") 0.88"));
    }

    ReportBuilder fullReport() {
        ReportBuilder b = new ReportBuilder()
                .subtitle("run synthetic-1 \u00b7 ResNet-18")
                .runConfig(config())
                .datasetCounts(counts())
                .trainingHistory(epochs)
                .evaluation(evaluation)
                .calibration(calibration)
                .attribution("Kermany, Zhang & Goldbaum 2018, CC BY 4.0")
                .phantomData(false);
        String[] names = {"bacteria", "virus", "normal"};
        for (int k = 0; k < 3; k++) b.gradCam(names[k], gallery(names[k], k));
        Map<String, double[]> bars = new LinkedHashMap<>();
        bars.put("baseline", new double[]{0.78, 0.02});
        bars.put("+ augmentation", new double[]{0.81, 0.015});
        bars.put("+ class weights", new double[]{0.815, 0.02});
        b.addFigure("experiment", "Experiment: augmentation", BarChart.withErrorBars(bars, "Macro F1 over 3 seeds", "Macro F1"),
                "Mean \u00b1 standard deviation over three seeds.");
        return b;
    }

    double ece() { return Metrics.expectedCalibrationError(TemperatureScaling.apply(logits, 1.0), labels); }
}
