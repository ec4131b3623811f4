package org.pneumoscope.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.pneumoscope.testing.HeadlessChromium;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ReportBuilderTest {
    static Path buildDir() {
        return Path.of(System.getProperty("pneumoscope.build", "target"));
    }

    static int count(String haystack, String needle) {
        int c = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) c++;
        return c;
    }

    @Test
    void fullReportIsSelfContainedAndHasEverySection() throws Exception {
        SyntheticRun run = new SyntheticRun(5);
        String html = run.fullReport().generatedAt(ZonedDateTime.of(2025, 1, 2, 3, 4, 0, 0, ZoneOffset.UTC)).toHtml();
        for (String id : ReportBuilder.SECTION_IDS) assertTrue(html.contains("<section id=\"" + id + "\""), id);
        assertTrue(html.contains("<section id=\"experiment\""));
        assertFalse(html.contains("Not available"), "every input was given");
        // nothing is fetched from elsewhere: every src is a data URI, no stylesheet or script links
        Matcher m = Pattern.compile("\\bsrc=\"([^\"]{0,40})").matcher(html);
        int images = 0;
        while (m.find()) {
            assertTrue(m.group(1).startsWith("data:image/png;base64,"), m.group(1));
            images++;
        }
        assertEquals(5 + 6, images);   // training, confusion, ROC, reliability, experiment + 6 Grad-CAM pictures
        assertFalse(Pattern.compile("(?i)<link|<script|url\\(|https?://(?!www\\.w3\\.org/2000/svg)").matcher(html).find());
        // figures that only the report can show honestly
        assertTrue(html.contains("69.0\u00a0%"), "reader reference shown");
        assertTrue(html.contains("Kermany, Zhang &amp; Goldbaum 2018, CC BY 4.0"));
        assertTrue(html.contains("not a medical device"));
        assertTrue(html.contains("No external validation"));
        assertTrue(html.contains("2025-01-02 03:04"));
        String acc = String.format(java.util.Locale.ROOT, "%.1f\u00a0%%", 100 * run.evaluation.accuracy());
        assertTrue(html.contains(acc), "accuracy " + acc + " shown");
    }

    @Test
    void missingInputsGiveClearNotesNotBrokenImages() {
        String html = new ReportBuilder().toHtml();
        for (String id : ReportBuilder.SECTION_IDS) assertTrue(html.contains("<section id=\"" + id + "\""), id);
        assertFalse(html.contains("<img"), "no image without data");
        // every section except the model card, which always has its standard content
        assertEquals(ReportBuilder.SECTION_IDS.size() - 1, count(html, "<strong>Not available:</strong>"));
        assertTrue(html.contains("Research use only"));
    }

    @Test
    void phantomRunsSaySoAndEscapeUserText(@TempDir Path dir) throws Exception {
        SyntheticRun run = new SyntheticRun(8);
        Path out = new ReportBuilder().evaluation(run.evaluation).phantomData(true)
                .subtitle("<script>alert(1)</script>").write(dir.resolve("r/report.html"));
        String html = Files.readString(out);
        assertTrue(html.contains("Phantom data."));
        assertTrue(html.contains("phantom images, so the comparison has no clinical meaning"));
        assertFalse(html.contains("<script>"));
        assertTrue(html.contains("&lt;script&gt;"));
        try (var s = Files.list(out.getParent())) {
            assertEquals(1, s.count(), "atomic write leaves no temporary file");
        }
        assertThrows(IllegalArgumentException.class, () -> new ReportBuilder().addFigure("roc", "x", null, "y"));
    }

    @Test
    void reportRendersInHeadlessChromium() throws Exception {
        org.pneumoscope.testing.RequiredTools.assume("chromium", HeadlessChromium.available(), "SKIPPED browser check: " + HeadlessChromium.MISSING);
        Path dir = buildDir().resolve("report-test");
        Files.createDirectories(dir);
        Path report = new SyntheticRun(5).fullReport().write(dir.resolve("report.html"));
        Path empty = new ReportBuilder().write(dir.resolve("report-empty.html"));
        try (HeadlessChromium chromium = new HeadlessChromium(1280, 900)) {
            ChromeDriver driver = chromium.driver();
            driver.get(report.toUri().toString());
            assertEquals("Pneumoscope evaluation report", driver.getTitle());
            for (String id : ReportBuilder.SECTION_IDS)
                assertEquals(1, driver.findElements(By.id(id)).size(), "section #" + id);
            JavascriptExecutor js = driver;
            Number total = (Number) js.executeScript("return document.images.length;");
            assertEquals(11, total.intValue());
            @SuppressWarnings("unchecked")
            List<String> broken = (List<String>) js.executeScript(
                    "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt);");
            assertEquals(List.of(), broken, "broken images");
            WebElement kpi = driver.findElement(By.cssSelector("#summary .kpi .v"));
            assertTrue(kpi.getText().endsWith("%"), kpi.getText());

            // full-page screenshot for a human to look at
            Number height = (Number) js.executeScript("return document.documentElement.scrollHeight;");
            driver.manage().window().setSize(new Dimension(1280, Math.min(height.intValue() + 20, 16000)));
            Files.write(buildDir().resolve("report-screenshot.png"), driver.getScreenshotAs(OutputType.BYTES));

            driver.manage().window().setSize(new Dimension(1280, 900));
            driver.get(empty.toUri().toString());
            for (String id : ReportBuilder.SECTION_IDS)
                assertEquals(1, driver.findElements(By.id(id)).size(), "section #" + id + " of the empty report");
            assertEquals(ReportBuilder.SECTION_IDS.size() - 1, driver.findElements(By.cssSelector("p.na")).size());
            Files.write(buildDir().resolve("report-empty-screenshot.png"),
                    ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        }
    }
    /** The shift check is rendered from its result: a warning banner when it fired, one note line otherwise. */
    @Test
    void theShiftCheckIsABannerWhenItFiresAndANoteOtherwise() {
        double[] mix = {0.5, 0.25, 0.25}, ref = {0.3, 0.3, 0.4};
        var alarm = new org.pneumoscope.eval.DriftScore.Result(120, 9.5, 2.25, true, mix, ref, 0.61, 0.8,
                org.pneumoscope.eval.DriftScore.ALARM, 0.7417, 0.851);
        var quiet = new org.pneumoscope.eval.DriftScore.Result(120, 1.04, 2.25, false, mix, ref, 0.79, 0.8, "no shift detected",
                Double.NaN, Double.NaN);
        String loud = new ReportBuilder().shiftAlarm(alarm).toHtml(), calm = new ReportBuilder().shiftAlarm(quiet).toHtml();
        assertTrue(loud.contains("<div class=\"banner warn\" id=\"shift-alarm\"><strong>Shift alarm.</strong> These films differ"), loud);
        assertTrue(loud.contains("score 9.50 against an alarm threshold of 2.25 over 120 films"));
        assertTrue(loud.contains("Predicted bacteria/virus/normal 50/25/25 % (reference films 30/30/40 %), mean confidence 0.61 (reference films 0.80)"));
        assertTrue(loud.contains("`pneumoscope calibrate` with ~60 labelled films"));
        assertTrue(loud.contains("Label-free accuracy estimate 74 % (validation films 85 %; rough): the share of films"), loud);
        assertFalse(calm.contains("shift-alarm"));
        assertFalse(calm.contains("accuracy estimate"), "no estimate made, none shown");
        assertTrue(calm.contains("id=\"shift-check\">Shift check: no shift detected (score 1.04 against an alarm threshold of 2.25"));
        String none = new ReportBuilder().shiftAlarm(org.pneumoscope.eval.DriftScore.Result.noReference(new float[0][])).toHtml();
        assertTrue(none.contains("Shift check: no shift reference in this run."));
        assertFalse(new ReportBuilder().toHtml().contains("shift-"), "no check, no line");
    }
}
