package org.pneumoscope.augment;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Records which transforms fired (and with what drawn values) while a pipeline runs, so a preview sheet can
 * label each augmented copy. Off unless {@link #capture} is running on this thread: training pays nothing.
 */
public final class Trace {
    private Trace() {}

    private static final ThreadLocal<List<String>> CURRENT = new ThreadLocal<>();

    /** Result of a traced run: the output and the notes of the transforms that fired, in order. */
    public record Traced<T>(T value, List<String> fired) {}

    public static <T> Traced<T> capture(Supplier<T> run) {
        List<String> previous = CURRENT.get();
        List<String> notes = new ArrayList<>();
        CURRENT.set(notes);
        try {
            return new Traced<>(run.get(), List.copyOf(notes));
        } finally {
            if (previous == null) CURRENT.remove(); else CURRENT.set(previous);
        }
    }

    static boolean active() { return CURRENT.get() != null; }

    /** Notes that a transform fired; {@code note} is only built when tracing is on. */
    static void fired(Supplier<String> note) {
        List<String> l = CURRENT.get();
        if (l != null) l.add(note.get());
    }
}
