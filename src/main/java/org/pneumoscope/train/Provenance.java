package org.pneumoscope.train;

import ai.djl.engine.Engine;
import org.pneumoscope.core.BuildInfo;
import org.pneumoscope.data.Fingerprints;
import org.pneumoscope.data.Sample;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What made a model or a set of figures: the Pneumoscope build (version and git commit), the DJL and PyTorch versions
 * that ran, and fingerprints of the config ({@link TrainConfig#fingerprint}) and of the images
 * ({@link Fingerprints#manifest}). Written as {@code "provenance"} into model.json and every metrics.json, so two
 * results can be told apart (or shown to come from the same inputs) without the run folders beside them.
 *
 * @param configSha256   null where no config applies (an ensemble of prediction files)
 * @param manifestSha256 null where no images were read
 */
public record Provenance(String version, String commit, Boolean dirty, String djl, String pytorch,
                         String configSha256, String manifestSha256, int images) {

    /** The software that runs now, with fingerprints of {@code config} and of {@code images}. */
    public static Provenance of(TrainConfig config, List<Sample> images) {
        Provenance s = software();
        return new Provenance(s.version, s.commit, s.dirty, s.djl, s.pytorch, config.fingerprint(),
                Fingerprints.manifest(images), images.size());
    }

    /** The software that runs now, without fingerprints. */
    public static Provenance software() {
        String pytorch;
        try {
            Engine e = Engine.getInstance();
            pytorch = "PyTorch".equals(e.getEngineName()) ? e.getVersion() : e.getEngineName() + " " + e.getVersion();
        } catch (RuntimeException | LinkageError e) {
            pytorch = BuildInfo.UNKNOWN;
        }
        String djl = Engine.getDjlVersion();
        return new Provenance(BuildInfo.version(), BuildInfo.commit(), BuildInfo.dirty(),
                djl == null ? BuildInfo.UNKNOWN : djl, pytorch, null, null, 0);
    }

    /** As model.json and metrics.json hold it. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pneumoscope_version", version);
        m.put("git_commit", commit);
        m.put("git_dirty", dirty);
        m.put("djl_version", djl);
        m.put("pytorch_version", pytorch);
        m.put("config_sha256", configSha256);
        m.put("manifest_sha256", manifestSha256);
        m.put("manifest_images", images);
        return m;
    }
}
