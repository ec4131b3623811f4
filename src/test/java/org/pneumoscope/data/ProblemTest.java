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
        List<String> lines = listed("%d file(s) skipped:", 23).lines().toList();
        assertEquals("23 file(s) skipped:", lines.get(0));
        assertEquals("  img0.png: truncated", lines.get(1));
        assertEquals("  img19.png: truncated", lines.get(20));
        assertEquals("  ... and 3 more", lines.get(21));
        assertEquals(22, lines.size());
        assertEquals(21, listed("%d skipped", 20).lines().count(), "exactly twenty: no '... and 0 more'");
        assertEquals("", listed("%d skipped", 0), "nothing skipped: nothing printed");
    }
}
