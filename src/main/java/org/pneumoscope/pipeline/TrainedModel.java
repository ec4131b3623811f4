package org.pneumoscope.pipeline;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.core.type.TypeReference;
import org.pneumoscope.core.DjlSetup;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.eval.Calibration;
import org.pneumoscope.eval.DriftScore;
import org.pneumoscope.eval.ShiftReference;
import org.pneumoscope.model.XrayNet;
import org.pneumoscope.train.DirectInput;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.Scoring;
import org.pneumoscope.train.TrainConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Function;

/**
 * A finished run loaded for inference: the network with its best weights, the input geometry and the
 * calibration temperature. Forward passes are thread-safe (no gradients); Grad-CAM needs the single
 * gradient collector, so callers serialise it (see {@link #camLock()}).
 *
 * <p>Every forward pass reads its input from a reused {@link DirectInput} rather than a fresh direct buffer that only
 * the GC would free (docs/models.md). The server's workers score at once, so the buffers are lent out one per caller at a
 * time: there are never more than the number of concurrent callers, none outlives the model in a thread that outlives
 * it (as a ThreadLocal would in the CLI's main thread or the HTTP threads), and {@link #close()} lets them go.
 */
public final class TrainedModel implements AutoCloseable {
    private static final Object CAM_LOCK = new Object();
    /** The description of a site profile, in its folder: how it was made and, once calibrated, its calibration. */
    public static final String PROFILE_CARD = "profile.json";

    private final RunFolder run;
    /** The site profile whose weights are loaded, or null for the run's own. */
    private final String profile;
    private final TrainConfig config;
    private final Map<String, Object> card;
    private final Calibration calibration;
    private final InputRecipe recipe;
    private final NDManager manager;
    private final XrayNet net;
    private final ParameterStore ps;
    /** Input buffers not lent out; last in, first out, so the most recently grown one is reused first. */
    private final ConcurrentLinkedDeque<DirectInput> inputs = new ConcurrentLinkedDeque<>();
    /** Null until {@link #shiftReference()} first reads it. */
    private Optional<ShiftReference> shiftReference;

    private TrainedModel(RunFolder run, String profile, TrainConfig config, Map<String, Object> card,
                         Calibration calibration, InputRecipe recipe, NDManager manager, XrayNet net) {
        this.run = run;
        this.profile = profile;
        this.config = config;
        this.card = card;
        this.calibration = calibration;
        this.recipe = recipe;
        this.manager = manager;
        this.net = net;
        this.ps = new ParameterStore(manager, false);
    }

    public static TrainedModel load(Path runDir) throws IOException {
        return load(runDir, null);
    }

    /**
     * A finished run with the weights of its site profile {@code profile} (made by {@code adapt}: the same network
     * with statistics re-estimated on another site's films), or its own weights when {@code profile} is null.
     */
    public static TrainedModel load(Path runDir, String profile) throws IOException {
        DjlSetup.configure();
        RunFolder run = new RunFolder(runDir);
        if (!Files.isRegularFile(run.modelJson()) || !Files.isRegularFile(run.modelParams()))
            throw new UserException(runDir + " is not a finished Pneumoscope run (no model.json / model.params)"
                    + (Files.exists(run.lastCheckpoint()) ? "; it can be resumed with: pneumoscope train --resume " + runDir : ""));
        Map<String, Object> card = RunFolder.JSON.readValue(run.modelJson().toFile(), new TypeReference<LinkedHashMap<String, Object>>() {});
        @SuppressWarnings("unchecked") Map<String, Object> cfgMap = (Map<String, Object>) card.get("config");
        TrainConfig cfg = TrainConfig.fromMap(cfgMap);
        Calibration calibration = profile == null ? calibrationOf(card, run.modelJson()) : profileCalibration(run, profile, card);
        InputRecipe recipe = recipeOf(card, cfg, run.modelJson()); // a damaged card is refused before the network is open
        XrayNet net = XrayNet.open(profile == null ? run.modelParams() : profileParams(run, profile));
        return new TrainedModel(run, profile, cfg, card, calibration, recipe, NDManager.newBaseManager(), net);
    }

    /**
     * A profile's own calibration when {@code calibrate --profile} fitted one (its profile.json then holds a
     * temperature), else the run's.
     */
    private static Calibration profileCalibration(RunFolder run, String profile, Map<String, Object> card) throws IOException {
        Path file = run.profileDir(profile).resolve(PROFILE_CARD);
        if (!Files.isRegularFile(file)) return calibrationOf(card, run.modelJson());
        Map<String, Object> p = RunFolder.JSON.readValue(file.toFile(), new TypeReference<LinkedHashMap<String, Object>>() {});
        return p.containsKey("temperature") ? calibrationOf(p, file) : calibrationOf(card, run.modelJson());
    }

