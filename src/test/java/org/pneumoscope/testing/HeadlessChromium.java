package org.pneumoscope.testing;

import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Debian's headless Chromium driven by Selenium, for the tests that look at a page as a user would.
 * Each instance has a fresh profile, removed on close; tests skip (assumeTrue on {@link #available()})
 * where the browser is not installed, naming the packages to install.
 */
public final class HeadlessChromium implements AutoCloseable {
    public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    public static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    public static final String MISSING =
            "/usr/bin/chromium or /usr/bin/chromedriver missing (apt-get install -y chromium chromium-driver)";
    // strong reference: the logger's level would be lost if it were garbage-collected
    private static final Logger SELENIUM_LOG = Logger.getLogger("org.openqa.selenium");

    static {
        // Selenium warns that it has no CDP bindings for this Chromium version; WebDriver does not need them
        SELENIUM_LOG.setLevel(Level.SEVERE);
    }

    private final Path profile;
    private final ChromeDriverService service;
    private final ChromeDriver driver;

    public static boolean available() {
        return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    }

    public HeadlessChromium(int width, int height) throws IOException {
        profile = Files.createTempDirectory("pneumoscope-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toString());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=" + width + "," + height, "--hide-scrollbars");
        service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeDriver d;
        try {
            d = new ChromeDriver(service, options);
        } catch (RuntimeException e) {
            service.stop();
            deleteProfile();
            throw e;
        }
        driver = d;
    }

    public ChromeDriver driver() { return driver; }

    @Override
    public void close() throws IOException {
        try {
            driver.quit();
        } finally {
            service.stop();
            deleteProfile();
        }
    }

    // best effort: Chromium may still be flushing the profile
    private void deleteProfile() throws IOException {
        try (Stream<Path> walk = Files.walk(profile)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
