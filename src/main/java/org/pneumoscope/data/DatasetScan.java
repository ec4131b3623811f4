package org.pneumoscope.data;

import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.stream.Collectors;

/**
 * What {@link DatasetReader} found: the labelled images, the inputs it had to skip (each with a reason), and
 * the layout it recognised ("kermany", "kermany+splits", "class-folders", "class-folders+splits", "manifest",
 * or "empty"). {@code folds} holds a manifest's optional {@code fold} column (file to fold number);
 * {@code source} is the folder or CSV that was read.
 */
public record DatasetScan(List<Sample> samples, List<Problem> problems, String layout, Map<Path, Integer> folds,
                          Path source) {

    public DatasetScan {
        samples = List.copyOf(samples);
        problems = List.copyOf(problems);
        Objects.requireNonNull(layout, "layout");
        folds = Collections.unmodifiableMap(new LinkedHashMap<>(folds == null ? Map.of() : folds));
    }

    public DatasetScan(List<Sample> samples, List<Problem> problems, String layout) {
        this(samples, problems, layout, Map.of(), null);
    }

    /** Stops with one clear line when there is nothing to work on (what every command needs). */
    public DatasetScan requireImages() {
        if (samples.isEmpty()) {
            String where = source == null ? "the dataset" : source.toString();
            throw new UserException("no labelled images found in " + where + " (layout: " + layout + "). Expected "
                    + "NORMAL/ and PNEUMONIA/ folders (Kermany), bacteria/ virus/ normal/ folders (optionally under "
                    + "train/ val/ test/), or a CSV manifest with file,label columns"
                    + (problems.isEmpty() ? "" : "; " + problems.size() + " input(s) were skipped, first: " + problems.get(0)));
        }
        return this;
    }

    /** {@link #requireImages()} plus: every class has at least one image (what training needs). */
    public DatasetScan requireAllClasses() {
        requireImages();
        Map<Label, Integer> counts = countByLabel();
        List<String> missing = new ArrayList<>();
        for (Label l : Label.values()) if (counts.get(l) == 0) missing.add(l.id());
        if (!missing.isEmpty()) {
            String where = source == null ? "the dataset" : source.toString();
            throw new UserException("no " + String.join(" or ", missing) + " images in " + where
                    + ": all three classes are needed (found " + describeCounts(counts) + ")");
        }
        return this;
    }

    /** Images per class, every class present (zero when absent). */
    public Map<Label, Integer> countByLabel() {
        Map<Label, Integer> m = new EnumMap<>(Label.class);
        for (Label l : Label.values()) m.put(l, 0);
        for (Sample s : samples) m.merge(s.label(), 1, Integer::sum);
        return m;
    }

    /** The samples whose split is {@code split} (null: samples without a split). */
    public List<Sample> inSplit(String split) {
        return samples.stream().filter(s -> Objects.equals(s.split(), split)).collect(Collectors.toList());
    }

    /** Whether any sample carries a split. */
    public boolean hasSplits() {
        return samples.stream().anyMatch(s -> s.split() != null);
    }

    /** The manifest's fold for this sample, when it had a fold column and a value for it. */
    public OptionalInt fold(Sample s) {
        Integer f = folds.get(s.file());
        return f == null ? OptionalInt.empty() : OptionalInt.of(f);
    }

    static String describeCounts(Map<Label, Integer> counts) {
        StringBuilder b = new StringBuilder();
        for (Label l : Label.values()) {
            if (b.length() > 0) b.append(", ");
            b.append(counts.getOrDefault(l, 0)).append(' ').append(l.id());
        }
        return b.toString();
    }
}
