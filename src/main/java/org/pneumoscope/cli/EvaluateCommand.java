package org.pneumoscope.cli;

import org.pneumoscope.augment.AcquisitionShift;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.Problem;
import org.pneumoscope.data.Sample;
import org.pneumoscope.pipeline.EvaluateJob;
import org.pneumoscope.pipeline.RobustnessSweep;
import org.pneumoscope.pipeline.TrainedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Score labelled images with a trained run: metrics.json (with patient-bootstrap CIs), predictions.csv, "
                + "a Tribuo-style table on stdout and a self-contained report.html.",
                "A shift check compares the images with the run's validation films and warns (stdout, metrics.json "
                        + "\"shift_alarm\", a banner in the report) when they differ, e.g. films from another scanner."})
public class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "A finished run folder.") Path run;
    @Option(names = "--data", description = "Dataset folder or manifest (default: the run's own split.csv).") Path data;
    @Option(names = "--split", description = "Only this split of the data (train, val, test); default test for the run's own split, all images otherwise.") String split;
    @Option(names = "--out", required = true, description = "Output folder.") Path out;
    @Option(names = "--tta", description = "Average with the horizontally flipped image.") Boolean tta;
    @Option(names = "--no-gallery", description = "Skip the Grad-CAM gallery in the report.") boolean noGallery;
    @Option(names = "--shift", paramLabel = "KEY=V[,KEY=V...]",
            description = "Stress test: re-render every image before the model, as another scanner might "
                    + "(gamma=1.5 darker mid-tones, contrast=0.7 flatter, brightness=0.1, blur=1 a Gaussian sigma in "
                    + "model pixels, sharpen=1 an unsharp mask, noise=0.02 detector noise as a fraction of the grey range). "
                    + "Default: none.") String shift;
    @Option(names = "--sweep", paramLabel = "standard|SHIFT;SHIFT...",
            description = "Evaluate as is and under each shift (same keys as --shift, ';' between shifts; 'standard': "
                    + "gamma 0.5 and 2, contrast 0.5 and 1.5, brightness +-0.1, blur=1, sharpen=1, noise=0.03), each into "
                    + "its own folder under --out, with robustness.json/.csv and a table of what each shift costs.") String sweep;
    @Option(names = "--bootstrap-seed", defaultValue = "42", description = "Seed of the patient bootstrap (default ${DEFAULT-VALUE}).") long bootstrapSeed;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "Use the run's site profile NAME (made by adapt) instead of its own weights.") String profile;

    @Override
    public Integer call() throws Exception {
        AcquisitionShift sh = AcquisitionShift.parse(shift); // a bad spelling fails before the model loads
        if (sweep != null && shift != null) throw new UserException("--sweep and --shift: choose one (the sweep lists its own shifts)", 2);
        List<AcquisitionShift> shifts = sweep == null ? null : RobustnessSweep.parse(sweep);
        try (TrainedModel m = TrainedModel.load(run, profile)) {
            Path src = data != null ? data : m.run().split();
            String sp = split != null ? split : (data == null ? "test" : null);
            DatasetScan scan = read(src, System.out);
            List<Sample> s = sp == null ? scan.samples() : scan.inSplit(sp);
            if (s.isEmpty()) throw new UserException("no images in " + (sp == null ? "" : "split '" + sp + "' of ") + src);
            if (shifts != null) {
                EvaluateJob.Options eo = EvaluateJob.Options.forSamples(sp == null ? "all" : sp, tta != null ? tta : m.config().tta(), false, s, src, bootstrapSeed);
                System.out.printf(Locale.ROOT, "robustness sweep: %d images, as they are and under %d shift(s)%n", s.size(), shifts.size());
                RobustnessSweep.Result r = RobustnessSweep.run(m, s, out, eo, shifts, System.out, scan.problems());
                System.out.println("robustness: " + r.json());
                return 0;
            }
            EvaluateJob.Outcome o = EvaluateJob.run(m, s, out,
                    EvaluateJob.Options.forSamples(sp == null ? "all" : sp, tta != null ? tta : m.config().tta(), !noGallery, s, src, bootstrapSeed)
                            .withShift(sh), System.out,
                    scan.problems());
            System.out.println("metrics: " + o.metrics());
            System.out.println("report: " + o.report());
        }
        return 0;
    }

    /** Reads labelled images, listing the first twenty files it skipped (and how many more). */
    static DatasetScan read(Path src, java.io.PrintStream out) {
        DatasetScan scan = DatasetReader.read(src).requireImages();
        Problem.list(out, "file(s) skipped while reading " + src + ":", scan.problems());
        return scan;
    }
}
