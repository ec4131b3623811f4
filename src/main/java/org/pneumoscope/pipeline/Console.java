package org.pneumoscope.pipeline;

import org.pneumoscope.data.ImageCache;

import java.io.PrintStream;
import java.util.Locale;

/** How the jobs write numbers and progress for a person at a terminal. */
public final class Console {
    private Console() {}

    /** "5,190": thousands separators as the reports use them. */
    public static String n(long v) {
        return String.format(Locale.US, "%,d", v);
    }

    /** Progress on stderr, only when a person is watching (a terminal), at most every half second. */
    public static ImageCache.Progress progress(String what) {
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
