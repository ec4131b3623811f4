package org.pneumoscope.api;

import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Classifier} shared by many threads, whose calls are gathered into shared forward passes (dynamic batching).
 * A call waits at most {@link BatchPolicy#maxWait()} for others to join it, and only while calls are arriving that
 * fast; a pass holds at most {@link BatchPolicy#maxBatch()} films. The cores then work on batches, which they do at
 * several times the rate of one film per pass, while each caller still gets exactly its own answer: in inference
 * mode no film's result depends on the other films of its pass.
 *
 * <pre>{@code
 * try (Classifier c = Classifier.load(run);
 *      BatchingClassifier b = c.batching(BatchPolicy.defaults())) {
 *     // from any number of threads:
 *     Prediction p = b.predict(Film.read(file));
 * }
 * }</pre>
 *
 * <p><b>Thread safety.</b> Every method may be called from any thread at any time. Calls block until their pass
 * is done. Films with and without mirror averaging, plain predictions and Grad-CAM, and Grad-CAM of different layers
 * never share a pass (their passes differ); a Grad-CAM pass gives each film the heatmap {@link Classifier#explain}
 * would give it alone. Each caller gets its own result or its own exception: a pass that fails as a whole is run
 * again film by film, so one film the network cannot take fails only its caller.
 *
 * <p><b>Back-pressure.</b> When {@link BatchPolicy#queueLimit()} films already wait, a call is refused at once with
 * {@link QueueFullException} (the server answers 503 with Retry-After).
 *
 * <p><b>Closing.</b> {@link #close()} refuses new calls (RejectedExecutionException), fails the calls still waiting
 * with a {@link java.util.concurrent.CancellationException}, lets the passes in flight finish and stops its threads.
 * It leaves the underlying classifier open; close that afterwards. A caller interrupted while waiting gets a
 * CancellationException and keeps its interrupt flag.
 */
public final class BatchingClassifier implements AutoCloseable {
    /** What films must share to be run in one pass: Grad-CAM (and of which layer) or not, mirror averaging or not. */
    private record Key(boolean cam, boolean tta, String layer) {}

    /** A film fitted to the network's input on the caller's thread, so that resizing runs in parallel. */
    private record Item(Film film, GreyImage fitted, Label target) {}

    /** A pass's answer for one film: a prediction, or an explanation (which holds its prediction). */
    private record Answer(Prediction prediction, Explanation explanation) {}

    private final Classifier classifier;
    private final BatchPolicy policy;
    private final Batcher<Key, Item, Answer> batcher;

    BatchingClassifier(Classifier classifier, BatchPolicy policy) {
        this.classifier = classifier;
        this.policy = policy;
        this.batcher = new Batcher<>(policy, this::pass, "pneumoscope-batch");
    }

    private List<Answer> pass(Key key, List<Item> items) {
        List<Film> films = new ArrayList<>(items.size());
        List<GreyImage> fitted = new ArrayList<>(items.size());
        List<Label> targets = new ArrayList<>(items.size());
        for (Item it : items) {
            films.add(it.film());
            fitted.add(it.fitted());
            targets.add(it.target());
        }
        List<Answer> out = new ArrayList<>(items.size());
        if (key.cam()) {
            for (Explanation e : classifier.explainFitted(films, fitted, key.layer(), targets, key.tta())) out.add(new Answer(e.prediction(), e));
        } else {
            for (Prediction p : classifier.predictFitted(films, fitted, key.tta())) out.add(new Answer(p, null));
        }
        return out;
    }

    public BatchPolicy policy() { return policy; }

    /** The classifier underneath (its network, recipe and default mirror averaging). */
    public Classifier classifier() { return classifier; }

    /** Reads, checks and classifies one file, with the classifier's mirror averaging. */
    public Prediction predict(Path file) throws DecodeException {
        return predict(Film.read(file));
    }

    /** Classifies a film with the classifier's mirror averaging, as {@link Classifier#predict(Film)} does. */
    public Prediction predict(Film film) {
        return predict(film, classifier.tta());
    }

    /** Classifies a film with mirror averaging on or off. */
    public Prediction predict(Film film, boolean tta) {
        return call(new Key(false, tta, null), film, null).prediction();
    }

    /** Grad-CAM of the predicted class at the last feature layer, as {@link Classifier#explain(Film)}. */
    public Explanation explain(Film film) {
        return explain(film, null, null);
    }

    /** Grad-CAM of {@code target} (null: the predicted class) at {@code layer} (null: the last feature layer). */
    public Explanation explain(Film film, String layer, Label target) {
        return explain(film, layer, target, false);
    }

    /**
     * As above; with {@code tta} the explanation's prediction is that of {@link #predict(Film, boolean)} with mirror
     * averaging, from the same pass, and the heatmap (of the class it predicts, when {@code target} is null) is the
     * film's own.
     */
    public Explanation explain(Film film, String layer, Label target, boolean tta) {
        classifier.checkLayer(layer);
        String l = layer == null ? classifier.model().net().lastFeatureLayer() : layer;
        return call(new Key(true, tta, l), film, target).explanation();
    }

    private Answer call(Key key, Film film, Label target) {
        GreyImage fitted = classifier.recipe().fit(film.image());
        return batcher.call(key, new Item(film, fitted, target));
    }

    /** Passes run so far by size, and refusals. */
    public BatchStats stats() { return batcher.stats(); }

    /** Films waiting for a pass now. */
    public int waiting() { return batcher.waiting(); }

    @Override
    public void close() {
        batcher.close();
    }
}
