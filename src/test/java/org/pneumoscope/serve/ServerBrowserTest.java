package org.pneumoscope.serve;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.DicomWriter;
import org.pneumoscope.data.ImageDecoder;
import org.pneumoscope.pipeline.ModelInfo;
import org.pneumoscope.testing.HeadlessChromium;
import org.pneumoscope.testing.RequiredTools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The page in headless Chromium: upload a real chest X-ray through the file input and read the answer off the page. */
class ServerBrowserTest {
    @Test
    void uploadShowsClassProbabilitiesAndHeatmap() throws Exception {
        RequiredTools.assume("chromium", HeadlessChromium.available(), "SKIPPED browser test: " + HeadlessChromium.MISSING);
        Path run = ServeFixture.run();
        Path dir = Files.createDirectories(ServeFixture.buildDir().resolve("serve-browser"));
        Path upload;
        Path k = ServeFixture.kermany();
        if (k != null) {
            upload = k.resolve(Files.readAllLines(k.resolve("manifest.csv")).get(1).split(",", 2)[0]);
        } else {
            upload = dir.resolve("phantom-xray.png");
            Files.write(upload, ServeFixture.xrays(1).get(0));
        }
        try (PneumoscopeServer s = PneumoscopeServer.start(ServerConfig.builder(run).host("127.0.0.1").port(0).build())) {
            try (HeadlessChromium chromium = new HeadlessChromium(1280, 1000)) {
                ChromeDriver driver = chromium.driver();
                driver.get(s.url());
                assertTrue(driver.getTitle().startsWith("Pneumoscope"));
                WebElement notice = driver.findElement(By.id("notice"));
                assertTrue(notice.isDisplayed());
                assertTrue(notice.getText().contains("Research use only — not a diagnosis"), notice.getText());
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(120));
                // the model card is filled from /api/model
                wait.until(d -> !d.findElements(By.cssSelector("#facts dt")).isEmpty());
                assertTrue(driver.findElement(By.id("facts")).getText().toLowerCase().contains("accuracy"), "the model card shows test accuracy");

                driver.findElement(By.id("file")).sendKeys(upload.toRealPath().toString()); // chromedriver wants a canonical path
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("result")));

                String label = driver.findElement(By.id("result-label")).getText();
                assertTrue(ModelInfo.DISPLAY.contains(label), "class text: " + label);
                List<WebElement> rows = driver.findElements(By.cssSelector("#probs .prob"));
                assertEquals(3, rows.size());
                double sum = 0;
                for (WebElement row : rows) {
                    double p = Double.parseDouble(row.getAttribute("data-p"));
                    assertTrue(p >= 0 && p <= 1, "probability " + p);
                    assertTrue(row.findElement(By.className("prob-value")).getText().endsWith("%"));
                    sum += p;
                }
                assertEquals(1.0, sum, 1e-4);
                String top = driver.findElement(By.cssSelector("#probs .prob.top")).getAttribute("data-class");
                assertEquals(label, ModelInfo.DISPLAY.get(Label.parse(top).index()));

                JavascriptExecutor js = driver;
                wait.until(d -> ((Number) js.executeScript("const i = document.getElementById('cam-heatmap');"
                        + " return i.complete ? i.naturalWidth : 0;")).intValue() > 0);
                Number h = (Number) js.executeScript("return document.getElementById('cam-heatmap').naturalHeight;");
                assertTrue(h.intValue() > 0);
                // the opacity slider drives the heatmap's opacity
                js.executeScript("const r = document.getElementById('opacity'); r.value = 30; r.dispatchEvent(new Event('input'));");
                assertEquals("0.3", js.executeScript("return document.getElementById('cam-heatmap').style.opacity;"));
                js.executeScript("const r = document.getElementById('opacity'); r.value = 65; r.dispatchEvent(new Event('input'));");

                Number height = (Number) js.executeScript("return document.documentElement.scrollHeight;");
                driver.manage().window().setSize(new Dimension(1280, Math.min(height.intValue() + 40, 4000)));
                Files.write(ServeFixture.buildDir().resolve("serve-screenshot.png"), driver.getScreenshotAs(OutputType.BYTES));

                // DICOM: the browser cannot show it, so the page shows the server's rendering instead
                GreyImage g = ImageDecoder.decode(Files.readAllBytes(upload), "x");
                int[] values = new int[g.pixels().length];
                for (int i = 0; i < values.length; i++) values[i] = g.pixels()[i] & 0xff;
                Path dcm = DicomWriter.grey(g.width(), g.height(), 8, values).write(dir.resolve("xray.dcm"));
                driver.findElement(By.id("file")).sendKeys(dcm.toRealPath().toString());
                wait.until(d -> d.findElement(By.id("file-meta")).getText().startsWith("xray.dcm")
                        && d.findElement(By.id("result")).isDisplayed()
                        && String.valueOf(d.findElement(By.id("preview-img")).getAttribute("src")).startsWith("data:image/png"));
                assertTrue(ModelInfo.DISPLAY.contains(driver.findElement(By.id("result-label")).getText()));
                wait.until(d -> ((Number) js.executeScript("const i = document.getElementById('cam-base');"
                        + " return i.complete ? i.naturalWidth : 0;")).intValue() == g.width());
                String page = driver.findElement(By.tagName("body")).getText();
                assertFalse(page.contains("Doe") || page.contains(DicomWriter.SECRET_ID), "DICOM identifiers never reach the page");
            }
        }
    }
}
