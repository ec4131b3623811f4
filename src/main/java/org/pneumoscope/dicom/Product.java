package org.pneumoscope.dicom;

import org.pneumoscope.api.Classifier;
import org.pneumoscope.core.BuildInfo;
import org.pneumoscope.pipeline.ModelInfo;

import java.util.Map;

/**
 * Who made an object: the software (Manufacturer, Software Versions) and the model that gave the answer (the SR's
 * algorithm name and version).
 *
 * @param modelName    the network, input size and head, e.g. "resnet18@224 (linear head)"
 * @param modelVersion which trained weights: the run folder's name, when they were made, and the site profile if any
 */
public record Product(String modelName, String modelVersion) {
    /** The pom's version, as the build recorded it. */
    public static final String VERSION = BuildInfo.version();
    public static final String MANUFACTURER = "Pneumoscope";
    public static final String SOFTWARE = "pneumoscope " + VERSION;

    public static Product of(Classifier c) {
        Map<String, Object> card = ModelInfo.of(c.model()).card();
        StringBuilder v = new StringBuilder("run ").append(card.get("run"));
        if (card.get("created") != null) v.append(", created ").append(card.get("created"));
        if (c.profile() != null) v.append(", site profile ").append(c.profile());
        return new Product("Pneumoscope " + card.get("name"), ascii(v.toString()));
    }

    /** DICOM text without a declared character set is ASCII; anything else becomes '?'. */
    static String ascii(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) b.append(ch >= 0x20 && ch < 0x7F ? ch : '?');
        return b.toString();
    }
}