    private static Path profileParams(RunFolder run, String profile) throws IOException {
        Path params = run.profileDir(profile).resolve("model.params");
        if (Files.isRegularFile(params)) return params;
        List<String> known = run.profiles();
        throw new UserException(run.dir() + " has no site profile '" + profile + "' ("
                + (known.isEmpty() ? "it has none; make one with: pneumoscope adapt --run " + run.dir() + " --data FILMS"
                : "it has: " + String.join(", ", known)) + ")");
    }

    /**
     * The calibration a model card holds: "temperature" and, when fitted, "class_bias" (one offset per class, in the
     * card's class order). Cards from before class offsets existed have a temperature only.
     */
    static Calibration calibrationOf(Map<String, Object> card, Path file) {
        Object t = card.get("temperature");
        double temperature = t instanceof Number ? ((Number) t).doubleValue() : 1.0;
        Object b = card.get("class_bias");
        Object m = card.get("calibration_method");
        try {
            if (b == null && m == null) return t == null ? Calibration.identity() : Calibration.ofTemperature(temperature);
            // cards from before calibration_method was written held offsets only when bias-corrected
            Calibration.Method method = m == null ? Calibration.Method.BIAS_CORRECTED
                    : Calibration.parse(String.valueOf(m), "calibration_method");
            if (b == null) return new Calibration(method, temperature, null);
            if (!(b instanceof List<?> l) || l.size() != Label.COUNT || !l.stream().allMatch(x -> x instanceof Number))
                throw new IllegalArgumentException("class_bias must be a list of " + Label.COUNT + " numbers, got " + b);
            double[] bias = l.stream().mapToDouble(x -> ((Number) x).doubleValue()).toArray();
            return new Calibration(method, temperature, bias);
        } catch (IllegalArgumentException e) {
            throw new UserException(file + ": " + e.getMessage());
        }
    }

    private static InputRecipe recipeOf(Map<String, Object> card, TrainConfig config, Path file) {
        if (!(card.get("input") instanceof Map<?, ?> m)) return config.input();
        try {
            return InputRecipe.fromMap(m);
        } catch (IllegalArgumentException e) {
            throw new UserException(file + ": " + e.getMessage());
        }
    }

    public TrainConfig config() { return config; }
    public XrayNet net() { return net; }
    public NDManager manager() { return manager; }
    public ParameterStore parameterStore() { return ps; }
    public double temperature() { return calibration.temperature(); }
    /** How logits become the probabilities shown: temperature and, when fitted, class offsets. */
    public Calibration calibration() { return calibration; }
    public Map<String, Object> card() { return card; }
    public RunFolder run() { return run; }
    /** The site profile in use, or null for the run's own weights. */
    public String profile() { return profile; }
    public static Object camLock() { return CAM_LOCK; }

    /** How films become this network's input: model.json's "input", or, for runs made before it was stored, the config. */
    public InputRecipe recipe() { return recipe; }

    /** Normalised CHW input for one image that is already at the model's size, with the run's contrast applied. */
    public float[] input(GreyImage g) {
        return recipe.tensor(g);
    }

    /** Raw logits for images already resized to the model's size. */
    public float[][] logits(List<GreyImage> images, boolean tta) {
        int n = images.size();
        float[] data = inputs(images);
        return withInput(in -> Scoring.logits(net.block(), ps, manager, in, data, n, recipe.channels(), recipe.size(), tta));
    }


    /**
     * Logits and pooled features from one forward pass in inference mode (with {@code tta} both averaged with the
     * mirrored image's); the logits equal {@link #logits}'s.
     */
    public Scoring.Outputs scores(List<GreyImage> images, boolean tta) {
        int n = images.size();
        float[] data = inputs(images);
        return withInput(in -> Scoring.logitsAndFeatures(net, ps, manager, in, data, n, recipe.channels(), recipe.size(), tta));
    }

    private float[] inputs(List<GreyImage> images) {
        int n = images.size(), per = recipe.channels() * recipe.size() * recipe.size();
        float[] data = new float[n * per];
        for (int i = 0; i < n; i++) System.arraycopy(input(images.get(i)), 0, data, i * per, per);
        return data;
    }

    /**
     * The validation films' statistics the shift alarm compares new films with ({@code shift-reference.json} in the run
     * folder), read once; empty for a run trained before the alarm existed.
     */
    public synchronized Optional<ShiftReference> shiftReference() throws IOException {
        // a profile's reference describes its own site's films under the adapted network
        if (shiftReference == null) shiftReference = ShiftReference.read(profile == null ? run.dir() : run.profileDir(profile));
        return shiftReference;
    }

    /**
     * The shift alarm's check against {@link #shiftReference()}, with the label-free accuracy estimate fitted under this
     * model's calibration when the reference holds the validation films' labels (a run's own does; a profile's does not).
     */
    public Optional<DriftScore> driftScore() throws IOException {
        return shiftReference().map(r -> new DriftScore(r, r.accuracyEstimate(calibration)));
    }

