package org.pneumoscope.core;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on a terminal (redrawn with \r), or a line every ~10 % when output goes
 * to a file, so logs of background runs stay readable.
 */
public final class Progress {
    private final PrintStream out;
    private final boolean tty;
    private final String label;
    private final long total;
    private final long startNanos = System.nanoTime();
    private int lastDecile = -1;
    private long lastDraw;

    public Progress(String label, long total) {
        this(System.err, System.console() != null, label, total);
    }

    public Progress(PrintStream out, boolean tty, String label, long total) {
        this.out = out;
        this.tty = tty;
        this.label = label;
        this.total = Math.max(1, total);
    }

    /** @param extra free text such as "loss 0.41 acc 0.83" */
    public void update(long done, long items, String extra) {
        double secs = (System.nanoTime() - startNanos) / 1e9;
        double rate = secs > 0 ? items / secs : 0;
        double frac = Math.min(1.0, done / (double) total);
        double eta = frac > 0 ? secs * (1 - frac) / frac : 0;
        String line = String.format(Locale.ROOT, "%s %s %3.0f%% %s %.1f img/s ETA %s",
                label, bar(frac), frac * 100, extra == null ? "" : extra, rate, clock(eta));
        if (tty) {
            long now = System.nanoTime();
            if (done < total && now - lastDraw < 200_000_000L) return;
            lastDraw = now;
            out.print("\r" + line + "   ");
            if (done >= total) out.println();
        } else {
            int decile = (int) (frac * 10);
            if (decile != lastDecile) {
                lastDecile = decile;
                out.println(line);
            }
        }
        out.flush();
    }

    private static String bar(double frac) {
        int w = 24, n = (int) Math.round(frac * w);
        return "[" + "#".repeat(n) + ".".repeat(w - n) + "]";
    }

    public static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
