package org.pneumoscope.cli;

import org.pneumoscope.data.ImageCache;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.util.Locale;

/** {@code pneumoscope dataset ...}: look at a dataset before training on it. */
@Command(name = "dataset", mixinStandardHelpOptions = true,
        description = "Inspect a dataset (counts, patients, leaks, duplicates, unreadable images) or write a split manifest.",
        subcommands = {DatasetStatsCommand.class, DatasetSplitCommand.class})
public class DatasetCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** "5,190": thousands separators as the reports use them. */
    static String n(long v) {
        return String.format(Locale.US, "%,d", v);
    }

    /** Progress on stderr, only when a person is watching (a terminal), at most every half second. */
    static ImageCache.Progress progress(String what) {
        if (System.console() == null) return ImageCache.Progress.NONE;
        PrintStream err = System.err;
        long[] last = {0};
        return (done, total) -> {
            long now = System.nanoTime();
            if (done == total || now - last[0] > 500_000_000L) {
                last[0] = now;
                err.print("\r" + what + " " + n(done) + "/" + n(total) + (done == total ? "\n" : ""));
                err.flush();
            }
        };
    }
}
