package org.pneumoscope.testing;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Skips a test whose Debian tool is missing, except where the environment says the tool is installed: CI installs
 * Chromium and chromedriver, python3-torch, dcmtk, dicom3tools and python3-onnx and lists what it found in {@value #ENV}
 * (comma-separated: {@code chromium}, {@code torch}, {@code dcmtk}, {@code dicom3tools}, {@code onnx}); a test of a listed tool that would skip fails instead, so a CI run
 * never reports green for tests it did not run. Without the variable (a developer's machine) it is a plain skip.
 */
public final class RequiredTools {
    private RequiredTools() {}

    public static final String ENV = "PNEUMOSCOPE_REQUIRE_TOOLS";

    /** The tools the environment says are installed. */
    static Set<String> required() {
        String v = System.getenv(ENV);
        if (v == null || v.isBlank()) return Set.of();
        return Arrays.stream(v.split(",")).map(s -> s.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty())
                .collect(Collectors.toSet());
    }

    /** Skips (or, where {@code tool} is required, fails) unless {@code available}, saying {@code why}. */
    public static void assume(String tool, boolean available, String why) {
        if (available) return;
        if (required().contains(tool)) fail(why + " — but " + ENV + " lists " + tool + " as installed, so this test must run");
        assumeTrue(false, why);
    }
}
