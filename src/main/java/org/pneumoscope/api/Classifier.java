package org.pneumoscope.api;

import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.Ranks;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.explain.CamResult;
import org.pneumoscope.pipeline.EvaluateJob;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.train.Scoring;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A trained model for a Java program: load a run folder once, then classify and explain films from any number of
 * threads. The film goes through the same input recipe the network was trained with (stored in its model.json),
 * and the probabilities are the calibrated ones {@code predict}, {@code evaluate} and the server report.
 *
 * <pre>{@code
 * try (Classifier c = Classifier.load(Path.of("runs/cpu"))) {
 *     Prediction p = c.predict(Film.read(Path.of("chest.jpeg")));
 *     System.out.println(p.label() + " " + p.confidence());
 * }
 * }</pre>
 *
 * <p>Thread safety: every method may be called from any number of threads; each call runs its own forward pass
 * ({@link #predict(List)} one per {@link #BATCH} films). To gather single-film calls of many threads into shared
 * passes, wrap it with {@link #batching(BatchPolicy)}.
 *
 * <p>Errors are typed: a film that cannot be read or used is a {@link DecodeException} (its kind says which), a
 * folder that is not a finished run is a {@link UserException} naming it. Nothing here prints, exits, or writes
 * outside the run folder; the native engine is found offline (see {@link org.pneumoscope.core.DjlSetup}).
 */
public final class Classifier implements AutoCloseable {
    /** Films per forward pass when a list is classified: enough to use the cores, small enough to stay in cache. */
    public static final int BATCH = 32;

    private final TrainedModel model;
    private final boolean tta;

    private Classifier(TrainedModel model, boolean tta) {
        this.model = model;
        this.tta = tta;
    }

    /** The run's own weights, with the test-time augmentation its config chose. */
    public static Classifier load(Path run) throws IOException {
        return load(run, null);
    }

    /** The run's site profile {@code profile} (made by {@code adapt}), or its own weights when null. */
    public static Classifier load(Path run, String profile) throws IOException {
        TrainedModel m = TrainedModel.load(run, profile);
        return new Classifier(m, m.config().tta());
    }

    /**
     * A model the project's own commands loaded already (the server, benchmarks); closing the classifier closes it.
     */
    public static Classifier of(TrainedModel model) {
        return new Classifier(model, model.config().tta());
    }

    /** The same model with mirror-image averaging on or off; it shares the network, so close only one of them. */
    public Classifier withTta(boolean on) {
        return new Classifier(model, on);
    }

    public boolean tta() { return tta; }

    /** How films become the network's input. */
    public InputRecipe recipe() { return model.recipe(); }

    /** The site profile in use, or null. */
    public String profile() { return model.profile(); }

    /** The engine underneath, for the project's own commands (shift reference, model card, run folder). */
    public TrainedModel model() { return model; }

    /** Reads, checks and classifies one file. */
    public Prediction predict(Path file) throws DecodeException {
        return predict(Film.read(file));
    }

    public Prediction predict(Film film) {
        return predict(List.of(film)).get(0);
    }

    /** Classifies films in batches of {@link #BATCH}; results in the films' order. */
    public List<Prediction> predict(List<Film> films) {
        List<Prediction> out = new ArrayList<>(films.size());
        for (int from = 0; from < films.size(); from += BATCH) {
            List<Film> part = films.subList(from, Math.min(films.size(), from + BATCH));
            out.addAll(predictFitted(part, fit(part), tta));
        }
        return out;
    }

    /** The films fitted to the network's input (the recipe's size and resize). */
    List<GreyImage> fit(List<Film> films) {
        List<GreyImage> inputs = new ArrayList<>(films.size());
        for (Film f : films) inputs.add(model.recipe().fit(f.image()));
        return inputs;
    }

    /** One forward pass over films already fitted to the input ({@code fitted}, in the films' order). */
    List<Prediction> predictFitted(List<Film> films, List<GreyImage> fitted, boolean tta) {
        Scoring.Outputs s = model.scores(fitted, tta);
        float[][] p = model.calibration().probabilities(s.logits());
        List<Prediction> out = new ArrayList<>(films.size());
        for (int i = 0; i < films.size(); i++)
            out.add(new Prediction(films.get(i).name(), Label.of(Ranks.argmax(p[i])), p[i], tta, s.features()[i], s.logits()[i]));
        return out;
    }

    /** Grad-CAM of the predicted class at the last feature layer. */
    public Explanation explain(Film film) {
        return explain(film, null, null);
    }

    /**
     * Grad-CAM of {@code target} (null: the predicted class) at {@code layer} (null: the last feature layer; see
     * {@link #layers()}). One pass gives the heatmap and the calibrated probabilities, without mirror averaging.
     */
    public Explanation explain(Film film, String layer, Label target) {
        checkLayer(layer);
        GreyImage input = model.recipe().fit(film.image());
        CamResult c = model.explain(input, layer, target == null ? null : target.index());
        return explanation(film, input, layer, c, false);
    }

    /**
     * As {@link #explain(Film, String, Label)}; with {@code tta} the explanation's prediction is {@link #predict}'s
     * with mirror averaging (the mirror image runs in the same pass) and the heatmap is the film's own.
     */
    public Explanation explain(Film film, String layer, Label target, boolean tta) {
        checkLayer(layer);
        return explainFitted(List.of(film), fit(List.of(film)), layer, target == null ? null : java.util.Collections.singletonList(target), tta).get(0);
    }

    /**
     * Grad-CAM of several films from one forward and one backward pass; each heatmap and prediction equals what
     * {@link #explain(Film, String, Label)} gives the film alone. {@code targets}: one class per film, a null entry
     * (or a null list) meaning the predicted class. Films go in batches of {@link #BATCH}.
     */
    public List<Explanation> explain(List<Film> films, String layer, List<Label> targets) {
        return explain(films, layer, targets, false);
    }

    /**
     * As above; with {@code tta} each explanation's prediction is {@link #predict(List)}'s with mirror averaging
     * (the mirror images run in the same pass) and each heatmap is the film's own: one pass gives a batch both its
     * answers and its pictures.
     */
    public List<Explanation> explain(List<Film> films, String layer, List<Label> targets, boolean tta) {
        checkLayer(layer);
        if (targets != null && targets.size() != films.size())
            throw new IllegalArgumentException(targets.size() + " target classes for " + films.size() + " films");
        List<Explanation> out = new ArrayList<>(films.size());
        for (int from = 0; from < films.size(); from += BATCH) {
            int to = Math.min(films.size(), from + BATCH);
            List<Film> part = films.subList(from, to);
            out.addAll(explainFitted(part, fit(part), layer, targets == null ? null : targets.subList(from, to), tta));
        }
        return out;
    }

    /** One Grad-CAM pass over films already fitted to the input; the layer is checked by the caller. */
    List<Explanation> explainFitted(List<Film> films, List<GreyImage> fitted, String layer, List<Label> targets) {
        return explainFitted(films, fitted, layer, targets, false);
    }

    /** As above; with {@code tta} the predictions are those of mirror averaging, from the same pass. */
    List<Explanation> explainFitted(List<Film> films, List<GreyImage> fitted, String layer, List<Label> targets, boolean tta) {
        List<Integer> classes = null;
        if (targets != null) {
            classes = new ArrayList<>(targets.size());
            for (Label l : targets) classes.add(l == null ? null : l.index());
        }
        List<CamResult> cams = model.explain(fitted, layer, classes, tta);
        List<Explanation> out = new ArrayList<>(films.size());
        for (int i = 0; i < films.size(); i++) out.add(explanation(films.get(i), fitted.get(i), layer, cams.get(i), tta));
        return out;
    }

    private Explanation explanation(Film film, GreyImage input, String layer, CamResult c, boolean tta) {
        float[] p = c.probabilities();
        Prediction pred = new Prediction(film.name(), Label.of(Ranks.argmax(p)), p, tta, c.features());
        return new Explanation(pred, Label.of(c.targetClass()), layer == null ? model.net().lastFeatureLayer() : layer, c,
                input, film.image(), model.recipe().resize());
    }

    void checkLayer(String layer) {
        if (layer != null && !model.net().camLayers().contains(layer))
            throw new IllegalArgumentException("'" + layer + "' is not a feature layer of this " + model.config().model()
                    + "; valid: " + String.join(", ", model.net().camLayers()));
    }

    /**
     * A front end that gathers concurrent {@code predict} and {@code explain} calls from any threads into shared
     * forward passes, as {@code policy} says. It shares this classifier's network: close the batcher before this.
     */
    public BatchingClassifier batching(BatchPolicy policy) {
        return new BatchingClassifier(this, policy);
    }

    /** The layers {@link #explain(Film, String, Label)} can look at, first to last. */
    public List<String> layers() {
        return model.net().camLayers();
    }

    /** Whether the run stored a shift reference (runs trained before it existed have none). */
    public boolean hasShiftReference() throws IOException {
        return model.shiftReference().isPresent();
    }

    /**
     * Compares a window of this classifier's predictions (made with features, as {@link #predict} makes them) with
     * the training site's validation films: the shift alarm {@code predict} prints and the server shows.
     */
    public ShiftCheck checkShift(List<Prediction> window) throws IOException {
        float[][] features = new float[window.size()][], probabilities = new float[window.size()][];
        boolean[] mirrored = new boolean[window.size()];
        for (int i = 0; i < window.size(); i++) {
            features[i] = window.get(i).features();
            probabilities[i] = window.get(i).probabilities();
            mirrored[i] = window.get(i).tta();
            if (features[i] == null) throw new IllegalArgumentException(window.get(i).film() + ": prediction carries no features");
        }
        return ShiftCheck.of(EvaluateJob.driftCheck(model, features, probabilities, mirrored));
    }

    @Override
    public void close() {
        model.close();
    }
}
