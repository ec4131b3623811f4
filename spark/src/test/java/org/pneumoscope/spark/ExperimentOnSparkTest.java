package org.pneumoscope.spark;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.cli.CliRun;
import org.pneumoscope.experiment.ExperimentPlan;
import org.pneumoscope.experiment.ExperimentRunner;
import org.pneumoscope.experiment.ExperimentSpec;
import org.pneumoscope.experiment.UnitDispatcher;
import org.pneumoscope.synth.PhantomGenerator;
import org.pneumoscope.train.RunFolder;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An experiment on local[2] against the same experiment without Spark: the tiny phantom grid (2 cells × 2 folds of
 * ResNet-18 at width 0.25, 64 px, one epoch, on 60 phantoms), same seeds, two folders. Per unit and in the tables
 * the figures agree to {@link #PRECISION}; then a rerun through the command line runs only the units without a
 * result.json, and reports one that fails instead of letting Spark retry it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExperimentOnSparkTest {
    /**
     * How far a unit's figures may differ between the two runs: as far as a unit differs from itself without Spark,
     * which the test measures (the first unit trained again, in a child process of {@code --parallel}). Measured on
     * this grid: every figure bit for bit except the test split's ECE, which moves by up to 4.0e-6 between a unit
     * trained in the experiment's own JVM and one trained in a fresh child JVM (the plain run trains in its JVM, a
     * Spark task's unit in a child); a child of {@code --parallel} and a child of a Spark task agree bit for bit.
     */
    static final double PRECISION = 1e-5;

    @TempDir static Path dir;
    static Path phantoms, spec;
    static SparkSession spark;
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @BeforeAll
    static void setUp() throws IOException {
        phantoms = dir.resolve("phantoms");
        new PhantomGenerator().generate(phantoms, 60, 64, 11, 2);
        spec = dir.resolve("tiny.yaml");
        Files.writeString(spec, "name: tiny\npreset: demo\nbase: {model: resnet18, width: 0.25, size: 64, head: linear, batch: 12, "
                + "epochs: 1, lr: 3.0e-3, schedule: constant, augment: light, balance: none}\n"
                + "grid:\n  augment_copies: [0, 1]\nfolds: 2\ntest_fraction: 0.15\nseed: 3\n");
        spark = Sessions.open("local[2,2]", "pneumoscope experiment test"); // two slots; a failed task is tried twice
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) spark.stop();
    }

    static ExperimentPlan plan() {
        return ExperimentPlan.build(ExperimentSpec.read(spec), phantoms, Map.of());
    }

    static ExperimentRunner.Options options(Path out, int limit, UnitDispatcher d) {
        return new ExperimentRunner.Options(out, 1, limit, false, false, false, QUIET, d);
    }

    @Test
    @Order(1)
    void unitsAndTablesOnSparkMatchARunWithout() throws Exception {
        ExperimentPlan plan = plan();
        int threads = ScoreJob.threads(spark, 0);
        Torch.threads(threads); // the plain run's PyTorch threads: what each Spark task's child gets
        long t0 = System.nanoTime();
        ExperimentRunner.Outcome plain = ExperimentRunner.run(plan, options(dir.resolve("plain"), 0, null));
        long t1 = System.nanoTime();
        ExperimentRunner.Outcome onSpark = ExperimentRunner.run(plan, options(dir.resolve("spark"), 0, ExperimentOnSpark.on(spark)));
        long t2 = System.nanoTime();
        System.out.printf(Locale.ROOT, "tiny grid, 4 units: without Spark %.1f s, on local[2] %.1f s%n", (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        assertEquals(List.of(), plain.failures());
        assertEquals(List.of(), onSpark.failures());
        assertEquals(4, plain.ran().size());
        assertEquals(4, onSpark.ran().size(), "every unit ran on Spark");

        // what a unit differs from itself: the first unit trained again without Spark, in a child process (--parallel 2)
        ExperimentRunner.run(plan, new ExperimentRunner.Options(dir.resolve("again"), 2, 1, false, false, false, QUIET));
        ExperimentPlan.Unit first = plan.units().get(0);
        double self = differences(unit(dir.resolve("plain"), first), unit(dir.resolve("again"), first));
        System.out.printf(Locale.ROOT, "a unit against itself: largest difference %.3g%n", self);
        assertTrue(self <= PRECISION, "a unit reproduces itself to " + self + ", not to the stated " + PRECISION);
        assertEquals(0.0, differences(unit(dir.resolve("again"), first), unit(dir.resolve("spark"), first)),
                "a Spark task's child trains the unit as a child of --parallel does, bit for bit");

        double worst = 0;
        for (ExperimentPlan.Unit u : plan.units()) {
            JsonNode a = unit(dir.resolve("plain"), u), b = unit(dir.resolve("spark"), u);
            worst = Math.max(worst, differences(a, b));
            assertTrue(Files.readString(ExperimentPlan.unitDir(dir.resolve("spark"), u.cell().name(), u.fold())
                    .resolve("experiment.log")).contains("PyTorch threads " + threads), u.label() + " ran in a child process");
        }
        System.out.printf(Locale.ROOT, "units with and without Spark: largest difference %.3g%n", worst);
        assertTrue(worst <= PRECISION, "units on Spark differ by " + worst + ", more than a unit from itself");
        for (String table : List.of("results.csv", "summary.csv"))
            assertTablesAgree(dir.resolve("plain").resolve(table), dir.resolve("spark").resolve(table));
        for (String f : List.of("summary.md", "index.html"))
            assertTrue(Files.size(dir.resolve("spark").resolve(f)) > 500, f);
    }

    @Test
    @Order(2)
    void aRerunOnSparkRunsOnlyPendingUnitsAndReportsAFailedOneWithoutRetrying() throws Exception {
        Path out = dir.resolve("spark");
        Path cells = out.resolve("cells");
        ExperimentPlan.Unit gone = plan().units().get(3), broken = plan().units().get(2);
        Path goneDir = ExperimentPlan.unitDir(out, gone.cell().name(), gone.fold());
        Path brokenDir = ExperimentPlan.unitDir(out, broken.cell().name(), broken.fold());
        JsonNode was = RunFolder.JSON.readTree(goneDir.resolve("result.json").toFile());
        Map<Path, String> others = snapshot(cells);
        others.keySet().removeIf(p -> p.startsWith(cells.relativize(goneDir)) || p.startsWith(cells.relativize(brokenDir)));
        Files.delete(goneDir.resolve("result.json"));
        // a unit whose evaluation cannot load its model: its child fails for a reason of its own
        Files.delete(brokenDir.resolve("result.json"));
        Files.writeString(brokenDir.resolve("model.json"), "{ not json");

        // through the command line, which finds the Spark module's dispatcher (the session is the test's, local[2,2]:
        // a task that failed would be tried twice; the command stops it)
        CliRun r = CliRun.of("experiment", "run", spec.toString(), "--data", phantoms.toString(), "--out", out.toString(),
                "--spark", "local[2,2]", "--no-probe", "--no-gallery");
        spark = null;
        assertEquals(1, r.code(), "a failed unit: " + r.all());
        assertTrue(r.out().contains("2 of 4 runs already finished"), r.out());
        assertTrue(r.out().contains("running 2 run(s) as Spark tasks"), r.out());
        assertTrue(r.out().contains("1 run(s) failed (rerun the same command to retry them):\n  " + broken.label()
                + ": child process exited with code 1 on "), r.out());
        assertEquals(2, runs(goneDir, gone), "the unit whose result.json was gone ran a second time");
        assertEquals(2, runs(brokenDir, broken), "the failed unit ran once more, not once per Spark attempt");
        Map<Path, String> after = snapshot(cells);
        after.keySet().retainAll(others.keySet());
        assertEquals(others, after, "the other units are untouched");
        assertTrue(differences(was, RunFolder.JSON.readTree(goneDir.resolve("result.json").toFile())) <= PRECISION);
        assertEquals(4, Files.readAllLines(out.resolve("results.csv")).size(), "header and the three finished units");
    }

    /** How many times a unit's child started, by the line each start writes to its experiment.log. */
    static int runs(Path unitDir, ExperimentPlan.Unit u) throws IOException {
        return Files.readString(unitDir.resolve("experiment.log")).split("cell " + u.cell().name() + ", fold " + (u.fold() + 1) + " of", -1).length - 1;
    }

    static JsonNode unit(Path out, ExperimentPlan.Unit u) throws IOException {
        return RunFolder.JSON.readTree(ExperimentPlan.resultFile(out, u.cell().name(), u.fold()).toFile());
    }

    /** The largest difference between two result.json files' figures; wall time aside. Non-numbers must be equal. */
    static double differences(JsonNode a, JsonNode b) {
        double worst = 0;
        List<String> names = new ArrayList<>();
        a.fieldNames().forEachRemaining(names::add);
        List<String> other = new ArrayList<>();
        b.fieldNames().forEachRemaining(other::add);
        assertEquals(names, other);
        for (String k : names) {
            if (k.startsWith("wall")) continue;
            JsonNode x = a.get(k), y = b.get(k);
            if (x.isNumber() && y.isNumber()) worst = Math.max(worst, Math.abs(x.asDouble() - y.asDouble()));
            else if (x.isObject()) worst = Math.max(worst, differences(x, y));
            else assertEquals(x, y, k);
        }
        return worst;
    }

    /** Two CSV tables agree cell by cell: text equal, numbers to {@link #PRECISION}; wall-time columns aside. */
    static void assertTablesAgree(Path a, Path b) throws IOException {
        List<String> x = Files.readAllLines(a), y = Files.readAllLines(b);
        assertEquals(x.size(), y.size(), a.getFileName() + " rows");
        assertEquals(x.get(0), y.get(0), a.getFileName() + " header");
        List<String> header = List.of(x.get(0).split(",", -1));
        for (int i = 1; i < x.size(); i++) {
            String[] p = x.get(i).split(",", -1), q = y.get(i).split(",", -1);
            assertEquals(p.length, q.length, x.get(i));
            for (int c = 0; c < p.length; c++) {
                if (header.get(c).startsWith("wall")) continue;
                String where = a.getFileName() + " row " + i + " " + header.get(c);
                if (p[c].matches("-?[0-9.]+(e-?[0-9]+)?") && q[c].matches("-?[0-9.]+(e-?[0-9]+)?"))
                    assertEquals(Double.parseDouble(p[c]), Double.parseDouble(q[c]), PRECISION, where);
                else assertEquals(p[c], q[c], where);
            }
        }
    }

    /** Every file under {@code dir}: its modification time and content hash. */
    static Map<Path, String> snapshot(Path dir) throws IOException {
        Map<Path, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Iterator<Path> it = s.filter(Files::isRegularFile).iterator(); it.hasNext(); ) {
                Path p = it.next();
                m.put(dir.relativize(p), Files.getLastModifiedTime(p).toMillis() + "/" + Arrays.hashCode(Files.readAllBytes(p)));
            }
        }
        return m;
    }
}
