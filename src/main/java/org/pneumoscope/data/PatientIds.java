package org.pneumoscope.data;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Patient identifiers recovered from file names, so images of one person never straddle train and test.
 * Kermany's pneumonia files are {@code personN_bacteria_K} / {@code personN_virus_K} (one person, several
 * images, sometimes with both labels); normals are {@code IM-XXXX-YYYY} or {@code NORMAL2-IM-XXXX-YYYY}.
 */
public final class PatientIds {
    private PatientIds() {}

    private static final Pattern PERSON = Pattern.compile("^(person\\d+)(?:[_\\-. ].*)?$", Pattern.CASE_INSENSITIVE);
    private static final Pattern IM = Pattern.compile("^(?:NORMAL\\d*-)?(IM-\\d+)(?:[-_.].*)?$", Pattern.CASE_INSENSITIVE);

    /**
     * {@code person12_virus_4.jpeg} gives "person12"; {@code NORMAL2-IM-0383-0001.jpeg} and
     * {@code IM-0383-0001.jpeg} give "IM-0383"; anything else gives the file name without extension
     * (one image, one group).
     */
    public static String fromFileName(String fileName) {
        String stem = stem(fileName);
        Matcher m = PERSON.matcher(stem);
        if (m.matches()) return m.group(1).toLowerCase(Locale.ROOT);
        m = IM.matcher(stem);
        if (m.matches()) return m.group(1).toUpperCase(Locale.ROOT);
        return stem;
    }

    /**
     * The naming rule applied to an id a manifest states: {@code NORMAL2-IM-0383} and {@code IM-0383} are one patient
     * ("IM-0383"), {@code Person12} is "person12"; an id that follows neither pattern is kept as written (trimmed).
     * Kermany's second batch of normals repeats the first batch's numbers with a {@code NORMAL2-} prefix, so a
     * manifest that kept the prefix would otherwise let one patient sit in train and test.
     */
    public static String canonical(String id) {
        String t = id.trim();
        Matcher m = PERSON.matcher(t);
        if (m.matches()) return m.group(1).toLowerCase(Locale.ROOT);
        m = IM.matcher(t);
        if (m.matches()) return m.group(1).toUpperCase(Locale.ROOT);
        return t;
    }

    /** How a manifest's {@code patient_id} is read. */
    public enum Rule {
        /** Through {@link #canonical}, the same rule as file names (the default). */
        NAMING("naming rule"),
        /** As written ({@code --verbatim-ids}). */
        VERBATIM("as written");

        private final String text;

        Rule(String text) { this.text = text; }

        /** "naming rule" or "as written", for reports. */
        public String text() { return text; }

        public String apply(String id) { return this == NAMING ? canonical(id) : id.trim(); }
    }

    static String stem(String fileName) {
        int slash = Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\'));
        String n = fileName.substring(slash + 1);
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
