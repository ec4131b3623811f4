package org.pneumoscope.model;

import ai.djl.nn.Parameter;
import org.pneumoscope.core.AtomicFiles;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A network's BatchNorm running means and variances, by parameter name, apart from its weights: what a set of films
 * makes of them, kept so that another set's can be measured against it.
 */
public final class BatchNormStatistics {
    /** Far beyond any network here (a ResNet-50 has 106 running statistics of at most 2,048 channels). */
    private static final int MAX_ENTRIES = 10_000, MAX_CHANNELS = 1 << 16;
    private static final String MAGIC = "pneumoscope-batchnorm-statistics";
    private static final int FORMAT = 1;

    /** One running statistic: its parameter name, whether it is a variance (else a mean), its values per channel. */
    public record Entry(String name, boolean variance, float[] values) {}

    private static final float EPS = XrayNet.BN_EPSILON;
    private final List<Entry> entries;

    BatchNormStatistics(List<Entry> entries) { this.entries = List.copyOf(entries); }

    public List<Entry> entries() { return entries; }

    /** A copy of the network's running statistics as they are now. */
    public static BatchNormStatistics of(XrayNet net) {
        List<Entry> e = new ArrayList<>();
        for (Map.Entry<String, Parameter> p : net.namedParameters().entrySet()) {
            Parameter.Type t = p.getValue().getType();
            if (t == Parameter.Type.RUNNING_MEAN || t == Parameter.Type.RUNNING_VAR)
                e.add(new Entry(p.getKey(), t == Parameter.Type.RUNNING_VAR, p.getValue().getArray().toFloatArray()));
        }
        return new BatchNormStatistics(e);
    }

    /** Writes these statistics into the network's running statistics; the layouts must match. */
    public void applyTo(XrayNet net) {
        requireFits(net);
        Map<String, Parameter> named = net.namedParameters();
        for (Entry e : entries) named.get(e.name()).getArray().set(e.values());
    }

    /** Refuses statistics of another network's BatchNorm layers (names, kinds or channel counts differ). */
    public void requireFits(XrayNet net) {
        of(net).requireSameLayout(this, "these statistics");
    }

    /**
     * The statistics moved by the difference between {@code site}'s and {@code reference}'s: means shifted by
     * site − reference, variances scaled by site / reference as BatchNorm uses them, each with its ε added (so a
     * channel almost constant on the reference films cannot scale a variance without bound). With this network's own validation films as the
     * reference, only what the new films change is applied to the statistics training stored; the validation films
     * themselves would leave them as they are, where AdaBN would replace them by the clean films' batch statistics.
     */
    public BatchNormStatistics movedBy(BatchNormStatistics reference, BatchNormStatistics site) {
        reference.requireSameLayout(this, "the reference statistics");
        site.requireSameLayout(this, "the new films' statistics");
        List<Entry> out = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            Entry s = entries.get(i);
            float[] r = reference.entries.get(i).values(), n = site.entries.get(i).values(), v = s.values().clone();
            for (int c = 0; c < v.length; c++)
                v[c] = s.variance() ? (v[c] + EPS) * (n[c] + EPS) / (r[c] + EPS) - EPS : v[c] + n[c] - r[c];
            out.add(new Entry(s.name(), s.variance(), v));
        }
        return new BatchNormStatistics(out);
    }

    /** These statistics, with those of the layers {@code fromOther} names taken from {@code other} (same layout). */
    public BatchNormStatistics withEntriesOf(BatchNormStatistics other, Predicate<String> fromOther) {
        other.requireSameLayout(this, "the other statistics");
        List<Entry> out = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) out.add(fromOther.test(entries.get(i).name()) ? other.entries.get(i) : entries.get(i));
        return new BatchNormStatistics(out);
    }

    private void requireSameLayout(BatchNormStatistics other, String what) {
        boolean same = other.entries.size() == entries.size();
        for (int i = 0; same && i < entries.size(); i++) {
            Entry a = entries.get(i), b = other.entries.get(i);
            same = a.name().equals(b.name()) && a.variance() == b.variance() && a.values().length == b.values().length;
        }
        if (!same) throw new IllegalArgumentException(what + " do not match the network's BatchNorm layers");
    }

    /** Writes the statistics atomically. */
    public void write(Path file) throws IOException {
        AtomicFiles.write(file, os -> {
            DataOutputStream d = new DataOutputStream(os);
            d.writeUTF(MAGIC);
            d.writeInt(FORMAT);
            d.writeInt(entries.size());
            for (Entry e : entries) {
                d.writeUTF(e.name());
                d.writeBoolean(e.variance());
                d.writeInt(e.values().length);
                for (float f : e.values()) d.writeFloat(f);
            }
            d.flush();
        });
    }

    /** Reads statistics written by {@link #write}; a file of any other kind is refused with its name. */
    public static BatchNormStatistics read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file); DataInputStream d = new DataInputStream(new java.io.BufferedInputStream(in))) {
            if (!MAGIC.equals(d.readUTF()) || d.readInt() != FORMAT)
                throw new IOException(file + " is not a BatchNorm statistics file of this version");
            int n = d.readInt();
            if (n < 0 || n > MAX_ENTRIES) throw new IOException(file + " is damaged: " + n + " statistics");
            List<Entry> e = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String name = d.readUTF();
                boolean variance = d.readBoolean();
                int length = d.readInt();
                if (length < 0 || length > MAX_CHANNELS) throw new IOException(file + " is damaged: " + length + " channels");
                float[] v = new float[length];
                for (int c = 0; c < v.length; c++) v[c] = d.readFloat();
                e.add(new Entry(name, variance, v));
            }
            return new BatchNormStatistics(e);
        } catch (java.io.EOFException | java.io.UTFDataFormatException e) {
            throw new IOException(file + " is cut short or is not a BatchNorm statistics file", e);
        }
    }
}
