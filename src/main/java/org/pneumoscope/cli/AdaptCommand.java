package org.pneumoscope.cli;

import org.pneumoscope.pipeline.AdaptJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code pneumoscope adapt --run RUN --data FILMS [--name NAME | --out RUN2]}: re-estimates a trained network's
 * BatchNorm statistics on unlabelled films from another site or period (AdaBN) and stores the result as a named site
 * profile beside the run's own weights, which stay as they are.
 */
@Command(name = "adapt", mixinStandardHelpOptions = true,
        description = {"Adapt a trained run to another site's films without labels: re-estimate the network's BatchNorm "
                + "statistics on them (AdaBN) and fit its normalisation layers' scale and shift to them (--method), and store the result as a site profile, RUN/profiles/NAME/, beside the run's "
                + "own weights, which are never changed. Use it with --profile NAME in predict, evaluate, explain and serve.",
                "Needs at least 50 films (default --min-films) that look like chest X-rays to the run's network; "
                        + "labels, if the data has them, are not used."})
public class AdaptCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "A finished run folder.") Path run;
    @Option(names = "--data", required = true, paramLabel = "FOLDER|CSV",
            description = "The new site's films: a folder (searched recursively) or a dataset manifest.") Path data;
    @Option(names = "--split", description = "Only this split of a manifest (train, val, test).") String split;
    @Option(names = "--name", description = "Profile name (letters, digits, '.', '_', '-'; default: the films folder's name).") String name;
    @Option(names = "--out", paramLabel = "RUN2",
            description = "Instead of a profile, write a new run folder holding the adapted network (RUN2 must not exist).") Path out;
    @Option(names = "--min-films", paramLabel = "N", description = "Refuse fewer usable films than this (default ${DEFAULT-VALUE}).")
    int minFilms = AdaptJob.MIN_FILMS;
    @Option(names = "--method", paramLabel = "M", description = "adabn (default): re-estimate the BatchNorm statistics "
            + "only; relative: move the statistics training stored by how the new films' differ from the run's own "
            + "validation films' (stored by training; re-estimated from the films for older runs), so that films like the "
            + "training site's leave the network as it was (on films of other periods it scored higher than adabn but "
            + "called more normal films pneumonia, docs/recipe.md, table L3; not for an adapted run); infomax: then fit "
            + "the BatchNorm layers' scale and shift so the predictions on the films are surer while "
            + "the predicted classes stay as varied as equal classes would be (one pass, no labels; on films most of one "
            + "class it pushes them into the others); tent: surer predictions without that term (it pushed viral films "
            + "into bacterial); align: keep every BatchNorm statistic as trained and move each pooled feature's mean "
            + "and SD on the films to the run's validation films' through the linear head (docs/recipe.md, table L4; "
            + "the films' class mix is assumed like the validation films'; needs a linear head and the run's shift "
            + "reference, not for an adapted run). Score a profile on labelled films from the site (evaluate --profile) before relying on it.")
    AdaptJob.Method method = AdaptJob.Method.ADABN;
    @Option(names = "--shift", paramLabel = "KEY=V[,KEY=V...]",
            description = "Study adapting to a known acquisition shift: re-render every film first, with the keys of "
                    + "evaluate --shift (e.g. blur=1, zoom=1.3); score the profile under the same --shift. Default: none.")
    String shift;
    @Option(names = "--through", paramLabel = "STAGE",
            description = "Re-estimate the BatchNorm statistics of the stages up to STAGE only (stem, layer1, layer2, "
                    + "layer3, layer4), leaving the deeper ones as trained. The shallow stages see the film's acquisition "
                    + "(exposure, sharpness, noise), the deep ones its content; on films of other periods layer2 kept "
                    + "about AdaBN's fewer normals called pneumonia and little of its cost where it cost "
                    + "(docs/recipe.md, table L3). With adabn and relative only. Default: every stage.")
    String through;

    @Override
    public Integer call() throws Exception {
        AdaptJob.run(new AdaptJob.Options(run, data, split, name, out, minFilms, method, shift, through), System.out);
        return 0;
    }
}
