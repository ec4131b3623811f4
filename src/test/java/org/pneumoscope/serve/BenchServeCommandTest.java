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
    void benchReportsEveryLevelWithAndWithoutGradCamAgainstTheOfflineRate() throws Exception {
        Path run = ServeFixture.run();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = System.out;
        int rc;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            rc = Main.commandLine().execute("bench", "serve", "--run", run.toString(), "--requests", "6",
                    "--concurrency", "1,3", "--films", "4", "--seconds", "240");
        } finally {
            System.setOut(out);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        assertTrue(text.contains("http://127.0.0.1:"), "loopback only: " + text);
        Matcher off = Pattern.compile("Offline: ([\\d.]+) films/s").matcher(text);
        assertTrue(off.find(), text);
        double offline = Double.parseDouble(off.group(1));
        assertTrue(offline > 0, text);
        for (int clients : new int[] {1, 3}) {
            for (String row : new String[] {"without Grad-CAM", "with Grad-CAM"}) {
                Matcher m = Pattern.compile("\\s" + clients + " " + Pattern.quote(row) + "\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)"
                        + "\\s+([\\d.]+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+([\\d.]+)\\s+([\\d.]+)x").matcher(text);
                assertTrue(m.find(), clients + " clients " + row + " in: " + text);
                assertEquals(6, Integer.parseInt(m.group(1)), text);
                assertEquals(6, Integer.parseInt(m.group(2)), "all answered 200: " + text);
                double perSecond = Double.parseDouble(m.group(5));
                assertTrue(perSecond > 0);
                assertTrue(Integer.parseInt(m.group(6)) <= Integer.parseInt(m.group(7)), "p50 <= p95");
                assertTrue(Integer.parseInt(m.group(7)) <= Integer.parseInt(m.group(8)), "p95 <= p99");
                assertTrue(Double.parseDouble(m.group(10)) >= 1.0, "films per pass: " + text);
                assertEquals(perSecond / offline, Double.parseDouble(m.group(11)), 0.01 + 0.01 * perSecond / offline, "ratio: " + text);
            }
        }
    }
}
