package org.pneumoscope.serve;

import org.junit.jupiter.api.Test;
import org.pneumoscope.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

class BenchServeCommandTest {
    @Test
    void benchReportsBothMeasurementsWithEveryRequestAnswered() throws Exception {
        Path run = ServeFixture.run();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = System.out;
        int rc;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            rc = Main.commandLine().execute("bench", "serve", "--run", run.toString(), "--requests", "6",
                    "--concurrency", "1,2", "--seconds", "120");
        } finally {
            System.setOut(out);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        assertTrue(text.contains("http://127.0.0.1:"), "loopback only: " + text);
        Matcher off = Pattern.compile("offline batch scoring of the same film .*: ([\\d.]+) films/s").matcher(text);
        assertTrue(off.find(), text);
        double offline = Double.parseDouble(off.group(1));
        assertTrue(offline > 0, text);
        for (String row : new String[] {"c=1 without Grad-CAM", "c=1 with Grad-CAM", "c=2 without Grad-CAM", "c=2 with Grad-CAM"}) {
            Matcher m = Pattern.compile(Pattern.quote(row) + "\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+([\\d.]+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+([\\d.]+)x").matcher(text);
            assertTrue(m.find(), row + " in: " + text);
            assertEquals(6, Integer.parseInt(m.group(1)), text);
            assertEquals(6, Integer.parseInt(m.group(2)), "all answered 200: " + text);
            double perSecond = Double.parseDouble(m.group(5));
            assertTrue(perSecond > 0);
            assertTrue(Integer.parseInt(m.group(6)) <= Integer.parseInt(m.group(7)), "p50 <= p95");
            assertTrue(Integer.parseInt(m.group(7)) <= Integer.parseInt(m.group(8)), "p95 <= p99");
            assertEquals(perSecond / offline, Double.parseDouble(m.group(10)), 0.01 + 0.02 * perSecond / offline, "the ratio is req/s over the offline rate");
        }
    }
}
