package org.pneumoscope.cli;

import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.DatasetScan;
import org.pneumoscope.data.Problem;
import org.pneumoscope.data.Sample;
import org.pneumoscope.eval.AcquisitionShift;
import org.pneumoscope.eval.EvaluateJob;
import org.pneumoscope.eval.RobustnessSweep;
import org.pneumoscope.model.TrainedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
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
                EvaluateJob.Options eo = options(sp == null ? "all" : sp, tta != null ? tta : m.config().tta(), false, s, src)
                        .withSeed(bootstrapSeed);
                System.out.printf(Locale.ROOT, "robustness sweep: %d images, as they are and under %d shift(s)%n", s.size(), shifts.size());
                RobustnessSweep.Result r = RobustnessSweep.run(m, s, out, eo, shifts, System.out, scan.problems());
                System.out.println("robustness: " + r.json());
                return 0;
            }
            EvaluateJob.Outcome o = EvaluateJob.run(m, s, out,
                    options(sp == null ? "all" : sp, tta != null ? tta : m.config().tta(), !noGallery, s, src).withSeed(bootstrapSeed)
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

    /** Phantom data is recognised by the generator's file names; its masks give the pointing game. */
    static Opts options(String split, boolean tta, boolean gallery, List<Sample> samples, Path data) {
        boolean phantom = !samples.isEmpty() && samples.stream().allMatch(x -> x.file().getFileName().toString().startsWith("phantom-"));
        Path root = data == null ? null : (Files.isDirectory(data) ? data : data.toAbsolutePath().getParent());
        Path masks = phantom && root != null && Files.isDirectory(root.resolve("masks")) ? root : null;
        if (phantom && masks == null && !samples.isEmpty()) {
            Path guess = samples.get(0).file().toAbsolutePath().getParent().getParent();
            if (guess != null && Files.isDirectory(guess.resolve("masks"))) masks = guess;
        }
        boolean kermany = samples.stream().anyMatch(x -> x.patientId() != null && x.patientId().startsWith("person"));
        String attribution = kermany ? "Kermany, Zhang & Goldbaum (2018), Labeled Optical Coherence Tomography (OCT) and Chest X-Ray "
                + "Images for Classification, Mendeley Data v2, doi:10.17632/rscbjbr9sj.2, CC BY 4.0" : null;
        return new Opts(new EvaluateJob.Options(split, tta, gallery, phantom, attribution, masks, 42));
    }

    /**
     * The evaluation options the train and evaluate commands use for these samples (phantom masks, Kermany
     * attribution), for other packages that evaluate the same way (experiments).
     */
    public static EvaluateJob.Options evaluationOptions(String split, boolean tta, boolean gallery, List<Sample> samples,
                                                        Path data, long bootstrapSeed) {
        return options(split, tta, gallery, samples, data).withSeed(bootstrapSeed);
    }

    /** Small wrapper so callers can adjust the bootstrap seed fluently. */
    record Opts(EvaluateJob.Options o) {
        EvaluateJob.Options withSeed(long seed) {
            return new EvaluateJob.Options(o.splitName(), o.tta(), o.gallery(), o.phantom(), o.attribution(), o.masksRoot(), seed);
        }
    }
}
