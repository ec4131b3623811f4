package org.pneumoscope.dicom;

import org.pneumoscope.api.Classifier;
import org.pneumoscope.api.TinyRun;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.data.DicomWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SR and the Secondary Capture, checked by tools nobody here wrote: dciodvfy finds no IOD errors, dcmdump +E
 * and dsrdump parse them, dsr2xml's rendering of the SR gives back the class and probabilities, and the UIDs put
 * both in the film's study, each in a new series.
 */
class DicomAnswerTest {
    @TempDir
    static Path tmp;
    static Classifier classifier;
    static DicomAnswer answers;

    @BeforeAll
    static void load() throws Exception {
        classifier = Classifier.load(TinyRun.make(tmp.resolve("run"), Map.of("size", 64), true));
        answers = new DicomAnswer(classifier);
    }

    @AfterAll
    static void close() {
        if (classifier != null) classifier.close();
    }

    @Test
    void everyTransferSyntaxGivesValidObjectsInTheFilmsStudy() throws Exception {
        DicomTools.assumeInstalled("img2dcm", "dcmdjpeg", "dcmconv", "dcmdump", "dsrdump", "dsr2xml", "dciodvfy");
        int seed = 0;
        for (String syntax : List.of("jpeg", "explicit", "implicit", "big", "deflated")) {
            Path film = DicomTools.film(tmp.resolve(syntax), syntax, seed++);
            DicomAnswer.Objects o = answers.answer(Files.readAllBytes(film), film.toString());
            List<Path> files = DicomAnswer.write(o, tmp.resolve("out-" + syntax), DicomAnswer.base(film.toString()));
            DicomTools.checkAnswer(film, files.get(0), files.get(1), o.prediction().probabilities(), syntax);
            assertEquals(DicomTools.attribute(film, "StudyInstanceUID"), o.studyUid(), syntax);
            assertEquals(o.srSeriesUid(), DicomTools.attribute(files.get(0), "SeriesInstanceUID"), syntax);
            assertEquals(o.scInstanceUid(), DicomTools.attribute(files.get(1), "SOPInstanceUID"), syntax);
        }
    }

    /** A film beyond the size limit is scaled down to it, and the notice is burned into the top band's pixels. */
    @Test
    void aLargeFilmIsScaledDownWithTheNoticeBurnedIn() throws Exception {
        int w = 2600, h = 2100;
        byte[] px = new byte[w * h];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (60 + (i % w) * 120 / w + (i / w) * 60 / h);
        org.pneumoscope.api.Film film = org.pneumoscope.api.Film.of(new org.pneumoscope.core.GreyImage(w, h, px), "big");
        org.pneumoscope.api.Explanation e = classifier.explain(film);
        java.awt.image.BufferedImage img = SecondaryCapture.picture(e, e.prediction());
        assertEquals(SecondaryCapture.MAX_SIDE, img.getWidth());
        assertEquals(Math.round(h * (double) SecondaryCapture.MAX_SIDE / w), img.getHeight());
        int band = img.getHeight() / 18, white = 0, black = 0, other = 0;
        for (int y = 0; y < band; y++)
            for (int x = 0; x < img.getWidth(); x++) {
                int v = img.getRGB(x, y) & 0xffffff;
                if (v == 0xffffff) white++;
                else if (v == 0) black++;
                else if (((v >> 16) & 0xff) != (v & 0xff)) other++; // colour: the heatmap shows through
            }
        assertEquals(0, other, "the band is opaque black and white");
        assertTrue(white > band * 50 && black > white, "white lettering on black: " + white + " white, " + black + " black");
    }

    @Test
    void aJpegIsRefusedWithTheReason() throws Exception {
        java.awt.image.BufferedImage bi = new java.awt.image.BufferedImage(96, 96, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 96; y++) for (int x = 0; x < 96; x++) bi.getRaster().setSample(x, y, 0, (x * y) & 0xff);
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(bi, "png", b);
        DecodeException e = assertThrows(DecodeException.class, () -> answers.answer(b.toByteArray(), "film.png"));
        assertEquals(DecodeException.Kind.UNSUPPORTED, e.kind());
        assertEquals(DicomAnswer.NOT_DICOM, e.reason());
    }

    /** A DICOM film without a Study Instance UID cannot join a study: refused, and the message names no patient. */
    @Test
    void aFilmWithoutStudyIsRefusedWithoutNamingThePatient() {
        int[] px = new int[64 * 64];
        for (int i = 0; i < px.length; i++) px[i] = (i * 37) % 4096;
        byte[] bytes = DicomWriter.grey(64, 64, 16, px).toBytes();
        DecodeException e = assertThrows(DecodeException.class, () -> answers.answer(bytes, "x.dcm"));
        assertTrue(e.getMessage().contains("Study Instance UID"), e.getMessage());
        assertFalse(e.getMessage().contains("Doe") || e.getMessage().contains(DicomWriter.SECRET_ID), e.getMessage());
    }
}
