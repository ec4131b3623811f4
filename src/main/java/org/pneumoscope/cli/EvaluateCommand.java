package org.pneumoscope.cli;

import org.pneumoscope.pipeline.EvaluateRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
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
                    + "model pixels, sharpen=1 an unsharp mask, noise=0.02 detector noise as a fraction of the grey range, "
                    + "zoom=1.25 framed 1.25x tighter about the centre, squeeze=1.2 the chest 1.2x narrower against its "
                    + "height). Default: none.") String shift;
    @Option(names = "--sweep", paramLabel = "standard|SHIFT;SHIFT...",
            description = "Evaluate as is and under each shift (same keys as --shift, ';' between shifts; 'standard': "
                    + "gamma 0.5 and 2, contrast 0.5 and 1.5, brightness +-0.1, blur=1, sharpen=1, noise=0.03, zoom 1.3 and 0.85, squeeze=1.2), each into "
                    + "its own folder under --out, with robustness.json/.csv and a table of what each shift costs.") String sweep;
    @Option(names = "--bootstrap-seed", defaultValue = "42", description = "Seed of the patient bootstrap (default ${DEFAULT-VALUE}).") long bootstrapSeed;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "Use the run's site profile NAME (made by adapt) instead of its own weights.") String profile;

    @Option(names = "--unseen-only", description = "Score only films the run never learnt from or chose by: leave out files "
            + "of its train and val splits and every film of their patients (by patient id), saying how many.") boolean unseenOnly;

    @Override
    public Integer call() throws Exception {
        EvaluateRun.run(new EvaluateRun.Options(run, profile, data, split, out, tta, !noGallery, shift, sweep, bootstrapSeed, unseenOnly), System.out);
        return 0;
    }
}
