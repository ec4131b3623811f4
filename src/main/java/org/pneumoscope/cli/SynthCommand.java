package org.pneumoscope.cli;

import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.pipeline.Phantoms;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Writes a folder of phantom chest X-rays: the data to try everything on when no real films are at hand. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Generate synthetic (phantom) chest X-rays with lesion masks.",
                "Writes bacteria/ virus/ normal/ PNGs, masks/ (lesion masks, same names) and manifest.csv "
                        + "(file,label,patient_id). Same seed, same images; patient ids carry the seed (ph42-00001), so sets of "
                        + "different seeds share no patient.",
                "Phantoms are drawn, not real patients: use them to try the pipeline, never to judge clinical "
                        + "performance."},
        footer = {"", "Example:", "  pneumoscope synth --out phantoms --count 600 --size 128 --seed 42"})
public class SynthCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Output folder (created; must be empty or a previous phantom set).")
    Path out;

    @Option(names = "--count", defaultValue = "600", description = "Number of images, split evenly over the classes (default ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--size", defaultValue = "128", description = "Image width and height in pixels (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", description = "Worker threads (default: all cores). Does not change the output.")
    Integer threads;

    @Override
    public Integer call() throws IOException {
        if (count < 1 || count > 1_000_000) throw new UserException("--count must be 1..1000000, got " + count, 2);
        if (size < 32 || size > 2048) throw new UserException("--size must be 32..2048 pixels, got " + size, 2);
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (t < 1) throw new UserException("--threads must be at least 1", 2);
        long start = System.nanoTime();
        Phantoms.Made s = Phantoms.generate(out, count, size, seed, t);
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf("wrote %d phantom chest X-rays (%dx%d px, seed %d) to %s in %.1f s%n",
                s.total(), size, size, seed, out.toAbsolutePath(), secs);
        System.out.printf("  %s %d, %s %d, %s %d; %d patients (some with two films)%n",
                Label.BACTERIA.id(), s.bacteria(), Label.VIRUS.id(), s.virus(), Label.NORMAL.id(), s.normal(), s.patients());
        System.out.printf("  manifest %s, lesion masks under %s%n", s.manifest(), s.masks());
        return 0;
    }
}
