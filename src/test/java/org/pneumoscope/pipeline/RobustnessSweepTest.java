package org.pneumoscope.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.augment.AcquisitionShift;
import org.pneumoscope.cli.CliRun;
import org.pneumoscope.core.UserException;
import org.pneumoscope.synth.PhantomGenerator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** evaluate --sweep: one model, the same images, as they are and under each shift, tabulated. */
class RobustnessSweepTest {
    @TempDir static Path dir;
    static Path run;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void trainTinyRun() throws Exception {
        Path data = dir.resolve("phantoms");
        new PhantomGenerator().generate(data, 45, 64, 5, 2);
        run = dir.resolve("run");
        CliRun r = CliRun.of("train", "--data", data.toString(), "--out", run.toString(), "--preset", "demo",
                "--size", "64", "--epochs", "1", "--set", "max_minutes=0");
        assertEquals(0, r.code(), r.out() + r.err());
    }

    @Test
    void everyRowIsItsOwnEvaluationAndTheTableAgreesWithIt() throws Exception {
        Path out = dir.resolve("sweep");
        CliRun r = CliRun.of("evaluate", "--run", run.toString(), "--out", out.toString(), "--sweep", "gamma=0.5;contrast=0.3;blur=1.5,noise=0.05");
        assertEquals(0, r.code(), r.out() + r.err());
        JsonNode rows = JSON.readTree(out.resolve("robustness.json").toFile()).path("rows");
        List<String> names = List.of("none", "gamma=0.5", "contrast=0.3", "blur=1.5,noise=0.05");
        assertEquals(names.size(), rows.size());
        double base = rows.get(0).path("accuracy").asDouble();
        List<org.pneumoscope.data.Csv.Row> csv = org.pneumoscope.data.Csv.read(out.resolve("robustness.csv"));
        assertEquals(names.size() + 1, csv.size());
        for (int i = 0; i < names.size(); i++) {
            JsonNode row = rows.get(i);
            assertEquals(names.get(i), row.path("shift").asText());
            JsonNode m = JSON.readTree(out.resolve(names.get(i).replace(',', '+')).resolve("metrics.json").toFile());
            assertEquals(m.path("accuracy").asDouble(), row.path("accuracy").asDouble(), 0, names.get(i));
            assertEquals(row.path("accuracy").asDouble() - base, row.path("accuracy_change").asDouble(), 1e-12);
            JsonNode normalRow = m.path("confusion_matrix").get(2);
            assertEquals(normalRow.get(0).asInt() + normalRow.get(1).asInt(), row.path("normals_called_pneumonia").asInt());
            assertEquals(normalRow.get(1).asInt(), row.path("normals_called_viral").asInt());
            assertEquals(normalRow.get(0).asInt() + normalRow.get(1).asInt() + normalRow.get(2).asInt(), row.path("normals").asInt());
            assertEquals(m.path("per_class").path("normal").path("recall").asDouble(), row.path("recall").path("normal").asDouble(), 0);
            String expectShift = i == 0 ? "none" : AcquisitionShift.parse(names.get(i)).describe();
            assertEquals(expectShift, m.path("shift").asText(), "the folder's evaluation ran under its shift");
            assertEquals(names.get(i), csv.get(i + 1).get(0), csv.get(i + 1).toString());
            assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "%.1f %%", 100 * row.path("accuracy").asDouble())), r.out());
        }
        // the shifts reached the pixels: a model that ignored them would give one set of predictions four times
        String p0 = Files.readString(out.resolve("none/predictions.csv"));
        assertNotEquals(p0, Files.readString(out.resolve("contrast=0.3/predictions.csv")));
        // index.html: one row per shift, linking the evaluation's own report; the chart beside it
        String html = Files.readString(out.resolve("index.html"));
        for (String name : names) {
            assertTrue(html.contains("<tr><td>" + name + "</td>"), name);
            assertTrue(html.contains("href=\"" + name.replace(',', '+') + "/report.html\""), name);
            assertTrue(Files.isRegularFile(out.resolve(name.replace(',', '+')).resolve("report.html")), name);
        }
        byte[] png = Files.readAllBytes(out.resolve("robustness.png"));
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
        // the summary line names the worst row
        double worst = 1;
        String worstName = "";
        for (int i = 1; i < rows.size(); i++)
            if (rows.get(i).path("accuracy").asDouble() < worst) { worst = rows.get(i).path("accuracy").asDouble(); worstName = names.get(i); }
        assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "largest fall: %.1f points (%s)", 100 * (base - worst), worstName)), r.out());
    }

    @Test
    void badSweepsAreOneLineAndExitTwo() {
        for (String[] bad : new String[][]{{"--sweep", "gamma=0.5;gama=2"}, {"--sweep", "blur=1;blur=1"}, {"--sweep", "gamma=1"},
                {"--sweep", "standard", "--shift", "blur=1"}}) {
            String[] full = new String[5 + bad.length];
            full[0] = "evaluate"; full[1] = "--run"; full[2] = run.toString(); full[3] = "--out"; full[4] = dir.resolve("bad").toString();
            System.arraycopy(bad, 0, full, 5, bad.length);
            CliRun r = CliRun.of(full);
            assertEquals(2, r.code(), String.join(" ", bad) + "\n" + r.out() + r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
        assertEquals(RobustnessSweep.STANDARD.size(), RobustnessSweep.parse("standard").size());
        assertTrue(assertThrows(UserException.class, () -> RobustnessSweep.parse("blur=1;blur=1.0")).getMessage().contains("listed twice"));
    }
}
