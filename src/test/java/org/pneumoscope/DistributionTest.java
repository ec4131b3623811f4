package org.pneumoscope;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.BuildInfo;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The distribution zip that the build makes before the tests run (maven-assembly-plugin, bound to
 * process-test-classes): unpacked as a user would, its launcher and its jar run the command line without Maven.
 */
class DistributionTest {
    @TempDir static Path tmp;
    static Path dist;

    @BeforeAll
    static void unpack() throws IOException {
        String build = System.getProperty("pneumoscope.build");
        assumeTrue(build != null, "not run by Maven: no distribution was built (mvn test builds it before the tests)");
        Path zip = Path.of(build, "pneumoscope-" + BuildInfo.version() + ".zip");
        assertTrue(Files.isRegularFile(zip), "the build should have made " + zip + " (maven-assembly-plugin, process-test-classes)");
        unzip(zip, tmp.resolve("unpacked"));
        dist = tmp.resolve("unpacked").resolve("pneumoscope-" + BuildInfo.version());
        assertTrue(Files.isDirectory(dist), "the zip should hold one folder named after the version");
    }

    @Test
    void holdsLauncherJarLibrariesConfigsAndReadme() throws IOException {
        assertTrue(Files.isExecutable(dist.resolve("bin/pneumoscope")), "bin/pneumoscope is stored executable");
        assertFalse(Files.readString(dist.resolve("bin/pneumoscope")).contains("mvn"), "the launcher never builds");
        assertTrue(Files.isRegularFile(dist.resolve("configs/cpu.yaml")));
        assertTrue(Files.isRegularFile(dist.resolve("configs/experiments/sweep.yaml")));
        assertTrue(Files.readString(dist.resolve("README.md")).contains("./pneumoscope demo"));
        List<String> libs = names(dist.resolve("lib"));
        for (String needed : List.of("pytorch-native-", "pytorch-jni-", "picocli-", "commons-csv-", "javalin-"))
            assertTrue(libs.stream().anyMatch(n -> n.startsWith(needed)), "lib/ lacks " + needed + "*: " + libs);
        for (String testOnly : List.of("junit-", "archunit-", "selenium-", "onnxruntime-"))
            assertTrue(libs.stream().noneMatch(n -> n.startsWith(testOnly)), "lib/ holds a test library " + testOnly);
    }

    @Test
    void jarManifestNamesMainClassAndEveryLibrary() throws IOException {
        Path jar = dist.resolve("pneumoscope-" + BuildInfo.version() + ".jar");
        Manifest m;
        try (JarFile j = new JarFile(jar.toFile())) { m = j.getManifest(); }
        assertEquals("org.pneumoscope.cli.Main", m.getMainAttributes().getValue("Main-Class"));
        List<String> classPath = List.of(m.getMainAttributes().getValue("Class-Path").trim().split(" +"));
        List<String> libs = names(dist.resolve("lib"));
        assertEquals(libs.size(), classPath.size(), "Class-Path names every jar of lib/ once");
        for (String entry : classPath) assertTrue(Files.isRegularFile(dist.resolve(entry)), "Class-Path names a missing " + entry);
    }

    @Test
    void launcherPrintsThePomVersion() throws Exception {
        Run r = run(List.of(dist.resolve("bin/pneumoscope").toString(), "--version"));
        assertEquals(0, r.exit, r.output);
        assertEquals("pneumoscope " + BuildInfo.describe(), r.output.strip());
    }

    @Test
    void launcherRunsThroughASymlinkFromElsewhere() throws Exception {
        Path link = Files.createDirectories(tmp.resolve("path-bin")).resolve("pneumoscope");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, dist.resolve("bin/pneumoscope"));
        Run r = run(List.of(link.toString(), "--version"));
        assertEquals(0, r.exit, r.output);
        assertTrue(r.output.contains(BuildInfo.version()), r.output);
    }

    @Test
    void launcherLoadsTheOfflineEngine() throws Exception {
        Run r = run(List.of(dist.resolve("bin/pneumoscope").toString(), "engine"));
        assertEquals(0, r.exit, r.output);
        assertTrue(r.output.contains("engine=PyTorch"), r.output);
        assertTrue(r.output.contains("check=4.0"), "a 2x2 tensor of ones sums to 4: " + r.output);
    }

    @Test
    void javaDashJarRunsTheCommandLine() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Run r = run(List.of(java, "-jar", dist.resolve("pneumoscope-" + BuildInfo.version() + ".jar").toString(), "--version"));
        assertEquals(0, r.exit, r.output);
        assertEquals("pneumoscope " + BuildInfo.describe(), r.output.strip());
    }

    record Run(int exit, String output) {}

    /** Runs from a folder outside the distribution with the JDK running the tests; gives up after two minutes. */
    static Run run(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("PNEUMOSCOPE_JAVA_OPTS", "-Xmx1g");
        Process p = pb.start();
        String out;
        try (InputStream in = p.getInputStream()) { out = new String(in.readAllBytes(), StandardCharsets.UTF_8); }
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("timed out: " + command);
        }
        return new Run(p.exitValue(), out);
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Unpacks with the Unix modes stored in the zip, as unzip(1) does (the JDK's zip file system reads them). */
    static void unzip(Path zip, Path to) throws IOException {
        try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + zip.toUri()), Map.of("enablePosixFileAttributes", "true"))) {
            Path root = fs.getPath("/");
            List<Path> entries = new ArrayList<>();
            try (Stream<Path> s = Files.walk(root)) { s.forEach(entries::add); }
            for (Path e : entries) {
                Path out = to.resolve(root.relativize(e).toString());
                if (Files.isDirectory(e)) {
                    Files.createDirectories(out);
                } else {
                    Files.copy(e, out);
                    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(e);
                    if (!mode.isEmpty()) Files.setPosixFilePermissions(out, mode);
                }
            }
        }
    }
}