    /** Runs {@code f} with an input buffer no other caller is using; the arrays made from it are closed by then. */
    private <T> T withInput(Function<DirectInput, T> f) {
        DirectInput in = inputs.pollFirst();
        if (in == null) in = new DirectInput();
        try {
            return f.apply(in);
        } finally {
            inputs.offerFirst(in);
        }
    }

    /** Calibrated probabilities (softmax of the logits over T, plus the class offsets when fitted). */
    public float[][] probabilities(List<GreyImage> images, boolean tta) {
        return calibration.probabilities(logits(images, tta));
    }

    /**
     * Grad-CAM for one image already at the model's size; layer null = last feature map, cls null = the predicted
     * class, i.e. the argmax of the calibrated probabilities (class offsets can move it off the raw logits' argmax).
     */
    public org.pneumoscope.explain.CamResult explain(GreyImage g, String layer, Integer cls) {
        org.pneumoscope.explain.CamResult r = cam(g, layer, cls);
        // report calibrated probabilities, consistent with predict
        float[] p = calibration.probabilities(logitsOf(r.probabilities()));
        int predicted = org.pneumoscope.eval.Metrics.argmax(p);
        if (cls == null && predicted != r.targetClass()) r = cam(g, layer, predicted);
        return new org.pneumoscope.explain.CamResult(r.map(), r.width(), r.height(), p, r.targetClass(), r.features());
    }

    private org.pneumoscope.explain.CamResult cam(GreyImage g, String layer, Integer cls) {
        int s = recipe.size(), c = recipe.channels();
        return withInput(in -> {
            try (NDManager sub = manager.newSubManager()) {
                ai.djl.ndarray.NDArray x = in.create(sub, input(g), new ai.djl.ndarray.types.Shape(1, c, s, s));
                return org.pneumoscope.explain.GradCam.compute(net, sub, x, layer, cls);
            }
        });
    }

    /**
     * Grad-CAM of several images already at the model's size from one forward and one backward pass
     * ({@link org.pneumoscope.explain.GradCam#computeBatch}): the same maps, classes and calibrated probabilities as
     * {@link #explain(GreyImage, String, Integer)} gives each image alone. {@code classes} holds each image's target,
     * null entries (or a null list) meaning the predicted class.
     */
    public List<org.pneumoscope.explain.CamResult> explain(List<GreyImage> images, String layer, List<Integer> classes) {
        return explain(images, layer, classes, false);
    }

    /**
     * As {@link #explain(List, String, List)}; with {@code tta} the probabilities, the predicted class and the pooled
     * features are those of {@link #scores} with mirror averaging (the mirror images run in the same pass), and each
     * map is that of the image itself.
     */
    public List<org.pneumoscope.explain.CamResult> explain(List<GreyImage> images, String layer, List<Integer> classes, boolean tta) {
        int n = images.size(), s = recipe.size(), c = recipe.channels();
        if (classes != null && classes.size() != n) throw new IllegalArgumentException(classes.size() + " classes for " + n + " images");
        if (n == 0) return List.of();
        float[] data = inputs(images);
        List<org.pneumoscope.explain.CamResult> raw = withInput(in -> {
            try (NDManager sub = manager.newSubManager()) {
                ai.djl.ndarray.NDArray x = in.create(sub, data, new ai.djl.ndarray.types.Shape(n, c, s, s));
                return org.pneumoscope.explain.GradCam.computeBatch(net, sub, x, layer, tta, probs -> {
                    int[] t = new int[n];
                    for (int i = 0; i < n; i++) {
                        Integer want = classes == null ? null : classes.get(i);
                        t[i] = want != null ? want : org.pneumoscope.eval.Metrics.argmax(calibration.probabilities(logitsOf(probs[i])));
                    }
                    return t;
                });
            }
        });
        List<org.pneumoscope.explain.CamResult> out = new java.util.ArrayList<>(n);
        for (org.pneumoscope.explain.CamResult r : raw)
            out.add(new org.pneumoscope.explain.CamResult(r.map(), r.width(), r.height(),
                    calibration.probabilities(logitsOf(r.probabilities())), r.targetClass(), r.features()));
        return out;
    }

    /** Inverse of softmax up to a constant: log p. */
    private static float[] logitsOf(float[] p) {
        float[] z = new float[p.length];
        for (int i = 0; i < p.length; i++) z[i] = (float) Math.log(Math.max(p[i], 1e-30f));
        return z;
    }

    public org.pneumoscope.data.ResizeMode resizeMode() {
        return recipe.resize();
    }

    @Override
    public void close() {
        inputs.clear(); // a closed model still referenced (e.g. by a stopped server) no longer holds them
        manager.close();
        net.close();
    }
}
