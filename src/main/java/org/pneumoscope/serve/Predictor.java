package org.pneumoscope.serve;

import org.pneumoscope.api.AnswerPictures;
import org.pneumoscope.api.BatchingClassifier;
import org.pneumoscope.api.Classifier;
import org.pneumoscope.api.Explanation;
import org.pneumoscope.api.Film;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.data.ImageFormat;
import org.pneumoscope.dicom.DicomAnswer;
import org.pneumoscope.explain.CamResult;
import org.pneumoscope.pipeline.TrainedModel;

import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * One upload's way through the Java API ({@link BatchingClassifier}): decode and check it as every door does,
 * classify (calibrated) in a forward pass shared with the other requests of the moment, and draw the Grad-CAM
 * pictures at the upload's own aspect ratio so a browser can lay them over its preview. This class only adds what
 * HTTP needs: status codes for refused films, and PNGs. Thread-safe: decoding and drawing run on the caller's thread,
 * one caller per core at a time.
 */
public final class Predictor {
    /** Longer side of the pictures sent back ({@link AnswerPictures#MAX_SIDE}). */
    public static final int DISPLAY_MAX_SIDE = AnswerPictures.MAX_SIDE;
    /** Name given to uploads in decoder messages: the client's file name may itself identify a patient. */
    static final String UPLOAD_NAME = "upload";

    /**
     * What to compute besides the class: the heatmap, flip test-time augmentation, the grey picture the model read,
     * and with the heatmap the overlay (the heatmap blended over the film), which a client laying the heatmap layer
     * over its own copy of the film does not need: it is most of what drawing a Grad-CAM answer costs.
     */
    public record Options(boolean cam, boolean tta, boolean image, boolean overlay) {
        /** With the overlay whenever the heatmap is drawn. */
        public Options(boolean cam, boolean tta, boolean image) { this(cam, tta, image, true); }
    }

    /**
     * @param classIndex    predicted class (Label index)
     * @param probabilities calibrated (temperature-scaled) probabilities in Label order
     * @param camPng        X-ray with the heatmap blended in (null without CAM, or with the overlay not asked for)
     * @param heatmapPng    the heatmap alone, jet colours with alpha = √evidence (null without CAM)
     * @param imagePng      the decoded X-ray in grey at display size (null unless asked)
     * @param camClass      the class whose evidence the heatmap shows (-1 without CAM)
     * @param features      the pooled features the head read, for the shift alarm's window
     */
    public record Prediction(int classIndex, float[] probabilities, boolean tta, int width, int height, ImageFormat format,
                             byte[] camPng, byte[] heatmapPng, byte[] imagePng, int camClass, float[] features) {}

    private final BatchingClassifier batcher;
    private final Classifier classifier;
    /**
     * Turns for the request threads' own CPU work (decoding, drawing), one per core, handed out in arrival order. Under
     * load, a dozen requests drawing at once would share the cores and all finish late; taking turns, each draws at
     * full speed and answers in the order it came, which cuts the slowest answers without costing throughput.
     */
    private final Semaphore turns = new Semaphore(Math.max(1, Runtime.getRuntime().availableProcessors()), true);
    private DicomAnswer dicom; // made at the first DICOM request: it reads the run's model card

    public Predictor(BatchingClassifier batcher) {
        this.batcher = batcher;
        this.classifier = batcher.classifier();
    }

    private synchronized DicomAnswer dicomAnswer() {
        if (dicom == null) dicom = new DicomAnswer(classifier);
        return dicom;
    }

    public TrainedModel model() { return classifier.model(); }

    public Prediction predict(byte[] bytes, Options o) {
        Film film = inTurn(() -> decode(bytes));
        org.pneumoscope.api.Prediction p;
        Explanation e = null;
        if (o.cam()) {
            e = explain(film, o.tta());
            p = e.prediction();
        } else {
            p = batcher.predict(film, o.tta());
        }
        Pictures pics = e != null || o.image() ? inTurn(pictures(film, e, o.image(), o.overlay())) : Pictures.NONE;
        return new Prediction(p.label().index(), p.probabilities(), o.tta(), film.width(), film.height(), ImageFormat.sniff(bytes),
                pics.cam(), pics.heatmap(), pics.image(), e == null ? -1 : e.explained().index(), p.features());
    }

    /** The PNGs of an answer; null where not asked for. */
    private record Pictures(byte[] cam, byte[] heatmap, byte[] image) {
        static final Pictures NONE = new Pictures(null, null, null);
    }

    /**
     * Draws the film's pictures at display size: the Grad-CAM layer when {@code e} is given, with the overlay when
     * {@code overlay}; the grey film when asked.
     */
    private static Supplier<Pictures> pictures(Film film, Explanation e, boolean image, boolean overlay) {
        return () -> {
            GreyImage shown = AnswerPictures.shown(film.image());
            CamResult cam = e == null ? null : AnswerPictures.onShown(e, shown);
            return new Pictures(cam == null || !overlay ? null : AnswerPictures.overlayPng(shown, cam),
                    cam == null ? null : AnswerPictures.layerPng(cam), image ? AnswerPictures.greyPng(shown) : null);
        };
    }

    /** Runs {@code work} in this request's turn for a core ({@link #turns}). */
    private <T> T inTurn(Supplier<T> work) {
        turns.acquireUninterruptibly();
        try {
            return work.get();
        } finally {
            turns.release();
        }
    }

    /**
     * Decodes and checks an upload, turning the reasons into HTTP answers (the reasons never quote file contents):
     * the same films are refused here as by predict, explain and the Java API.
     */
    static Film decode(byte[] bytes) {
        try {
            return Film.of(bytes, UPLOAD_NAME);
        } catch (DecodeException e) {
            throw ApiError.of(e);
        }
    }

    /**
     * The upload's answer in DICOM (an SR and a Grad-CAM secondary capture in the film's study), refused as
     * {@link #predict} refuses films, and with 415 when the upload is not DICOM.
     */
    public DicomAnswer.Objects dicom(byte[] bytes, boolean tta) {
        Film film = decode(bytes);
        try {
            DicomAnswer.refuseUnlessDicom(bytes, film);
            Explanation e = explain(film, tta);
            return dicomAnswer().answer(bytes, film, e.prediction(), e);
        } catch (DecodeException e) {
            throw ApiError.of(e);
        }
    }

    /**
     * The Grad-CAM of the predicted class, in a forward pass shared with the other requests of the moment; its
     * prediction (calibrated probabilities and features, mirror averaged when asked) comes from the same pass.
     */
    private Explanation explain(Film film, boolean tta) {
        return batcher.explain(film, null, null, tta);
    }
}
