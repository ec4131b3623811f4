package org.pneumoscope.data;

import org.pneumoscope.core.Label;

import java.nio.file.Path;

/**
 * One labelled image. {@code patientId} groups images of the same person so splits never leak;
 * {@code split} is "train", "val", "test" or null when the source did not say.
 */
public record Sample(Path file, Label label, String patientId, String split) {
    public Sample withSplit(String s) { return new Sample(file, label, patientId, s); }
}
