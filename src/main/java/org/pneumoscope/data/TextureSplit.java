package org.pneumoscope.data;

import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * Hold out the blurriest normals (or, with another {@link Ranking}, the normals furthest out on another measure of the
 * film): a proxy for normal films from another batch.
 *
 * <p>Why: in Kermany's training data the classes differ in sharpness. The normals are sharper (median 7.3 on the
 * scale below, bacterial 5.3, viral 5.4; they seem to come from higher-resolution originals), so a network can learn
 * "sharp = normal" and then call the blurrier normals of another batch pneumonia, which is what a sequestered set
 * showed. Holding out the lowest patient numbers ({@link BatchSplit}) did not reproduce that; holding out the
 * blurriest normals tests exactly that shortcut: the model must call them normal without having seen normals that
 * blurry. A random, class-stratified share of the other patients is held out with them, so the other classes' recall
 * is measured on the same test split.
 *
 * <p>Sharpness of a film: the mean absolute 4-neighbour Laplacian ({@code 4·v − left − right − up − down}, interior
 * pixels, 0–255 grey) of the decoded grey film squashed to 224×224, so films of any size and source compare.
 * A patient's sharpness is the median of their films'. A patient is normal-class only if all their films are normal;
 * patients with mixed labels go with the others. Films that cannot be decoded are skipped with a reason; a normal
 * patient none of whose films decodes has no sharpness, is not ranked and stays in train/val (where its films are
 * skipped too). Nothing is cached: the figures are measured afresh every time, in parallel.
 *
 * <p>Deterministic for a seed: the sharpness depends only on the pixels, ties go by patient id, and the random share
 * of the others is {@link Splitter}'s, which does not depend on the order of the samples.
 */
public final class TextureSplit {
    private TextureSplit() {}

    public static final double DEFAULT_TEXTURE_FRACTION = 0.25;
    public static final double DEFAULT_OTHER_FRACTION = 0.15;
    /** Side of the square the sharpness is measured on: the films' own size in the shared data, the model's input. */
    public static final int SIZE = 224;

    /**
     * How the normal-class patients are ranked: a measure of a decoded film and which end of it is held out.
     *
     * @param heldOut     the held-out end, for printouts ("blurriest")
     * @param description the measure, for printouts ("Sharpness (mean absolute ... 0-255)")
     * @param highFirst   hold out the highest values (else the lowest)
     */
    public record Ranking(String heldOut, String description, ToDoubleFunction<GreyImage> measure, boolean highFirst) {}

    /** The blurriest normals first (lowest {@link #sharpness}). */
    public static final Ranking SHARPNESS = new Ranking("blurriest",
            "Sharpness (mean absolute 4-neighbour Laplacian of the 224x224 grey film, 0-255)", TextureSplit::sharpness, false);

    /**
     * Which patients (by {@link Splitter#groupKey}) are held out, and the figures printed beside the split.
     *
     * @param ranking             the measure the normals were ranked by ({@link #SHARPNESS} unless told otherwise)
     * @param normalPatients      normal-class patients with a measure (ranked)
     * @param unmeasuredNormals   normal-class patients none of whose films decoded (not ranked, never held out)
     * @param cut                 the held-out normal patient's measure nearest the others': the largest sharpness, or
     *                            the smallest value of a ranking that holds out the high end (NaN when none is held out)
     * @param classMedians        median film measure per class over every film that decoded
     * @param heldOutNormalMedian median film measure of the held-out normal patients' films
     * @param keptNormalMedian    median film measure of the other normal-class patients' films
     * @param problems            films that could not be decoded, each with its reason
     */
    public record Holdout(Ranking ranking, Set<String> patients, double textureFraction, double otherFraction,
                          int normalPatients, int normalsHeldOut, int unmeasuredNormals, int otherPatients, int othersHeldOut,
                          double cut, Map<Label, Double> classMedians, double heldOutNormalMedian, double keptNormalMedian,
                          List<Problem> problems) {
        public Holdout {
            patients = Set.copyOf(patients);
            classMedians = Map.copyOf(classMedians);
            problems = List.copyOf(problems);
        }

        public boolean holds(Sample s) { return patients.contains(Splitter.groupKey(s)); }
    }

