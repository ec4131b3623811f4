package org.pneumoscope.spark.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.*;

/** The Spark module's command line holds the real score commands where the program's help lists placeholders. */
class SparkMainTest {

    @Test
    void scoreAndBenchScoreAreTheSparkCommands() {
        CommandLine cl = SparkMain.commandLine();
        CommandLine score = cl.getSubcommands().get("score");
        assertInstanceOf(ScoreCommand.class, score.getCommand());
        assertTrue(score.getUsageMessage().contains("--input"), score.getUsageMessage());
        assertTrue(cl.getUsageMessage().contains("Score an archive of films with Apache Spark"), cl.getUsageMessage());
        CommandLine benchScore = cl.getSubcommands().get("bench").getSubcommands().get("score");
        assertInstanceOf(BenchScoreCommand.class, benchScore.getCommand());
        assertTrue(benchScore.getUsageMessage().contains("--films"), benchScore.getUsageMessage());
    }
}
