package org.pneumoscope.data;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ProblemTest {
    private static String listed(String heading, int n) {
        List<Problem> p = new ArrayList<>();
        for (int i = 0; i < n; i++) p.add(new Problem(Path.of("img" + i + ".png"), "truncated"));
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Problem.list(new PrintStream(b, true, StandardCharsets.UTF_8), heading, p);
        return b.toString(StandardCharsets.UTF_8);
    }

    @Test
    void listsTheFirstTwentyThenHowManyMore() {
        List<String> lines = listed("file(s) skipped:", 23).lines().toList();
        assertEquals("23 file(s) skipped:", lines.get(0));
        assertEquals("  img0.png: truncated", lines.get(1));
        assertEquals("  img19.png: truncated", lines.get(20));
        assertEquals("  ... and 3 more", lines.get(21));
        assertEquals(22, lines.size());
        assertEquals(21, listed("skipped", 20).lines().count(), "exactly twenty: no '... and 0 more'");
        assertEquals("", listed("skipped", 0), "nothing skipped: nothing printed");
        assertEquals("1 file(s) skipped while reading /data/100%/cxr:",
                listed("file(s) skipped while reading /data/100%/cxr:", 1).lines().findFirst().orElseThrow(),
                "a '%' in a heading's path is printed as it is");
    }
}
