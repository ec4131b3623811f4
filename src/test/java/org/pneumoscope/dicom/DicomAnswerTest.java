package org.pneumoscope.dicom;

import org.pneumoscope.api.Classifier;
import org.pneumoscope.api.TinyRun;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.DicomWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
            checkObjects(film, files.get(0), files.get(1), o, syntax);
        }
    }

    static void checkObjects(Path film, Path sr, Path sc, DicomAnswer.Objects o, String what) throws Exception {
        for (Path f : List.of(sr, sc)) {
            assertEquals(List.of(), DicomTools.iodErrors(f), what + ": dciodvfy on " + f.getFileName());
            DicomTools.Result dump = DicomTools.run("dcmdump", "+E", f.toString());
            assertEquals(0, dump.code(), what + ": dcmdump +E: " + dump.out());
            assertFalse(dump.out().contains("E: "), what + ": dcmdump reports errors: " + dump.out());
        }
        DicomTools.Result dsr = DicomTools.run("dsrdump", sr.toString());
        assertEquals(0, dsr.code(), what + ": dsrdump: " + dsr.out());
        assertTrue(dsr.out().contains("Comprehensive SR"), what + ": dsrdump: " + dsr.out());

        String study = DicomTools.attribute(film, "StudyInstanceUID");
        String filmSeries = DicomTools.attribute(film, "SeriesInstanceUID");
        String filmInstance = DicomTools.attribute(film, "SOPInstanceUID");
        assertEquals(study, o.studyUid(), what);
        for (Path f : List.of(sr, sc)) {
            assertEquals(study, DicomTools.attribute(f, "StudyInstanceUID"), what + ": same study");
            assertEquals(DicomTools.attribute(film, "PatientName"), DicomTools.attribute(f, "PatientName"), what + ": same patient");
            assertEquals(DicomTools.attribute(film, "PatientID"), DicomTools.attribute(f, "PatientID"), what + ": same patient ID");
            assertEquals(DicomTools.attribute(film, "AccessionNumber"), DicomTools.attribute(f, "AccessionNumber"), what);
            assertEquals(Product.MANUFACTURER, DicomTools.attribute(f, "Manufacturer"), what);
            assertEquals(Product.SOFTWARE, DicomTools.attribute(f, "SoftwareVersions"), what);
        }
        String srSeries = DicomTools.attribute(sr, "SeriesInstanceUID"), scSeries = DicomTools.attribute(sc, "SeriesInstanceUID");
        String srInstance = DicomTools.attribute(sr, "SOPInstanceUID"), scInstance = DicomTools.attribute(sc, "SOPInstanceUID");
        assertEquals(o.srSeriesUid(), srSeries, what);
        assertEquals(o.scInstanceUid(), scInstance, what);
        for (String uid : List.of(srSeries, scSeries, srInstance, scInstance)) {
            assertTrue(uid.startsWith(Uids.ROOT) && Uids.valid(uid), what + ": UID under the documented root: " + uid);
            assertFalse(uid.equals(filmSeries) || uid.equals(filmInstance) || uid.equals(study), what + ": a new UID");
        }
        assertNotEquals(srSeries, scSeries, what + ": each object in its own series");
        assertNotEquals(srInstance, scInstance, what);
        assertEquals(filmInstance, DicomTools.attribute(sr, "ReferencedSOPInstanceUID"), what + ": the SR points at the film");
        assertEquals(filmInstance, DicomTools.attribute(sc, "ReferencedSOPInstanceUID"), what + ": the SC names its source");
        assertEquals("YES", DicomTools.attribute(sc, "BurnedInAnnotation"), what);

        Map<String, Double> read = probabilities(sr);
        float[] p = o.prediction().probabilities();
        for (Label l : Label.values())
            assertEquals(p[l.index()], read.get(Code.of(l).value()), 1e-6, what + ": probability of " + l.id());
        assertEquals(p[0] + p[1], read.get(Code.PNEUMONIA.value()), 1e-5, what + ": probability of pneumonia");
        assertEquals(Code.of(o.prediction().label()).value(), finding(sr), what + ": the predicted class");
    }

    /** The NUM items of dsr2xml's rendering, keyed by the finding code that modifies each. */
    static Map<String, Double> probabilities(Path sr) throws Exception {
        Map<String, Double> out = new HashMap<>();
        NodeList nums = xml(sr).getElementsByTagName("num");
        for (int i = 0; i < nums.getLength(); i++) {
            Element num = (Element) nums.item(i);
            String finding = text(child(child(num, "code"), "value"));
            out.put(finding, Double.parseDouble(text(child(num, "value"))));
        }
        return out;
    }

    /** The value of the CODE item right under the root container. */
    static String finding(Path sr) throws Exception {
        Element container = (Element) xml(sr).getElementsByTagName("container").item(0);
        return text(child(child(container, "code"), "value"));
    }

    static Element child(Element parent, String name) {
        for (org.w3c.dom.Node n = parent.getFirstChild(); n != null; n = n.getNextSibling())
            if (n instanceof Element e && e.getTagName().equals(name)) return e;
        throw new AssertionError("dsr2xml output has no <" + name + "> under <" + parent.getTagName() + ">");
    }

    static String text(Element e) {
        return e.getTextContent().trim();
    }

    static Document xml(Path sr) throws Exception {
        DicomTools.Result r = DicomTools.run("dsr2xml", sr.toString());
        assertEquals(0, r.code(), "dsr2xml: " + r.out());
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(r.out().getBytes(StandardCharsets.ISO_8859_1)));
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
