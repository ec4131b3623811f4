package org.pneumoscope.pipeline;

import org.pneumoscope.augment.AcquisitionShift;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.Problem;
import org.pneumoscope.data.Sample;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** {@code evaluate}: a finished run scored on labelled films, as they are, under one acquisition shift, or a sweep of them. */
public final class EvaluateRun {
    private EvaluateRun() {}

    /**
     * What to score and how.
     *
     * @param data          a dataset folder or manifest; null for the run's own split.csv
     * @param split         only this split; null for test of the run's own split, all films of other data
     * @param tta           mirror averaging; null for the run's own setting
     * @param shift         one acquisition shift ("gamma=1.5,blur=1"), or null
     * @param sweep         "standard" or shifts separated by ';', or null
     * @param unseenOnly    leave out films of the run's train and val splits and of their patients
     */
    public record Options(Path run, String profile, Path data, String split, Path out, Boolean tta, boolean gallery,
                          String shift, String sweep, long bootstrapSeed, boolean unseenOnly) {

        /** Every film of the selection, seen by the run or not (a warning says which). */
        public Options(Path run, String profile, Path data, String split, Path out, Boolean tta, boolean gallery,
                       String shift, String sweep, long bootstrapSeed) {
            this(run, profile, data, split, out, tta, gallery, shift, sweep, bootstrapSeed, false);
        }
    }

    /** Scores the run's films as {@code o} says and prints where the results went; one folder per shift with a sweep. */
    public static void run(Options o, PrintStream log) throws Exception {
        Path run = o.run(), data = o.data(), out = o.out();
        String split = o.split(), shift = o.shift(), sweep = o.sweep(), profile = o.profile();
        Boolean tta = o.tta();
        boolean noGallery = !o.gallery();
        long bootstrapSeed = o.bootstrapSeed();
        AcquisitionShift sh = AcquisitionShift.parse(shift); // a bad spelling fails before the model loads
        if (sweep != null && shift != null) throw new UserException("--sweep and --shift: choose one (the sweep lists its own shifts)", 2);
        List<AcquisitionShift> shifts = sweep == null ? null : RobustnessSweep.parse(sweep);
        try (TrainedModel m = TrainedModel.load(run, profile)) {
            Path src = data != null ? data : m.run().split();
            String sp = split != null ? split : (data == null ? "test" : null);
            DatasetScan scan = read(src, log);
            List<Sample> s = sp == null ? scan.samples() : scan.inSplit(sp);
            if (s.isEmpty()) throw new UserException("no images in " + (sp == null ? "" : "split '" + sp + "' of ") + src);
            if (o.unseenOnly()) s = unseen(m, s, src, log);
            if (shifts != null) {
                EvaluateJob.Options eo = EvaluateJob.Options.forSamples(sp == null ? "all" : sp, tta != null ? tta : m.config().tta(), false, s, src, bootstrapSeed);
                log.printf(Locale.ROOT, "robustness sweep: %d images, as they are and under %d shift(s)%n", s.size(), shifts.size());
                RobustnessSweep.Result r = RobustnessSweep.run(m, s, out, eo, shifts, log, scan.problems());
                log.println("robustness: " + r.json());
                return;
            }
            EvaluateJob.Outcome eo2 = EvaluateJob.run(m, s, out,
                    EvaluateJob.Options.forSamples(sp == null ? "all" : sp, tta != null ? tta : m.config().tta(), !noGallery, s, src, bootstrapSeed)
                            .withShift(sh), log,
                    scan.problems());
            log.println("metrics: " + eo2.metrics());
            log.println("report: " + eo2.report());
        }
    }

    /** The films of {@code s} the run never learnt from or chose by, saying how many were left out and why. */
    private static List<Sample> unseen(TrainedModel m, List<Sample> s, Path src, PrintStream log) {
        TrainingOverlap.Unseen u = TrainingOverlap.unseen(m, s);
        if (!u.checked())
            throw new UserException("--unseen-only: " + m.run().split() + " is missing or unreadable, so the films the run saw are unknown");
        log.printf(Locale.ROOT, "--unseen-only: %d of %d films left out (files of the run's train or val split, or films of "
                + "their patients); %d scored%n", u.leftOut().size(), s.size(), u.kept().size());
        if (u.kept().isEmpty()) throw new UserException("--unseen-only: every film of " + src + " was seen by the run");
        return u.kept();
    }

    /** Reads labelled images, listing the first twenty files it skipped (and how many more). */
    public static DatasetScan read(Path src, PrintStream out) {
        DatasetScan scan = DatasetReader.read(src).requireImages();
        Problem.list(out, "file(s) skipped while reading " + src + ":", scan.problems());
        return scan;
    }
}