    /** Every sample's film sharpness (NaN when it did not decode) and the films that did not, in input order. */
    public record Measured(double[] sharpness, List<Problem> problems) {}

    /** Sharpness of a decoded grey film: squashed to {@link #SIZE}², then the mean |4-neighbour Laplacian|. */
    public static double sharpness(GreyImage film) {
        return Detail.level(Preprocess.resize(film, SIZE, ResizeMode.SQUASH));
    }

    /** Decodes and measures every sample's film's sharpness on {@code threads} threads; bad films are listed, not fatal. */
    public static Measured measure(List<Sample> samples, int threads) {
        return measure(samples, SHARPNESS, threads);
    }

    /** Decodes and measures every sample's film by {@code ranking}'s measure; bad films are listed, not fatal. */
    public static Measured measure(List<Sample> samples, Ranking ranking, int threads) {
        double[] sharp = new double[samples.size()];
        Problem[] failed = new Problem[samples.size()];
        DatasetStats.runParallel(samples.size(), threads, null, i -> {
            Path f = samples.get(i).file();
            sharp[i] = Double.NaN;
            try {
                sharp[i] = ranking.measure().applyAsDouble(ImageDecoder.decode(f));
            } catch (DecodeException e) {
                failed[i] = Problem.of(e, f);
            } catch (RuntimeException e) {
                failed[i] = new Problem(f, "internal error while decoding: " + e);
            }
        });
        List<Problem> problems = new ArrayList<>();
        for (Problem p : failed) if (p != null) problems.add(p);
        return new Measured(sharp, problems);
    }

    /**
     * Measures every film (on {@code threads} threads) and picks the held-out patients: the blurriest
     * {@code textureFraction} of the normal-class patients and a random, class-stratified {@code otherFraction} of
     * the others (with {@code seed}); both fractions in (0, 0.5).
     */
    public static Holdout holdout(List<Sample> samples, double textureFraction, double otherFraction, long seed, int threads) {
        return holdout(samples, SHARPNESS, textureFraction, otherFraction, seed, threads);
    }

    /** As {@link #holdout(List, double, double, long, int)}, the normals ranked by {@code ranking}. */
    public static Holdout holdout(List<Sample> samples, Ranking ranking, double textureFraction, double otherFraction, long seed,
                                  int threads) {
        checkFraction("texture", textureFraction);
        checkFraction("other", otherFraction);
        return holdout(samples, ranking, measure(samples, ranking, threads), textureFraction, otherFraction, seed);
    }

    /** {@link #holdout(List, double, double, long, int)} on sharpness already measured ({@code measured} follows {@code samples}). */
    static Holdout holdout(List<Sample> samples, Measured measured, double textureFraction, double otherFraction, long seed) {
        return holdout(samples, SHARPNESS, measured, textureFraction, otherFraction, seed);
    }

    private static Holdout holdout(List<Sample> samples, Ranking ranking, Measured measured, double textureFraction,
                                   double otherFraction, long seed) {
        checkFraction("texture", textureFraction);
        checkFraction("other", otherFraction);
        Map<String, Patient> patients = patients(samples, measured.sharpness());
        List<Patient> ranked = new ArrayList<>();
        int unmeasured = 0;
        for (Patient p : patients.values()) {
            if (!p.normalClass()) continue;
            if (p.films.isEmpty()) unmeasured++;
            else ranked.add(p);
        }
        // the held-out end first; ties by id, so the choice never depends on the order of the samples
        Comparator<Patient> byMeasure = Comparator.comparingDouble(Patient::sharpness);
        ranked.sort((ranking.highFirst() ? byMeasure.reversed() : byMeasure).thenComparing(p -> p.id));
        int k = (int) Math.round(textureFraction * ranked.size());
        Set<String> held = new HashSet<>();
        for (Patient p : ranked.subList(0, k)) held.add(p.id);
        double cut = k == 0 ? Double.NaN : ranked.get(k - 1).sharpness();

        Set<String> others = holdOthers(samples, patients, otherFraction, seed);
        int otherPatients = (int) patients.values().stream().filter(p -> !p.normalClass()).count();
        Set<String> all = new HashSet<>(held);
        all.addAll(others);
        return new Holdout(ranking, all, textureFraction, otherFraction, ranked.size(), k, unmeasured, otherPatients, others.size(), cut,
                classMedians(samples, measured.sharpness()), normalMedian(ranked.subList(0, k)),
                normalMedian(ranked.subList(k, ranked.size())), measured.problems());
    }

