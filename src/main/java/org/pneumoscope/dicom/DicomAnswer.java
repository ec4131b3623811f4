package org.pneumoscope.dicom;

import org.pneumoscope.api.Classifier;
import org.pneumoscope.api.Explanation;
import org.pneumoscope.api.Film;
import org.pneumoscope.api.Prediction;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.UnsupportedFormatException;
import org.pneumoscope.data.ImageFormat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;

/**
 * A film's answer in DICOM, made through the Java API: a Comprehensive SR with the class and its calibrated
 * probabilities, and a Secondary Capture of the Grad-CAM overlay. Both join the film's study (its Study Instance
 * UID and patient module are copied), each in a new series of its own, with new UIDs under {@link Uids#ROOT}.
 *
 * <p>Only DICOM films are answered: a JPEG or PNG carries no patient and no study to join, and an answer filed as
 * a new study of an unknown patient would sit in a PACS where no one looks for it. Such films are refused with
 * {@link #NOT_DICOM} (an {@link UnsupportedFormatException}). Nothing here prints or logs; no message quotes a
 * value read from the film.
 */
public final class DicomAnswer {
    /** Series numbers of the two new series, high so a viewer lists them after the film's own series. */
    public static final int SR_SERIES = 9901, SC_SERIES = 9902;
    public static final String NOT_DICOM = "a DICOM answer joins the film's study, and only a DICOM film has one; "
            + "send the DICOM file instead (a JPEG or PNG export carries no patient or study)";

    /**
     * The two objects as Part 10 files, and their identifiers (UIDs only: nothing that names the patient).
     */
    public record Objects(byte[] sr, byte[] sc, String studyUid, String srSeriesUid, String srInstanceUid,
                          String scSeriesUid, String scInstanceUid, Prediction prediction) {}

    private final Classifier classifier;
    private final Product product;

    public DicomAnswer(Classifier classifier) {
        this(classifier, Product.of(classifier));
    }

    private DicomAnswer(Classifier classifier, Product product) {
        this.classifier = classifier;
        this.product = product;
    }

    /** The same model with mirror-image averaging on or off (see {@link Classifier#withTta}). */
    public DicomAnswer withTta(boolean on) {
        return on == classifier.tta() ? this : new DicomAnswer(classifier.withTta(on), product);
    }

    /**
     * Decodes and checks the film as every door does, classifies it (with the classifier's mirror averaging, if
     * on), explains the predicted class and writes both objects. One pass gives both: the Grad-CAM pass's prediction
     * is {@code predict}'s.
     */
    public Objects answer(byte[] source, String name) throws DecodeException {
        Film film = Film.of(source, name);
        refuseUnlessDicom(source, film);
        Explanation e = classifier.explain(film, null, null, classifier.tta());
        return answer(source, film, e.prediction(), e);
    }

    /** The answer for a prediction made already (a batch of {@code predict}): the report states that prediction. */
    public Objects answer(byte[] source, Film film, Prediction p) throws DecodeException {
        refuseUnlessDicom(source, film);
        return answer(source, film, p, classifier.explain(film, null, p.label()));
    }

    /**
     * The answer for a prediction and the Grad-CAM of its class made already, e.g. in forward passes shared with
     * other films ({@link org.pneumoscope.api.BatchingClassifier}): the report states that prediction and the
     * secondary capture shows that heatmap.
     */
    public Objects answer(byte[] source, Film film, Prediction p, Explanation e) throws DecodeException {
        refuseUnlessDicom(source, film);
        SourceStudy study = SourceStudy.read(source, film.name());
        LocalDateTime now = LocalDateTime.now();
        Header.Identity sr = new Header.Identity(StructuredReport.SOP_CLASS, Uids.random(), Uids.random(), SR_SERIES,
                "SR", "Pneumoscope report (research use)", now);
        Header.Identity sc = new Header.Identity(SecondaryCapture.SOP_CLASS, Uids.random(), Uids.random(), SC_SERIES,
                "OT", "Pneumoscope Grad-CAM (research use)", now);
        byte[] srFile = Part10.file(StructuredReport.build(study, sr, p, product), sr.sopClassUid(), sr.sopInstanceUid());
        byte[] scFile = Part10.file(SecondaryCapture.build(study, sc, e, p), sc.sopClassUid(), sc.sopInstanceUid());
        return new Objects(srFile, scFile, study.studyUid(), sr.seriesUid(), sr.sopInstanceUid(), sc.seriesUid(),
                sc.sopInstanceUid(), p);
    }

    /** Refuses a film that is not DICOM ({@link #NOT_DICOM}): before spending a forward pass on it. */
    public static void refuseUnlessDicom(byte[] source, Film film) throws UnsupportedFormatException {
        if (ImageFormat.sniff(source) != ImageFormat.DICOM) throw new UnsupportedFormatException(film.name(), NOT_DICOM);
    }

    /**
     * Writes both objects into {@code dir} as {@code BASE_sr.dcm} and {@code BASE_sc.dcm}, or with a number added
     * when such a file exists (nothing there is replaced). Returns the two paths.
     */
    public static synchronized List<Path> write(Objects o, Path dir, String base) throws IOException {
        Files.createDirectories(dir);
        Path sr = free(dir, base + "_sr"), sc = free(dir, base + "_sc");
        AtomicFiles.write(sr, o.sr());
        AtomicFiles.write(sc, o.sc());
        return List.of(sr, sc);
    }

    private static Path free(Path dir, String stem) {
        Path p = dir.resolve(stem + ".dcm");
        for (int i = 2; Files.exists(p); i++) p = dir.resolve(stem + "-" + i + ".dcm");
        return p;
    }

    /** A file's name without its folder and extension, for naming its answer. */
    public static String base(String fileName) {
        String n = Path.of(fileName).getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
