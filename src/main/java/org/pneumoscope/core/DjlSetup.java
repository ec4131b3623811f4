package org.pneumoscope.core;

import java.nio.file.Path;

/**
 * Makes DJL run offline with the native PyTorch library from the Maven jar, before any DJL class loads.
 * Hospitals run without internet, so a download attempt must never happen by accident.
 */
public final class DjlSetup {
    private DjlSetup() {}

    private static volatile boolean done;

    public static synchronized void configure() {
        if (done) return;
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("PYTORCH_FLAVOR", "cpu");
        if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
            Path cache = cacheDir();
            System.setProperty("DJL_CACHE_DIR", cache.toString());
            System.setProperty("ENGINE_CACHE_DIR", cache.toString());
        }
        setIfAbsent("ai.djl.default_engine", "PyTorch");
        done = true;
    }

    /**
     * Where the native library is unpacked: the launcher's build folder for the CLI; for a program that embeds the
     * API, the user's cache folder ($XDG_CACHE_HOME or ~/.cache), never the directory it happens to run in.
     */
    static Path cacheDir() {
        String home = System.getProperty("pneumoscope.home");
        if (home != null) return Path.of(home, "target", "djl-cache").toAbsolutePath();
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("pneumoscope").resolve("djl").toAbsolutePath();
    }

    /** Lets the model zoo reach the network; only when the user passed --allow-download. */
    public static void allowDownload() {
        System.setProperty("ai.djl.offline", "false");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null && System.getenv(key) == null) System.setProperty(key, value);
    }
}
