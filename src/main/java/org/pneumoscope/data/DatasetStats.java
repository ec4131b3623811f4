package org.pneumoscope.data;

import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a data scientist checks before training: counts per class and split, patients, patients that leak across
 * splits, byte-identical duplicate files (SHA-256), and images that do not decode.
 *
 * @param bySplit          split ("train", "val", "test", or {@link #NO_SPLIT}) to images per class
 * @param patientsBySplit  split to distinct patients
 * @param leaks            patients found in more than one split (data leakage), sorted by id
 * @param mixedLabelPatients patients whose images carry more than one label
 * @param duplicates       groups of files with identical content (only when files were read)
 * @param decodeFailures   files that could not be decoded, each with its reason (only when decoded)
 * @param sizes            "WxH" to image count (only when decoded), most common first
 * @param exposure         grey-level statistics by class and how well they alone predict the label (only when decoded)
 */
public record DatasetStats(String source, String layout, int images, Map<Label, Integer> byClass,
                           Map<String, Map<Label, Integer>> bySplit, int patients, Map<String, Integer> patientsBySplit,
                           List<Leak> leaks, int mixedLabelPatients, List<DuplicateGroup> duplicates,
                           List<Problem> decodeFailures, List<Problem> scanProblems, Map<String, Integer> sizes,
                           boolean decoded, ExposureCheck exposure) {

    public static final String NO_SPLIT = "(none)";

    /** A patient seen in several splits. */
    public record Leak(String patientId, Set<String> splits, int images) {}

    /** Files with the same SHA-256. */
    public record DuplicateGroup(String sha256, List<Sample> samples) {
        public boolean crossesSplits() {
            return samples.stream().map(s -> Objects.toString(s.split(), NO_SPLIT)).distinct().count() > 1;
        }

        public boolean conflictingLabels() {
            return samples.stream().map(Sample::label).distinct().count() > 1;
        }
    }

    /**
     * Computes the statistics. With {@code readFiles}, every file is read once (in {@code threads} threads) to
     * hash it for duplicates and decode it; without, only the listing is used (instant, for huge datasets).
     */
    public static DatasetStats compute(DatasetScan scan, boolean readFiles, int threads, ImageCache.Progress progress) {
        List<Sample> samples = scan.samples();
        Map<Label, Integer> byClass = scan.countByLabel();
        Map<String, Map<Label, Integer>> bySplit = new TreeMap<>(Comparator.comparingInt(DatasetStats::splitOrder));
        Map<String, Set<String>> patientSplits = new TreeMap<>();
        Map<String, Integer> patientImages = new HashMap<>();
        Map<String, Set<Label>> patientLabels = new HashMap<>();
        for (Sample s : samples) {
            String split = s.split() == null ? NO_SPLIT : s.split();
            bySplit.computeIfAbsent(split, k -> zeroCounts()).merge(s.label(), 1, Integer::sum);
            String pid = Splitter.groupKey(s);
            patientSplits.computeIfAbsent(pid, k -> new TreeSet<>(Comparator.comparingInt(DatasetStats::splitOrder))).add(split);
            patientImages.merge(pid, 1, Integer::sum);
            patientLabels.computeIfAbsent(pid, k -> new TreeSet<>()).add(s.label());
        }
        Map<String, Integer> patientsBySplit = new TreeMap<>(Comparator.comparingInt(DatasetStats::splitOrder));
        List<Leak> leaks = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : patientSplits.entrySet()) {
            for (String sp : e.getValue()) patientsBySplit.merge(sp, 1, Integer::sum);
            if (e.getValue().size() > 1) leaks.add(new Leak(e.getKey(), e.getValue(), patientImages.get(e.getKey())));
        }
        int mixed = (int) patientLabels.values().stream().filter(l -> l.size() > 1).count();

        List<DuplicateGroup> duplicates = new ArrayList<>();
        List<Problem> failures = new ArrayList<>();
        Map<String, Integer> sizes = new LinkedHashMap<>();
        ExposureCheck exposure = null;
        if (readFiles && !samples.isEmpty()) {
            String[] hashes = new String[samples.size()];
            String[] dims = new String[samples.size()];
            Problem[] failed = new Problem[samples.size()];
            double[][] grey = new double[samples.size()][];
            runParallel(samples.size(), threads, progress, i -> {
                Path f = samples.get(i).file();
                try {
                    byte[] bytes = ImageDecoder.readBytes(f);
                    hashes[i] = Fingerprints.sha256(bytes);
                    GreyImage g = ImageDecoder.decode(bytes, f.toString());
                    dims[i] = g.width() + "x" + g.height();
                    grey[i] = ExposureCheck.statistics(g);
                } catch (DecodeException e) {
                    failed[i] = new Problem(f, e.reason());
                }
            });
            Map<String, List<Sample>> byHash = new LinkedHashMap<>();
            Map<String, Integer> sizeCounts = new HashMap<>();
            for (int i = 0; i < samples.size(); i++) {
                if (hashes[i] != null) byHash.computeIfAbsent(hashes[i], k -> new ArrayList<>()).add(samples.get(i));
                if (dims[i] != null) sizeCounts.merge(dims[i], 1, Integer::sum);
                if (failed[i] != null) failures.add(failed[i]);
            }
            for (Map.Entry<String, List<Sample>> e : byHash.entrySet())
                if (e.getValue().size() > 1) duplicates.add(new DuplicateGroup(e.getKey(), List.copyOf(e.getValue())));
            Label[] labels = samples.stream().map(Sample::label).toArray(Label[]::new);
            exposure = ExposureCheck.of(grey, labels);
            sizeCounts.entrySet().stream()
                    .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                    .forEach(e -> sizes.put(e.getKey(), e.getValue()));
        }
        return new DatasetStats(scan.source() == null ? "" : scan.source().toString(), scan.layout(), samples.size(),
                byClass, bySplit, patientSplits.size(), patientsBySplit, leaks, mixed, duplicates, failures,
                scan.problems(), sizes, readFiles, exposure);
    }

    /** Missing classes (those with no image at all). */
    public List<Label> missingClasses() {
        List<Label> m = new ArrayList<>();
        for (Label l : Label.values()) if (byClass.getOrDefault(l, 0) == 0) m.add(l);
        return m;
    }

    static int splitOrder(String s) {
        switch (s) {
            case "train": return 0;
            case "val": return 1;
            case "test": return 2;
            case NO_SPLIT: return 4;
            default: return 3;
        }
    }

    private static Map<Label, Integer> zeroCounts() {
        Map<Label, Integer> m = new EnumMap<>(Label.class);
        for (Label l : Label.values()) m.put(l, 0);
        return m;
    }

    interface IndexTask {
        void run(int i);
    }

    static void runParallel(int n, int threads, ImageCache.Progress progress, IndexTask task) {
        int t = Math.max(1, Math.min(threads, n));
        ImageCache.Progress p = progress == null ? ImageCache.Progress.NONE : progress;
        AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        Object lock = new Object();
        ExecutorService pool = Executors.newFixedThreadPool(t, r -> {
            Thread th = new Thread(r, "dataset-stats");
            th.setDaemon(true);
            return th;
        });
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < t; w++)
                fs.add(pool.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < n; ) {
                        task.run(i);
                        synchronized (lock) { // counted under the lock, so the counts reach progress in order
                            p.update(done.incrementAndGet(), n);
                        }
                    }
                }));
            for (Future<?> f : fs) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }
}
