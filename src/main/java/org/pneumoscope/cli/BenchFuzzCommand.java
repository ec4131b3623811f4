package org.pneumoscope.cli;

import org.pneumoscope.bench.FuzzRunner;
import org.pneumoscope.bench.FuzzSeeds;
import org.pneumoscope.bench.Mutator;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.UserException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code pneumoscope bench fuzz}: feeds mutated images (bit flips, boundary bytes, truncations, repeated or missing
 * chunks, extreme header fields) to the decoder and checks that each one decodes or is refused with a reason, within
 * the time limit and without a runaway allocation. Failing inputs are saved for a regression test.
 */
@Command(name = "fuzz", mixinStandardHelpOptions = true,
        description = {"Robustness of the image decoder against damaged files: every mutated JPEG/PNG/DICOM must decode "
                + "or be refused with a reason, within --case-timeout, without allocating more than --case-mb.",
                "Seeds: phantoms in every supported encoding, or real files with --seeds DIR. Exit code 1 when a case fails."},
        footer = {"", "Examples:", "  pneumoscope bench fuzz --cases 100000 --seconds 600",
                "  pneumoscope bench fuzz --seeds ../shared/data/kermany224 --seed 7 --failures fuzz-failures"})
public class BenchFuzzCommand implements Callable<Integer> {

    @Option(names = "--cases", paramLabel = "N", description = "Cases to run at most (default ${DEFAULT-VALUE}).")
    int cases = 20000;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed; the same seed replays the same cases (default ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--seconds", paramLabel = "T", description = "Stop after this many seconds (default ${DEFAULT-VALUE}; 0 = no limit).")
    double seconds = 120;

    @Option(names = "--seeds", paramLabel = "DIR", description = "Folder of real images to mutate (default: phantoms).")
    Path seedDir;

    @Option(names = "--seed-files", paramLabel = "N", description = "Images taken from --seeds (default ${DEFAULT-VALUE}).")
    int seedFiles = 6;

    @Option(names = "--failures", paramLabel = "DIR", description = "Where failing inputs are saved (default ${DEFAULT-VALUE}).")
    Path failures = Path.of("fuzz-failures");

    @Option(names = "--case-timeout", paramLabel = "MS", description = "A case without an answer after this long is a hang (default ${DEFAULT-VALUE}).")
    long caseTimeout = 5000;

    @Option(names = "--case-mb", paramLabel = "MB", description = "Heap one case may allocate (default ${DEFAULT-VALUE}).")
    long caseMb = 512;

    @Override
    public Integer call() throws Exception {
        if (cases < 1 || seconds < 0 || caseTimeout < 1 || caseMb < 1 || seedFiles < 1)
            throw new UserException("--cases, --case-timeout, --case-mb and --seed-files must be positive; --seconds 0 or more", 2);
        List<FuzzRunner.Seed> seeds = new ArrayList<>();
        if (seedDir != null) {
            if (!Files.isDirectory(seedDir)) throw new UserException("--seeds: not a folder: " + seedDir, 2);
            seeds.addAll(FuzzSeeds.fromFolder(seedDir, seedFiles));
            if (seeds.isEmpty()) throw new UserException("no decodable images under " + seedDir);
        }
        seeds.addAll(FuzzSeeds.phantoms(128, seed));
        System.out.printf(Locale.ROOT, "fuzzing the decoder: %d seed file(s), up to %,d cases%s, seed %d%n", seeds.size(), cases,
                seconds > 0 ? String.format(Locale.ROOT, " or %.0f s", seconds) : "", seed);
        FuzzRunner.Options o = new FuzzRunner.Options(seed, cases, seconds, caseTimeout, caseMb << 20, failures,
                List.of(FuzzRunner.CANARY));
        long[] last = {System.nanoTime()};
        FuzzRunner.Report r = new FuzzRunner().run(seeds, o, n -> {
            if (System.nanoTime() - last[0] > 10_000_000_000L) {
                last[0] = System.nanoTime();
                System.err.printf(Locale.ROOT, "  %,d cases...%n", n);
            }
        });
        System.out.printf(Locale.ROOT, "%,d cases in %.1f s (%.0f cases/s)%n", r.cases(), r.seconds(), r.cases() / Math.max(1e-9, r.seconds()));
        System.out.printf(Locale.ROOT, "  decoded to an image: %,d%n", r.decoded());
        System.out.printf(Locale.ROOT, "  refused with a reason: %,d", r.refusedTotal());
        List<String> kinds = new ArrayList<>();
        for (Map.Entry<DecodeException.Kind, Integer> e : r.refused().entrySet())
            kinds.add(e.getKey().name().toLowerCase(Locale.ROOT) + " " + e.getValue());
        System.out.println(kinds.isEmpty() ? "" : " (" + String.join(", ", kinds) + ")");
        List<String> ops = new ArrayList<>();
        for (Map.Entry<Mutator.Op, Integer> e : r.ops().entrySet())
            ops.add(e.getKey().name().toLowerCase(Locale.ROOT).replace('_', ' ') + " " + e.getValue());
        System.out.println("  mutations: " + String.join(", ", ops));
        System.out.printf(Locale.ROOT, "  slowest case: %.0f ms, %s%n", r.slowestMillis(), r.slowestCase());
        if (r.maxAllocatedBytes() >= 0)
            System.out.printf(Locale.ROOT, "  most heap allocated by one case: %.1f MB%n", r.maxAllocatedBytes() / 1048576.0);
        if (!r.javaErrorsInReasons().isEmpty()) {
            System.out.println("  refusals decided by a caught Java exception (worth a look): " + r.javaErrorsInReasons());
            r.masked().stream().limit(10).forEach(f -> System.out.println("    " + f));
        }
        if (r.failures().isEmpty()) {
            System.out.println("failures: none");
            return 0;
        }
        System.out.println("FAILURES: " + r.failures().size() + " (inputs saved under " + failures + ")");
        r.failures().stream().limit(30).forEach(f -> System.out.println("  " + f));
        return 1;
    }
}
