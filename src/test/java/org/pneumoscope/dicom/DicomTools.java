package org.pneumoscope.dicom;

import org.pneumoscope.testing.RequiredTools;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.synth.PhantomGenerator;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Debian's DICOM tools, which nobody here wrote: dcmtk (img2dcm, dcmconv, dcmdjpeg, dcmdump, dsrdump, dsr2xml) and
 * dicom3tools (dciodvfy, the standard's own IOD checker). Tests that need them skip when they are not installed;
 * .ci/run installs both.
 */
public final class DicomTools {
    private DicomTools() {}

    /** The patient written into every fixture; no log line or printed text may contain it. */
    public static final String PATIENT = "Doe^Jane^Secret";
    public static final String PATIENT_ID = "PID-7741-SECRET";

    public record Result(int code, String out) {}

    public static boolean installed(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":"))
            if (Files.isExecutable(Path.of(dir, tool))) return true;
        return false;
    }

    /** Skips the calling test unless every tool named is installed. */
    public static void assumeInstalled(String... tools) {
        for (String t : tools)
            RequiredTools.assume(t.equals("dciodvfy") ? "dicom3tools" : "dcmtk", installed(t),
                    t + " is not installed (apt-get install dcmtk dicom3tools); skipped");
    }

    /** Runs a tool, stdout and stderr together. */
    public static Result run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(cmd[0] + " did not finish in 120 s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.ISO_8859_1));
    }

    /** dciodvfy's error lines (warnings are judged separately). */
    public static List<String> iodErrors(Path file) throws IOException, InterruptedException {
        Result r = run("dciodvfy", file.toString());
        List<String> errors = new ArrayList<>();
        for (String line : r.out().split("\n")) if (line.startsWith("Error")) errors.add(line);
        return errors;
    }

    /** One attribute's value as dcmdump prints it (+P: searched at any depth; the first match). */
    public static String attribute(Path file, String keyword) throws IOException, InterruptedException {
        Result r = run("dcmdump", "-q", "+P", keyword, file.toString());
        for (String line : r.out().split("\n")) {
            int a = line.indexOf('['), b = line.lastIndexOf(']');
            if (a >= 0 && b > a) return line.substring(a + 1, b);
            if (line.contains("(no value available)")) return "";
        }
        return null;
    }

    /**
     * A chest film as dcmtk's img2dcm makes it from a JPEG (JPEG baseline, with study and series UIDs), carrying
     * {@link #PATIENT}; {@code syntax} re-encodes it with dcmtk: "jpeg" as made, "explicit" / "implicit" /
     * "big" / "deflated" decompressed into that transfer syntax.
     */
    public static Path film(Path dir, String syntax, int seed) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        GreyImage g = new PhantomGenerator().render(Label.of(seed % 3), 160, new Random(seed)).image();
        BufferedImage bi = new BufferedImage(g.width(), g.height(), BufferedImage.TYPE_BYTE_GRAY);
        bi.getRaster().setDataElements(0, 0, g.width(), g.height(), g.pixels());
        Path jpeg = dir.resolve("film" + seed + ".jpg"), made = dir.resolve("film" + seed + "-jpeg.dcm");
        ImageIO.write(bi, "jpeg", jpeg.toFile());
        check(run("img2dcm", "-k", "PatientName=" + PATIENT, "-k", "PatientID=" + PATIENT_ID, "-k", "PatientSex=F",
                "-k", "StudyDate=20240102", "-k", "AccessionNumber=ACC123", "-k", "Modality=CR",
                jpeg.toString(), made.toString()), "img2dcm");
        Files.delete(jpeg);
        if (syntax.equals("jpeg")) return made;
        Path plain = dir.resolve("film" + seed + "-explicit.dcm");
        check(run("dcmdjpeg", made.toString(), plain.toString()), "dcmdjpeg");
        Files.delete(made);
        if (syntax.equals("explicit")) return plain;
        String flag = switch (syntax) {
            case "implicit" -> "+ti";
            case "big" -> "+tb";
            case "deflated" -> "+td";
            default -> throw new IllegalArgumentException(syntax);
        };
        Path out = dir.resolve("film" + seed + "-" + syntax + ".dcm");
        check(run("dcmconv", flag, plain.toString(), out.toString()), "dcmconv");
        Files.delete(plain);
        return out;
    }

    /**
     * Checks an answer with the tools: both objects pass dciodvfy without errors and dcmdump +E, dsrdump reads the
     * SR; both carry the film's study and patient, each its own new series and instance under {@link Uids#ROOT},
     * both point at the film; dsr2xml gives back {@code probabilities} (Label order) and the most probable class.
     */
    public static void checkAnswer(Path film, Path sr, Path sc, float[] p, String what) throws Exception {
        for (Path f : List.of(sr, sc)) {
            assertEquals(List.of(), iodErrors(f), what + ": dciodvfy on " + f.getFileName());
            Result dump = run("dcmdump", "+E", f.toString());
            assertEquals(0, dump.code(), what + ": dcmdump +E: " + dump.out());
            assertFalse(dump.out().contains("E: "), what + ": dcmdump reports errors: " + dump.out());
        }
        Result dsr = run("dsrdump", sr.toString());
        assertEquals(0, dsr.code(), what + ": dsrdump: " + dsr.out());
        assertTrue(dsr.out().contains("Comprehensive SR"), what + ": dsrdump: " + dsr.out());

        String study = attribute(film, "StudyInstanceUID");
        String filmSeries = attribute(film, "SeriesInstanceUID");
        String filmInstance = attribute(film, "SOPInstanceUID");
        for (Path f : List.of(sr, sc)) {
            assertEquals(study, attribute(f, "StudyInstanceUID"), what + ": same study");
            assertEquals(attribute(film, "PatientName"), attribute(f, "PatientName"), what + ": same patient");
            assertEquals(attribute(film, "PatientID"), attribute(f, "PatientID"), what + ": same patient ID");
            assertEquals(attribute(film, "AccessionNumber"), attribute(f, "AccessionNumber"), what);
            assertEquals(Product.MANUFACTURER, attribute(f, "Manufacturer"), what);
            assertEquals(Product.SOFTWARE, attribute(f, "SoftwareVersions"), what);
        }
        String srSeries = attribute(sr, "SeriesInstanceUID"), scSeries = attribute(sc, "SeriesInstanceUID");
        String srInstance = attribute(sr, "SOPInstanceUID"), scInstance = attribute(sc, "SOPInstanceUID");
        for (String uid : List.of(srSeries, scSeries, srInstance, scInstance)) {
            assertTrue(uid.startsWith(Uids.ROOT) && Uids.valid(uid), what + ": UID under the documented root: " + uid);
            assertFalse(uid.equals(filmSeries) || uid.equals(filmInstance) || uid.equals(study), what + ": a new UID");
        }
        assertNotEquals(srSeries, scSeries, what + ": each object in its own series");
        assertNotEquals(srInstance, scInstance, what);
        assertEquals(filmInstance, attribute(sr, "ReferencedSOPInstanceUID"), what + ": the SR points at the film");
        assertEquals(filmInstance, attribute(sc, "ReferencedSOPInstanceUID"), what + ": the SC names its source");
        assertEquals("YES", attribute(sc, "BurnedInAnnotation"), what);

        Map<String, Double> read = probabilities(sr);
        for (Label l : Label.values())
            assertEquals(p[l.index()], read.get(Code.of(l).value()), 1e-6, what + ": probability of " + l.id());
        assertEquals(p[0] + p[1], read.get(Code.PNEUMONIA.value()), 1e-5, what + ": probability of pneumonia");
        assertEquals(Code.of(Label.of(org.pneumoscope.core.Ranks.argmax(p))).value(), finding(sr), what + ": the predicted class");
    }

    /** The NUM items of dsr2xml's rendering, keyed by the finding code that modifies each. */
    public static Map<String, Double> probabilities(Path sr) throws Exception {
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
    public static String finding(Path sr) throws Exception {
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
        Result r = run("dsr2xml", sr.toString());
        assertEquals(0, r.code(), "dsr2xml: " + r.out());
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(r.out().getBytes(StandardCharsets.ISO_8859_1)));
    }

    private static void check(Result r, String tool) throws IOException {
        if (r.code() != 0) throw new IOException(tool + " failed (" + r.code() + "): " + r.out());
    }
}
