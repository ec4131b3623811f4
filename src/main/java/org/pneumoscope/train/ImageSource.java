package org.pneumoscope.train;

import org.pneumoscope.core.GreyImage;
import org.pneumoscope.data.Sample;

import java.io.IOException;

/** Gives a sample's pixels already at the model's input size (normally backed by the decode cache). */
@FunctionalInterface
public interface ImageSource {
    GreyImage load(Sample sample) throws IOException;
}
