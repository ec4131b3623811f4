package org.pneumoscope.spark;

import org.pneumoscope.api.Classifier;
import org.pneumoscope.core.UserException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * One model per JVM: the first task of a job on an executor loads the run through the Java API, every later task of
 * any job with the same run and model hash reuses it (a network is read once, not once per partition). A job with
 * another run or hash closes the old model and loads its own.
 */
public final class ModelHolder {
    private ModelHolder() {}

    private static String key;
    private static Classifier model;

    /**
     * The model of {@code run} (with site profile {@code profile}, or null), checked against {@code hash}: an executor
     * that finds other files under the same path (a run re-trained or re-calibrated while the job ran, another copy on
     * another node) refuses to score with them rather than mix two models in one output.
     */
    public static synchronized Classifier get(String run, String profile, String hash) throws IOException {
        String k = run + "|" + profile + "|" + hash;
        if (k.equals(key)) return model;
        String found = hash(Path.of(run), profile);
        if (!found.equals(hash))
            throw new UserException("the run at " + run + " on this machine has model hash " + found
                    + ", not the job's " + hash + "; every machine must see the same run folder");
        if (model != null) model.close();
        model = null;
        key = null;
        model = Classifier.load(Path.of(run), profile);
        key = k;
        return model;
    }

    /**
     * What identifies a model's scores: SHA-256 over model.params and model.json (the weights, the input recipe and the
     * calibration) and, with a site profile, every file of the profile, in name order.
     */
    public static String hash(Path run, String profile) throws IOException {
        Path params = run.resolve("model.params"), json = run.resolve("model.json");
        if (!Files.isRegularFile(params) || !Files.isRegularFile(json))
            throw new UserException(run + " is not a finished Pneumoscope run (no model.json / model.params)");
        MessageDigest md = sha256();
        update(md, json);
        update(md, params);
        if (profile != null) {
            Path dir = run.resolve("profiles").resolve(profile);
            if (!Files.isDirectory(dir)) throw new UserException(run + " has no site profile '" + profile + "'");
            List<Path> files;
            try (Stream<Path> s = Files.list(dir)) {
                files = s.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path f : files) update(md, f);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    private static void update(MessageDigest md, Path f) throws IOException {
        md.update(f.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(f)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
    }
}
