package org.pneumoscope.cli;

import org.pneumoscope.bench.AugmentBenchmark;
import org.pneumoscope.core.UserException;
import org.pneumoscope.pipeline.AugmentPreview;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Shows what an augmentation recipe does (a contact sheet) or how fast it runs. */
@Command(name = "augment", mixinStandardHelpOptions = true,
        description = {"Preview an augmentation recipe as a contact sheet, or measure its speed.",
                "Recipes: none, seed (the seed study's albumentations pipeline), light, medium, strong, acquisition "
                        + "(sharpness both ways, exposure, noise), framing (acquisition with a new framing), shape (framing "
                        + "with the chest's shape drawn too), or a YAML file with a list of {name, p, params} steps."},
        footer = {"", "Examples:",
                "  pneumoscope augment --preview --data ../shared/data/kermany224 --out sheet.png",
                "  pneumoscope augment --preview --image film.jpeg --recipe strong --n 6",
                "  pneumoscope augment --bench --size 224 --threads 2"})
public class AugmentCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    static class Mode {
        @Option(names = "--preview", required = true, description = "Write a contact sheet: original + N augmented copies per row.")
        boolean preview;

        @Option(names = "--bench", required = true, description = "Measure images per second of the recipe.")
        boolean bench;
    }

    @Option(names = "--data", description = "Folder of images (with manifest.csv, or class sub-folders) to pick rows from.")
    Path data;

    @Option(names = "--image", description = "One image file to preview (repeatable).")
    List<Path> images;

    @Option(names = "--out", defaultValue = "augment-preview.png", description = "Contact sheet PNG (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--recipe", defaultValue = "seed", description = "Recipe name or YAML file (default ${DEFAULT-VALUE}).")
    String recipe;

    @Option(names = "--n", defaultValue = "8", description = "Augmented copies per row (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--rows", defaultValue = "3", description = "Images (rows) taken from --data or phantoms (default ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--size", description = "Working size in px: images are resized to it before augmenting "
            + "(default 224 for the preview, 128 for --bench).")
    Integer size;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", defaultValue = "1", description = "Threads for --bench (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--seconds", defaultValue = "3", description = "Duration of --bench (default ${DEFAULT-VALUE}).")
    double seconds;

    @Override
    public Integer call() throws Exception {
        AugmentPreview.pipeline(recipe); // a bad recipe is named before the other options are checked
        if (n < 1 || n > 32) throw new UserException("--n must be 1..32, got " + n, 2);
        if (rows < 1 || rows > 32) throw new UserException("--rows must be 1..32, got " + rows, 2);
        int px = size != null ? size : (mode.bench ? 128 : 224);
        if (px < 16 || px > 2048) throw new UserException("--size must be 16..2048, got " + px, 2);
        if (mode.bench) AugmentBenchmark.report(recipe, px, threads, seconds, seed, System.out);
        else AugmentPreview.preview(recipe, new AugmentPreview.Source(images, data, rows, seed), n, px, out, System.out);
        return 0;
    }
}
