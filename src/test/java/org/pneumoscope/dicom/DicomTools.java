package org.pneumoscope.dicom;

import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.synth.PhantomGenerator;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

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
            assumeTrue(installed(t), t + " is not installed (apt-get install dcmtk dicom3tools); skipped");
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

    private static void check(Result r, String tool) throws IOException {
        if (r.code() != 0) throw new IOException(tool + " failed (" + r.code() + "): " + r.out());
    }
}
