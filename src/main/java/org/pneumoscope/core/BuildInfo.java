package org.pneumoscope.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * Which Pneumoscope this is: the version from the pom (written into {@code build.properties} by Maven's resource
 * filtering) and the git commit the build was made from (written into {@code git.properties} when the build ran
 * inside a git checkout). Either is {@value #UNKNOWN} when the build did not record it (a source tree without git,
 * classes compiled outside Maven).
 */
public final class BuildInfo {
    public static final String UNKNOWN = "unknown";
    private static final Properties BUILD = read("build.properties");
    private static final Properties GIT = read("git.properties");

    private BuildInfo() {}

    /** The pom's version, e.g. {@code 0.1.0-SNAPSHOT}; the jar manifest's when the resource is missing. */
    public static String version() {
        String v = value(BUILD, "version");
        if (v == null) v = BuildInfo.class.getPackage().getImplementationVersion();
        return v == null ? UNKNOWN : v;
    }

    /** The full hash of the commit checked out when the code was built. */
    public static String commit() {
        String c = value(GIT, "commit");
        return c == null ? UNKNOWN : c;
    }

    /** Whether tracked files differed from that commit at build time; null when unknown. */
    public static Boolean dirty() {
        String d = value(GIT, "dirty");
        return d == null ? null : Boolean.valueOf(d);
    }

    /** "0.1.0-SNAPSHOT (commit 1a2b3c4d5e6f, modified)", for --version and logs. */
    public static String describe() {
        String c = commit();
        String shortCommit = c.equals(UNKNOWN) ? "commit unknown" : "commit " + c.substring(0, Math.min(12, c.length()));
        return version() + " (" + shortCommit + (Boolean.TRUE.equals(dirty()) ? ", modified" : "") + ")";
    }

    /** A property that was filled in: not blank and not an unexpanded {@code ${...}} placeholder. */
    private static String value(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) return null;
        v = v.trim();
        return v.isEmpty() || v.contains("${") ? null : v;
    }

    private static Properties read(String name) {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/org/pneumoscope/" + name)) {
            if (in != null) p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            // a damaged resource reads as unknown rather than stopping the program
        }
        return p;
    }
}
