package org.pneumoscope.report;

import java.awt.image.BufferedImage;

/**
 * One picture of the Grad-CAM gallery, e.g. the heatmap overlay of the most confident correct or the most
 * confident wrong image of a class.
 *
 * @param caption shown under the picture (e.g. "most confident correct · p(bacteria) 0.98 · person12_bacteria_3.jpeg")
 */
public record GalleryImage(BufferedImage image, String caption) {
    public GalleryImage {
        if (image == null) throw new IllegalArgumentException("gallery image is missing (caption: " + caption + ")");
    }
}
