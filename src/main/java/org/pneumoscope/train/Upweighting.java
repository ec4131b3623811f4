package org.pneumoscope.train;

import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.Ranks;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.Csv;
import org.pneumoscope.data.Sample;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The training films a network misread part-way through training, and how often an epoch shows them
 * ({@code upweight} in the config). This follows "just train twice" (Liu et al. 2021), which trains a second network
 * from scratch with the first one's errors shown more often; here the same network trains on, so that the time
 * budget is not spent twice.
 *
 * <p>An epoch keeps its length and each class its number of views: a film found is shown {@code factor} times (fewer
 * when the films found would take more than half their class's views), and the other films of its class fill what is
 * left, each once if there is room (the rest drawn at random, as oversampling draws), else a random subset of them. So
 * the schedule, the time per epoch and the class balance do not change, only which films of a class are seen.
 */
public final class Upweighting {
    /** Written to the run folder when the films are found, read back when a run resumes after that epoch. */
    public static final String FILE = "upweighted.csv";

    private Upweighting() {}

    /** Indices of the films {@code which} selects, given each film's logits and label index. */
    public static int[] find(float[][] logits, int[] labels, TrainConfig.Upweight which) {
        int normal = Label.NORMAL.index();
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            int p = Ranks.argmax(logits[i]);
            boolean hit = switch (which) {
                case NONE -> false;
                case ERRORS -> p != labels[i];
                case BOUNDARY -> (p == normal) != (labels[i] == normal);
            };
            if (hit) out.add(i);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * One class's views for an epoch: {@code quota} indices from {@code members}, each of {@code hard} (those of the
     * class) {@code factor} times, as long as the hard films take at most half the quota (else fewer times each).
     */
    static List<Integer> classViews(List<Integer> members, Set<Integer> hard, int quota, int factor, Random rng) {
        List<Integer> found = new ArrayList<>(), rest = new ArrayList<>();
        for (int i : members) (hard.contains(i) ? found : rest).add(i);
        List<Integer> views = new ArrayList<>(quota);
        int times = timesShown(found.size(), quota, factor);
        for (int i : found) for (int t = 0; t < times && views.size() < quota; t++) views.add(i);
        int room = quota - views.size();
        if (rest.isEmpty()) {
            for (int k = 0; k < room; k++) views.add(found.get(rng.nextInt(found.size())));
        } else if (room >= rest.size()) {
            views.addAll(rest);
            for (int k = rest.size(); k < room; k++) views.add(rest.get(rng.nextInt(rest.size())));
        } else {
            Collections.shuffle(rest, rng);
            views.addAll(rest.subList(0, room));
        }
        return views;
    }

    /**
     * How often each of {@code found} films of a class with {@code quota} views is shown: {@code factor}, unless that
     * would take more than half the views, which would leave the class's other films mostly unseen.
     */
    static int timesShown(int found, int quota, int factor) {
        return found == 0 ? 0 : Math.max(1, Math.min(factor, quota / 2 / found));
    }

    /** Writes the films found (file, label, what the network predicted) atomically. */
    public static void write(Path file, List<Sample> train, int[] found, float[][] logits) throws IOException {
        StringBuilder sb = new StringBuilder(Csv.record("file", "label", "predicted"));
        for (int i : found)
            sb.append(Csv.record(key(train.get(i)), train.get(i).label().id(), Label.of(Ranks.argmax(logits[i])).id()));
        AtomicFiles.writeString(file, sb.toString());
    }

    /**
     * The indices in {@code train} of the films {@link #write} listed. A file that is not such a list, or names a film
     * the run no longer trains on, is refused with the file and the problem.
     */
    public static int[] read(Path file, List<Sample> train) throws IOException {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < train.size(); i++) index.put(key(train.get(i)), i);
        List<Csv.Row> rows;
        try {
            rows = Csv.read(file);
        } catch (IllegalArgumentException e) {
            throw new UserException(file + ": " + e.getMessage() + "; delete it to find the films again from the "
                    + "checkpoint of the epoch that found them, or train anew", 1);
        }
        if (rows.isEmpty() || !rows.get(0).fields().equals(List.of("file", "label", "predicted")))
            throw new UserException(file + " does not start with the header file,label,predicted", 1);
        List<Integer> out = new ArrayList<>();
        for (Csv.Row r : rows.subList(1, rows.size())) {
            if (r.blank()) continue;
            Integer i = index.get(r.get(0));
            if (i == null)
                throw new UserException(file + " line " + r.line() + ": " + r.get(0) + " is not among this run's training "
                        + "films, so the run cannot resume with the films it upweighted", 1);
            out.add(i);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * A film as the list names it: its absolute path, because a fresh run reads films as the user named them (often
     * relative) and a resumed one from split.csv, which holds them absolute.
     */
    private static String key(Sample s) {
        return s.file().toAbsolutePath().normalize().toString();
    }
}
