package org.pneumoscope.augment;

import java.util.Random;

/**
 * Random shift (fraction of the size), scale (1 ± scaleLimit) and rotation (± rotateLimit degrees) about the
 * centre, bilinear, black outside the frame (albumentations ShiftScaleRotate with linear interpolation and a
 * constant 0 border): a patient positioned off-centre, closer to the detector, or tilted.
 */
public record ShiftScaleRotate(double shiftLimit, double scaleLimit, double rotateLimit) implements Transform {
    public ShiftScaleRotate {
        if (shiftLimit < 0 || scaleLimit < 0 || scaleLimit >= 1 || rotateLimit < 0)
            throw new IllegalArgumentException("shift_limit >= 0, 0 <= scale_limit < 1, rotate_limit >= 0 required");
    }

    @Override
    public FloatImage apply(FloatImage image, Random rng) {
        int w = image.width(), h = image.height();
        double angle = (rng.nextDouble() * 2 - 1) * rotateLimit;
        double scale = 1 + (rng.nextDouble() * 2 - 1) * scaleLimit;
        double dx = (rng.nextDouble() * 2 - 1) * shiftLimit, dy = (rng.nextDouble() * 2 - 1) * shiftLimit;
        double[] m = rotationMatrix(w / 2.0, h / 2.0, angle, scale);
        m[2] += dx * w;
        m[5] += dy * h;
        Trace.fired(() -> String.format("ssr %+.0f° x%.2f (%+.2f,%+.2f)", angle, scale, dx, dy));
        return ImageOps.warpAffine(image, ImageOps.invertAffine(m), ImageOps.Border.CONSTANT);
    }

    /** cv2.getRotationMatrix2D: counter-clockwise degrees about (cx, cy), then scaled. */
    static double[] rotationMatrix(double cx, double cy, double degrees, double scale) {
        double r = Math.toRadians(degrees), a = scale * Math.cos(r), b = scale * Math.sin(r);
        return new double[]{a, b, (1 - a) * cx - b * cy, -b, a, b * cx + (1 - a) * cy};
    }
}
