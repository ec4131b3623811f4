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
                    "--concurrency", "2", "--seconds", "120");
        } finally {
            System.setOut(out);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        assertTrue(text.contains("http://127.0.0.1:"), "loopback only: " + text);
        for (String row : new String[] {"without Grad-CAM", "with Grad-CAM"}) {
            Matcher m = Pattern.compile(Pattern.quote(row) + "\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+([\\d.]+)\\s+(\\d+)\\s+(\\d+)").matcher(text);
            assertTrue(m.find(), row + " in: " + text);
            assertEquals(6, Integer.parseInt(m.group(1)), text);
            assertEquals(6, Integer.parseInt(m.group(2)), "all answered 200: " + text);
            assertTrue(Double.parseDouble(m.group(5)) > 0);
            assertTrue(Integer.parseInt(m.group(6)) <= Integer.parseInt(m.group(7)), "p50 <= p95");
        }
    }
}
