package org.pneumoscope.pipeline;

import com.fasterxml.jackson.core.type.TypeReference;
import org.pneumoscope.augment.AcquisitionShift;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.Choices;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.Sample;
import org.pneumoscope.eval.Calibration;
import org.pneumoscope.eval.CalibrationResult;
import org.pneumoscope.eval.ShiftReference;
import org.pneumoscope.train.RunFolder;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code calibrate}: re-fits a finished model's calibration on labelled films (by default the run's own validation
 * split) and writes it into model.json (or a profile's card), keeping the one it replaces. For a site whose class mix
 * differs from the training data's, a labelled local sample with {@code bias-corrected} adapts the probabilities to the
 * local prevalence without retraining.
 */
public final class CalibrateJob {
    private CalibrateJob() {}

    /** What was fitted, and its effect on the calibration images (NLL/ECE before = the stored calibration). */
    public record Result(Calibration previous, Calibration fitted, CalibrationResult before, CalibrationResult after,
                         int images, boolean written) {}

    /**
     * What to calibrate on.
     *
     * @param method  temperature, bias-corrected or none
     * @param data    a dataset folder or manifest; null for the run's own split.csv
     * @param split   only this split; null for val of the run's own split, all films of other data
     * @param dryRun  fit and print, but leave the card as it is
     * @param profile a site profile to calibrate instead of the run's own weights, or null
     */
    public record Options(Path run, String method, Path data, String split, boolean dryRun, String profile) {}

    /** Fits, prints the stored and the fitted calibration's NLL and ECE, and (unless a dry run) stores the fit. */
    public static Result run(Options o, PrintStream out) throws Exception {
        Path run = o.run(), data = o.data();
        String method = o.method(), split = o.split(), profile = o.profile();
        boolean dryRun = o.dryRun();
        Calibration.Method m = Calibration.parse(method);
        if (m == null) throw new UserException("--method must be " + Choices.either(Calibration.Method.class) + ", not " + method, 2);
        try (TrainedModel model = TrainedModel.load(run, profile)) {
            Path src = data != null ? data : model.run().split();
            String sp = split != null ? split : (data == null ? "val" : null);
            DatasetScan scan = EvaluateRun.read(src, out);
            List<Sample> s = sp == null ? scan.samples() : scan.inSplit(sp);
            TrainingOverlap.of(model, s).refuseForCalibration(src + (sp == null ? "" : " (split " + sp + ")"));
            if (s.size() < Calibration.MIN_IMAGES)
                throw new UserException("calibration needs at least " + Calibration.MIN_IMAGES + " labelled images; " + (sp == null ? "" : "split '" + sp + "' of ")
                        + src + " has " + s.size());
            EvaluateJob.Readable rd = EvaluateJob.readable(model, s, out);
            if (rd.ok().size() < Calibration.MIN_IMAGES)
                throw new UserException("calibration needs at least " + Calibration.MIN_IMAGES + " readable images; " + rd.ok().size() + " decoded");
            EvaluateJob.Scored sc = EvaluateJob.score(model, rd, AcquisitionShift.NONE, model.config().tta(), out);
            Calibration previous = model.calibration();
            Calibration fitted = Calibration.fit(TrainJob.calibrationMethod(m, sc.labels(), out), sc.logits(), sc.labels());
            CalibrationResult before = CalibrationResult.of(previous, sc.logits(), sc.labels());
            CalibrationResult after = CalibrationResult.of(fitted, sc.logits(), sc.labels());
            List<String> names = List.of(Label.ids());
            out.printf(Locale.ROOT, "%d images (%s%s)%n", rd.ok().size(), sp == null ? "" : sp + " split of ", src);
            out.printf(Locale.ROOT, "stored:  %-15s %s: NLL %.4f, ECE %.4f%n", previous.method(), previous.describe(names), before.nllAfter(), before.eceAfter());
            out.printf(Locale.ROOT, "fitted:  %-15s %s: NLL %.4f, ECE %.4f%n", fitted.method(), fitted.describe(names), after.nllAfter(), after.eceAfter());
            boolean write = !dryRun;
            if (write) {
                Path cardFile = profile == null ? model.run().modelJson()
                        : model.run().profileDir(profile).resolve(TrainedModel.PROFILE_CARD);
                Map<String, Object> card = RunFolder.JSON.readValue(cardFile.toFile(),
                        new TypeReference<LinkedHashMap<String, Object>>() {});
                Map<String, Object> old = new LinkedHashMap<>();
                // the calibration in use, which for a profile not calibrated before is the run's
                old.put("calibration_method", previous.method().id());
                old.put("temperature", previous.temperature());
                if (previous.shiftsClasses()) old.put("class_bias", previous.bias());
                if (card.containsKey("calibration")) old.put("calibration", card.get("calibration"));
                old.put("replaced", Instant.now().toString());
                old.put("replaced_with_images", rd.ok().size());
                old.put("replaced_with_data", src.toString() + (sp == null ? "" : " (" + sp + ")"));
                List<Object> history = new ArrayList<>();
                if (card.get("previous_calibrations") instanceof List<?> l) history.addAll(l);
                history.add(old);
                card.put("temperature", fitted.temperature());
                card.put("calibration_method", fitted.method().id());
                if (fitted.shiftsClasses()) card.put("class_bias", fitted.bias()); else card.remove("class_bias");
                card.put("calibration", RunFolder.JSON.convertValue(after.toJsonNode(), Map.class));
                card.put("previous_calibrations", history);
                AtomicFiles.writeString(cardFile, RunFolder.JSON.writeValueAsString(card));
                out.println("written to " + cardFile + " (the calibration it replaces is under previous_calibrations)");
                out.println("metrics computed before this (e.g. " + model.run().testDir().resolve("metrics.json")
                        + ") used the old calibration; re-run: pneumoscope evaluate --run " + run + " --out DIR");
                if (profile == null && data == null && "val".equals(sp)) addValidationScores(model, sc, out);
            }
            return new Result(previous, fitted, before, after, rd.ok().size(), write);
        }
    }

    /**
     * Calibrated on the run's own validation films, a shift reference trained before the label-free accuracy estimate
     * existed gains their logits and labels, which the estimate is fitted on; its features stay as training wrote them.
     * A reference of another site's films (a run made by {@code adapt --out}), one of another number of films, or
     * none at all (the user may have removed it) is left as it is.
     */
    private static void addValidationScores(TrainedModel model, EvaluateJob.Scored sc, PrintStream out) throws IOException {
        Path dir = model.run().dir();
        Optional<ShiftReference> ref = model.shiftReference();
        if (ref.isEmpty() || ref.get().validation() != null) return;
        String why = Files.exists(dir.resolve(AdaptJob.ADAPTATION_CARD)) ? "its films are the adapted site's, not these"
                : ref.get().films() != sc.labels().length ? "it holds " + ref.get().films() + " films, not these "
                + sc.labels().length : null;
        if (why != null) {
            out.println("the shift reference gains no validation scores (" + why + "), so no label-free accuracy estimate");
            return;
        }
        // the features file is written again unchanged, so an interrupted write leaves a consistent pair
        ref.get().withValidation(sc.logits(), sc.labels()).write(dir);
        out.println("the shift reference gained these validation films' logits and labels, for the label-free accuracy "
                + "estimate: " + dir.resolve(ShiftReference.JSON_FILE));
    }
}
