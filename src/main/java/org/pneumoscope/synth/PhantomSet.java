package org.pneumoscope.synth;

import org.pneumoscope.core.Label;
import org.pneumoscope.data.Csv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Plans and writes a folder of phantoms (see {@link PhantomGenerator#generate}). */
final class PhantomSet {
    private PhantomSet() {}

    /** Share of patients who get a second film. */
    static final double FOLLOW_UP_RATE = 0.25;

    /**
     * One planned film: its running number, class, patient and whether it's the patient's first or second, in the set
     * rendered from {@code seed}.
     */
    record Entry(int index, Label label, int patient, int shot, long seed) {
        String file() { return label.id() + "/" + name(); }

        String name() { return String.format("phantom-%05d.png", index + 1); }

        /**
         * {@code ph<seed>-<patient>}, e.g. ph42-00001: the seed keeps the patients of sets rendered from other seeds
         * apart (else evaluating one set with a run trained on another would find "trained-on" patients in it), and a
         * set rendered again from the same seed has the same ids.
         */
        String patientId() { return String.format("ph%s-%05d", Long.toUnsignedString(seed), patient + 1); }
    }

    /** Deterministic plan: balanced classes, some patients with two films of the same class. */
    static List<Entry> plan(int count, long seed) {
        Random r = new Random(mix(seed, 0x9141L));
        Map<Label, Integer> perClass = new EnumMap<>(Label.class);
        for (Label l : PhantomGenerator.balancedLabels(count)) perClass.merge(l, 1, Integer::sum);
        List<Entry> out = new ArrayList<>(count);
        int index = 0, patient = 0;
        // Interleave classes patient by patient so any prefix of the manifest is roughly balanced.
        Map<Label, Integer> left = new EnumMap<>(perClass);
        while (index < count) {
            for (Label l : Label.values()) {
                int remaining = left.getOrDefault(l, 0);
                if (remaining == 0) continue;
                int films = remaining >= 2 && r.nextDouble() < FOLLOW_UP_RATE ? 2 : 1;
                for (int s = 0; s < films; s++) out.add(new Entry(index++, l, patient, s, seed));
                patient++;
                left.put(l, remaining - films);
            }
        }
        return out;
    }

    static PhantomGenerator.Summary write(PhantomGenerator gen, Path outDir, int count, int size, long seed, int threads) throws IOException {
        if (count < 1) throw new IllegalArgumentException("count must be at least 1, got " + count);
        List<Entry> plan = plan(count, seed);
        for (Label l : Label.values()) {
            Files.createDirectories(outDir.resolve(l.id()));
            Files.createDirectories(outDir.resolve("masks").resolve(l.id()));
        }
        int nThreads = Math.max(1, Math.min(threads, count));
        ExecutorService pool = Executors.newFixedThreadPool(nThreads, r -> {
            Thread t = new Thread(r, "phantom-writer");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (Entry e : plan) {
                jobs.add(pool.submit(() -> {
                    PhantomGenerator.Phantom p = renderEntry(gen, e, size, seed);
                    ImageFiles.writePng(p.image(), outDir.resolve(e.file()));
                    ImageFiles.writePng(p.lesionMask(), outDir.resolve("masks").resolve(e.file()));
                    return null;
                }));
            }
            for (int i = 0; i < jobs.size(); i++) {
                try {
                    jobs.get(i).get();
                } catch (ExecutionException ex) {
                    Throwable c = ex.getCause();
                    throw new IOException(outDir.resolve(plan.get(i).file()) + ": " + c.getMessage(), c);
                }
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing phantoms", ex);
        } finally {
            pool.shutdownNow();
        }
        StringBuilder csv = new StringBuilder(Csv.record("file", "label", "patient_id"));
        int[] perClass = new int[Label.COUNT];
        for (Entry e : plan) {
            csv.append(Csv.record(e.file(), e.label().id(), e.patientId()));
            perClass[e.label().index()]++;
        }
        ImageFiles.writeString(outDir.resolve("manifest.csv"), csv.toString());
        int patients = plan.isEmpty() ? 0 : plan.get(plan.size() - 1).patient() + 1;
        return new PhantomGenerator.Summary(outDir, plan.size(), perClass[0], perClass[1], perClass[2], patients);
    }

    /** A film depends only on (seed, patient) for anatomy and (seed, index) for the rest. */
    static PhantomGenerator.Phantom renderEntry(PhantomGenerator gen, Entry e, int size, long seed) {
        PhantomGenerator.Anatomy anatomy = PhantomGenerator.Anatomy.sample(new Random(mix(seed, 0xA11L + 2L * e.patient())));
        return gen.render(e.label(), size, anatomy, new Random(mix(seed, 0xF11L + 2L * e.index() + 1)));
    }

    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
