package org.pneumoscope.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a finished model saw on its validation films, for the shift alarm ({@link DriftScore}) to compare new films
 * with: the predicted class mix, a histogram of confidence (the largest calibrated probability, 10 bins of 0.1),
 * each pooled feature channel's mean and SD, and every film's pooled features (the alarm's threshold is found by
 * resampling them); and, for a run's own reference, the validation films' logits and true labels, from which
 * {@link AccuracyEstimate} is fitted under whatever calibration the model holds when it checks.
 *
 * <p>On disk, in any folder (a run folder, or a site profile's): {@value #JSON_FILE} holds the statistics and
 * {@value #FEATURES_FILE} the films' features as big-endian float32 (a cpu-preset run: ~500 films × 256 channels,
 * half a megabyte, where JSON would be several). The features file is written first, so a folder whose JSON exists
 * has both.
 */
public record ShiftReference(double[] classMix, int[] confidenceHistogram, double meanConfidence,
                             double[] channelMean, double[] channelSd, float[][] features, boolean tta,
                             Validation validation) {
    public static final String JSON_FILE = "shift-reference.json";
    public static final String FEATURES_FILE = "shift-features.bin";
    public static final int CONFIDENCE_BINS = 10;
    static final String FORMAT = "pneumoscope-shift-reference/1";
    private static final String MAGIC = "PNEUMOSCOPE-SHIFT-FEATURES";
    private static final int VERSION = 1;
    /** Bounds a damaged header cannot pass: no network has more channels, no validation split more films. */
    private static final int MAX_CHANNELS = 1 << 16, MAX_FILMS = 1 << 22;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ShiftReference {
        int c = channelMean.length;
        if (features.length == 0) throw new IllegalArgumentException("a shift reference needs at least one film");
        if (channelSd.length != c) throw new IllegalArgumentException("channel_sd has " + channelSd.length + " values, channel_mean " + c);
        for (float[] f : features)
            if (f.length != c) throw new IllegalArgumentException("a film has " + f.length + " features, the statistics " + c);
        if (classMix.length != Label.COUNT) throw new IllegalArgumentException("class_mix needs " + Label.COUNT + " values");
        if (confidenceHistogram.length != CONFIDENCE_BINS)
            throw new IllegalArgumentException("the confidence histogram needs " + CONFIDENCE_BINS + " bins");
        if (validation != null && validation.labels().length != features.length)
            throw new IllegalArgumentException("the validation block has " + validation.labels().length + " films, the features "
                    + features.length);
    }

    /**
     * The reference films' raw logits and true labels (Label indices), one per film (the estimate needs no order):
     * what a label-free accuracy estimate is fitted on. Absent from a site profile's reference, whose films have no
     * labels.
     */
    public record Validation(float[][] logits, int[] labels) {
        public Validation {
            if (logits.length != labels.length)
                throw new IllegalArgumentException(logits.length + " validation logits for " + labels.length + " labels");
            for (float[] l : logits)
                if (l.length != Label.COUNT) throw new IllegalArgumentException("a validation film has " + l.length + " logits");
            for (int y : labels)
                if (y < 0 || y >= Label.COUNT) throw new IllegalArgumentException("a validation label " + y + " is not a class");
        }
    }

    /** This reference with the validation films' logits and labels, for the accuracy estimate. */
    public ShiftReference withValidation(float[][] logits, int[] labels) {
        return new ShiftReference(classMix, confidenceHistogram, meanConfidence, channelMean, channelSd, features, tta,
                new Validation(logits, labels));
    }

    /** The accuracy estimate under {@code calibration}, or null when this reference holds no labelled films. */
    public AccuracyEstimate accuracyEstimate(Calibration calibration) {
        return validation == null ? null : AccuracyEstimate.fit(calibration.probabilities(validation.logits()), validation.labels());
    }

    /**
     * The reference of a set of films from their pooled features and calibrated probabilities (same order).
     *
     * @param tta whether the features were averaged with the mirrored films' (the run's own setting)
     */
    public static ShiftReference of(float[][] features, float[][] probabilities, boolean tta) {
        if (features.length != probabilities.length)
            throw new IllegalArgumentException(features.length + " feature rows for " + probabilities.length + " films");
        if (features.length == 0) throw new IllegalArgumentException("a shift reference needs at least one film");
        double[][] stats = channelStatistics(features);
        return new ShiftReference(classMix(probabilities), confidenceHistogram(probabilities), meanConfidence(probabilities),
                stats[0], stats[1], features, tta, null);
    }

    /** Each feature channel's mean (row 0) and sample SD (row 1) over the films, as a reference holds them. */
    public static double[][] channelStatistics(float[][] features) {
        int c = features[0].length;
        double[] mean = new double[c], sd = new double[c];
        for (int k = 0; k < c; k++) {
            double[] col = new double[features.length];
            for (int i = 0; i < features.length; i++) col[i] = features[i][k];
            mean[k] = mean(col);
            sd[k] = sd(col, mean[k]);
        }
        return new double[][] {mean, sd};
    }

    public int films() { return features.length; }

    public int channels() { return channelMean.length; }

    // ------------------------------------------------------------------ statistics of a set of films

    /** Share of the films predicted as each class (argmax of the probabilities), in Label order; zeros for none. */
    public static double[] classMix(float[][] probabilities) {
        double[] mix = new double[Label.COUNT];
        for (float[] p : probabilities) mix[Metrics.argmax(p)]++;
        for (int k = 0; k < mix.length; k++) mix[k] = probabilities.length == 0 ? 0 : mix[k] / probabilities.length;
        return mix;
    }

    /** Mean of each film's largest probability; NaN for no films. */
    public static double meanConfidence(float[][] probabilities) {
        double s = 0;
        for (float[] p : probabilities) s += p[Metrics.argmax(p)];
        return s / probabilities.length;
    }

    /** Films per bin of the largest probability: [0, 0.1), [0.1, 0.2), …, [0.9, 1]. */
    public static int[] confidenceHistogram(float[][] probabilities) {
        int[] h = new int[CONFIDENCE_BINS];
        for (float[] p : probabilities) {
            int bin = (int) Math.floor(p[Metrics.argmax(p)] * CONFIDENCE_BINS);
            h[Math.max(0, Math.min(CONFIDENCE_BINS - 1, bin))]++;
        }
        return h;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    /** Sample SD (n − 1); 0 for a single film. */
    private static double sd(double[] v, double mean) {
        if (v.length < 2) return 0;
        double s = 0;
        for (double x : v) s += (x - mean) * (x - mean);
        return Math.sqrt(s / (v.length - 1));
    }

    // ------------------------------------------------------------------ files

    /** Writes {@value #FEATURES_FILE}, then {@value #JSON_FILE}, each atomically, into {@code dir}. */
    public void write(Path dir) throws IOException {
        AtomicFiles.write(dir.resolve(FEATURES_FILE), featureBytes());
        AtomicFiles.writeString(dir.resolve(JSON_FILE), JSON.writeValueAsString(statsJson()));
    }

    private ObjectNode statsJson() {
        ObjectNode j = JSON.createObjectNode();
        j.put("format", FORMAT);
        j.put("films", films());
        j.put("channels", channels());
        j.put("tta", tta);
        ObjectNode mix = j.putObject("class_mix");
        for (Label l : Label.values()) mix.put(l.id(), classMix[l.index()]);
        ArrayNode h = j.putArray("confidence_histogram");
        for (int v : confidenceHistogram) h.add(v);
        j.put("confidence_bins", "largest probability in [0, 0.1), [0.1, 0.2), ..., [0.9, 1]");
        j.put("mean_confidence", meanConfidence);
        ArrayNode m = j.putArray("channel_mean"), s = j.putArray("channel_sd");
        for (double v : channelMean) m.add(v);
        for (double v : channelSd) s.add(v);
        j.put("features_file", FEATURES_FILE);
        if (validation != null) {
            ObjectNode v = j.putObject("validation");
            v.put("what", "the films' raw logits and true labels (class indices), for the label-free accuracy estimate");
            ArrayNode labels = v.putArray("labels"), logits = v.putArray("logits");
            for (int y : validation.labels()) labels.add(y);
            for (float[] l : validation.logits()) {
                ArrayNode row = logits.addArray();
                for (float x : l) row.add(x);
            }
        }
        return j;
    }

    private byte[] featureBytes() {
        byte[] magic = MAGIC.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(magic.length + 12 + 4 * films() * channels());
        b.put(magic).putInt(VERSION).putInt(films()).putInt(channels());
        FloatBuffer f = b.asFloatBuffer();
        for (float[] row : features) f.put(row);
        return b.array();
    }

    /**
     * The reference stored in {@code dir}, or empty when there is none (a run trained before the alarm existed).
     * A damaged or inconsistent pair of files is refused with a message naming the file and the problem.
     */
    public static Optional<ShiftReference> read(Path dir) throws IOException {
        Path json = dir.resolve(JSON_FILE);
        if (!Files.isRegularFile(json)) return Optional.empty();
        JsonNode j;
        try {
            j = JSON.readTree(json.toFile());
        } catch (JsonProcessingException e) {
            throw new UserException(json + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (j == null || !FORMAT.equals(j.path("format").asText()))
            throw new UserException(json + " is not a shift reference of format " + FORMAT);
        float[][] features = readFeatures(dir.resolve(FEATURES_FILE), j.path("films").asInt(-1), j.path("channels").asInt(-1));
        try {
            return Optional.of(new ShiftReference(mix(j.path("class_mix"), json),
                    ints(j.path("confidence_histogram"), json, "confidence_histogram"), number(j, "mean_confidence", json),
                    doubles(j.path("channel_mean"), json, "channel_mean"), doubles(j.path("channel_sd"), json, "channel_sd"),
                    features, j.path("tta").asBoolean(false), validation(j.path("validation"), json)));
        } catch (IllegalArgumentException e) {
            throw new UserException(json + ": " + e.getMessage());
        }
    }

    static float[][] readFeatures(Path file, int films, int channels) throws IOException {
        if (!Files.isRegularFile(file))
            throw new UserException(file + " is missing; the shift reference beside it needs it (remove "
                    + JSON_FILE + " to go on without a shift alarm)");
        byte[] magic = MAGIC.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        long size = Files.size(file);
        if (size < magic.length + 12) throw new UserException(file + " is truncated (" + size + " bytes)");
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
        byte[] head = new byte[magic.length];
        b.get(head);
        if (!java.util.Arrays.equals(head, magic)) throw new UserException(file + " is not a shift-reference features file");
        int version = b.getInt(), n = b.getInt(), c = b.getInt();
        if (version != VERSION) throw new UserException(file + " has version " + version + "; this version reads " + VERSION);
        if (n <= 0 || n > MAX_FILMS || c <= 0 || c > MAX_CHANNELS)
            throw new UserException(file + " declares " + n + " films of " + c + " channels");
        if (n != films || c != channels)
            throw new UserException(file + " holds " + n + " films of " + c + " channels; " + JSON_FILE + " says "
                    + films + " of " + channels);
        if (b.remaining() != 4L * n * c)
            throw new UserException(file + " should hold " + 4L * n * c + " bytes of features after its header, not " + b.remaining());
        FloatBuffer f = b.asFloatBuffer();
        float[][] out = new float[n][c];
        for (float[] row : out) f.get(row);
        return out;
    }

    /** The validation block, or null when there is none (a profile's reference, a run trained before it existed). */
    private static Validation validation(JsonNode v, Path file) {
        if (v.isMissingNode() || v.isNull()) return null;
        JsonNode labels = v.path("labels"), logits = v.path("logits");
        if (!labels.isArray() || !logits.isArray())
            throw new UserException(file + ": 'validation' needs arrays 'labels' and 'logits'");
        int[] y = ints(labels, file, "validation.labels");
        float[][] l = new float[logits.size()][];
        for (int i = 0; i < l.length; i++) {
            double[] row = doubles(logits.get(i), file, "validation.logits");
            l[i] = new float[row.length];
            for (int k = 0; k < row.length; k++) l[i][k] = (float) row[k];
        }
        return new Validation(l, y);
    }

    private static double[] mix(JsonNode m, Path file) {
        double[] v = new double[Label.COUNT];
        for (Label l : Label.values()) v[l.index()] = number(m, l.id(), file);
        return v;
    }

    private static double number(JsonNode parent, String key, Path file) {
        JsonNode n = parent.path(key);
        if (!n.isNumber()) throw new UserException(file + ": '" + key + "' must be a number");
        return n.asDouble();
    }

    private static double[] doubles(JsonNode a, Path file, String key) {
        if (!a.isArray()) throw new UserException(file + ": '" + key + "' must be arrays of numbers");
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            if (!a.get(i).isNumber()) throw new UserException(file + ": '" + key + "' must be arrays of numbers");
            v[i] = a.get(i).asDouble();
        }
        return v;
    }

    private static int[] ints(JsonNode a, Path file, String key) {
        if (!a.isArray()) throw new UserException(file + ": '" + key + "' must be an array of whole numbers");
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            if (!a.get(i).canConvertToInt() || !a.get(i).isIntegralNumber())
                throw new UserException(file + ": '" + key + "' must be an array of whole numbers");
            v[i] = a.get(i).asInt();
        }
        return v;
    }
}
