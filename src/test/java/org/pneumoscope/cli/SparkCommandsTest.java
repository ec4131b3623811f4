package org.pneumoscope.cli;

import org.junit.jupiter.api.Test;

import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** The Spark module's commands are listed by the program's own help, and say how to run them when run without Spark. */
class SparkCommandsTest {

    @Test
    void topLevelHelpListsScoreAndSaysItRunsOnSpark() {
        CliRun r = CliRun.of("--help");
        assertEquals(0, r.code(), r.all());
        assertTrue(Pattern.compile("(?m)^\\s+score\\s+Score an archive of films with Apache Spark").matcher(r.out()).find(), r.out());
        CliRun bench = CliRun.of("bench", "--help");
        assertTrue(Pattern.compile("(?m)^\\s+score\\s+Films/s of predict and of score --spark").matcher(bench.out()).find(), bench.out());
    }

    @Test
    void scoreHelpWithoutSparkSaysWhereItRuns() {
        CliRun r = CliRun.of("score", "--help");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("Runs on Spark, from the Spark module"), r.out());
    }

    @Test
    void scoreWithoutSparkIsRefusedWithHowToRunIt() {
        CliRun r = CliRun.of("score", "--spark", "--run", "RUN", "--input", "IN", "--out", "OUT");
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("score runs on Apache Spark") && r.err().contains("spark-submit"), r.err());
        CliRun b = CliRun.of("bench", "score", "--run", "RUN");
        assertEquals(2, b.code(), b.all());
        assertTrue(b.err().contains("bench score runs on Apache Spark"), b.err());
    }
}