    /** The random share of the patients who are not normal-class: Splitter's test part, stratified as ever. */
    private static Set<String> holdOthers(List<Sample> samples, Map<String, Patient> patients, double fraction, long seed) {
        List<Sample> rest = new ArrayList<>();
        for (Sample s : samples) if (!patients.get(Splitter.groupKey(s)).normalClass()) rest.add(s.withSplit(null));
        Set<String> held = new HashSet<>();
        for (Sample s : Splitter.assign(rest, new double[] {1 - fraction, 0, fraction}, seed))
            if ("test".equals(s.split())) held.add(Splitter.groupKey(s));
        return held;
    }

    /**
     * The held-out patients as split "test"; everyone else split patient-grouped and class-stratified into train and
     * val in the proportions {@code train : val} by {@link Splitter} (with {@code seed}). Same order as
     * {@code samples}; any split they carried is ignored.
     */
    public static List<Sample> assign(List<Sample> samples, Holdout holdout, double train, double val, long seed) {
        return Splitter.assignAround(samples, holdout::holds, train, val, seed);
    }

    private static void checkFraction(String which, double f) {
        if (!(f > 0 && f < 0.5))
            throw new IllegalArgumentException("the " + which + " fraction must be in (0, 0.5), not " + f);
    }

    /** One patient's labels and the sharpness of their films that decoded. */
    private static final class Patient {
        final String id;
        final Set<Label> labels = EnumSet.noneOf(Label.class);
        final List<Double> films = new ArrayList<>();
        double median = Double.NaN;

        Patient(String id) { this.id = id; }

        boolean normalClass() { return labels.equals(EnumSet.of(Label.NORMAL)); }

        double sharpness() {
            if (Double.isNaN(median)) median = median(films.stream().mapToDouble(Double::doubleValue).toArray());
            return median;
        }
    }

    private static Map<String, Patient> patients(List<Sample> samples, double[] sharpness) {
        if (sharpness.length != samples.size())
            throw new IllegalArgumentException(sharpness.length + " sharpness figures for " + samples.size() + " samples");
        Map<String, Patient> byId = new TreeMap<>();
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            Patient p = byId.computeIfAbsent(Splitter.groupKey(s), Patient::new);
            p.labels.add(s.label());
            if (!Double.isNaN(sharpness[i])) p.films.add(sharpness[i]);
        }
        return byId;
    }

    private static Map<Label, Double> classMedians(List<Sample> samples, double[] sharpness) {
        Map<Label, List<Double>> by = new EnumMap<>(Label.class);
        for (int i = 0; i < samples.size(); i++)
            if (!Double.isNaN(sharpness[i])) by.computeIfAbsent(samples.get(i).label(), k -> new ArrayList<>()).add(sharpness[i]);
        Map<Label, Double> out = new EnumMap<>(Label.class);
        by.forEach((l, v) -> out.put(l, median(v.stream().mapToDouble(Double::doubleValue).toArray())));
        return out;
    }

    private static double normalMedian(List<Patient> patients) {
        return median(patients.stream().flatMap(p -> p.films.stream()).mapToDouble(Double::doubleValue).toArray());
    }

    /** The middle value (the mean of the two middle ones for an even count); NaN for none. */
    static double median(double[] v) {
        if (v.length == 0) return Double.NaN;
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }
}
